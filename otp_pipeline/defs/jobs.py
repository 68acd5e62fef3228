"""The monthly job: ingestion, dbt, quality checks and publication of one month."""

import dagster as dg

from otp_pipeline.defs.operations.deadlines import published_by_deadline

# No `partitions_def=` (deprecated in 1.13): the job takes its monthly partitions from its
# assets once resolved. The deadline check is left out: its verdict belongs to the clock and
# is settled by the publication_deadline sensor, not by the runs (a backfill of old months
# would otherwise report them late).
monthly_pipeline = dg.define_asset_job(
    "otp_monthly",
    selection=dg.AssetSelection.all() - dg.AssetSelection.checks(published_by_deadline),
    description="Runs the whole pipeline for one month: ingest both feeds and the "
    "objectives, build the dbt facts and marts, check them and publish the month.",
)
