"""Monthly partitions `YYYY-MM` from 2021-01 (contract §1), shared by every asset."""

import warnings

import dagster as dg

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date="2021-01", fmt="%Y-%m")

# A backfill is one run over its whole range of months (docs/decisions.md): each asset
# handles the range at once (ingestion loads month after month, dbt builds every month in
# one invocation, each as of itself, the checks validate the range, the publication swaps
# each month in turn). A monthly run is the range of one month. The run queue keeps one
# run at a time on the warehouse (deploy/dagster.yaml).
ONE_RUN_PER_BACKFILL = dg.BackfillPolicy.single_run()
# Every asset given this policy makes Dagster 1.13 warn, at import, that `backfill_policy` is
# in beta (a BetaWarning per asset, printed by every command that loads the definitions). It
# is a deliberate choice (docs/decisions.md), checked by tests/defs/transform/test_backfill.py
# at each upgrade: that warning alone is silenced, here where the policy is chosen, before the
# asset modules that raise it are imported.
warnings.filterwarnings(
    "ignore", message="Parameter `backfill_policy` of function", category=dg.BetaWarning
)
# The run tags that make one run over a range of months (what a backfill from the UI sets;
# a RunRequest has no range argument in 1.13): the runner and the landing sensor set them.
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def run_months(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> tuple[str, str]:
    """The first and last month of the run (equal for a monthly run), for an asset or an
    asset check."""
    if context.has_partition_key_range:
        window = context.partition_key_range
        return window.start, window.end
    if context.has_partition_key:
        return context.partition_key, context.partition_key
    raise dg.Failure("this step works on months: run it for a partition YYYY-MM or a range")


def describe_months(first: str, last: str) -> str:
    """`2021-03`, or `2021-01..2022-12` for a range."""
    return first if first == last else f"{first}..{last}"
