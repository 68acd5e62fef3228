"""The month's data-quality report: Great Expectations Data Docs, after every check ran."""

import dagster as dg

from otp_pipeline.defs.partitions import (
    ONE_RUN_PER_BACKFILL,
    describe_months,
    monthly_partitions,
    run_months,
)
from otp_pipeline.defs.quality.checks import CHECKED_ASSET_KEYS
from otp_pipeline.defs.resources import OtpSettings


@dg.asset(
    key=["quality_report"],
    group_name="quality",
    partitions_def=monthly_partitions,
    backfill_policy=ONE_RUN_PER_BACKFILL,
    deps=CHECKED_ASSET_KEYS,
    kinds={"great_expectations", "html"},
)
def quality_report(context: dg.AssetExecutionContext, otp: OtpSettings) -> dg.MaterializeResult:
    """Great Expectations Data Docs of the run's months (one HTML site beside the warehouse).

    Runs after the GX checks on the facts and marts (they are blocking, so they finish
    first), writes the pages of the run's validations and links the site; the checks
    themselves are on the assets they check.
    """
    from otp_pipeline.lib.quality.runner import quality_report_path  # GX is heavy: import on use

    period = describe_months(*run_months(context))
    index = quality_report_path(otp.warehouse_path, period)
    context.log.info(f"Data Docs for {period}: {index}")
    return dg.MaterializeResult(metadata={"data_docs": dg.MetadataValue.path(str(index))})
