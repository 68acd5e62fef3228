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

from otp_pipeline.lib.publication.charts import NNBSP
from otp_pipeline.lib.publication.manifest import (
    REPORT_NAME,
    PersonalDataError,
    assert_no_personal_data,
)
from otp_pipeline.lib.publication.report import render_report
from otp_pipeline.lib.publication.swap import publish_month
from otp_pipeline.lib.publication.tables import TABLES

PROJECT_ROOT = Path(__file__).resolve().parents[3]
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
    return prescriptions, suivi, qualite


def _make_marts(warehouse: Path) -> Path:
    warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(MARTS_SQL)
        for month in ("2021-01", "2021-02", "2021-03"):
            for name, rows in zip(("prescriptions_mensuelles", "suivi_otp", "qualite_prescripteur"),
                                  _rows(month), strict=True):  # fmt: skip
                marks = ", ".join("?" * len(rows[0]))
                con.executemany(f"insert into main.{name} values ({marks})", rows)
    return warehouse


@pytest.fixture
def marts(warehouse):
    return _make_marts(warehouse)


def _publish(marts, publish_dir, month=MONTH, manifest=MANIFEST):
    with duckdb.connect(str(marts), read_only=True) as con:
        return publish_month(con, month, publish_dir, {"mois": month, **manifest}, now=NOW)


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
    assert len(re.findall(r"<svg\b", text)) == 4  # national, progression, regions, fill rate


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
