"""The monthly schedule and the landing sensor, evaluated the way the daemon does."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
from feeds import IMILO_HEADER, SI_PE_HEADER, ais_row, imilo_row, write_file

from otp_pipeline.defs.operations.schedules import monthly_schedule
from otp_pipeline.defs.operations.sensors import landing_sensor
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.operations.watch import plan_runs


def test_schedule_tick_requests_the_previous_month():
    tick = datetime(2022, 1, 5, 7, 0, tzinfo=ZoneInfo("Europe/Paris"))
    context = dg.build_schedule_context(scheduled_execution_time=tick)
    request = monthly_schedule(context)
    assert (request.partition_key, request.run_key) == ("2021-12", "schedule-2021-12")
    assert monthly_schedule.execution_timezone == "Europe/Paris"
    assert monthly_schedule.cron_schedule == "0 7 5 * *"


def _deliver(landing, month="2021-01", revision="", ids=("A1",)):
    day = f"10/{month[5:]}/{month[:4]}"
    write_file(landing / "si_pe" / f"ais_{month}{revision}.csv",
               [SI_PE_HEADER, *(ais_row(id_ais=i, prescription=day) for i in ids)])  # fmt: skip
    write_file(landing / "imilo" / f"imilo_{month}.csv",
               [IMILO_HEADER, imilo_row(prescription=f"{month}-10")])  # fmt: skip


def _tick(landing, publish, cursor=None):
    context = dg.build_sensor_context(
        cursor=cursor,
        resources={"otp": OtpSettings(landing_dir=str(landing), publish_dir=str(publish))},
    )
    result = landing_sensor(context)
    return [(r.partition_key, r.run_key) for r in result.run_requests or []], result.cursor


def test_sensor_requests_a_new_delivery_once(landing, tmp_path):
    _deliver(landing)
    runs, cursor = _tick(landing, tmp_path / "pub")
    assert [month for month, _ in runs] == ["2021-01"]
    assert "ais_2021-01.csv@" in runs[0][1] and "imilo_2021-01.csv@" in runs[0][1]
    assert _tick(landing, tmp_path / "pub", cursor)[0] == []  # same files: nothing


def test_sensor_waits_for_both_feeds(landing, tmp_path):
    write_file(
        landing / "si_pe" / "ais_2021-01.csv", [SI_PE_HEADER, ais_row(prescription="10/01/2021")]
    )
    plan = plan_runs(landing, [], None)
    assert plan.runs == [] and plan.reports == ["month 2021-01 waits for imilo"]


def test_sensor_revision_requests_the_month_and_later_published_months(landing, tmp_path):
    publish = tmp_path / "pub"
    for month in ("2021-01", "2021-02", "2021-03"):
        _deliver(landing, month)
        (publish / month).mkdir(parents=True)
    (publish / ".tmp-2021-04-x").mkdir()
    _, cursor = _tick(landing, publish)
    _deliver(landing, "2021-02", "_r2", ids=("A1", "A2"))
    runs, cursor = _tick(landing, publish, cursor)
    assert [month for month, _ in runs] == ["2021-02", "2021-03"]
    assert "ais_2021-02_r2.csv@" in runs[0][1]
    assert len({key for _, key in runs}) == 2
    assert _tick(landing, publish, cursor)[0] == []


def test_sensor_reports_months_before_2021_and_bad_names(landing, tmp_path):
    _deliver(landing, "2020-12")
    write_file(landing / "si_pe" / "AIS_2021-01.csv", [SI_PE_HEADER])
    plan = plan_runs(landing, [], None)
    assert plan.runs == []
    assert "ignored si_pe/ais_2020-12.csv: month before 2021-01" in plan.reports
    assert "ignored si_pe/AIS_2021-01.csv: not a delivery name" in plan.reports


def test_sensor_cursor_skips_rehashing_unchanged_files(landing):
    _deliver(landing)
    cursor = plan_runs(landing, [], None).cursor
    files = json.loads(cursor)["files"]
    assert all(len(entry[2]) == 64 for entry in files.values())
