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
    tick = context.scheduled_execution_time
    month = month_from_index(month_index(f"{tick.year:04d}-{tick.month:02d}") - 1)
    return dg.RunRequest(run_key=f"schedule-{month}", partition_key=month)
