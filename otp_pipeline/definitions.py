"""Every Dagster definition of the project, gathered from `otp_pipeline/defs/<group>/`."""

import dagster as dg

from otp_pipeline.defs.ingestion import assets as ingestion
from otp_pipeline.defs.jobs import monthly_pipeline
from otp_pipeline.defs.operations.deadlines import publication_deadline, published_by_deadline
from otp_pipeline.defs.operations.schedules import monthly_schedule
from otp_pipeline.defs.operations.sensors import failure_alert, landing_sensor
from otp_pipeline.defs.publication import assets as publication
from otp_pipeline.defs.quality import assets as quality
from otp_pipeline.defs.quality.checks import QUALITY_CHECKS
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.defs.transform import assets as transform

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([ingestion, transform, quality, publication]),
    asset_checks=[*QUALITY_CHECKS, published_by_deadline],
    jobs=[monthly_pipeline],
    schedules=[monthly_schedule],
    sensors=[landing_sensor, failure_alert, publication_deadline],
    resources={"otp": OtpSettings()},
    # One process runs a month's steps one after the other: DuckDB takes one writer per
    # file, and every step (dbt too, in this process) must find the file free.
    executor=dg.in_process_executor,
)
