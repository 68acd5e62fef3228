"""The monthly job: ingestion, dbt, quality checks and publication of one month."""

import dagster as dg

monthly_pipeline = dg.define_asset_job(
    "otp_monthly",
    selection=dg.AssetSelection.all(),
    description="Runs the whole pipeline for one month: ingest both feeds and the "
    "objectives, build the dbt facts and marts, check them and publish the month.",
)
