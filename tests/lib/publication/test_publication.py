"""Contract §7 and §6: published files of a month, their formats, and the all-or-nothing swap."""

import glob
import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from published_marts import ENUMS

from otp_pipeline.lib.publication import swap as publication
from otp_pipeline.lib.publication.manifest import PersonalDataError, assert_no_personal_data
from otp_pipeline.lib.publication.swap import current_month_dirs, publish_month
from otp_pipeline.lib.publication.tables import TABLES

MONTH = "2021-03"
FIRST = datetime(2021, 4, 15, 12, 0, 0, tzinfo=UTC)
SECOND = datetime(2021, 4, 16, 8, 30, 0, tzinfo=UTC)
TABLE_FILES = sorted(f"{name}.{ext}" for name in TABLES for ext in ("csv", "parquet"))

# The marts as dbt leaves them: every month in `mois`, rows in no order, sums as HUGEINT.
MARTS_SQL = """
create table main.prescriptions_mensuelles (
    mois varchar, code_region varchar, libelle_region varchar, source varchar,
    reseau_prescripteur varchar, tranche_age varchar, nb_prescriptions hugeint,
    nb_entrees hugeint, fiabilite varchar
);
insert into main.prescriptions_mensuelles values
    ('2021-03', '84', 'Auvergne-Rhône-Alpes', 'SI_PE', 'PE', 'MOINS_26', 4, 1, 'FIABLE'),
    ('2021-03', '11', 'Île-de-France', 'SI_PE', 'PE', '26_29', 2, 0, 'A_EXAMINER'),
    ('2021-03', '11', 'Île-de-France', 'IMILO', 'ML', 'MOINS_26', 3, 2, 'FIABLE'),
    ('2021-02', '11', 'Île-de-France', 'IMILO', 'ML', 'MOINS_26', 9, 9, 'FIABLE');
create table main.suivi_otp (
    mois varchar, code_region varchar, libelle_region varchar, indicateur varchar,
    periode_debut varchar, periode_fin varchar, objectif bigint, realise_mois bigint,
    realise_cumule bigint, taux_realisation double, cible_lineaire double,
    ecart_cible double, fiabilite varchar
);
insert into main.suivi_otp values
    ('2021-03', '11', 'Île-de-France', 'PRESCRIPTIONS_PE_MOINS_30', '2021-01', '2021-12',
     120, 2, 7, 7 / 120, 30.0, -23.0, 'A_EXAMINER'),
    ('2021-03', '11', 'Île-de-France', 'ENTREES_MOINS_30', '2021-01', '2021-12',
     0, 2, 5, null, 0.0, 5.0, 'FIABLE');
create table main.qualite_prescripteur (
    mois varchar, code_region varchar, libelle_region varchar,
    nb_prescriptions_si_pe bigint, nb_prescripteur_renseigne bigint,
    taux_renseignement double, nb_ml_si_pe_moins_26 bigint, nb_ml_imilo_moins_26 bigint,
    fiabilite varchar
);
insert into main.qualite_prescripteur values
    ('2021-03', '84', 'Auvergne-Rhône-Alpes', 30, 27, 27 / 30, 3, 4, 'FIABLE'),
    ('2021-03', '11', 'Île-de-France', 3, 1, 1 / 3, 0, 2, 'A_EXAMINER'),
    ('2021-03', '93', 'Provence-Alpes-Côte d''Azur', 0, 0, null, 0, 5, 'FIABLE'),
    ('2021-03', '01', 'Guadeloupe', 2, 2, 1.0, 1, 0, 'FIABLE'),
    ('2021-02', '11', 'Île-de-France', 9, 9, 1.0, 0, 0, 'FIABLE');
create table main.prescriptions_par_formation (
    mois varchar, code_region varchar, libelle_region varchar, source varchar,
    type_formation varchar, domaine_professionnel varchar, libelle_domaine varchar,
    tranche_age varchar, nb_prescriptions hugeint, nb_entrees hugeint
);
-- Per mois, code_region, source, tranche_age: the sums of prescriptions_mensuelles (§8).
insert into main.prescriptions_par_formation values
    ('2021-03', '84', 'Auvergne-Rhône-Alpes', 'SI_PE', 'QUALIFIANTE', 'J', 'Santé', 'MOINS_26', 3, 1),
    ('2021-03', '11', 'Île-de-France', 'IMILO', 'QUALIFIANTE', 'J', 'Santé', 'MOINS_26', 3, 2),
    ('2021-03', '84', 'Auvergne-Rhône-Alpes', 'SI_PE', 'NON_RENSEIGNE', 'NON_RENSEIGNE', null,
     'MOINS_26', 1, 0),
    ('2021-03', '11', 'Île-de-France', 'SI_PE', 'PRE_QUALIFIANTE', 'F',
     'Construction, Bâtiment et Travaux publics', '26_29', 2, 0),
    ('2021-02', '11', 'Île-de-France', 'IMILO', 'AUTRE', 'N', 'Transport et Logistique',
     'MOINS_26', 9, 9);
create table main.prescriptions_secteurs_avenir (
    mois varchar, code_region varchar, libelle_region varchar, source varchar,
    type_formation varchar, code_secteur varchar, libelle_secteur varchar,
    tranche_age varchar, nb_prescriptions hugeint, nb_entrees hugeint
);
-- Per mois, code_region, source, type_formation, tranche_age: the sums of
-- prescriptions_par_formation (§9).
insert into main.prescriptions_secteurs_avenir values
    ('2021-03', '84', 'Auvergne-Rhône-Alpes', 'SI_PE', 'QUALIFIANTE', 'SOIN', 'Santé et soin',
     'MOINS_26', 2, 1),
    ('2021-03', '84', 'Auvergne-Rhône-Alpes', 'SI_PE', 'QUALIFIANTE', 'HORS_LISTE', null,
     'MOINS_26', 1, 0),
    ('2021-03', '11', 'Île-de-France', 'IMILO', 'QUALIFIANTE', 'SOIN', 'Santé et soin',
     'MOINS_26', 3, 2),
    ('2021-03', '84', 'Auvergne-Rhône-Alpes', 'SI_PE', 'NON_RENSEIGNE', 'NON_RENSEIGNE', null,
     'MOINS_26', 1, 0),
    ('2021-03', '11', 'Île-de-France', 'SI_PE', 'PRE_QUALIFIANTE', 'HORS_LISTE', null, '26_29',
     2, 0),
    ('2021-02', '11', 'Île-de-France', 'IMILO', 'AUTRE', 'HORS_LISTE', null, 'MOINS_26', 9, 9);
create table main.projection_otp (
    mois varchar, code_region varchar, libelle_region varchar, indicateur varchar,
    periode_debut varchar, periode_fin varchar, objectif bigint, realise_cumule bigint,
    nb_mois_ecoules bigint, nb_mois_periode bigint, rythme_mensuel double,
    projection_fin_periode double, reste_a_realiser bigint, rythme_necessaire double,
    statut varchar, realise_cumule_borne_haute bigint, fiabilite varchar
);
-- One row per suivi_otp row, k = 3 of n = 12; the PE bound adds the 2 SI PE prescriptions
-- without a prescriber that qualite_prescripteur counts (3, of which 1 filled).
insert into main.projection_otp values
    ('2021-03', '11', 'Île-de-France', 'PRESCRIPTIONS_PE_MOINS_30', '2021-01', '2021-12',
     120, 7, 3, 12, 7 / 3, 7 * 12 / 3, 113, 113 / 9, 'EN_RETARD', 9, 'A_EXAMINER'),
    ('2021-03', '11', 'Île-de-France', 'ENTREES_MOINS_30', '2021-01', '2021-12',
     0, 5, 3, 12, 5 / 3, 5 * 12 / 3, 0, 0 / 9, 'ATTEINT', 5, 'FIABLE');
"""


