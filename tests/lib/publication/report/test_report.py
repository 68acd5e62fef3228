"""The month's report `rapport.html` (contract §7: "and a report"): content, self-containment,
personal-data scan, and what a real headless Chromium draws of it."""

import html
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from published_marts import ENUMS

from otp_pipeline.lib.publication.manifest import (
    REPORT_NAME,
    PersonalDataError,
    assert_no_personal_data,
)
from otp_pipeline.lib.publication.report.charts import NNBSP
from otp_pipeline.lib.publication.report.page import render_report
from otp_pipeline.lib.publication.swap import publish_month
from otp_pipeline.lib.publication.tables import TABLES

PROJECT_ROOT = Path(__file__).resolve().parents[4]
CHROMIUM = Path("/usr/bin/chromium")
MONTH = "2021-03"
NOW = datetime(2021, 4, 15, 12, 0, 0, tzinfo=UTC)
MANIFEST = {"seuil_remplissage": 0.8, "code_version": "test"}
REGIONS = {"11": "Île-de-France", "53": "Bretagne", "84": "Auvergne-Rhône-Alpes",
           "93": "Provence-Alpes-Côte d'Azur"}  # fmt: skip
INDICATEURS = ("ENTREES_MOINS_30", "PRESCRIPTIONS_PE_MOINS_30", "PRESCRIPTIONS_ML_MOINS_26")

MARTS_SQL = """
create table main.prescriptions_mensuelles (
    mois varchar, code_region varchar, libelle_region varchar, source varchar,
    reseau_prescripteur varchar, tranche_age varchar, nb_prescriptions hugeint,
    nb_entrees hugeint, fiabilite varchar
);
create table main.suivi_otp (
    mois varchar, code_region varchar, libelle_region varchar, indicateur varchar,
    periode_debut varchar, periode_fin varchar, objectif bigint, realise_mois bigint,
    realise_cumule bigint, taux_realisation double, cible_lineaire double,
    ecart_cible double, fiabilite varchar
);
create table main.qualite_prescripteur (
    mois varchar, code_region varchar, libelle_region varchar,
    nb_prescriptions_si_pe bigint, nb_prescripteur_renseigne bigint,
    taux_renseignement double, nb_ml_si_pe_moins_26 bigint, nb_ml_imilo_moins_26 bigint,
    fiabilite varchar
);
create table main.prescriptions_par_formation (
    mois varchar, code_region varchar, libelle_region varchar, source varchar,
    type_formation varchar, domaine_professionnel varchar, libelle_domaine varchar,
    tranche_age varchar, nb_prescriptions hugeint, nb_entrees hugeint
);
create table main.prescriptions_secteurs_avenir (
    mois varchar, code_region varchar, libelle_region varchar, source varchar,
    type_formation varchar, code_secteur varchar, libelle_secteur varchar,
    tranche_age varchar, nb_prescriptions hugeint, nb_entrees hugeint
);
create table main.projection_otp (
    mois varchar, code_region varchar, libelle_region varchar, indicateur varchar,
    periode_debut varchar, periode_fin varchar, objectif bigint, realise_cumule bigint,
    nb_mois_ecoules bigint, nb_mois_periode bigint, rythme_mensuel double,
    projection_fin_periode double, reste_a_realiser bigint, rythme_necessaire double,
    statut varchar, realise_cumule_borne_haute bigint, fiabilite varchar
);
"""
# Per month: (code_region, source, reseau, tranche, prescriptions, entrees). March totals:
# SI_PE 1 500 prescriptions / 400 entries, IMILO 900 / 310.
PRESCRIPTIONS = [
    ("11", "SI_PE", "PE", "MOINS_26", 600, 150), ("11", "SI_PE", "NON_RENSEIGNE", "26_29", 200, 50),
    ("11", "IMILO", "ML", "MOINS_26", 500, 200), ("53", "SI_PE", "PE", "30_PLUS", 300, 100),
    ("84", "SI_PE", "ML", "MOINS_26", 400, 100), ("84", "IMILO", "ML", "MOINS_26", 400, 110),
]  # fmt: skip
# (code_region, taux_renseignement, nb_prescriptions_si_pe): Île-de-France below the 0.8 of
# the manifest (A_EXAMINER), Bretagne at 0.85: FIABLE here, A_EXAMINER at the default 0.90.
QUALITE = [("11", 0.75, 800), ("53", 0.85, 300), ("84", 1.0, 400), ("93", None, 0)]
ROME = {"A": "Agriculture et Pêche, Espaces naturels et Espaces verts, Soins aux animaux",
        "D": "Commerce, Vente et Grande distribution",
        "F": "Construction, Bâtiment et Travaux publics",
        "G": "Hôtellerie-Restauration, Tourisme, Loisirs et Animation", "H": "Industrie",
        "I": "Installation et Maintenance", "J": "Santé",
        "K": "Services à la personne et à la collectivité", "N": "Transport et Logistique",
        "NON_RENSEIGNE": None}  # fmt: skip
