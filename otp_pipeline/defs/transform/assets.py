"""Transform assets: the dbt models (facts and published marts), one partition a month."""

import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets
from dagster_dbt.asset_utils import get_subset_selection_for_context
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dagster_dbt.dbt_manifest import validate_manifest

from otp_pipeline.defs.partitions import ONE_RUN_PER_BACKFILL, monthly_partitions, run_months
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.defs.transform.project import dbt_project
from otp_pipeline.lib.thresholds import dbt_vars
from otp_pipeline.lib.transform.dbt_build import DbtOutcome, dbt_events
from otp_pipeline.lib.transform.fact_shape import drop_outdated_facts
from otp_pipeline.lib.transform.row_counts import month_row_counts, monthly_relations
from otp_pipeline.lib.warehouse import connect, warehouse_lock


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
def otp_dbt_models(context: dg.AssetExecutionContext, otp: OtpSettings):
    """Builds the dbt project for the run's months: seeds, facts, marts and dbt tests.

    One invocation for a range (a backfill): the facts once, each month of the marts as of
    itself (dbt_project/macros/run_months.sql). dbt runs in this process on the stored
    parse of the project (otp_pipeline/lib/transform/dbt_build.py).
    """
    first, last = run_months(context)
    target = otp.warehouse_path.parent / "dbt_target"
    # dbt unit tests pin the SQL, not the data: they run in the test suite, not monthly.
    manifest = validate_manifest(dbt_project.manifest_path)
    # The selection dagster-dbt's CLI resource would pass (a subset picked in the UI, say).
    selection, indirect = get_subset_selection_for_context(
        context, manifest, select=None, exclude="test_type:unit", selector=None,
        dagster_dbt_translator=translator, current_dbt_indirect_selection_env=None,
    )  # fmt: skip
    # No manifest.json / run_results.json written: nothing reads them (0.35 s a run).
    args = [
        "build", "--vars", json.dumps(dbt_vars(first, otp.expectations_path, last_month=last)),
        "--no-write-json",
        *selection, *(["--indirect-selection", indirect] if indirect else []),
    ]  # fmt: skip
    outcome = DbtOutcome()
    counted = _monthly_assets(context, manifest)
    # From the first model counted by month on, events wait for dbt to let the warehouse go
    # (in order: a multi-asset yields an asset after its dependencies).
    held: list = []
    # The lock keeps another run's Python steps off the file while dbt writes to it.
    with warehouse_lock(otp.warehouse_path):
        _rebuild_outdated_facts(context, otp, manifest)
        for raw in dbt_events(args, otp.warehouse_path, target, outcome):
            event = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
            for asset_event in event.to_default_asset_events(
                manifest=manifest, dagster_dbt_translator=translator, context=context,
                target_path=target,
            ):  # fmt: skip
                if held or _output_key(context, asset_event) in counted:
                    held.append(asset_event)
                else:
                    yield asset_event
    _add_month_row_counts(context, otp, counted, held, first, last)
    yield from held
    if not outcome.success:
        problems = "\n".join(outcome.errors[-20:]) or repr(outcome.exception)
        raise dg.Failure(
            description=f"dbt build of {first}..{last} failed:\n{problems}",
            metadata={"dbt_log": dg.MetadataValue.path(str(target / "dbt.log"))},
        )


def _rebuild_outdated_facts(context: dg.AssetExecutionContext, otp, manifest) -> None:
    """A selected fact table built with another column set (an earlier version of the
    pipeline) is dropped, so that this build makes it whole again from raw."""
    selected = context.selected_asset_keys
    facts = [
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and translator.get_asset_key(node) in selected
    ]
    if not otp.warehouse_path.exists():
        return
    with connect(otp.warehouse_path) as con:
        dropped = drop_outdated_facts(con, manifest, facts)
    for table in dropped:
        context.log.warning(
            f"{table} was built with another column set than its model's: dropped, "
            "rebuilt whole from raw by this build"
        )


def _monthly_assets(context: dg.AssetExecutionContext, manifest: Mapping) -> dict:
    """The assets of this run whose models name a `month_column`, with their relations."""
    relations = monthly_relations(manifest)
    selected = context.selected_asset_keys
    by_key = {
        translator.get_asset_key(manifest["nodes"][uid]): rel for uid, rel in relations.items()
    }
    return {key: relation for key, relation in by_key.items() if key in selected}


def _output_key(context: dg.AssetExecutionContext, asset_event: object) -> dg.AssetKey | None:
    if isinstance(asset_event, dg.Output):
        return context.asset_key_for_output(asset_event.output_name)
    return None


def _add_month_row_counts(context, otp: OtpSettings, counted: dict, held: list, first, last):
    """Each month's partition of each built model counted by month gets that month's rows
    as `dagster/row_count` (a range run's one materialization would show the range's)."""
    built = {key for event in held if (key := _output_key(context, event)) in counted}
    if not built:
        return
    counts = month_row_counts(otp.warehouse_path, {key: counted[key] for key in built}, first, last)
    for key, by_month in counts.items():
        for month, rows in by_month.items():
            context.add_asset_metadata(
                {"dagster/row_count": dg.MetadataValue.int(rows)}, asset_key=key,
                partition_key=month,
            )  # fmt: skip