@pytest.fixture
def marts(warehouse):
    warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(MARTS_SQL)
    return warehouse


def _sql(path, statement):
    with duckdb.connect(str(path)) as con:
        con.execute(statement)


def _publish(marts, publish_dir, now=FIRST, month=MONTH, manifest=None):
    with duckdb.connect(str(marts), read_only=True) as con:
        return publish_month(
            con, month, publish_dir, manifest or {"mois": month}, now=now, enums=ENUMS
        )


def _snapshot(folder):
    """Every file under `folder` with its bytes: what "byte for byte untouched" compares."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file()}  # fmt: skip


def _manifest(folder):
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _hidden_leftovers(publish_dir):
    return sorted(p.name for p in publish_dir.iterdir() if p.name.startswith((".tmp-", ".swap-")))


def test_csv_bytes_header_order_separator_nulls_floats_and_sorted_rows(marts, tmp_path):
    published = _publish(marts, tmp_path / "published")
    assert (published.folder / "qualite_prescripteur.csv").read_bytes() == (
        "mois;code_region;libelle_region;nb_prescriptions_si_pe;nb_prescripteur_renseigne;"
        "taux_renseignement;nb_ml_si_pe_moins_26;nb_ml_imilo_moins_26;fiabilite\n"
        "2021-03;01;Guadeloupe;2;2;1.0;1;0;FIABLE\n"
        "2021-03;11;Île-de-France;3;1;0.3333333333333333;0;2;A_EXAMINER\n"
        "2021-03;84;Auvergne-Rhône-Alpes;30;27;0.9;3;4;FIABLE\n"
        "2021-03;93;Provence-Alpes-Côte d'Azur;0;0;;0;5;FIABLE\n"
    ).encode()


def test_steering_tables_follow_the_csv_rules_of_section_7(marts, tmp_path):
    """Contract §8: same formats, sort rule and nulls as §7; doubles in shortest form."""
    folder = _publish(marts, tmp_path / "published").folder
    assert (folder / "prescriptions_par_formation.csv").read_bytes() == (
        "mois;code_region;libelle_region;source;type_formation;domaine_professionnel;"
        "libelle_domaine;tranche_age;nb_prescriptions;nb_entrees\n"
        "2021-03;11;Île-de-France;IMILO;QUALIFIANTE;J;Santé;MOINS_26;3;2\n"
        "2021-03;11;Île-de-France;SI_PE;PRE_QUALIFIANTE;F;"
        "Construction, Bâtiment et Travaux publics;26_29;2;0\n"
        "2021-03;84;Auvergne-Rhône-Alpes;SI_PE;NON_RENSEIGNE;NON_RENSEIGNE;;MOINS_26;1;0\n"
        "2021-03;84;Auvergne-Rhône-Alpes;SI_PE;QUALIFIANTE;J;Santé;MOINS_26;3;1\n"
    ).encode()
    assert (folder / "projection_otp.csv").read_bytes() == (
        "mois;code_region;libelle_region;indicateur;periode_debut;periode_fin;objectif;"
        "realise_cumule;nb_mois_ecoules;nb_mois_periode;rythme_mensuel;projection_fin_periode;"
        "reste_a_realiser;rythme_necessaire;statut;realise_cumule_borne_haute;fiabilite\n"
        "2021-03;11;Île-de-France;ENTREES_MOINS_30;2021-01;2021-12;0;5;3;12;"
        "1.6666666666666667;20.0;0;0.0;ATTEINT;5;FIABLE\n"
        "2021-03;11;Île-de-France;PRESCRIPTIONS_PE_MOINS_30;2021-01;2021-12;120;7;3;12;"
        "2.3333333333333335;28.0;113;12.555555555555555;EN_RETARD;9;A_EXAMINER\n"
    ).encode()


def test_sectors_table_follows_the_csv_rules_of_section_7(marts, tmp_path):
    """Contract §9: same formats and sort rule (code_secteur by code point, HORS_LISTE <
    NON_RENSEIGNE < SOIN), a null label as an empty field."""
    folder = _publish(marts, tmp_path / "published").folder
    assert (folder / "prescriptions_secteurs_avenir.csv").read_bytes() == (
        "mois;code_region;libelle_region;source;type_formation;code_secteur;libelle_secteur;"
        "tranche_age;nb_prescriptions;nb_entrees\n"
        "2021-03;11;Île-de-France;IMILO;QUALIFIANTE;SOIN;Santé et soin;MOINS_26;3;2\n"
        "2021-03;11;Île-de-France;SI_PE;PRE_QUALIFIANTE;HORS_LISTE;;26_29;2;0\n"
        "2021-03;84;Auvergne-Rhône-Alpes;SI_PE;NON_RENSEIGNE;NON_RENSEIGNE;;MOINS_26;1;0\n"
        "2021-03;84;Auvergne-Rhône-Alpes;SI_PE;QUALIFIANTE;HORS_LISTE;;MOINS_26;1;0\n"
        "2021-03;84;Auvergne-Rhône-Alpes;SI_PE;QUALIFIANTE;SOIN;Santé et soin;MOINS_26;2;1\n"
    ).encode()


def test_csv_rows_sorted_by_every_grain_column(marts, tmp_path):
    folder = _publish(marts, tmp_path / "published").folder
    lines = (folder / "prescriptions_mensuelles.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1:] == [
        "2021-03;11;Île-de-France;IMILO;ML;MOINS_26;3;2;FIABLE",
        "2021-03;11;Île-de-France;SI_PE;PE;26_29;2;0;A_EXAMINER",
        "2021-03;84;Auvergne-Rhône-Alpes;SI_PE;PE;MOINS_26;4;1;FIABLE",
    ]
    suivi = (folder / "suivi_otp.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(";")[3] for line in suivi[1:]] == [
        "ENTREES_MOINS_30",
        "PRESCRIPTIONS_PE_MOINS_30",
    ]
    assert suivi[2].endswith(";120;2;7;0.058333333333333334;30.0;-23.0;A_EXAMINER")


def test_csv_quotes_only_fields_that_need_it(marts, tmp_path):
    _sql(
        marts,
        """update main.qualite_prescripteur set libelle_region = 'a;b "c"'
                   where code_region = '01'""",
    )
    _sql(marts, "update main.qualite_prescripteur set fiabilite = '' where code_region = '84'")
    folder = _publish(marts, tmp_path / "published").folder
    lines = (folder / "qualite_prescripteur.csv").read_bytes().split(b"\n")
    assert lines[1] == b'2021-03;01;"a;b ""c""";2;2;1.0;1;0;FIABLE'
    assert lines[3].endswith(b';""')  # an empty text stays distinct from a null


