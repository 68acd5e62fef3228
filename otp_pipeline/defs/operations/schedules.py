"""The monthly schedule: the previous month, once its extracts have usually arrived."""

import dagster as dg

from otp_pipeline.defs.jobs import monthly_pipeline
from otp_pipeline.lib.months import month_from_index, month_index


@dg.schedule(
    job=monthly_pipeline,
    # Extracts of month M usually land in the first days of M+1: the 5th at 07:00 leaves
    # room for a late delivery while publishing early in the month.
    cron_schedule="0 7 5 * *",
    execution_timezone="Europe/Paris",
    description="On the 5th of each month at 07:00 (Paris), runs the previous month.",
)
def monthly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Runs the month before the tick's, with run key `schedule-YYYY-MM`.

    Written by hand rather than with `dg.build_schedule_from_partitioned_job` (checked on
    Dagster 1.13.27): that helper takes its timezone from the partitions definition, which
    is UTC for our months (`monthly_partitions`), and refuses `execution_timezone` for a
    time-partitioned job, so its tick would be 07:00 UTC (08:00 or 09:00 in Paris); and its
    run key is the bare partition key (`2021-12`), not `schedule-2021-12`. Giving the
    partitions a Paris timezone would move every partition's time window, for one tick.
    """
    tick = context.scheduled_execution_time
    month = month_from_index(month_index(f"{tick.year:04d}-{tick.month:02d}") - 1)
    return dg.RunRequest(run_key=f"schedule-{month}", partition_key=month)
