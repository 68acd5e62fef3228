"""Bringing a source up to date for a run's months: their files and every earlier month's (§2).

A month's figures come from the winning file of every month from 2021-01 to it. The run's
months (one, or a range in a single-run backfill) are always loaded; earlier months
whose loaded file is not their current winner (a revision arrived, or never loaded) are
loaded first, in the same run; a broken one fails the run, naming its month.
"""

import logging
from pathlib import Path

import duckdb

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.checksums import file_sha256, remember_sha256
from otp_pipeline.lib.ingestion.landing import log_ignored, scan_feed_folder, winning_delivery
from otp_pipeline.lib.ingestion.loader import DeliveryReport, load_delivery, loaded_delivery
from otp_pipeline.lib.months import months_up_to
from otp_pipeline.lib.settings import Feed
from otp_pipeline.lib.warehouse import department_codes, ensure_raw_schema

logger = logging.getLogger(__name__)


def load_month(
    con: duckdb.DuckDBPyConnection,
    feed: Feed,
    landing_dir: Path,
    month: str,
    quarantine_max_percent: float,
    log: logging.Logger = logger,
    last_month: str | None = None,
) -> list[DeliveryReport]:
    """Load the winning file of `feed` for `month` (to `last_month` inclusive, when given),
    every stale earlier month first.

    Returns the reports of the files loaded, in month order (the run's months last).
    `con` should be opened with `warehouse.BULK_WORK_CONFIG`, to bound its memory.
    """
    last_month = last_month or month
    run = month if last_month == month else f"{month}..{last_month}"
    ensure_raw_schema(con)
    scan = scan_feed_folder(landing_dir, feed)
    log_ignored(scan, feed, log)
    departements = department_codes()
    reports = []
    for current in months_up_to(last_month):
        delivery = winning_delivery(scan, feed, current)
        if current < month:
            loaded = loaded_delivery(con, feed.name, current)
            # The checksum kept by (path, size, mtime): earlier months' files are not
            # re-read at every run (lib/ingestion/checksums.py).
            if loaded and loaded == (delivery.name, file_sha256(con, delivery.path)):
                continue
            log.info("%s %s: loading %s first (loaded: %s)", feed.name, run, delivery.name,
                     loaded[0] if loaded else "nothing")  # fmt: skip
        stat = delivery.path.stat()  # before the load reads it
        try:
            report = load_delivery(con, feed, delivery, departements, quarantine_max_percent)
        except StructuralError as error:
            if current >= month:
                raise
            raise StructuralError(
                error.file,
                f"{error.problem} (month {current} is needed by the run of {run}: "
                "every earlier month's winning file must load)",
                error.line,
            ) from error
        remember_sha256(con, delivery.path, stat, report.sha256)
        reports.append(report)
    return reports