def test_parquet_schema_is_exactly_int64_double_string(marts, tmp_path):
    folder = _publish(marts, tmp_path / "published").folder
    for table in TABLES.values():
        schema = pq.read_schema(folder / f"{table.name}.parquet")
        assert schema.names == list(table.column_names)
        assert schema.types == [{"int64": pa.int64(), "double": pa.float64(),
                                 "string": pa.string()}[kind] for _, kind in table.columns]  # fmt: skip
    rows = pq.read_table(folder / "prescriptions_mensuelles.parquet").to_pylist()
    assert [(r["code_region"], r["nb_prescriptions"], r["nb_entrees"]) for r in rows] == [
        ("11", 3, 2),
        ("11", 2, 0),
        ("84", 4, 1),
    ]


def test_table_without_rows_is_written_with_header_and_schema(marts, tmp_path):
    published = _publish(marts, tmp_path / "published", month="2021-02")
    assert (published.folder / "suivi_otp.csv").read_bytes() == (
        b"mois;code_region;libelle_region;indicateur;periode_debut;periode_fin;objectif;"
        b"realise_mois;realise_cumule;taux_realisation;cible_lineaire;ecart_cible;fiabilite\n"
    )
    empty = pq.read_table(published.folder / "suivi_otp.parquet")
    assert empty.num_rows == 0 and empty.schema == TABLES["suivi_otp"].arrow_schema
    assert published.row_counts == {
        "prescriptions_mensuelles": 1,
        "suivi_otp": 0,
        "qualite_prescripteur": 1,
        "prescriptions_par_formation": 1,
        "projection_otp": 0,
        "prescriptions_secteurs_avenir": 1,
    }


