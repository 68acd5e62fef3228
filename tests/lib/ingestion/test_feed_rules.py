"""Contract §3 and §6 on small hand-written files: decoding, parsing, row checks, accounting."""

import json

import pyarrow as pa
import pytest
from feeds import IMILO_HEADER, SI_PE_HEADER, ais_row, imilo_row, query, write_file

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.monthly_load import load_month
from otp_pipeline.lib.ingestion.reader import _trimmed
from otp_pipeline.lib.settings import IMILO, SI_PE
from otp_pipeline.lib.warehouse import connect

MONTH = "2021-01"


def _load_ais(landing, warehouse, lines, name="ais_2021-01.csv", limit=100, **kwargs):
    write_file(landing / "si_pe" / name, lines, **kwargs)
    with connect(warehouse) as con:
        return load_month(con, SI_PE, landing, MONTH, limit)[-1]


def _load_imilo(landing, warehouse, lines, limit=100, **kwargs):
    write_file(landing / "imilo" / "imilo_2021-01.csv", lines, **kwargs)
    with connect(warehouse) as con:
        return load_month(con, IMILO, landing, MONTH, limit)[-1]


def _ais(**kwargs):
    kwargs.setdefault("prescription", "10/01/2021")
    return ais_row(**kwargs)


def _quarantine(warehouse):
    return query(warehouse, "select line_number, reason from raw.quarantine order by 1")


def test_windows_1252_file_with_accents_is_decoded(landing, warehouse):
    lines = [SI_PE_HEADER + ";commentaire", _ais(agence="Saint-Étienne") + ";œuvre € déjà"]
    report = _load_ais(landing, warehouse, lines, encoding="cp1252")
    assert report.encoding == "cp1252"
    assert query(warehouse, "select code_agence from raw.si_pe") == [("Saint-Étienne",)]


def test_utf8_with_bom_is_decoded_and_bom_dropped(landing, warehouse):
    report = _load_ais(landing, warehouse, [SI_PE_HEADER, _ais(agence="Orléans")], bom=True)
    assert (report.encoding, report.rows_loaded) == ("utf-8", 1)  # id_ais header found
    assert query(warehouse, "select code_agence from raw.si_pe") == [("Orléans",)]


def test_bytes_that_are_neither_utf8_nor_windows_1252_are_structural(landing, warehouse):
    path = landing / "si_pe" / "ais_2021-01.csv"
    path.write_bytes((SI_PE_HEADER + "\n" + _ais()).encode() + b"\x81\n")
    with connect(warehouse) as con, pytest.raises(StructuralError, match="cannot be decoded"):
        load_month(con, SI_PE, landing, MONTH, 5)


def test_imilo_is_utf8_only(landing, warehouse):
    with pytest.raises(StructuralError, match="imilo_2021-01.csv: cannot be decoded as UTF-8"):
        _load_imilo(landing, warehouse, [IMILO_HEADER, imilo_row(
            prescription="2021-01-10", mission_locale="Évry")], encoding="cp1252")  # fmt: skip


def test_headers_case_spaces_order_and_extra_columns(landing, warehouse):
    names = SI_PE_HEADER.split(";")
    values = _ais(id_ais="A7", departement="13").split(";")
    order = list(reversed(range(len(names))))
    header = ";".join(f"  {names[i].upper()} " for i in order) + ";Extra Col"
    report = _load_ais(landing, warehouse, [header, ";".join(values[i] for i in order) + ";x"])
    assert report.rows_loaded == 1
    assert query(warehouse, "select id_ais, code_departement from raw.si_pe") == [("A7", "13")]


def test_missing_required_column_is_structural(landing, warehouse):
    header = SI_PE_HEADER.replace("id_individu;", "")
    with pytest.raises(
        StructuralError, match=r"ais_2021-01.csv, line 1: missing required.*id_individu"
    ):
        _load_ais(landing, warehouse, [header])


