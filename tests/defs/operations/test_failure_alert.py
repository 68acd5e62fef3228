"""The run-failure sensor: a clear alert (month, step, reason) in the log and to a webhook."""

import http.server
import json
import logging
import threading

import dagster as dg
import yaml

from otp_pipeline.defs.ingestion.assets import si_pe
from otp_pipeline.defs.operations.sensors import alert_text, failure_alert
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.thresholds import PROJECT_ROOT
from otp_pipeline.runner import RANGE_END, RANGE_START


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        length = int(self.headers["Content-Length"])
        _Hook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):  # keep test output quiet
        pass


def _failed_run(landing, warehouse, instance):
    settings = OtpSettings(landing_dir=str(landing), warehouse=str(warehouse))
    result = dg.materialize(
        [si_pe], partition_key="2021-04", resources={"otp": settings}, instance=instance,
        raise_on_error=False,
    )  # fmt: skip
    assert not result.success
    return result


def test_failure_alert_names_month_step_and_reason_and_posts_to_the_webhook(
    landing, warehouse, monkeypatch, caplog
):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OTP_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            result = _failed_run(landing, warehouse, instance)
            context = dg.build_run_status_sensor_context(
                sensor_name="failure_alert", dagster_instance=instance,
                dagster_run=result.dagster_run, dagster_event=result.get_run_failure_event(),
            ).for_run_failure()  # fmt: skip
            with caplog.at_level(logging.ERROR, logger="otp_pipeline.alerts"):
                failure_alert(context)
    finally:
        server.shutdown()
    expected = "for month 2021-04 failed at step raw__si_pe"
    assert expected in caplog.text
    assert "no delivery of source si_pe for month 2021-01" in caplog.text
    [posted] = _Hook.received
    assert expected in posted["text"]


def test_failure_alert_of_a_backfill_names_its_range_of_months():
    run = dg.DagsterRun(
        job_name="otp_monthly",
        tags={RANGE_START: "2021-01", RANGE_END: "2022-12"},
    )
    text = alert_text(run, "raw__si_pe", "Structural error")
    assert "for month 2021-01..2022-12 failed at step raw__si_pe: Structural error" in text


def test_shipped_instance_configs_are_valid_dagster_instance_yaml():
    from dagster._config import validate_config
    from dagster._core.instance.config import dagster_instance_config_schema

    for name in ("dagster.yaml", "dagster-postgres.yaml"):
        config = yaml.safe_load((PROJECT_ROOT / "deploy" / name).read_text(encoding="utf-8"))
        assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1
        outcome = validate_config(dagster_instance_config_schema(), config)
        assert outcome.success, (name, outcome.errors)