def test_manifest_is_the_given_dict_plus_produced_at_utc_and_row_counts(marts, tmp_path):
    given = {"mois": MONTH, "seuil_remplissage": 0.9, "fichiers": [{"nom": "ais_2021-03.csv"}]}
    paris = timezone(timedelta(hours=2))
    published = _publish(marts, tmp_path / "published", manifest=given,
                         now=datetime(2021, 4, 15, 14, 0, 0, 999, tzinfo=paris))  # fmt: skip
    assert _manifest(published.folder) == {
        **given,
        "changes": None,  # a first publication replaces nothing
        "produced_at": "2021-04-15T12:00:00Z",
        "tables": {
            "prescriptions_mensuelles": 3,
            "suivi_otp": 2,
            "qualite_prescripteur": 4,
            "prescriptions_par_formation": 4,
            "projection_otp": 2,
            "prescriptions_secteurs_avenir": 5,
        },
    }
    assert "produced_at" not in given  # the caller's dict is left alone
    assert sorted(p.name for p in published.folder.iterdir()) == sorted(
        [*TABLE_FILES, "datapackage.json", "manifest.json", "rapport.html"]
    )


def test_republish_keeps_previous_as_vintage_named_after_its_produced_at(marts, tmp_path):
    publish_dir = tmp_path / "published"
    first = _snapshot(_publish(marts, publish_dir, now=FIRST).folder)
    _sql(marts, "update main.suivi_otp set realise_mois = 3 where indicateur like 'ENTREES%'")
    second = _publish(marts, publish_dir, now=SECOND)
    vintage = publish_dir / "_vintages" / MONTH / "20210415T120000Z"
    assert second.vintage == vintage
    assert _snapshot(vintage) == first
    assert _manifest(second.folder)["produced_at"] == "2021-04-16T08:30:00Z"
    assert ";3;5;" in (second.folder / "suivi_otp.csv").read_text(encoding="utf-8")
    assert sorted(p.name for p in second.folder.iterdir()) == sorted(
        [*TABLE_FILES, "datapackage.json", "manifest.json", "rapport.html"]
    )
    assert current_month_dirs(publish_dir) == [second.folder]
    assert _hidden_leftovers(publish_dir) == []