def test_column_named_twice_is_structural(landing, warehouse):
    with pytest.raises(StructuralError, match="line 1: column 'statut' appears twice"):
        _load_ais(landing, warehouse, [SI_PE_HEADER + "; STATUT", _ais() + ";ENTREE"])


def test_missing_optional_column_is_allowed(landing, warehouse):
    header = SI_PE_HEADER.replace(";duree_heures", "")
    report = _load_ais(landing, warehouse, [header, _ais().rsplit(";", 1)[0]])
    assert report.rows_loaded == 1


def test_quoted_semicolons_quotes_and_line_breaks_keep_physical_line_numbers(landing, warehouse):
    lines = [
        SI_PE_HEADER,
        _ais(id_ais="A1", agence='"Agence; ""Nord"""'),  # line 2
        _ais(id_ais="A2", agence='"two\nlines"'),  # lines 3-4
        "",  # line 5: blank, skipped, not counted
        "   ",  # line 6: blank after trimming
        _ais(id_ais="A3", naissance="31/02/2000"),  # line 7: quarantined
    ]
    report = _load_ais(landing, warehouse, lines)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert query(warehouse, "select id_ais, code_agence, line_number from raw.si_pe order by 1") == [
        ("A1", 'Agence; "Nord"', 2), ("A2", "two\nlines", 3),
    ]  # fmt: skip
    assert _quarantine(warehouse) == [(7, "DATE_INVALIDE:date_naissance")]


def test_values_are_trimmed_of_unicode_whitespace(landing, warehouse):
    _load_ais(landing, warehouse, [SI_PE_HEADER, _ais(id_ais="\u00a0A1\t", agence=" 75001\u2003")])
    assert query(warehouse, "select id_ais, code_agence from raw.si_pe") == [("A1", "75001")]


def test_arrow_trims_exactly_the_characters_str_strip_trims():
    """The reader trims with Arrow's kernels (ASCII when a column is all ASCII, else UTF-8):
    both must agree with `str.strip` on every code point, or a value would load differently
    from what the contract says."""
    code_points = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    for chosen in (code_points, code_points[:128]):  # the UTF-8 kernel, the ASCII one
        padded = [f"{c}a{c}" for c in chosen]
        trimmed = _trimmed(pa.array(padded)).to_pylist()
        disagree = [
            hex(ord(c)) for c, value, text in zip(chosen, trimmed, padded, strict=True)
            if value != text.strip()
        ]  # fmt: skip
        assert disagree == []


def test_value_holding_the_reader_join_separator_loads_whole(landing, warehouse):
    """The reader joins a batch's records with `\\x1f` for Arrow to split: a value holding
    that character must come back whole, not shift the columns after it."""
    lines = [SI_PE_HEADER, _ais(id_ais="A1", agence="PE\x1f75"), _ais(id_ais="A2")]
    report = _load_ais(landing, warehouse, lines)
    assert (report.rows_read, report.rows_loaded) == (2, 2)
    assert query(
        warehouse, "select id_ais, code_agence, type_prescripteur from raw.si_pe order by 1"
    ) == [("A1", "PE\x1f75", "PE"), ("A2", "75001", "PE")]


def test_one_digit_department_is_padded_and_codes_are_upper_cased(landing, warehouse):
    lines = [
        SI_PE_HEADER,
        _ais(id_ais="A1", departement="1", prescripteur=" pe ", statut="entree",
             entree="12/01/2021", type_formation="qualifiante", financeur="region"),
        _ais(id_ais="A2", departement="2a"),
        _ais(id_ais="A3", departement="971"),
    ]  # fmt: skip
    _load_ais(landing, warehouse, lines)
    assert query(
        warehouse,
        "select id_ais, code_departement, type_prescripteur, statut, type_formation, financeur "
        "from raw.si_pe order by 1",
    ) == [
        ("A1", "01", "PE", "ENTREE", "QUALIFIANTE", "REGION"),
        ("A2", "2A", "PE", "PRESCRITE", "QUALIFIANTE", "REGION"),
        ("A3", "971", "PE", "PRESCRITE", "QUALIFIANTE", "REGION"),
    ]


