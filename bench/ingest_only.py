"""The ingestion part of the pipeline alone, without Dagster: every month up to M, both feeds.

    python bench/ingest_only.py --landing bench/data/s0_02 --month 2021-01 --warehouse w.duckdb

Calls the same library functions as the ingestion assets (`load_month`, the objectives),
so the smoke test can compare what the pipeline loads with what the baseline keeps in
well under a minute. Prints a JSON summary.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from otp_pipeline.lib.ingestion.landing import objectives_file
from otp_pipeline.lib.ingestion.monthly_load import load_month
from otp_pipeline.lib.ingestion.objectives import load_objectives, read_objectives
from otp_pipeline.lib.settings import IMILO, SI_PE
from otp_pipeline.lib.thresholds import load_thresholds
from otp_pipeline.lib.warehouse import BULK_WORK_CONFIG, connect, ensure_raw_schema, region_codes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--month", required=True)
    parser.add_argument("--warehouse", type=Path, required=True)
    args = parser.parse_args(argv)
    limit = load_thresholds()["quarantine_share_max_percent"]
    timings = {}
    with connect(args.warehouse, BULK_WORK_CONFIG) as con:
        ensure_raw_schema(con)
        for feed in (SI_PE, IMILO):
            started = time.perf_counter()
            load_month(con, feed, args.landing.resolve(), args.month, limit)
            timings[feed.name] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        path = objectives_file(args.landing.resolve())
        load_objectives(con, path, read_objectives(path, region_codes()))
        timings["objectifs"] = round(time.perf_counter() - started, 3)
    print(json.dumps({"month": args.month, "timings": timings}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
