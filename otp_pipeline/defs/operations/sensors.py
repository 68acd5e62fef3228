"""Sensors: new deliveries in the landing folder, and alerts when a run fails."""

import dagster as dg

from otp_pipeline.defs.jobs import monthly_pipeline
from otp_pipeline.defs.partitions import RANGE_END, RANGE_START, describe_months
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.operations.alerts import send_alert
from otp_pipeline.lib.operations.watch import plan_runs
from otp_pipeline.lib.publication.swap import current_month_dirs


@dg.sensor(
    job=monthly_pipeline,
    minimum_interval_seconds=300,
    description="Watches $OTP_LANDING_DIR: a new delivery requests a run of its month (once "
    "both feeds are there); a revision of a month requests ONE run over the range from that "
    "month to the last month already published. The same file never runs twice (run key = "
    "file names + SHA-256).",
)
def landing_sensor(context: dg.SensorEvaluationContext, otp: OtpSettings):
    published = [path.name for path in current_month_dirs(otp.publish_path)]
    plan = plan_runs(otp.landing_path, published, context.cursor)
    for line in plan.reports:
        context.log.info(line)
    # A range is one run (the assets' backfill policy is single-run): the partition-range
    # tags, as a single-run backfill's run carries, instead of one partition_key.
    requests = [
        dg.RunRequest(run_key=run.key, partition_key=run.first, tags={"otp/trigger": "delivery"})
        if run.first == run.last
        else dg.RunRequest(
            run_key=run.key,
            tags={RANGE_START: run.first, RANGE_END: run.last, "otp/trigger": "revision"},
        )
        for run in plan.runs
    ]
    if requests:
        return dg.SensorResult(run_requests=requests, cursor=plan.cursor)
    return dg.SensorResult(
        skip_reason=dg.SkipReason("; ".join(plan.reports) or "no new delivery"),
        cursor=plan.cursor,
    )


def alert_text(run: dg.DagsterRun, step: str | None, reason: str) -> str:
    month = run.tags.get("dagster/partition")
    if month is None:  # a backfill run: a range of months
        first = run.tags.get("dagster/asset_partition_range_start", "?")
        last = run.tags.get("dagster/asset_partition_range_end", "?")
        month = describe_months(first, last)
    return f"otp-pipeline: run {run.run_id} for month {month} failed at step {step}: {reason}"


@dg.run_failure_sensor(
    description="Writes a clear alert (month, step, reason) to the log, and posts it to "
    "$OTP_ALERT_WEBHOOK_URL when that variable is set.",
    monitor_all_code_locations=False,
)
def failure_alert(context: dg.RunFailureSensorContext):
    failures = context.get_step_failure_events()
    step = failures[0].step_key if failures else None
    reason = (
        failures[0].event_specific_data.error.message.strip().splitlines()[-1]
        if failures and failures[0].event_specific_data.error
        else context.failure_event.message
    )
    send_alert(alert_text(context.dagster_run, step, reason), context.log)