def test_odd_optional_values_are_counted_never_quarantined(landing, warehouse):
    lines = [
        SI_PE_HEADER,
        _ais(id_ais="A1", duree="12,5", financeur="FSE", formacode="2243"),
        _ais(id_ais="A2", prescripteur="Mission locale", rome="1607", type_formation="X"),
        _ais(id_ais="A3", prescripteur="mission locale"),
        _ais(id_ais="A4", prescripteur=""),
    ]
    report = _load_ais(landing, warehouse, lines)
    assert report.rows_loaded == 4 and report.rows_quarantined == 0
    assert report.odd_values == {
        "type_prescripteur": 2, "formacode": 1, "code_rome": 1, "type_formation": 1,
        "financeur": 1, "duree_heures": 1,
    }  # fmt: skip
    assert report.invalid_type_prescripteur == {"MISSION LOCALE": 2}


def test_date_entree_is_ignored_unless_the_row_is_an_entry(landing, warehouse):
    lines = [
        SI_PE_HEADER,
        _ais(id_ais="A1", statut="PRESCRITE", entree="n'importe quoi"),
        _ais(id_ais="A2", statut="ANNULEE", entree="01/01/2020"),
        _ais(id_ais="A3", statut="ABANDON", entree="20/02/2021"),
        _ais(id_ais="A4", statut="ENTREE", entree=""),
    ]
    report = _load_ais(landing, warehouse, lines)
    assert report.rows_quarantined == 0
    assert query(warehouse, "select id_ais, date_entree::varchar from raw.si_pe order by 1") == [
        ("A1", None), ("A2", None), ("A3", "2021-02-20"), ("A4", None),
    ]  # fmt: skip


ROW_ERRORS = [
    ("wrong_field_count", _ais(id_ais="E1") + ";extra", "NOMBRE_DE_CHAMPS"),
    ("unparseable_date_not_a_date", _ais(id_ais="E2", naissance="2000-06-15"), "DATE_INVALIDE:date_naissance"),
    ("unparseable_date_not_padded", _ais(id_ais="E3", prescription="5/01/2021"), "DATE_INVALIDE:date_prescription"),
    ("unparseable_date_impossible", _ais(id_ais="E4", prescription="30/02/2021"), "DATE_INVALIDE:date_prescription"),
    ("unparseable_date_entree", _ais(id_ais="E5", statut="ENTREE", entree="2021-01-20"), "DATE_INVALIDE:date_entree"),
    ("unknown_department", _ais(id_ais="E6", departement="96"), "DEPARTEMENT_INCONNU"),
    ("unknown_department_zero_padded", _ais(id_ais="E7", departement="001"), "DEPARTEMENT_INCONNU"),
    ("missing_required_value", _ais(id_ais="E8", individu=" "), "VALEUR_REQUISE_MANQUANTE:id_individu"),
    ("missing_statut", _ais(id_ais="E9", statut=""), "VALEUR_REQUISE_MANQUANTE:statut"),
    ("unknown_statut", _ais(id_ais="E10", statut="VALIDEE"), "STATUT_INCONNU"),
    ("prescription_outside_month", _ais(id_ais="E11", prescription="01/02/2021"), "DATE_PRESCRIPTION_HORS_MOIS"),
    ("age_13", _ais(id_ais="E12", naissance="11/01/2007"), "AGE_HORS_LIMITES"),
    ("age_100", _ais(id_ais="E13", naissance="10/01/1921"), "AGE_HORS_LIMITES"),
    ("entry_before_prescription", _ais(id_ais="E14", statut="ABANDON", entree="09/01/2021"), "DATE_ENTREE_AVANT_PRESCRIPTION"),
]  # fmt: skip