def test_vintages_produced_within_the_same_second_get_a_suffix(marts, tmp_path):
    publish_dir = tmp_path / "published"
    for _ in range(3):
        _publish(marts, publish_dir, now=FIRST)
    assert sorted(p.name for p in (publish_dir / "_vintages" / MONTH).iterdir()) == [
        "20210415T120000Z",
        "20210415T120000Z-2",
    ]


def test_same_data_published_twice_gives_identical_table_files(marts, tmp_path):
    publish_dir = tmp_path / "published"
    _publish(marts, publish_dir, now=FIRST)
    second = _publish(marts, publish_dir, now=SECOND)
    before, after = _snapshot(second.vintage), _snapshot(second.folder)
    assert {name: before[name] for name in TABLE_FILES} == {n: after[n] for n in TABLE_FILES}
    old_manifest, new_manifest = _manifest(second.vintage), _manifest(second.folder)
    assert old_manifest.pop("produced_at") != new_manifest.pop("produced_at")
    # A rerun that changes nothing is still republished, with zero counts (contract §7).
    assert old_manifest.pop("changes") is None
    assert new_manifest.pop("changes") == {
        "previous_produced_at": "2021-04-15T12:00:00Z",
        "tables": {name: {"rows_added": 0, "rows_removed": 0, "rows_changed": 0}
                   for name in TABLES},
    }  # fmt: skip
    assert old_manifest == new_manifest