# PRESCRIPTIONS split by type of training and ROME grand domaine (code_region, source,
# type_formation, domaine, tranche, prescriptions, entrees): per region, source and age band
# the same sums (contract §8), checked by _make_marts. Under-30s in March:
#   11 SI_PE 800 prescriptions: qualifying 420, pre-qualifying 150, type unknown 130;
#      200 entries: 80, 50, 40. Domains J 380, K 150, F 120, D 100, unknown 50.
#   11 IMILO 500: 200, 250, 50; 200 entries: 100, 80, 20. Domains G 250, J 200, unknown 50.
#   53 SI_PE: over-30s only. 84 SI_PE 400: 100, 100, 0 (AUTRE 200); domains I 200, N 200.
#   84 IMILO 400: 160, 0, 0 (AUTRE 240); 110 entries: 50, 0, 0. Domains A 240, N 160.
FORMATIONS = [
    ("11", "SI_PE", "QUALIFIANTE", "J", "MOINS_26", 300, 60),
    ("11", "SI_PE", "PRE_QUALIFIANTE", "K", "MOINS_26", 150, 50),
    ("11", "SI_PE", "AUTRE", "D", "MOINS_26", 100, 30),
    ("11", "SI_PE", "NON_RENSEIGNE", "NON_RENSEIGNE", "MOINS_26", 50, 10),
    ("11", "SI_PE", "QUALIFIANTE", "F", "26_29", 120, 20),
    ("11", "SI_PE", "NON_RENSEIGNE", "J", "26_29", 80, 30),
    ("11", "IMILO", "QUALIFIANTE", "J", "MOINS_26", 200, 100),
    ("11", "IMILO", "PRE_QUALIFIANTE", "G", "MOINS_26", 250, 80),
    ("11", "IMILO", "NON_RENSEIGNE", "NON_RENSEIGNE", "MOINS_26", 50, 20),
    ("53", "SI_PE", "QUALIFIANTE", "H", "30_PLUS", 300, 100),
    ("84", "SI_PE", "QUALIFIANTE", "N", "MOINS_26", 100, 25),
    ("84", "SI_PE", "PRE_QUALIFIANTE", "N", "MOINS_26", 100, 25),
    ("84", "SI_PE", "AUTRE", "I", "MOINS_26", 200, 50),
    ("84", "IMILO", "QUALIFIANTE", "N", "MOINS_26", 160, 50),
    ("84", "IMILO", "AUTRE", "A", "MOINS_26", 240, 60),
]  # fmt: skip
# The PE prescriptions' upper bound adds the SI PE prescriptions without a prescriber, under
# 30, since the period began: Île-de-France's 200 NON_RENSEIGNE 26_29 a month.
UNFILLED_PER_MONTH = {"11": 200}