@pytest.mark.parametrize(
    "bad_line, reason", [e[1:] for e in ROW_ERRORS], ids=[e[0] for e in ROW_ERRORS]
)
def test_row_error_goes_to_quarantine_with_line_and_reason(landing, warehouse, bad_line, reason):
    lines = [SI_PE_HEADER, _ais(id_ais="OK1"), bad_line, _ais(id_ais="OK2")]
    report = _load_ais(landing, warehouse, lines)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert _quarantine(warehouse) == [(3, reason)]
    assert query(warehouse, "select source_file from raw.quarantine") == [("ais_2021-01.csv",)]
    assert report.quarantine_reasons == {reason: 1}


def test_ages_14_and_99_are_valid_and_birthday_counts(landing, warehouse):
    lines = [
        SI_PE_HEADER,
        _ais(id_ais="A14", naissance="10/01/2007"),  # 14 on the prescription day
        _ais(id_ais="A99", naissance="11/01/1921"),  # 99, turns 100 the next day
    ]
    assert _load_ais(landing, warehouse, lines).rows_loaded == 2


def test_exact_duplicate_is_loaded_once_and_counted(landing, warehouse):
    row = _ais(id_ais="D1")
    lines = [SI_PE_HEADER, row, _ais(id_ais="D2"), " " + row.replace(";", " ; ")]
    report = _load_ais(landing, warehouse, lines)
    assert (report.rows_read, report.rows_loaded, report.rows_duplicates) == (3, 2, 1)
    assert query(warehouse, "select id_ais, line_number from raw.si_pe order by 1") == [
        ("D1", 2), ("D2", 3),
    ]  # fmt: skip


def test_conflicting_id_quarantines_every_row_with_it(landing, warehouse):
    lines = [
        SI_PE_HEADER, _ais(id_ais="C1", statut="PRESCRITE"), _ais(id_ais="C2"),
        _ais(id_ais="C1", statut="ENTREE", entree="20/01/2021"), _ais(id_ais="C1", statut="PRESCRITE"),
    ]  # fmt: skip
    report = _load_ais(landing, warehouse, lines)
    assert (report.rows_loaded, report.rows_quarantined, report.rows_duplicates) == (1, 3, 0)
    assert _quarantine(warehouse) == [
        (2, "ID_EN_CONFLIT"),
        (4, "ID_EN_CONFLIT"),
        (5, "ID_EN_CONFLIT"),
    ]


def test_quarantined_row_does_not_make_its_id_conflict(landing, warehouse):
    lines = [SI_PE_HEADER, _ais(id_ais="C1"), _ais(id_ais="C1", departement="96")]
    report = _load_ais(landing, warehouse, lines)
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    assert _quarantine(warehouse) == [(3, "DEPARTEMENT_INCONNU")]


def _file_with_errors(good: int, bad: int, duplicates: int = 0) -> list[str]:
    rows = [_ais(id_ais=f"G{i}") for i in range(good)]
    rows += [_ais(id_ais=f"B{i}", statut="?") for i in range(bad)]
    rows += [_ais(id_ais="G0")] * duplicates
    return [SI_PE_HEADER, *rows]


def test_exactly_five_percent_quarantined_passes(landing, warehouse):
    report = _load_ais(landing, warehouse, _file_with_errors(19, 1), limit=5)
    assert (report.rows_read, report.rows_quarantined) == (20, 1)


def test_more_than_five_percent_quarantined_is_structural(landing, warehouse):
    with pytest.raises(StructuralError, match=r"2 of 21 data rows quarantined \(9.52 %\)"):
        _load_ais(landing, warehouse, _file_with_errors(19, 2), limit=5)


def test_duplicates_count_in_rows_read_for_the_threshold(landing, warehouse):
    # 1 quarantined of 20 read (18 good + 1 bad + 1 duplicate) is exactly 5 %.
    report = _load_ais(landing, warehouse, _file_with_errors(18, 1, duplicates=1), limit=5)
    assert (report.rows_read, report.rows_quarantined, report.rows_duplicates) == (20, 1, 1)


