"""The benchmark's baseline computes the pipeline's published tables, cell for cell.

Two tiny clean demo months (`generate_landing(clean=True)`, scale 0.005: about 500 AIS and
200 I-Milo rows each) go ONCE through the pipeline (the monthly job, in process, as the
CLI runs it) and through `bench/baseline.py`; the six tables of each month must agree
with 0 rows on one side only and 0 differing cells (bench/compare.py). A few rows the
contract quarantines or loads once are added to the clean files first (in UTF-8), so
that the baseline's row checks and duplicate rule are held to the pipeline's as well,
and a few entries whose ROME code meets the demo's sectors file (§9) where it is subtle:
nested prefixes, a region's own list replacing the national one.

The last tests run `bench/run_bench.py` on its own demo data: `--ingestion-only`, so that
the benchmark script keeps working with the baseline's command line and summary, and
`--history 3` at scale 0.01, so that the history case's code path runs (nothing timed).
"""

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from otp_pipeline.definitions import defs
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.demo.landing import generate_landing
from otp_pipeline.runner import RANGE_END, RANGE_START

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = PROJECT_ROOT / "bench"
sys.path.insert(0, str(BENCH_DIR))

from compare import GRAINS, compare_month  # noqa: E402

MONTHS = ("2021-01", "2021-02")
SECTION_7 = ("prescriptions_mensuelles", "suivi_otp", "qualite_prescripteur")
SECTORS = "prescriptions_secteurs_avenir"
# Entries added in February, each in both feeds: (department, code_rome) → the demo's
# sectors file (otp_pipeline/lib/demo/sectors.py) classifies them as SECTOR_EXPECTED says.
SECTOR_CASES = (
    ("59", "H2913"),  # Hauts-de-France (32): H2913 nested in its H29
    ("59", "h2901"),  # 32: H29 only, upper-cased
    ("35", "A1414"),  # Bretagne (53): A1414 nested in its A14
    ("69", "H1203"),  # Auvergne-Rhône-Alpes (84): its own H
    ("69", "J1301"),  # 84: its own list replaces the national J13
    ("75", "J1301"),  # Île-de-France (11): the national list
    ("75", "B1101"),  # 11: no prefix of the list
)
SECTOR_EXPECTED = {
    ("32", "SOUDURE"), ("32", "INDUSTRIE"), ("53", "MARAICHAGE"), ("84", "INDUSTRIE"),
    ("84", "HORS_LISTE"), ("11", "SOIN"), ("11", "HORS_LISTE"),
}  # fmt: skip


def _append(path: Path, changes: list[dict]) -> None:
    """Append one record per entry of `changes`: the file's last record with those values
    (a function: of the value it replaces; `"_drop"` drops the record's last field), in
    the file's own column order and line ends."""
    text = path.read_bytes().decode("utf-8")
    newline = "\r\n" if text.split("\n", 1)[0].endswith("\r") else "\n"
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    header = [name.strip().lower() for name in records[0]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator=newline)
    for change in changes:
        row = dict(zip(header, records[-1], strict=True))
        for column, value in change.items():
            if column != "_drop":
                row[column] = value(row[column]) if callable(value) else value
        values = [row[name] for name in header]
        writer.writerow(values[:-1] if "_drop" in change else values)
    with open(path, "a", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())


def _add_rows_the_contract_does_not_load(landing: Path) -> None:
    """§6 in February's AIS file and the I-Milo files: each kind of row error, an exact
    duplicate, a duplicate identical once trimmed, an id on two differing rows, a record
    short of a field; and an I-Milo entry whose numero_ais is a quarantined AIS entry.
    Then the entries of SECTOR_CASES in February's files of both feeds (§9)."""
    ais = {"statut": "ENTREE", "date_prescription": "10/02/2021", "date_naissance": "01/01/2000",
           "date_entree": "20/02/2021", "code_departement": "75"}  # fmt: skip
    _append(landing / "si_pe" / "ais_2021-02.csv", [
        {},  # the last record again: an exact duplicate
        {"id_individu": lambda value: f"\u00a0 {value} "},  # the same once trimmed
        {**ais, "id_ais": "X1", "code_agence": "PE75001"},
        {**ais, "id_ais": "X1", "code_agence": "PE75002"},  # X1: two differing rows
        {**ais, "id_ais": "X2", "date_naissance": "31/02/2000"},
        {**ais, "id_ais": "X3", "code_departement": "96"},
        {**ais, "id_ais": "X4", "date_prescription": "31/01/2021", "date_entree": ""},
        {**ais, "id_ais": "X5", "date_naissance": "11/02/2008"},  # 12 years old
        {**ais, "id_ais": "X6", "date_entree": "09/02/2021"},  # entry before prescription
        {**ais, "id_ais": "X7", "statut": "EN_COURS"},
        {**ais, "id_ais": "X8", "id_individu": " "},
        {**ais, "id_ais": "X9", "_drop": ""},
        *({**ais, "id_ais": f"Z{n}", "code_departement": departement, "code_rome": code_rome,
           "type_formation": "QUALIFIANTE"}
          for n, (departement, code_rome) in enumerate(SECTOR_CASES)),
    ])  # fmt: skip
    imilo = {"statut": "ENTREE", "date_prescription": "2021-01-12", "date_entree": "2021-01-20",
             "date_naissance": "2002-05-05", "code_departement": "93"}  # fmt: skip
    _append(landing / "imilo" / "imilo_2021-01.csv", [
        {},
        {**imilo, "id_prescription": "Y1", "formacode": "31734"},
        {**imilo, "id_prescription": "Y1", "formacode": "22454"},
        {**imilo, "id_prescription": "Y2", "date_entree": "2021-1-20"},
    ])  # fmt: skip
    _append(landing / "imilo" / "imilo_2021-02.csv", [
        {**imilo, "id_prescription": "Y3", "date_prescription": "2021-02-10",
         "date_entree": "2021-02-20", "numero_ais": "X6"},  # X6 is quarantined: no match
        *({**imilo, "id_prescription": f"Z{n}", "date_prescription": "2021-02-10",
           "date_entree": "2021-02-20", "numero_ais": "", "code_departement": departement,
           "code_rome": code_rome, "type_formation": "QUALIFIANTE"}
          for n, (departement, code_rome) in enumerate(SECTOR_CASES)),
    ])  # fmt: skip


