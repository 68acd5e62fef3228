"""The benchmark's baseline computes the pipeline's published tables, cell for cell.

Two tiny clean demo months (`generate_landing(clean=True)`, scale 0.005: about 500 AIS and
200 I-Milo rows each) go ONCE through the pipeline (the monthly job, in process, as the
CLI runs it) and through `bench/baseline.py`; the five tables of each month must agree
with 0 rows on one side only and 0 differing cells (bench/compare.py). A few rows the
contract quarantines or loads once are added to the clean files first (in UTF-8), so
that the baseline's row checks and duplicate rule are held to the pipeline's as well.

The last test runs `bench/run_bench.py --ingestion-only` on its own default demo data, so
that the benchmark script keeps working with the baseline's command line and summary.
"""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
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
    short of a field; and an I-Milo entry whose numero_ais is a quarantined AIS entry."""
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