def test_failed_month_leaves_the_loaded_month_untouched(landing, warehouse):
    _load_ais(landing, warehouse, [SI_PE_HEADER, _ais(id_ais="A1")])
    with pytest.raises(StructuralError):
        _load_ais(landing, warehouse, _file_with_errors(1, 5), name="ais_2021-01_r2.csv", limit=5)
    assert query(warehouse, "select id_ais, source_file from raw.si_pe") == [
        ("A1", "ais_2021-01.csv")
    ]


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"", "empty file"),
        ((SI_PE_HEADER + "\n").encode(), "no data row"),
        ((SI_PE_HEADER + "\n\n  \n").encode(), "no data row"),
        (b"\n\n", "no header"),
    ],
    ids=["zero_bytes", "header_only", "header_and_blank_lines", "blank_lines_only"],
)
def test_file_without_data_rows_is_structural(landing, warehouse, content, problem):
    (landing / "si_pe" / "ais_2021-01.csv").write_bytes(content)
    with connect(warehouse) as con, pytest.raises(StructuralError, match=problem):
        load_month(con, SI_PE, landing, MONTH, 5)


def test_gz_that_is_not_gzip_is_structural(landing, warehouse):
    (landing / "si_pe" / "ais_2021-01.csv.gz").write_bytes((SI_PE_HEADER + "\n").encode())
    with connect(warehouse) as con, pytest.raises(StructuralError, match="cannot be decompressed"):
        load_month(con, SI_PE, landing, MONTH, 5)


def test_every_row_read_is_loaded_quarantined_or_duplicate(landing, warehouse):
    lines = [SI_PE_HEADER] + [error[1] for error in ROW_ERRORS] + _file_with_errors(30, 0, 2)[1:]
    report = _load_ais(landing, warehouse, lines)
    assert report.rows_read == len(ROW_ERRORS) + 32
    assert report.rows_read == report.rows_loaded + report.rows_quarantined + report.rows_duplicates
    [(reasons, loaded)] = query(
        warehouse, "select quarantine_reasons, rows_loaded from raw.deliveries"
    )
    assert sum(json.loads(reasons).values()) == report.rows_quarantined == len(ROW_ERRORS)
    assert loaded == query(warehouse, "select count(*) from raw.si_pe")[0][0] == 30


def test_imilo_feed_loads_with_iso_dates(landing, warehouse):
    lines = [
        IMILO_HEADER,
        imilo_row(id_prescription="M1", prescription="2021-01-10", statut="entree",
                  entree="2021-02-01", numero_ais=" A1 ", departement="2A"),
        imilo_row(id_prescription="M2", prescription="10/01/2021"),
    ]  # fmt: skip
    report = _load_imilo(landing, warehouse, lines)
    assert (report.rows_loaded, report.quarantine_reasons) == (
        1,
        {"DATE_INVALIDE:date_prescription": 1},
    )
    assert query(
        warehouse,
        "select id_prescription, statut, date_entree::varchar, numero_ais, code_departement from raw.imilo",
    ) == [("M1", "ENTREE", "2021-02-01", "A1", "2A")]


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_checksum_taken_while_decoding_is_the_sha256_of_the_file_as_delivered(landing, gz):
    from otp_pipeline.lib.ingestion.decoding import inspect_file, sha256_of

    name = "ais_2021-01.csv" + (".gz" if gz else "")
    path = write_file(landing / "si_pe" / name, [SI_PE_HEADER, _ais(agence="Évry")],
                      encoding="cp1252", gz=gz)  # fmt: skip
    facts = inspect_file(path, "si_pe/ais_2021-01.csv", ("utf-8", "cp1252"))
    assert (facts.encoding, facts.sha256) == ("cp1252", sha256_of(path))