@pytest.fixture(scope="module")
def both_sides(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("agreement")
    landing = root / "landing"
    generate_landing(landing, list(MONTHS), scale=0.005, seed=7, clean=True)
    _add_rows_the_contract_does_not_load(landing)
    settings = OtpSettings(
        landing_dir=str(landing), publish_dir=str(root / "published"),
        warehouse=str(root / "warehouse" / "otp.duckdb"),
    )  # fmt: skip
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("otp_monthly").execute_in_process(
            tags={RANGE_START: MONTHS[0], RANGE_END: MONTHS[-1]}, instance=instance,
            resources={"otp": settings}, raise_on_error=False,
        )  # fmt: skip
    assert result.success
    summaries = {}
    for month in MONTHS:
        command = [sys.executable, str(BENCH_DIR / "baseline.py"), "--landing", str(landing),
                   "--month", month, "--out", str(root / "baseline" / month)]  # fmt: skip
        done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)
        summaries[month] = json.loads(done.stdout.strip().splitlines()[-1])
    return {"root": root, "summaries": summaries}


@pytest.mark.parametrize("month", MONTHS)
def test_baseline_equals_the_pipeline_cell_for_cell(both_sides, month):
    root = both_sides["root"]
    report = compare_month(root / "published" / month, root / "baseline" / month)
    assert set(report) == set(GRAINS)
    assert all(report[table]["rows_pipeline"] > 0 for table in SECTION_7)
    differing = {table: diff for table, diff in report.items() if not diff["equal"]}
    assert differing == {}


def test_sectors_table_classifies_as_the_sectors_file_says(both_sides):
    """The entries of SECTOR_CASES land under their sector (nested prefixes, a region's own
    list), and Auvergne-Rhône-Alpes, with a list of its own, has none of the national
    list's other sectors; the baseline equals this table (test above)."""
    table = pq.read_table(both_sides["root"] / "published" / "2021-02" / f"{SECTORS}.parquet")
    rows = table.to_pylist()
    qualifying = {(r["code_region"], r["code_secteur"]) for r in rows
                  if r["type_formation"] == "QUALIFIANTE"}  # fmt: skip
    assert qualifying >= SECTOR_EXPECTED
    own = {r["code_secteur"] for r in rows if r["code_region"] == "84"}
    assert own <= {"INDUSTRIE", "NUMERIQUE", "SOIN", "HORS_LISTE", "NON_RENSEIGNE"}


def _sums(path: Path, keys: tuple[str, ...]) -> dict[tuple, tuple[int, int]]:
    sums: dict[tuple, tuple[int, int]] = {}
    for row in pq.read_table(path).to_pylist():
        key = tuple(row[k] for k in keys)
        prescriptions, entries = sums.get(key, (0, 0))
        sums[key] = (prescriptions + row["nb_prescriptions"], entries + row["nb_entrees"])
    return sums


