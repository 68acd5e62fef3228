"""Ingestion assets: each month's Pôle emploi AIS and I-Milo extracts, and the objectives."""

import dagster as dg

from otp_pipeline.defs.partitions import MONTH_BY_MONTH, monthly_partitions
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.landing import objectives_file
from otp_pipeline.lib.monthly_load import load_month
from otp_pipeline.lib.objectives import load_objectives, read_objectives
from otp_pipeline.lib.settings import IMILO, SI_PE, Feed
from otp_pipeline.lib.warehouse import connect, ensure_raw_schema, region_codes


def _feed_metadata(reports) -> dict:
    report = reports[-1]
    metadata = {
        "file": dg.MetadataValue.text(report.file),
        "revision": dg.MetadataValue.int(report.revision),
        "encoding": dg.MetadataValue.text(report.encoding),
        "sha256": dg.MetadataValue.text(report.sha256),
        "rows_read": dg.MetadataValue.int(report.rows_read),
        "rows_loaded": dg.MetadataValue.int(report.rows_loaded),
        "rows_quarantined": dg.MetadataValue.int(report.rows_quarantined),
        "rows_duplicates": dg.MetadataValue.int(report.rows_duplicates),
        "quarantine_rate": dg.MetadataValue.float(
            report.rows_quarantined / report.rows_read if report.rows_read else 0.0
        ),
        "quarantine_reasons": dg.MetadataValue.json(report.quarantine_reasons),
        "earlier_months_loaded": dg.MetadataValue.json(
            [f"{r.month} ({r.file})" for r in reports[:-1]]
        ),
    }
    if report.invalid_type_prescripteur:
        metadata["invalid_type_prescripteur"] = dg.MetadataValue.json(
            report.invalid_type_prescripteur
        )
    return metadata


def _ingest(context: dg.AssetExecutionContext, otp: OtpSettings, feed: Feed):
    month = context.partition_key
    limit = otp.thresholds()["quarantine_share_max_percent"]
    try:
        with connect(otp.warehouse_path) as con:
            reports = load_month(con, feed, otp.landing_path, month, limit, context.log)
    except StructuralError as error:
        raise dg.Failure(
            description=f"Structural error, month {month} not loaded: {error}",
            metadata={"file": error.file, "line": error.line or 0, "problem": error.problem},
            allow_retries=False,
        ) from error
    return dg.MaterializeResult(metadata=_feed_metadata(reports))


@dg.asset(
    key=["raw", "si_pe"],
    group_name="ingestion",
    partitions_def=monthly_partitions,
    backfill_policy=MONTH_BY_MONTH,
    kinds={"duckdb", "csv"},
)
def si_pe(context: dg.AssetExecutionContext, otp: OtpSettings) -> dg.MaterializeResult:
    """Pôle emploi AIS extract of the month (one row per AIS), checked and loaded to raw.si_pe.

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
    backfill_policy=MONTH_BY_MONTH,
    kinds={"duckdb", "csv"},
)
def imilo(context: dg.AssetExecutionContext, otp: OtpSettings) -> dg.MaterializeResult:
    """I-Milo extract of the month (one row per Mission locale prescription), to raw.imilo.

    Same rules as the AIS extract: winning revision, row checks, quarantine, duplicates,
    one transaction per month; UTF-8 only.
    """
    return _ingest(context, otp, IMILO)


@dg.asset(
    key=["raw", "objectifs_otp"],
    group_name="ingestion",
    partitions_def=monthly_partitions,
    backfill_policy=MONTH_BY_MONTH,
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
