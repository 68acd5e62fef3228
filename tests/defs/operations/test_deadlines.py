"""The publication deadline (10th of M+1, 09:00 Paris): the `published_by_deadline` check on
`publication`, settled by the `publication_deadline` sensor on a real instance, at a given
time; a missed deadline alerts like a failed run (log + webhook)."""

import http.server
import json
import logging
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from otp_pipeline.definitions import defs
from otp_pipeline.defs.operations.deadlines import (
    CHECK_NAME,
    PUBLICATION,
    build_deadline_sensor,
    published_by_deadline,
)
from otp_pipeline.defs.partitions import monthly_partitions
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.operations.alerts import ALERT_LOGGER
from otp_pipeline.lib.operations.deadlines import PUBLICATION_DEADLINE, first_published_at

PARIS = ZoneInfo("Europe/Paris")
CHECK_KEY = dg.AssetCheckKey(PUBLICATION, CHECK_NAME)


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def webhook(monkeypatch):
    """A local webhook, its URL in OTP_ALERT_WEBHOOK_URL; yields what it received."""
    handler = type("Hook", (_Hook,), {"received": []})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OTP_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    yield handler.received
    server.shutdown()
    server.server_close()


def publish(publish_dir, month, produced_at: str, vintage: str | None = None):
    """A published month folder as the publication leaves it (manifest with produced_at)."""
    folder = publish_dir / month if vintage is None else publish_dir / "_vintages" / month / vintage
    folder.mkdir(parents=True)
    manifest = {"mois": month, "produced_at": produced_at}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def tick(instance, publish_dir, now: datetime, cursor: str | None = None):
    """One tick of the sensor at `now`, evaluated as the daemon does (`evaluate_tick` with
    the `otp` resource), its asset events then stored on the instance like the daemon's."""
    sensor = build_deadline_sensor(clock=lambda: now)
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor,
        resources={"otp": OtpSettings(publish_dir=str(publish_dir))},
    )  # fmt: skip
    data = sensor.evaluate_tick(context)
    for event in data.asset_events:
        instance.report_runless_asset_event(event)
    return data


def latest(instance) -> dg.AssetCheckEvaluation | None:
    record = instance.get_latest_asset_check_evaluation_record(CHECK_KEY)
    return record.event.asset_check_evaluation if record and record.event else None


def test_deadline_is_the_10th_of_the_next_month_at_9_in_paris():
    assert PUBLICATION_DEADLINE.for_month("2021-03") == datetime(2021, 4, 10, 9, tzinfo=PARIS)
    assert PUBLICATION_DEADLINE.for_month("2021-03").astimezone(UTC).hour == 7  # summer time
    assert PUBLICATION_DEADLINE.for_month("2021-12") == datetime(2022, 1, 10, 8, tzinfo=UTC)


def test_the_check_sits_on_publication_and_outside_the_monthly_job():
    assert CHECK_KEY in defs.resolve_asset_graph().asset_check_keys
    job = defs.resolve_job_def("otp_monthly")
    assert CHECK_KEY not in job.asset_layer.asset_graph.asset_check_keys
    assert "publication_deadline" in {sensor.name for sensor in defs.sensors}


def test_month_unpublished_past_its_deadline_fails_the_check_and_alerts_once(
    tmp_path, webhook, caplog
):
    now = datetime(2021, 4, 10, 9, 5, tzinfo=PARIS)
    with dg.DagsterInstance.ephemeral() as instance:
        with caplog.at_level(logging.ERROR, logger=ALERT_LOGGER):
            data = tick(instance, tmp_path / "published", now)
        evaluation = latest(instance)
        assert (evaluation.passed, evaluation.partition) == (False, "2021-03")
        assert evaluation.severity == dg.AssetCheckSeverity.ERROR
        again = tick(instance, tmp_path / "published", now, cursor=data.cursor)
    text = "otp-pipeline: month 2021-03 missed its publication deadline 2021-04-10 09:00 Europe/Paris: not published"
    assert text in caplog.text
    assert webhook == [{"text": text}]
    assert evaluation.description == text
    assert again.asset_events == [] and webhook == [{"text": text}]  # settled: no new alert
    assert "next deadline: month 2021-04, 2021-05-10 09:00 Europe/Paris" in again.skip_message