def test_baseline_without_a_sectors_file_classifies_nothing(both_sides, tmp_path):
    """§9 without the file: no region has a list, so every row is HORS_LISTE or
    NON_RENSEIGNE; with or without it, the sectors' sums over code_secteur equal the
    formation table's over domaine_professionnel."""
    root, month = both_sides["root"], "2021-02"
    landing = tmp_path / "landing"
    shutil.copytree(root / "landing", landing)
    (landing / "objectifs" / "secteurs_avenir.csv").unlink()
    command = [sys.executable, str(BENCH_DIR / "baseline.py"), "--landing", str(landing),
               "--month", month, "--out", str(tmp_path / "out")]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)
    assert json.loads(done.stdout.strip().splitlines()[-1])["sectors_file"] is None
    without = pq.read_table(tmp_path / "out" / f"{SECTORS}.parquet").to_pylist()
    assert {row["code_secteur"] for row in without} == {"HORS_LISTE", "NON_RENSEIGNE"}
    assert all(row["libelle_secteur"] is None for row in without)
    keys = ("code_region", "source", "type_formation", "tranche_age")
    formation = _sums(root / "baseline" / month / "prescriptions_par_formation.parquet", keys)
    assert _sums(tmp_path / "out" / f"{SECTORS}.parquet", keys) == formation
    assert _sums(root / "baseline" / month / f"{SECTORS}.parquet", keys) == formation


def test_baseline_loads_the_rows_the_pipeline_loads(both_sides):
    """Row checks and duplicate rule alike: the same rows loaded per source and month, and
    the added rows did reach the quarantine and the duplicate counts."""
    root, summaries = both_sides["root"], both_sides["summaries"]
    with duckdb.connect(str(root / "warehouse" / "otp.duckdb"), read_only=True) as con:
        loaded = dict(
            con.execute(
                "select upper(source) || ' ' || mois, rows_loaded from raw.deliveries"
            ).fetchall()
        )
        [(quarantined, duplicates)] = con.execute(
            "select sum(rows_quarantined), sum(rows_duplicates) from raw.deliveries"
        ).fetchall()
    assert (quarantined, duplicates) == (13, 3)  # X1 twice, X2 to X9, Y1 twice, Y2
    january = summaries["2021-01"]["rows_valid"]
    february = summaries["2021-02"]["rows_valid"]
    assert january == {"SI_PE": loaded["SI_PE 2021-01"], "IMILO": loaded["IMILO 2021-01"]}
    assert february == {
        "SI_PE": loaded["SI_PE 2021-01"] + loaded["SI_PE 2021-02"],
        "IMILO": loaded["IMILO 2021-01"] + loaded["IMILO 2021-02"],
    }


def test_run_bench_runs_with_the_baseline(tmp_path):
    """run_bench.py --ingestion-only: its demo data (default mode), the baseline's command
    line and summary, the pipeline's ingestion; nothing is timed here."""
    out = tmp_path / "out"
    command = [
        sys.executable, str(BENCH_DIR / "run_bench.py"), "--scales", "0.005", "--month",
        MONTHS[0], "--quick", "--ingestion-only", "--out", str(out), "--data",
        str(tmp_path / "data"), "--no-report",
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=PROJECT_ROOT, timeout=300, capture_output=True)
    entry = json.loads((out / "results.json").read_text())["ingestion_only"]["s0_005"]
    for measured in (entry["baseline"]["runs"][0], entry["pipeline_ingestion"]):
        assert {"wall_s", "cpu_s", "peak_rss_mib", "load_before", "returncode"} <= set(measured)
        assert measured["returncode"] == 0
    summary = entry["baseline"]["runs"][0]["summary"]
    assert set(summary["table_rows"]) == set(GRAINS)
    assert all(summary["table_rows"][table] > 0 for table in SECTION_7)


def test_run_bench_runs_the_history_case(tmp_path):
    """run_bench.py --history 3 at scale 0.01: month 1 alone, months 1-2 in one range run,
    then month 3 through Dagster's CLI on a copy of that warehouse; the report's table."""
    out, report = tmp_path / "out", tmp_path / "RESULTS.md"
    command = [
        sys.executable, str(BENCH_DIR / "run_bench.py"), "--skip-scales", "--history", "3",
        "--history-scale", "0.01", "--quick", "--out", str(out), "--data",
        str(tmp_path / "data"), "--report", str(report),
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=PROJECT_ROOT, timeout=900, capture_output=True)
    history = json.loads((out / "results.json").read_text())["history"]
    assert history["month_1"]["month"] == "2021-01"
    assert [c["month"] for c in history["checkpoints"]] == ["2021-03"]
    assert [r["months"] for r in history["range_runs"]] == ["2021-01:2021-02"]
    assert set(history["slope"]) == {"1", "3"}
    [third] = history["checkpoints"]
    assert third["peak_rss_mib"] > 0 and third["wall_s"] > 0 and third["cpu_ratio_to_month_1"] > 0
    assert set(third["rows_loaded_before"]) == {"si_pe", "imilo"}
    assert "otp_dbt_models" in third["steps"]
    assert "| 3 (2021-03) | 2 months | 1 |" in report.read_text(encoding="utf-8")


def test_history_times_month_12_and_the_last():
    from history import checkpoints, history_months

    assert checkpoints(36) == [12, 36]
    assert checkpoints(12) == [12]
    assert checkpoints(3) == [3]
    assert checkpoints(1) == []
    assert history_months(14)[::13] == ["2021-01", "2022-02"]
