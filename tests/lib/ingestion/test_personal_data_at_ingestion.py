"""Personal data at ingestion (docs/personal-data.md): the age of contract §5 computed from
the birth date and stored, the person ids read for §6's duplicate rule only, and neither
stored; a quarantined row keeps its record id, the column at fault and that column's value,
never a person column's."""

import pytest
from feeds import IMILO_HEADER, SI_PE_HEADER, ais_row, imilo_row, query, write_file

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.monthly_load import load_month
from otp_pipeline.lib.settings import IMILO, PERSONAL_COLUMNS, SI_PE
from otp_pipeline.lib.warehouse import connect


def _load(landing, warehouse, feed, files: dict[str, list[str]], first="2021-01", last=None):
    for name, lines in files.items():
        write_file(landing / feed.name / name, lines)
    with connect(warehouse) as con:
        return load_month(con, feed, landing, first, 100, last_month=last)


def test_age_is_computed_at_ingestion_on_its_edge_cases(landing, warehouse):
    files = {
        "ais_2021-01.csv": [SI_PE_HEADER, ais_row(id_ais="JAN", naissance="10/01/2000",
                                                  prescription="10/01/2021")],
        "ais_2021-02.csv": [
            SI_PE_HEADER,
            # Born 29 February: not 21 yet on 28/02/2021 (no 29th that year)...
            ais_row(id_ais="BISSEXTILE_28", naissance="29/02/2000", prescription="28/02/2021"),
        ],
        "ais_2021-03.csv": [
            SI_PE_HEADER,
            # ... 21 on 01/03/2021.
            ais_row(id_ais="BISSEXTILE_01", naissance="29/02/2000", prescription="01/03/2021"),
            ais_row(id_ais="ANNIVERSAIRE", naissance="15/03/2000", prescription="15/03/2021"),
            ais_row(id_ais="VEILLE", naissance="16/03/2000", prescription="15/03/2021"),
            # Completed years, not year boundaries (2021 - 1995 = 26).
            ais_row(id_ais="FIN_DECEMBRE", naissance="31/12/1995", prescription="01/03/2021"),
            ais_row(id_ais="AGE_14", naissance="01/03/2007", prescription="01/03/2021"),
            ais_row(id_ais="AGE_13", naissance="02/03/2007", prescription="01/03/2021"),
            ais_row(id_ais="AGE_99", naissance="02/03/1921", prescription="01/03/2021"),
            ais_row(id_ais="AGE_100", naissance="01/03/1921", prescription="01/03/2021"),
        ],
    }  # fmt: skip
    reports = _load(landing, warehouse, SI_PE, files, last="2021-03")
    assert [r.rows_quarantined for r in reports] == [0, 0, 2]
    assert query(warehouse, "select id_ais, age from raw.si_pe order by mois, id_ais") == [
        ("JAN", 21), ("BISSEXTILE_28", 20), ("AGE_14", 14), ("AGE_99", 99),
        ("ANNIVERSAIRE", 21), ("BISSEXTILE_01", 21), ("FIN_DECEMBRE", 25), ("VEILLE", 20),
    ]  # fmt: skip
    assert query(warehouse, "select record_id, reason from raw.quarantine order by 1") == [
        ("AGE_100", "AGE_HORS_LIMITES"), ("AGE_13", "AGE_HORS_LIMITES"),
    ]  # fmt: skip


def test_imilo_age_from_iso_dates(landing, warehouse):
    lines = [
        IMILO_HEADER,
        imilo_row(id_prescription="LE_JOUR", naissance="2000-01-31", prescription="2021-01-31"),
        imilo_row(id_prescription="LA_VEILLE", naissance="2000-02-01", prescription="2021-01-31"),
    ]
    _load(landing, warehouse, IMILO, {"imilo_2021-01.csv": lines})
    assert query(warehouse, "select id_prescription, age from raw.imilo order by 1") == [
        ("LA_VEILLE", 20), ("LE_JOUR", 21),
    ]  # fmt: skip


def test_no_person_column_is_stored(landing, warehouse):
    _load(landing, warehouse, SI_PE, {"ais_2021-01.csv": [SI_PE_HEADER, ais_row(
        prescription="10/01/2021")]})  # fmt: skip
    _load(landing, warehouse, IMILO, {"imilo_2021-01.csv": [IMILO_HEADER, imilo_row(
        prescription="2021-01-10")]})  # fmt: skip
    columns = query(warehouse, "select table_name, column_name from duckdb_columns()")
    assert {"age"} <= {column for table, column in columns if table in ("si_pe", "imilo")}
    assert [c for c in columns if c[1] in (*PERSONAL_COLUMNS, "raw_record")] == []