def test_failure_while_writing_second_table_leaves_previous_publication_untouched(
    marts, tmp_path, monkeypatch
):
    publish_dir = tmp_path / "published"
    _publish(marts, publish_dir, now=FIRST)
    before = _snapshot(publish_dir)
    real_writer = publication.write_parquet

    def failing_writer(data, path):
        if path.name == "suivi_otp.parquet":
            raise OSError("disk full")
        real_writer(data, path)

    monkeypatch.setattr(publication, "write_parquet", failing_writer)
    _sql(marts, "update main.qualite_prescripteur set nb_ml_imilo_moins_26 = 99")
    with pytest.raises(OSError, match="disk full"):
        _publish(marts, publish_dir, now=SECOND)
    assert _snapshot(publish_dir) == before
    assert _hidden_leftovers(publish_dir) == []
    assert not (publish_dir / "_vintages").exists()


def test_failed_second_rename_puts_previous_publication_back(marts, tmp_path, monkeypatch):
    publish_dir = tmp_path / "published"
    _publish(marts, publish_dir, now=FIRST)
    before = _snapshot(publish_dir)
    real_rename = publication.os.rename

    def rename(source, target):
        if Path(source).parent.name.startswith(".tmp-"):
            raise OSError("rename refused")
        real_rename(source, target)

    monkeypatch.setattr(publication.os, "rename", rename)
    with pytest.raises(OSError, match="rename refused"):
        _publish(marts, publish_dir, now=SECOND)
    assert _snapshot(publish_dir) == before
    assert _hidden_leftovers(publish_dir) == []
    assert list((publish_dir / "_vintages").iterdir()) == []


def test_crash_between_the_two_renames_is_repaired_by_next_publish(marts, tmp_path):
    publish_dir = tmp_path / "published"
    first = _snapshot(_publish(marts, publish_dir, now=FIRST).folder)
    # A real crash: the process dies (no except, no finally) right before the second rename.
    script = textwrap.dedent(f"""
        import os
        from datetime import datetime, UTC
        import duckdb
        from otp_pipeline.lib.publication import swap as publication
        real_rename = os.rename
        def rename(source, target):
            if os.path.basename(os.path.dirname(source)).startswith(".tmp-"):
                os._exit(17)
            real_rename(source, target)
        publication.os.rename = rename
        with duckdb.connect({str(marts)!r}, read_only=True) as con:
            publication.publish_month(con, {MONTH!r}, {str(publish_dir)!r}, {{}},
                                      now=datetime(2021, 4, 16, tzinfo=UTC), enums={ENUMS!r})
    """)
    assert subprocess.run([sys.executable, "-c", script], check=False).returncode == 17
    assert not (publish_dir / MONTH).exists()  # the state a crash leaves: month absent
    assert current_month_dirs(publish_dir) == []

    third = _publish(marts, publish_dir, now=SECOND)
    assert _manifest(third.folder)["produced_at"] == "2021-04-16T08:30:00Z"
    assert [p.name for p in (publish_dir / "_vintages" / MONTH).iterdir()] == ["20210415T120000Z"]
    assert _snapshot(third.vintage) == first
    assert _hidden_leftovers(publish_dir) == []