def _projection(row: tuple) -> tuple:
    """The projection_otp row of one suivi_otp row (contract §8), for a 12-month period."""
    month, code, libelle, indicateur, debut, fin, objectif, _, cumul, *_, fiabilite = row
    k, n = int(month[-2:]), 12
    reste = max(objectif - cumul, 0)
    statut = ("ATTEINT" if cumul >= objectif else "EN_BONNE_VOIE" if cumul * n >= objectif * k
              else "A_RISQUE" if 10 * cumul * n >= 9 * objectif * k else "EN_RETARD")  # fmt: skip
    borne = cumul + (UNFILLED_PER_MONTH.get(code, 0) * k if "_PE_" in indicateur else 0)
    return (month, code, libelle, indicateur, debut, fin, objectif, cumul, k, n, cumul / k,
            cumul * n / k, reste, reste / (n - k) if k < n else None, statut, borne, fiabilite)  # fmt: skip


def _rows(month: str):
    """The marts' rows of `month` (2021-01 … 2021-03), objectives of 1 200 per region-indicator."""
    k = int(month[-2:])
    suivi = []
    for index, (code, libelle) in enumerate(REGIONS.items()):
        for number, indicateur in enumerate(INDICATEURS):
            per_month = 60 + 30 * index + 10 * number
            cumul, cible = per_month * k, 1200 * k / 12
            fiabilite = "A_EXAMINER" if code == "11" and "_PE_" in indicateur else "FIABLE"
            suivi.append((month, code, libelle, indicateur, "2021-01", "2021-12", 1200, per_month,
                          cumul, cumul / 1200, cible, cumul - cible, fiabilite))  # fmt: skip
    qualite = [(month, code, REGIONS[code], total, round(total * (rate or 0)), rate, 10, 20,
                "A_EXAMINER" if rate is not None and rate < 0.8 else "FIABLE")
               for code, rate, total in QUALITE]  # fmt: skip
    prescriptions = [(month, code, REGIONS[code], source, reseau, age, p, e,
                      "A_EXAMINER" if code == "11" and source == "SI_PE" else "FIABLE")
                     for code, source, reseau, age, p, e in PRESCRIPTIONS]  # fmt: skip
    formations = [(month, code, REGIONS[code], source, kind, domaine, ROME[domaine], age, p, e)
                  for code, source, kind, domaine, age, p, e in FORMATIONS]  # fmt: skip
    return prescriptions, suivi, qualite, formations, [_projection(row) for row in suivi]


def _sums(rows, key_columns, count_columns):
    sums = {}
    for row in rows:
        key = tuple(row[i] for i in key_columns)
        sums[key] = [a + row[i] for a, i in zip(sums.get(key, [0, 0]), count_columns, strict=True)]
    return sums


def _make_marts(warehouse: Path) -> Path:
    warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(MARTS_SQL)
        for month in ("2021-01", "2021-02", "2021-03"):
            marts = _rows(month)
            # §8: per region, source and age band, the split by training adds up to §7's table.
            assert _sums(marts[0], (1, 3, 5), (6, 7)) == _sums(marts[3], (1, 3, 7), (8, 9))
            for name, rows in zip(("prescriptions_mensuelles", "suivi_otp", "qualite_prescripteur",
                                   "prescriptions_par_formation", "projection_otp"),
                                  marts, strict=True):  # fmt: skip
                marks = ", ".join("?" * len(rows[0]))
                con.executemany(f"insert into main.{name} values ({marks})", rows)
    return warehouse


@pytest.fixture
def marts(warehouse):
    return _make_marts(warehouse)


def _publish(marts, publish_dir, month=MONTH, manifest=MANIFEST):
    with duckdb.connect(str(marts), read_only=True) as con:
        return publish_month(
            con, month, publish_dir, {"mois": month, **manifest}, now=NOW, enums=ENUMS
        )


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """March's report, published after January and February (for the progression chart)."""
    folder = tmp_path_factory.mktemp("report")
    marts = _make_marts(folder / "warehouse" / "otp.duckdb")
    for month in ("2021-01", "2021-02", MONTH):
        published = _publish(marts, folder / "published", month=month)
    return published.folder / REPORT_NAME


