"""What contract §9 adds to a month's run, step by step, on a warehouse a real run left.

Usage: `python bench/sectors_cost.py WORK_DIR MONTH` after `otp-pipeline run` on that
month with OTP_LANDING_DIR / OTP_WAREHOUSE / OTP_PUBLISH_DIR under WORK_DIR. Times the
parts §9 brought, each against the part of the same run it sits beside: the sectors
file's ingestion against the objectives', the mart `prescriptions_secteurs_avenir`
against `prescriptions_par_formation` (one dbt invocation each, the same months), its GX
suite against `prescriptions_par_formation`'s, the manifest's lists query and the report
section. Wall and CPU seconds (the CPU of every thread of this process), median of 3.
"""

import json
import statistics
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from otp_pipeline.lib.ingestion.landing import objectives_file, sectors_file
from otp_pipeline.lib.ingestion.objectives import load_objectives, read_objectives
from otp_pipeline.lib.ingestion.sectors import load_sectors, read_sectors
from otp_pipeline.lib.publication.manifest import sector_lists
from otp_pipeline.lib.publication.report.sectors import sectors_section
from otp_pipeline.lib.quality.runner import validate_suite
from otp_pipeline.lib.thresholds import dbt_vars
from otp_pipeline.lib.transform.dbt_build import DbtOutcome, dbt_events
from otp_pipeline.lib.warehouse import connect, region_codes, rome_domain_codes


def timed(action, repeats: int = 3) -> dict:
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {
        "wall_s": round(statistics.median(walls), 3),
        "cpu_s": round(statistics.median(cpus), 3),
    }


def dbt_model(warehouse: Path, work: Path, model: str, month: str) -> None:
    outcome = DbtOutcome()
    args = ["run", "--select", model, "--vars", json.dumps(dbt_vars(month)), "--no-write-json"]
    for _ in dbt_events(args, warehouse, work / "dbt_target_bench", outcome):
        pass
    if not outcome.success:
        raise RuntimeError(f"dbt run {model} failed: {outcome.errors[-5:]}")


def main(work: Path, month: str) -> dict:
    landing, warehouse = work / "landing", work / "warehouse" / "otp.duckdb"
    published = work / "published" / month
    regions = region_codes()

    def ingest_sectors():
        sectors = read_sectors(sectors_file(landing), regions, rome_domain_codes())
        with connect(warehouse) as con:
            load_sectors(con, sectors)

    def ingest_objectives():
        path = objectives_file(landing)
        rows = read_objectives(path, regions)
        with connect(warehouse) as con:
            load_objectives(con, path, rows)

    def lists():
        with connect(warehouse) as con:
            sector_lists(con, month)

    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))
    rows = pq.read_table(published / "prescriptions_secteurs_avenir.parquet").to_pylist()
    suivi = pq.read_table(published / "suivi_otp.parquet").to_pylist()
    with connect(warehouse) as con:
        [(facts,)] = con.execute("select count(*) from main.fct_prescriptions").fetchall()
    return {
        "month": month,
        "fct_prescriptions_rows": facts,
        "sectors_ingestion": timed(ingest_sectors),
        "objectives_ingestion": timed(ingest_objectives),
        "dbt_prescriptions_secteurs_avenir": timed(
            lambda: dbt_model(warehouse, work, "prescriptions_secteurs_avenir", month)
        ),
        "dbt_prescriptions_par_formation": timed(
            lambda: dbt_model(warehouse, work, "prescriptions_par_formation", month)
        ),
        "gx_prescriptions_secteurs_avenir": timed(
            lambda: validate_suite(warehouse, "prescriptions_secteurs_avenir", month)
        ),
        "gx_prescriptions_par_formation": timed(
            lambda: validate_suite(warehouse, "prescriptions_par_formation", month)
        ),
        "manifest_sector_lists": timed(lists),
        "report_section": timed(lambda: sectors_section(month, rows, manifest, suivi, [])),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]).resolve(), sys.argv[2]), indent=2))
