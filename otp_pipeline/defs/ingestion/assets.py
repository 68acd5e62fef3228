"""Ingestion assets: each month's Pôle emploi AIS and I-Milo extracts, and the objectives."""

import dagster as dg

from otp_pipeline.defs.partitions import (
    ONE_RUN_PER_BACKFILL,
    describe_months,
    monthly_partitions,
    run_months,
)
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.landing import objectives_file
from otp_pipeline.lib.ingestion.monthly_load import load_month
from otp_pipeline.lib.ingestion.objectives import load_objectives, read_objectives
from otp_pipeline.lib.settings import IMILO, SI_PE, Feed
from otp_pipeline.lib.warehouse import BULK_WORK_CONFIG, connect, ensure_raw_schema, region_codes


def _feed_metadata(reports, first: str) -> dict:
    """Accounting of the run's months (summed for a range), file details per month."""
    run = [report for report in reports if report.month >= first]
    earlier = [report for report in reports if report.month < first]
    last = run[-1]
    read = sum(report.rows_read for report in run)
    quarantined = sum(report.rows_quarantined for report in run)
    metadata = {
        "file": dg.MetadataValue.text(", ".join(report.file for report in run)),
        "revision": dg.MetadataValue.int(last.revision),
        "encoding": dg.MetadataValue.text(last.encoding),
        "sha256": dg.MetadataValue.text(last.sha256),
        "rows_read": dg.MetadataValue.int(read),
        "rows_loaded": dg.MetadataValue.int(sum(report.rows_loaded for report in run)),
        "rows_quarantined": dg.MetadataValue.int(quarantined),
        "rows_duplicates": dg.MetadataValue.int(sum(report.rows_duplicates for report in run)),
        "quarantine_rate": dg.MetadataValue.float(quarantined / read if read else 0.0),
        "quarantine_reasons": dg.MetadataValue.json(
            _summed(report.quarantine_reasons for report in run)
        ),
        "earlier_months_loaded": dg.MetadataValue.json([f"{r.month} ({r.file})" for r in earlier]),
    }
    if len(run) > 1:
        metadata["months"] = dg.MetadataValue.json(
            [
                {
                    "mois": report.month,
                    "file": report.file,
                    "revision": report.revision,
                    "encoding": report.encoding,
                    "rows_read": report.rows_read,
                    "rows_loaded": report.rows_loaded,
                    "rows_quarantined": report.rows_quarantined,
                    "rows_duplicates": report.rows_duplicates,
                }
                for report in run
            ]
        )
    invalid = _summed(report.invalid_type_prescripteur for report in run)
    if invalid:
        metadata["invalid_type_prescripteur"] = dg.MetadataValue.json(invalid)
    return metadata


def _summed(counts) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for name, value in count.items():
            total[name] = total.get(name, 0) + value
    return total


def _ingest(context: dg.AssetExecutionContext, otp: OtpSettings, feed: Feed):
    first, last = run_months(context)
    limit = otp.thresholds()["quarantine_share_max_percent"]
    try:
        with connect(otp.warehouse_path, BULK_WORK_CONFIG) as con:
            reports = load_month(
                con, feed, otp.landing_path, first, limit, context.log, last_month=last
            )
    except StructuralError as error:
        raise dg.Failure(
            description=f"Structural error, month {describe_months(first, last)} not loaded: "
            f"{error}",
            metadata={"file": error.file, "line": error.line or 0, "problem": error.problem},
            allow_retries=False,
        ) from error
    return dg.MaterializeResult(metadata=_feed_metadata(reports, first))


@dg.asset(
    key=["raw", "si_pe"],
    group_name="ingestion",
    partitions_def=monthly_partitions,
    backfill_policy=ONE_RUN_PER_BACKFILL,
    kinds={"duckdb", "csv"},
)
def si_pe(context: dg.AssetExecutionContext, otp: OtpSettings) -> dg.MaterializeResult:
    """Pôle emploi AIS extract of the run's month(s) (one row per AIS), loaded to raw.si_pe.

    Picks the month's winning file (highest revision), detects its encoding (UTF-8 or
    Windows-1252), quarantines bad rows with their line and reason, counts exact duplicates,
    and replaces the month in one transaction. Earlier months whose loaded file is stale
    are loaded first. A structural error (contract §6) fails the run.
    """
    return _ingest(context, otp, SI_PE)


@dg.asset(
    key=["raw", "imilo"],
    group_name="ingestion",
    partitions_def=monthly_partitions,
    backfill_policy=ONE_RUN_PER_BACKFILL,
    kinds={"duckdb", "csv"},
)
def imilo(context: dg.AssetExecutionContext, otp: OtpSettings) -> dg.MaterializeResult:
    """I-Milo extract of the run's month(s) (one row per Mission locale prescription), to raw.imilo.

    Same rules as the AIS extract: winning revision, row checks, quarantine, duplicates,
    one transaction per month; UTF-8 only.
    """
    return _ingest(context, otp, IMILO)


@dg.asset(
    key=["raw", "objectifs_otp"],
    group_name="ingestion",
    partitions_def=monthly_partitions,
    backfill_policy=ONE_RUN_PER_BACKFILL,
    kinds={"duckdb", "csv"},
)
def objectifs_otp(context: dg.AssetExecutionContext, otp: OtpSettings) -> dg.MaterializeResult:
    """The regional OTP objectives (one row per region and period), to raw.objectifs_otp.

    Read whole at every run: any fault (missing file or column, bad region, number or
    period, overlapping periods of a region) is a structural error naming file and line.
    """
    try:
        path = objectives_file(otp.landing_path, context.log)
        rows = read_objectives(path, region_codes())
        with connect(otp.warehouse_path) as con:
            ensure_raw_schema(con)
            report = load_objectives(con, path, rows)
    except StructuralError as error:
        raise dg.Failure(
            description=f"Structural error in the objectives: {error}",
            metadata={"file": error.file, "line": error.line or 0, "problem": error.problem},
            allow_retries=False,
        ) from error
    return dg.MaterializeResult(
        metadata={
            "file": dg.MetadataValue.text(report.file),
            "sha256": dg.MetadataValue.text(report.sha256),
            "periods": dg.MetadataValue.int(report.periods),
            "regions": dg.MetadataValue.int(report.regions),
        }
    )