def _text(path: Path) -> str:
    """The report's visible text: tags dropped, entities decoded, spaces normalised."""
    body = re.sub(r"<(style|svg)\b.*?</\1>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def _fr(number: int) -> str:
    return f"{number:,}".replace(",", NNBSP)


def test_report_is_published_in_the_month_folder_beside_the_tables(report):
    assert report.parent.name == MONTH
    assert (report.parent / "suivi_otp.parquet").is_file()
    text = report.read_text(encoding="utf-8")
    assert "<title>Suivi des objectifs territoriaux partagés — mars 2021</title>" in text
    assert '<html lang="fr">' in text


def test_report_is_self_contained(report):
    text = report.read_text(encoding="utf-8")
    assert not re.search(r"https?://", text)  # not even an SVG namespace URL
    assert not re.search(r"<(script|link|img|iframe|object)\b|@import|\bsrc=", text)
    # national, progression, regions, projection, types, domains, fill rate
    assert len(re.findall(r"<svg\b", text)) == 7


def test_report_names_regions_to_examine_with_rate_against_manifest_threshold(report):
    text = _text(report)
    assert "1 région(s) à examiner (taux de remplissage sous le seuil de 80 %) :" in text.replace(
        "\u00a0", " "
    )
    assert "Île-de-France (75,0\u00a0%)" in text
    assert "Bretagne (" not in text  # 0.85 is above the manifest's 0.8
    assert "Provence-Alpes-Côte d'Azur" in text  # escaped in HTML, shown as is


def test_report_shows_national_totals(report):
    text = _text(report)
    # Objectives: 4 regions × 1 200; entries realised 60+90+120+150 = 420 a month, 1 260 by March.
    assert (
        f"Entrées < 30 ans {_fr(4800)} 420 {_fr(1260)} {_fr(1200)},0 60,0 26,3\u00a0%" in text
    )  # 26.25 rounded half up
    assert f"Prescriptions ML < 26 ans {_fr(4800)} 500 {_fr(1500)} {_fr(1200)},0 300,0" in text
    assert f"SI Pôle emploi (AIS) Total {_fr(1500)} 400" in text
    assert "I-Milo (Missions locales) moins de 26 ans 900 310" in text
    assert "SI Pôle emploi (AIS) 30 ans et plus 300 100" in text


def test_report_ids_are_unique(report):
    """Seven charts inline in one document: an id repeated would make `#id` ambiguous."""
    ids = re.findall(r'\bid="([^"]+)"', report.read_text(encoding="utf-8"))
    assert len(ids) == len(set(ids)) > 7


def test_report_progression_reads_earlier_publications_only_when_there(report, marts, tmp_path):
    assert 'id="graphique-progression"' in report.read_text(encoding="utf-8")
    alone = _publish(marts, tmp_path / "alone").folder / REPORT_NAME
    assert 'id="graphique-progression"' not in alone.read_text(encoding="utf-8")


def test_report_is_exactly_what_the_published_tables_give(report):
    """Drawn from the tables written beside it, deterministically (same data, same bytes)."""
    folder = report.parent
    tables = {name: pq.read_table(folder / f"{name}.parquet") for name in TABLES}
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    earlier = [folder.parent / month / "suivi_otp.parquet" for month in ("2021-01", "2021-02")]
    assert render_report(MONTH, tables, manifest, earlier) == report.read_text(encoding="utf-8")


def test_report_of_a_month_without_rows_is_still_written(marts, tmp_path):
    with duckdb.connect(str(marts)) as con:
        con.execute("delete from main.suivi_otp; delete from main.prescriptions_mensuelles")
    text = _text(_publish(marts, tmp_path / "published").folder / REPORT_NAME)
    assert "Aucune région n'a de période d'objectifs couvrant ce mois." in text
    assert "Aucune prescription ni entrée ce mois-ci." in text


def test_report_without_threshold_in_manifest_uses_thresholds_yml(marts, tmp_path):
    folder = _publish(marts, tmp_path / "published", manifest={}).folder
    text = _text(folder / REPORT_NAME)
    # The threshold shown is thresholds.yml's; which regions are flagged is the tables' word.
    assert "seuil de remplissage du prescripteur : 90\u00a0%" in text
    assert "1 région(s) à examiner" in text


def test_personal_data_scan_reads_the_report_text(tmp_path):
    folder = tmp_path / MONTH
    folder.mkdir()
    (folder / REPORT_NAME).write_text("<p>ok: 12 prescriptions</p>", encoding="utf-8")
    assert_no_personal_data(folder)
    (folder / REPORT_NAME).write_text("<td>ID_Individu</td><td>P1</td>", encoding="utf-8")
    with pytest.raises(PersonalDataError, match="id_individu in rapport.html"):
        assert_no_personal_data(folder)


def _section(report: Path, number: int) -> str:
    """The visible text of the report's section `number`, each run of spaces (no-break too) one."""
    page = report.read_text(encoding="utf-8")
    start = page.index(f"<h2>{number}. ")
    end = page.find("<h2>", start + 1)
    part = re.sub(
        r"<(style|svg)\b.*?</\1>", " ", page[start : end if end > 0 else None], flags=re.S
    )
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", part))).strip()


def _grid(report: Path) -> dict[str, list[tuple[str, str, str]]]:
    """The statut grid: per region, its (css class, statut, detail) cells, indicators in order."""
    page = report.read_text(encoding="utf-8")
    grid = re.search(r'<table class="grille">.*?</table>', page, flags=re.S).group(0)
    cell = r'<td class="statut ([\w-]+)">(.*?)<small>(.*?)</small></td>'
    return {
        html.unescape(name): [
            tuple(re.sub(r"\s+", " ", html.unescape(part)) for part in found)
            for found in re.findall(cell, cells)
        ]
        for name, cells in re.findall(r'<tr><td class="t">(.*?)</td>(.*?)</tr>', grid)
    }


def test_formation_shares_are_per_source_and_sources_never_summed(report):
    text = _section(report, 4)
    # Under-30 prescriptions (qualifying, pre-qualifying, type unknown), then entries. France:
    # SI PE 520, 250, 130 of 1 200 and 105, 75, 40 of 300; I-Milo 360, 250, 50 of 900 and
    # 150, 80, 20 of 310.
    assert "France entière SI PE 1 200 43,3 % 20,8 % 10,8 % 300 35,0 % 25,0 % 13,3 %" in text
    assert "France entière I-Milo 900 40,0 % 27,8 % 5,6 % 310 48,4 % 25,8 % 6,5 %" in text
    # Île-de-France SI PE: 420, 150, 130 of 800 (18.75 and 16.25 rounded half up); 80, 50, 40 of 200.
    assert "11 — Île-de-France SI PE 800 52,5 % 18,8 % 16,3 % 200 40,0 % 25,0 % 20,0 %" in text
    assert "11 — Île-de-France I-Milo 500 40,0 % 50,0 % 10,0 % 200 50,0 % 40,0 % 10,0 %" in text
    assert "84 — Auvergne-Rhône-Alpes I-Milo 400 40,0 % 0,0 % 0,0 % 110 45,5 % 0,0 % 0,0 %" in text
    assert "53 — Bretagne SI PE 0 — — — 0 — — —" in text  # over-30s only: no share to show
    assert "2 100" not in text and "610" not in text  # 1 200 + 900, 300 + 310: never added up
    assert "Chaque source est lue à part" in text


def test_formation_leading_rome_domains_per_region_and_source(report):
    text = _section(report, 4)
    assert (
        "11 — Île-de-France SI PE Santé (47,5 %) Services à la personne et à la collectivité "
        "(18,8 %) Construction, Bâtiment et Travaux publics (15,0 %) 800"
    ) in text  # J 300 + 80 of 800, then K 150, F 120 (D 100 is fourth)
    assert (
        "11 — Île-de-France I-Milo Hôtellerie-Restauration, Tourisme, Loisirs et Animation "
        "(50,0 %) Santé (40,0 %) non renseigné (10,0 %) 500"
    ) in text
    # I and N tie at 200: ROME letter order; only two domains, the third cell is empty.
    assert (
        "84 — Auvergne-Rhône-Alpes SI PE Installation et Maintenance (50,0 %) "
        "Transport et Logistique (50,0 %) — 400"
    ) in text
    assert "53 — Bretagne SI PE — — — 0" in text
    assert (
        "France entière SI PE Santé (31,7 %) Installation et Maintenance (16,7 %) "
        "Transport et Logistique (16,7 %) 1 200"
    ) in text
    # France, per domain: SI PE prescriptions, share, entries; then I-Milo's. Unknown last.
    assert "Santé 380 31,7 % 90 200 22,2 % 100" in text
    assert text.index("Transport et Logistique 200 16,7 % 50 160 17,8 % 50") < text.index(
        "non renseigné 50 4,2 % 10 50 5,6 % 20"
    )
    assert "Industrie" not in text  # Bretagne's over-30s only
    assert 'id="graphique-types"' in report.read_text(encoding="utf-8")
    assert 'id="graphique-domaines"' in report.read_text(encoding="utf-8")


def test_statut_grid_gives_each_region_and_indicator_its_statut_and_colour(report):
    # March, k = 3 of 12: projection = 4 × cumul = 12 × the monthly figure, objective 1 200.
    assert _grid(report) == {
        "11 — Île-de-France": [
            ("st-en-retard", "en retard", "projection : 60 % de l'objectif"),
            ("st-en-retard", "en retard",
             "projection : 70 % de l'objectif · prescripteur à examiner"),
            ("st-en-retard", "en retard", "projection : 80 % de l'objectif"),
        ],
        "53 — Bretagne": [  # exactly 90 %: at risk; exactly 100 %: on track
            ("st-a-risque", "à risque", "projection : 90 % de l'objectif"),
            ("st-en-bonne-voie", "en bonne voie", "projection : 100 % de l'objectif"),
            ("st-en-bonne-voie", "en bonne voie", "projection : 110 % de l'objectif"),
        ],
        "84 — Auvergne-Rhône-Alpes": [
            ("st-en-bonne-voie", "en bonne voie", f"projection : {p} % de l'objectif")
            for p in (120, 130, 140)
        ],
        "93 — Provence-Alpes-Côte d'Azur": [
            ("st-en-bonne-voie", "en bonne voie", f"projection : {p} % de l'objectif")
            for p in (150, 160, 170)
        ],
    }  # fmt: skip
    assert (
        "Nombre de régions atteint en bonne voie à risque en retard "
        "Entrées < 30 ans 0 2 1 1 Prescriptions PE < 30 ans 0 3 0 1 "
        "Prescriptions ML < 26 ans 0 3 0 1"
    ) in _section(report, 3)


def test_projection_range_is_drawn_only_for_pe_rows_to_examine(marts, tmp_path):
    # Bretagne's PE bound above its realised, but FIABLE: no range for it.
    with duckdb.connect(str(marts)) as con:
        con.execute("update main.projection_otp set realise_cumule_borne_haute = "
                    "realise_cumule + 135 where code_region = '53'"
                    " and indicateur = 'PRESCRIPTIONS_PE_MOINS_30'")  # fmt: skip
    report = _publish(marts, tmp_path / "published").folder / REPORT_NAME
    assert re.findall(r'id="projection-fourchette-(\w+)"', report.read_text("utf-8")) == ["11"]
    text = _section(report, 3)
    # Île-de-France PE: 210 realised in 3 months, 840 projected, 990 left over 9 months; its
    # bound adds the 3 × 200 SI PE prescriptions of under-30s without a prescriber.
    assert (
        "11 — Île-de-France 2021-01 → 2021-12 3 / 12 1 200 210 70,0 840 990 110,0 en retard "
        "210 à 810 53 — Bretagne 2021-01 → 2021-12 3 / 12 1 200 300 100,0 1 200 900 100,0 "
        "en bonne voie 84 —"
    ) in text
    assert "300 à 435" not in text
    # Entries: no range column at all.
    assert (
        "11 — Île-de-France 2021-01 → 2021-12 3 / 12 1 200 180 60,0 720 1 020 113,3 en retard "
        "53 — Bretagne"
    ) in text


def test_last_month_of_a_period_needs_no_pace_and_a_reached_objective_is_atteint(marts, tmp_path):
    # Provence-Alpes-Côte d'Azur's period ends in March (k = n = 3): objectives of 500, and
    # 481 for PE prescriptions, of which 480 is 99,8 %.
    with duckdb.connect(str(marts)) as con:
        con.execute("""
            create temporary table goal as select 'PRESCRIPTIONS_PE_MOINS_30' as indicateur,
                481 as objectif union all select 'ENTREES_MOINS_30', 500
                union all select 'PRESCRIPTIONS_ML_MOINS_26', 500;
            update main.suivi_otp as s set periode_fin = '2021-03', objectif = goal.objectif,
                taux_realisation = realise_cumule / goal.objectif,
                cible_lineaire = goal.objectif, ecart_cible = realise_cumule - goal.objectif
            from goal where s.indicateur = goal.indicateur
                and code_region = '93' and mois = '2021-03';
            update main.projection_otp as p set periode_fin = '2021-03', objectif = goal.objectif,
                nb_mois_periode = 3, projection_fin_periode = realise_cumule,
                reste_a_realiser = greatest(goal.objectif - realise_cumule, 0),
                rythme_necessaire = null, statut = case
                    when realise_cumule >= goal.objectif then 'ATTEINT' else 'A_RISQUE' end
            from goal where p.indicateur = goal.indicateur
                and code_region = '93' and mois = '2021-03';
        """)
    report = _publish(marts, tmp_path / "published").folder / REPORT_NAME
    assert _grid(report)["93 — Provence-Alpes-Côte d'Azur"] == [
        ("st-a-risque", "à risque", "projection : 90 % de l'objectif"),  # 450 of 500
        # 480 of 481: rounded down, never the 100 % that would contradict "à risque".
        ("st-a-risque", "à risque", "projection : 99 % de l'objectif"),
        ("st-atteint", "atteint", "projection : 102 % de l'objectif"),  # 510 of 500
    ]
    text = _section(report, 3)
    assert (
        "93 — Provence-Alpes-Côte d'Azur 2021-01 → 2021-03 3 / 3 500 450 150,0 450 50 "
        "dernier mois à risque"
    ) in text
    assert (
        "93 — Provence-Alpes-Côte d'Azur 2021-01 → 2021-03 3 / 3 481 480 160,0 480 1 "
        "dernier mois à risque"
    ) in text
    assert (
        "93 — Provence-Alpes-Côte d'Azur 2021-01 → 2021-03 3 / 3 500 510 170,0 510 0 "
        "dernier mois atteint"
    ) in text
    assert "Entrées < 30 ans 0 1 2 1" in text and "Prescriptions ML < 26 ans 1 2 0 1" in text
    assert "Prescriptions PE < 30 ans 0 2 1 1" in text


def test_steering_sections_of_a_month_without_rows(marts, tmp_path):
    with duckdb.connect(str(marts)) as con:
        con.execute("delete from main.projection_otp; delete from main.prescriptions_par_formation")
    report = _publish(marts, tmp_path / "published").folder / REPORT_NAME
    assert _section(report, 3) == (
        "3. Rythme et projection Aucune région n'a de période d'objectifs couvrant ce mois."
    )
    assert _section(report, 4) == (
        "4. Types de formation et métiers visés Aucune prescription ni entrée ce mois-ci."
    )
    page = report.read_text(encoding="utf-8")
    assert not re.search(r'id="graphique-(projection|types|domaines)"', page)
    assert 'class="grille"' not in page


def test_formation_section_of_a_month_with_over_30s_only(marts, tmp_path):
    with duckdb.connect(str(marts)) as con:
        con.execute("delete from main.prescriptions_par_formation where tranche_age <> '30_PLUS'")
    report = _publish(marts, tmp_path / "published").folder / REPORT_NAME
    text = _section(report, 4)
    assert "France entière SI PE 0 — — — 0 — — — 53 — Bretagne SI PE 0 — — — 0 — — —" in text
    assert text.endswith("Aucune prescription ni entrée de moins de 30 ans ce mois-ci.")
    assert not re.search(r'id="graphique-(types|domaines)"', report.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium, installed by `make setup` (deploy/ensure-chromium.sh) if missing."""
    if not CHROMIUM.exists() and shutil.which("apt-get"):
        subprocess.run([PROJECT_ROOT / "deploy" / "ensure-chromium.sh"], check=False, timeout=900)
    if not CHROMIUM.exists():
        pytest.skip("chromium cannot be installed here (deploy/ensure-chromium.sh failed)")
    return CHROMIUM


def _chromium(chromium: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
             "--hide-scrollbars", f"--user-data-dir={profile}"]  # fmt: skip
    return subprocess.run([chromium, *flags, *args], capture_output=True, text=True, timeout=120,
                          check=True)  # fmt: skip


def test_chromium_draws_the_charts(chromium, report, tmp_path):
    from matplotlib.image import imread

    shot = tmp_path / "shot.png"
    url = report.as_uri()
    _chromium(chromium, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,2000",
              url)  # fmt: skip
    pixels = (imread(shot)[:, :, :3] * 255).round().astype(int)
    assert pixels.shape[:2] == (2000, 1200)
    assert (pixels.min(axis=2) < 240).mean() > 0.05  # far from a blank page
    blue, orange = (
        (pixels == (0x2B, 0x6C, 0xB0)).all(axis=2),
        (pixels == (0xDD, 0x6B, 0x20)).all(axis=2),
    )
    assert blue.sum() > 2000 and orange.sum() > 200  # realised bars, the region to examine

    dom = _chromium(chromium, tmp_path / "profile-dom", "--dump-dom", url).stdout
    for chart in ("national", "progression", "regions", "remplissage"):
        assert re.search(rf'<svg[^>]*id="graphique-{chart}"', dom)
    assert dom.count("<rect") + dom.count("<path") > 100  # bars and lines as SVG shapes


def test_chromium_draws_the_steering_sections(chromium, report, tmp_path):
    """The statut grid's colours, the projection and type charts, and nothing wider than the page."""
    from matplotlib.image import imread

    shot = tmp_path / "steering.png"
    _chromium(chromium, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1300,9000",
              report.as_uri())  # fmt: skip
    pixels = (imread(shot)[:, :, :3] * 255).round().astype(int)

    def count(colour: str) -> int:
        return int((pixels == [int(colour[i : i + 2], 16) for i in (1, 3, 5)]).all(axis=2).sum())

    # Grid cells are about 150 × 40 px: three "en retard", one "à risque", eight "en bonne voie".
    assert count("#f56565") > 3 * 4000 and count("#faf089") > 4000
    assert count("#c6f6d5") > 8 * 4000
    assert count("#90cdf4") > 3000 and count("#276749") > 3000  # projection bars, qualifying
    # The body is 1 180 px wide, centred: nothing may spill past it (a table too wide).
    assert (pixels[:, 1250:].min(axis=2) < 240).sum() == 0

    dom = _chromium(chromium, tmp_path / "profile-dom", "--dump-dom", report.as_uri()).stdout
    for chart in ("projection", "types", "domaines"):
        assert re.search(rf'<svg[^>]*id="graphique-{chart}"', dom)
    assert re.findall(r'id="projection-fourchette-(\w+)"', dom) == ["11"]
