"""Transform assets: the dbt models (facts and published marts), one partition a month."""

import json
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from otp_pipeline.defs.partitions import ONE_RUN_PER_BACKFILL, monthly_partitions, run_months
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.defs.transform.project import dbt_project
from otp_pipeline.lib.thresholds import dbt_vars
from otp_pipeline.lib.warehouse import warehouse_lock


class OtpDbtTranslator(DagsterDbtTranslator):
    """dbt nodes → Dagster: every model and seed in group `transform`; the sources
    `raw.<table>` are the ingestion assets `raw/<table>`."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "transform"


translator = OtpDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=translator,
    partitions_def=monthly_partitions,
    backfill_policy=ONE_RUN_PER_BACKFILL,
)
def otp_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, otp: OtpSettings):
    """Builds the dbt project for the run's months: seeds, facts, marts and dbt tests.

    One invocation for a range (a backfill): the facts once, each month of the marts as of
    itself (dbt_project/macros/run_months.sql).
    """
    first, last = run_months(context)
    # dbt runs as a subprocess from dbt_project/: it gets the warehouse as an absolute path.
    os.environ["OTP_WAREHOUSE"] = str(otp.warehouse_path)
    target = otp.warehouse_path.parent / "dbt_target"
    # dbt unit tests pin the SQL, not the data: they run in the test suite, not monthly.
    args = [
        "build", "--vars", json.dumps(dbt_vars(first, otp.expectations_path, last_month=last)),
        "--exclude", "test_type:unit",
    ]  # fmt: skip
    # The lock keeps another run's Python steps off the file while dbt writes to it.
    with warehouse_lock(otp.warehouse_path):
        yield from dbt.cli(args, context=context, target_path=target).stream()
