"""Running the monthly job for a list of months, in this process."""

import dagster as dg

from otp_pipeline.defs.partitions import RANGE_END, RANGE_START, describe_months
from otp_pipeline.lib.months import month_index


def spans(months: list[str]) -> list[tuple[str, str]]:
    """Consecutive months grouped into (first, last) spans, in order."""
    result: list[tuple[str, str]] = []
    for month in sorted(set(months)):
        if result and month_index(month) == month_index(result[-1][1]) + 1:
            result[-1] = (result[-1][0], month)
        else:
            result.append((month, month))
    return result


def run_months(months: list[str]) -> bool:
    """Materialise every asset for the months, on the instance of DAGSTER_HOME.

    Consecutive months are one run (a single-run backfill: the assets take the range, and
    each month is computed as of itself); a month alone is a partition run. Runs show in
    the Dagster UI like any other. Returns False at the first run that fails (later months
    would use its data).
    """
    from otp_pipeline.definitions import defs  # heavy: imported only when running

    job = defs.resolve_job_def("otp_monthly")
    with dg.DagsterInstance.get() as instance:
        for first, last in spans(months):
            if first == last:
                result = job.execute_in_process(
                    partition_key=first, instance=instance, raise_on_error=False
                )
                label = first
            else:
                result = job.execute_in_process(
                    tags={RANGE_START: first, RANGE_END: last},
                    instance=instance,
                    raise_on_error=False,
                )
                label = describe_months(first, last)
            print(f"{label}: {'success' if result.success else 'FAILED'} (run {result.run_id})")
            if not result.success:
                return False
    return True