def test_crash_leftovers_are_ignored_by_consumers_and_removed_by_next_publish(marts, tmp_path):
    publish_dir = tmp_path / "published"
    for leftover in (f".tmp-{MONTH}-dead/{MONTH}", ".tmp-2021-01-dead/2021-01"):
        (publish_dir / leftover).mkdir(parents=True)
        (publish_dir / leftover / "suivi_otp.parquet").write_bytes(b"half")
    for other in ("2021-3", "notes", "_vintages", "2021-02.old"):
        (publish_dir / other).mkdir()
    assert current_month_dirs(publish_dir) == []
    # pathlib's glob, unlike the shell's, enters dot folders: hence the month one level down.
    assert list(publish_dir.glob("*/suivi_otp.parquet")) == []
    assert glob.glob(str(publish_dir / "*" / "suivi_otp.parquet")) == []
    published = _publish(marts, publish_dir)
    assert current_month_dirs(publish_dir) == [published.folder]
    assert _hidden_leftovers(publish_dir) == []


@pytest.mark.parametrize(
    "statement, error",
    [
        ("alter table main.qualite_prescripteur alter nb_ml_imilo_moins_26 type double;"
         "update main.qualite_prescripteur set nb_ml_imilo_moins_26 = 1.5", pa.ArrowInvalid),
        ("update main.qualite_prescripteur set taux_renseignement = 'nan'::double", ValueError),
        ("update main.suivi_otp set ecart_cible = 'inf'::double", ValueError),
    ],
)  # fmt: skip
def test_value_the_contract_type_cannot_hold_fails_before_publishing(
    marts, tmp_path, statement, error
):
    _sql(marts, statement)
    with pytest.raises(error):
        _publish(marts, tmp_path / "published")
    assert current_month_dirs(tmp_path / "published") == []
    assert _hidden_leftovers(tmp_path / "published") == []


@pytest.mark.parametrize("month", ["2021-3", "2021-13", "../2021-03", "2021-03\n", "２０２１-03"])
def test_month_must_be_yyyy_mm(marts, tmp_path, month):
    with pytest.raises(ValueError, match="YYYY-MM"):
        _publish(marts, tmp_path / "published", month=month, manifest={})


def test_personal_data_scan_catches_forbidden_columns(tmp_path):
    folder = tmp_path / MONTH
    folder.mkdir()
    (folder / "manifest.json").write_text(
        json.dumps({"quarantine": {"VALEUR_REQUISE_MANQUANTE:id_ais": 2}}), encoding="utf-8"
    )
    assert_no_personal_data(folder)  # a reason quoting a column name is not personal data

    (folder / "extra.csv").write_text("mois;ID_Individu\n2021-03;X\n", encoding="utf-8")
    with pytest.raises(PersonalDataError, match="ID_Individu in extra.csv"):
        assert_no_personal_data(folder)
    (folder / "extra.csv").unlink()
    pq.write_table(pa.table({"mois": ["2021-03"], "date_naissance_hash": ["x"]}),
                   folder / "extra.parquet")  # fmt: skip
    with pytest.raises(PersonalDataError, match="date_naissance_hash in extra.parquet"):
        assert_no_personal_data(folder)
    (folder / "extra.parquet").unlink()
    (folder / "notes.txt").write_text("?", encoding="utf-8")
    with pytest.raises(PersonalDataError, match="cannot be checked"):
        assert_no_personal_data(folder)


def test_manifest_with_row_level_records_is_not_published(marts, tmp_path):
    manifest = {"mois": MONTH, "quarantaine": [{"raw_record": "A1;P1;01/02/2000"}]}
    with pytest.raises(PersonalDataError, match="raw_record in manifest.json"):
        _publish(marts, tmp_path / "published", manifest=manifest)
    assert current_month_dirs(tmp_path / "published") == []
    assert _hidden_leftovers(tmp_path / "published") == []


def test_small_and_large_doubles_are_written_positionally_never_rounded():
    from otp_pipeline.lib.publication.tables import _csv_field

    assert _csv_field(1 / 12000) == "0.00008333333333333333"  # repr: 8.333333333333333e-05
    assert _csv_field(3e-05) == "0.00003"
    assert _csv_field(1e16) == "10000000000000000.0"
    assert float(_csv_field(2 / 3)) == 2 / 3
