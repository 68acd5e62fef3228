"""The report's "Révisions" note: a republished month opens with when the replaced version was
produced, which input changed and which regions' indicators moved; a first one has no note.

The revision is published_marts.REVISION: suivi_otp's region 11 ENTREES_MOINS_30 goes from 5
to 7, region 84 gets a PRESCRIPTIONS_PE_MOINS_30 row at 3, 84's ENTREES_MOINS_30 stays 0."""

from datetime import UTC, datetime

from published_marts import REVISION, ROWS, create_marts, publish, run_sql

from otp_pipeline.lib.publication.report.revisions import changed_inputs, moved_regions

MONTH = "2021-03"
FIRST = datetime(2021, 4, 15, 12, 0, 0, tzinfo=UTC)
SECOND = datetime(2021, 4, 16, 8, 30, 0, tzinfo=UTC)
AIS = {"source": "si_pe", "mois": MONTH, "file": "ais_2021-03.csv", "revision": 1,
       "sha256": "a" * 64}  # fmt: skip
AIS_R2 = {"source": "si_pe", "mois": MONTH, "file": "ais_2021-03_r2.csv", "revision": 2,
          "sha256": "d" * 64}  # fmt: skip
IMILO = {"source": "imilo", "mois": MONTH, "file": "imilo_2021-03.csv", "revision": 1,
         "sha256": "b" * 64}  # fmt: skip
OBJECTIFS = {"file": "objectifs_otp.csv", "sha256": "c" * 64, "periods": 2}


def _manifest(*files: dict, objectifs: dict = OBJECTIFS, secteurs: dict | None = None) -> dict:
    return {"mois": MONTH, "fichiers_sources": list(files), "fichier_objectifs": objectifs,
            "secteurs_avenir": secteurs}  # fmt: skip


def _report(folder) -> str:
    return (folder / "rapport.html").read_text(encoding="utf-8")


def _note(report: str) -> str:
    return report[report.index("<h2>Révisions</h2>") : report.index("<h2>1. Totaux nationaux")]


def _revised(tmp_path):
    warehouse = create_marts(tmp_path / "otp.duckdb", ROWS)
    first = publish(warehouse, MONTH, tmp_path / "published", _manifest(IMILO, AIS), FIRST)
    first_report = _report(first.folder)
    run_sql(warehouse, REVISION)
    second = publish(warehouse, MONTH, tmp_path / "published", _manifest(IMILO, AIS_R2), SECOND)
    return first_report, _note(_report(second.folder))


def test_a_first_publication_has_no_note_a_revision_opens_with_one(tmp_path):
    first, note = _revised(tmp_path)
    assert "Révisions" not in first
    assert note.startswith("<h2>Révisions</h2>")  # before the first section, which follows
    assert "remplace celle produite le 15/04/2021 à 12:00 UTC" in note


def test_the_note_names_the_feeds_revision_and_nothing_else(tmp_path):
    _, report = _revised(tmp_path)
    assert (
        "<li>SI Pôle emploi, 2021-03 : ais_2021-03.csv → ais_2021-03_r2.csv (révision 2)</li>"
        in report
    )
    assert report.count("<li>") == 1
    assert "I-Milo, 2021-03" not in report and "Objectifs :" not in report


def test_the_note_lists_the_regions_whose_realise_cumule_moved(tmp_path):
    _, report = _revised(tmp_path)
    assert (
        '<tr><td>11 — Île-de-France</td><td>Entrées &lt; 30 ans</td><td class="n">5</td>'
        '<td class="n">7</td></tr>'
    ) in report
    assert (
        "<tr><td>84 — Auvergne-Rhône-Alpes</td><td>Prescriptions PE &lt; 30 ans</td>"
        '<td class="n">—</td><td class="n">3</td></tr>'
    ) in report
    assert "84 — Auvergne-Rhône-Alpes</td><td>Entrées" not in report  # 0 -> 0: not moved


def test_the_note_counts_the_rows_of_each_table_that_moved(tmp_path):
    _, report = _revised(tmp_path)
    assert (
        "<p>Lignes des tables : prescriptions_mensuelles : 1 ajoutée(s), 1 retirée(s), "
        "1 modifiée(s) ; suivi_otp : 1 ajoutée(s), 0 retirée(s), 1 modifiée(s) ; "
        "qualite_prescripteur : 0 ajoutée(s), 0 retirée(s), 1 modifiée(s) ; projection_otp : "
        "0 ajoutée(s), 1 retirée(s), 0 modifiée(s).</p>"
    ) in report


def test_a_rerun_with_nothing_changed_says_so(tmp_path):
    warehouse = create_marts(tmp_path / "otp.duckdb", ROWS)
    publish(warehouse, MONTH, tmp_path / "published", _manifest(IMILO, AIS), FIRST)
    again = publish(warehouse, MONTH, tmp_path / "published", _manifest(IMILO, AIS), SECOND)
    report = _note(_report(again.folder))
    assert "<p>Aucun fichier d'entrée n'a changé.</p>" in report
    assert "<p>Aucune ligne des tables publiées n'a changé.</p>" in report
    assert "<p>Aucun réalisé cumulé régional n'a bougé.</p>" in report


def test_changed_inputs_names_each_kind_of_input():
    ais_rewritten = AIS | {"sha256": "e" * 64}
    imilo_april = IMILO | {"mois": "2021-04", "file": "imilo_2021-04.csv"}
    objectifs = OBJECTIFS | {"sha256": "f" * 64}
    secteurs = {"file": "secteurs_avenir.csv", "sha256": "9" * 64, "rows": 4}
    before = _manifest(IMILO, AIS)
    after = _manifest(IMILO, imilo_april, ais_rewritten, objectifs=objectifs, secteurs=secteurs)
    assert changed_inputs(before, after) == [
        "I-Milo, 2021-04 : imilo_2021-04.csv (nouveau)",
        "SI Pôle emploi, 2021-03 : ais_2021-03.csv → ais_2021-03.csv (même nom, contenu modifié)",
        "Objectifs : objectifs_otp.csv (contenu modifié)",
        "Secteurs d'avenir : aucun → secteurs_avenir.csv",
    ]
    assert changed_inputs(after, _manifest(IMILO, ais_rewritten, objectifs=objectifs)) == [
        "I-Milo, 2021-04 : imilo_2021-04.csv (retiré)",
        "Secteurs d'avenir : secteurs_avenir.csv → aucun",
    ]


def test_moved_regions_compares_realise_cumule_by_region_and_indicator():
    row = {"code_region": "11", "libelle_region": "Île-de-France", "indicateur": "ENTREES_MOINS_30"}
    before = [row | {"realise_cumule": "5"}, row | {"indicateur": "X", "realise_cumule": "2"}]
    after = [row | {"realise_cumule": 7}]
    assert moved_regions(before, after) == [
        ("11", "Île-de-France", "ENTREES_MOINS_30", 5, 7),
        ("11", "Île-de-France", "X", 2, None),
    ]