def test_month_published_in_time_passes_without_alert(tmp_path, webhook, caplog):
    publish(tmp_path / "published", "2021-03", "2021-04-05T05:12:00Z")
    now = datetime(2021, 4, 10, 9, 5, tzinfo=PARIS)
    with dg.DagsterInstance.ephemeral() as instance:
        with caplog.at_level(logging.ERROR, logger=ALERT_LOGGER):
            tick(instance, tmp_path / "published", now)
        evaluation = latest(instance)
    assert (evaluation.passed, evaluation.partition) == (True, "2021-03")
    assert (
        evaluation.metadata["first_published_at"].value
        == datetime(2021, 4, 5, 5, 12, tzinfo=UTC).timestamp()
    )
    assert "published 2021-04-05 07:12 Europe/Paris" in evaluation.description
    assert caplog.records == [] and webhook == []


def test_month_published_early_passes_before_its_deadline_and_is_not_judged_again(tmp_path):
    publish(tmp_path / "published", "2021-03", "2021-04-05T05:12:00Z")
    with dg.DagsterInstance.ephemeral() as instance:
        data = tick(instance, tmp_path / "published", datetime(2021, 4, 6, tzinfo=PARIS))
        assert latest(instance).passed
        later = tick(
            instance, tmp_path / "published", datetime(2021, 4, 11, tzinfo=PARIS), data.cursor
        )
    assert later.asset_events == []


def test_month_not_due_yet_is_not_judged(tmp_path, webhook):
    with dg.DagsterInstance.ephemeral() as instance:
        february_settled = json.dumps({"reviewed_through": "2021-02"})
        now = datetime(2021, 4, 10, 8, 55, tzinfo=PARIS)
        data = tick(instance, tmp_path / "published", now, cursor=february_settled)
        assert latest(instance) is None
    assert data.asset_events == [] and webhook == []
    assert "month 2021-03 not published yet (due 2021-04-10 09:00 Europe/Paris)" in (
        data.skip_message
    )


def test_first_publication_after_the_deadline_is_a_missed_deadline(tmp_path, webhook):
    publish(tmp_path / "published", "2021-03", "2021-04-12T06:00:00Z")
    with dg.DagsterInstance.ephemeral() as instance:
        tick(instance, tmp_path / "published", datetime(2021, 4, 12, 9, tzinfo=PARIS))
        assert not latest(instance).passed
    assert webhook[0]["text"].endswith("first published 2021-04-12 08:00 Europe/Paris")


def test_a_revision_republished_later_keeps_the_first_publication_time(tmp_path):
    publish_dir = tmp_path / "published"
    publish(publish_dir, "2021-03", "2021-06-01T10:00:00Z")
    publish(publish_dir, "2021-03", "2021-04-05T05:12:00Z", vintage="20210405T051200Z")
    assert first_published_at(publish_dir, "2021-03") == datetime(2021, 4, 5, 5, 12, tzinfo=UTC)


def test_first_tick_starts_at_the_last_month_due_not_at_2021(tmp_path, webhook):
    now = datetime(2022, 6, 15, 12, tzinfo=PARIS)
    with dg.DagsterInstance.ephemeral() as instance:
        data = tick(instance, tmp_path / "published", now)
    assert [event.partition for event in data.asset_events] == ["2022-05"]
    assert len(webhook) == 1
    assert json.loads(data.cursor) == {"reviewed_through": "2022-05"}


def test_the_check_run_with_the_assets_judges_the_run_month_without_alerting(tmp_path, webhook):
    publish_dir = tmp_path / "published"
    publish(publish_dir, "2021-03", "2021-04-05T05:12:00Z")
    publish(publish_dir, "2021-04", "2026-01-01T00:00:00Z")  # a backfill, years later

    @dg.asset(key=PUBLICATION, partitions_def=monthly_partitions)
    def publication() -> None:
        return None

    def run(month):
        result = dg.materialize(
            [publication, published_by_deadline], partition_key=month,
            resources={"otp": OtpSettings(publish_dir=str(publish_dir))},
        )  # fmt: skip
        [evaluation] = result.get_asset_check_evaluations()
        return evaluation

    assert run("2021-03").passed
    late = run("2021-04")
    assert not late.passed and late.severity == dg.AssetCheckSeverity.WARN
    assert webhook == []
