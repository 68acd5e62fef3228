"""The publication deadline: month M published by the 10th of M+1 at 09:00 (Paris), as the
asset check `published_by_deadline` on `publication`, settled by the `publication_deadline`
sensor, which alerts when a month misses it.

Why not Dagster's built-ins (1.13): `build_time_partition_freshness_checks` is superseded
(it warns) and passes once the partition exists, even when it came after the deadline; a
`FreshnessPolicy.cron` looks at the asset's latest materialization of any partition (a
rerun of January would make March fresh) and shows as the asset's freshness state, not as
a check. Neither says "partition M materialized by the 10th of M+1 at 09:00 Paris", so the
sensor judges each month from the publish folder (`lib/operations/deadlines.py`, where the
deadline is set) and reports a runless `AssetCheckEvaluation` for it.
"""

from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg

from otp_pipeline.defs.partitions import run_months
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.months import months_between
from otp_pipeline.lib.operations.alerts import send_alert
from otp_pipeline.lib.operations.deadlines import PUBLICATION_DEADLINE, Verdict, review_deadlines
from otp_pipeline.lib.operations.deadlines import verdict as judge

PUBLICATION = dg.AssetKey(["publication"])
CHECK_NAME = "published_by_deadline"


def _metadata(judged: Verdict, otp: OtpSettings) -> dict[str, dg.MetadataValue]:
    published = judged.published_at
    return {
        "mois": dg.MetadataValue.text(judged.month),
        "deadline": dg.MetadataValue.timestamp(judged.deadline),
        "first_published_at": (
            dg.MetadataValue.timestamp(published) if published else dg.MetadataValue.null()
        ),
        "folder": dg.MetadataValue.path(str(otp.publish_path / judged.month)),
    }


@dg.asset_check(
    asset=PUBLICATION,
    name=CHECK_NAME,
    description=f"Month M is published in $OTP_PUBLISH_DIR/M/ by {PUBLICATION_DEADLINE} "
    "(first publication, vintages included). Settled by the publication_deadline sensor: "
    "one evaluation per month, failed (ERROR, alerted) when the deadline passed unpublished. "
    "Run with the assets (CLI '*', Materialize all), it judges the run's months without "
    "alerting: WARN when they came after their deadline (a backfill of old months).",
    blocking=False,
)
def published_by_deadline(
    context: dg.AssetCheckExecutionContext, otp: OtpSettings
) -> dg.AssetCheckResult:
    first, last = run_months(context)
    now = datetime.now(UTC)
    verdicts = [judge(otp.publish_path, month, now) for month in months_between(first, last)]
    late = [judged for judged in verdicts if not judged.in_time]
    for judged in verdicts:
        context.log.info(judged.text())
    metadata = _metadata(verdicts[-1], otp) if len(verdicts) == 1 else {}
    metadata["months_late"] = dg.MetadataValue.json([judged.month for judged in late])
    return dg.AssetCheckResult(
        passed=not late,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(judged.text() for judged in (late or verdicts)),
        metadata=metadata,
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_deadline_sensor(clock: Callable[[], datetime] = _utc_now) -> dg.SensorDefinition:
    """The sensor, reading the time from `clock` (tests give a fixed one)."""

    @dg.sensor(
        name="publication_deadline",
        minimum_interval_seconds=300,
        description=f"Every 5 minutes, settles each ended month against its publication "
        f"deadline ({PUBLICATION_DEADLINE}): passed as soon as the month is published in "
        "time, failed once the deadline passes without it, then alerts like a failed run "
        "(log + $OTP_ALERT_WEBHOOK_URL). Each month is settled once (cursor).",
    )
    def publication_deadline(context: dg.SensorEvaluationContext, otp: OtpSettings):
        review = review_deadlines(otp.publish_path, context.cursor, clock())
        events = []
        for judged in review.verdicts:
            if judged.in_time:
                context.log.info(judged.text())
            else:
                send_alert(judged.text(), context.log)
            events.append(
                dg.AssetCheckEvaluation(
                    asset_key=PUBLICATION,
                    check_name=CHECK_NAME,
                    passed=judged.in_time,
                    severity=dg.AssetCheckSeverity.ERROR,
                    description=judged.text(),
                    metadata=_metadata(judged, otp),
                    partition=judged.month,
                )
            )
        if events:
            return dg.SensorResult(asset_events=events, cursor=review.cursor)
        return dg.SensorResult(skip_reason=dg.SkipReason(review.waiting), cursor=review.cursor)

    return publication_deadline


publication_deadline = build_deadline_sensor()