def test_the_loads_connection_keeps_no_person_column_after_a_load(landing, warehouse):
    """The temp tables a load works in (the file's lines, its staged rows, the checked rows)
    hold person ids and birth dates while the rules need them: none is left on the
    connection after a load, loaded or refused (the quarantine share above the limit)."""
    for name, lines in {
        "ais_2021-01.csv": [SI_PE_HEADER, ais_row(prescription="10/01/2021")],
        "ais_2021-02.csv": [SI_PE_HEADER, ais_row(prescription="10/01/2020")],  # refused
    }.items():
        write_file(landing / SI_PE.name / name, lines)
    person = (*PERSONAL_COLUMNS, "d_naissance")
    with connect(warehouse) as con:
        load_month(con, SI_PE, landing, "2021-01", 100)
        with pytest.raises(StructuralError):
            load_month(con, SI_PE, landing, "2021-02", 0)
        left = con.execute(
            "select table_name, column_name from duckdb_columns() where database_name = 'temp'"
        ).fetchall()
    assert [column for column in left if column[1] in person] == []


def test_person_id_still_decides_a_duplicate_from_a_conflict(landing, warehouse):
    """§6: rows identical in every named column, the person id included, are one row;
    an id_ais on rows differing only by their person id (or birth date) is a conflict."""
    same = ais_row(id_ais="SAME", individu="P1", prescription="10/01/2021")
    lines = [
        SI_PE_HEADER, same, same,
        ais_row(id_ais="OTHER_PERSON", individu="P1", prescription="10/01/2021"),
        ais_row(id_ais="OTHER_PERSON", individu="P2", prescription="10/01/2021"),
        ais_row(id_ais="OTHER_BIRTH", naissance="01/01/2000", prescription="10/01/2021"),
        ais_row(id_ais="OTHER_BIRTH", naissance="02/01/2000", prescription="10/01/2021"),
    ]  # fmt: skip
    [report] = _load(landing, warehouse, SI_PE, {"ais_2021-01.csv": lines})
    assert (
        report.rows_read,
        report.rows_loaded,
        report.rows_quarantined,
        report.rows_duplicates,
    ) == (6, 1, 4, 1)
    assert query(warehouse, "select record_id, fault_column, fault_value from raw.quarantine "
                            "order by line_number") == [
        ("OTHER_PERSON", "id_ais", "OTHER_PERSON"), ("OTHER_PERSON", "id_ais", "OTHER_PERSON"),
        ("OTHER_BIRTH", "id_ais", "OTHER_BIRTH"), ("OTHER_BIRTH", "id_ais", "OTHER_BIRTH"),
    ]  # fmt: skip


def _ais(**kwargs):
    kwargs.setdefault("prescription", "10/01/2021")
    return ais_row(**kwargs)


# What the quarantine keeps of each row error: (record id, column at fault, its value).
QUARANTINED = [
    ("field_count", _ais(id_ais="E1", individu="P-SECRET") + ";extra", (None, None, None)),
    ("birth_date", _ais(id_ais="E2", naissance="2000-06-15"), ("E2", "date_naissance", None)),
    ("prescription_date", _ais(id_ais="E3", prescription="5/01/2021"), ("E3", "date_prescription", "5/01/2021")),
    ("entry_date", _ais(id_ais="E5", statut="ENTREE", entree="2021-01-20"), ("E5", "date_entree", "2021-01-20")),
    ("department", _ais(id_ais="E6", departement="96"), ("E6", "code_departement", "96")),
    ("person_id_missing", _ais(id_ais="E8", individu=" "), ("E8", "id_individu", None)),
    ("id_missing", _ais(id_ais=" "), (None, "id_ais", "")),
    ("statut_missing", _ais(id_ais="E9", statut=""), ("E9", "statut", "")),
    ("statut", _ais(id_ais="E10", statut="validee "), ("E10", "statut", "validee")),
    ("outside_month", _ais(id_ais="E11", prescription="01/02/2021"), ("E11", "date_prescription", "01/02/2021")),
    ("age", _ais(id_ais="E12", naissance="11/01/2007"), ("E12", "date_naissance", None)),
    ("entry_before", _ais(id_ais="E14", statut="ABANDON", entree="09/01/2021"), ("E14", "date_entree", "09/01/2021")),
]  # fmt: skip


@pytest.mark.parametrize(
    "bad_line, kept", [q[1:] for q in QUARANTINED], ids=[q[0] for q in QUARANTINED]
)
def test_quarantine_keeps_where_to_fix_the_row_never_a_person_column(
    landing, warehouse, bad_line, kept
):
    lines = [SI_PE_HEADER, _ais(id_ais="OK1"), bad_line, _ais(id_ais="OK2")]
    [report] = _load(landing, warehouse, SI_PE, {"ais_2021-01.csv": lines})
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert query(warehouse, "select line_number, record_id, fault_column, fault_value "
                            "from raw.quarantine") == [(3, *kept)]  # fmt: skip
