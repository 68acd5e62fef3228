"""The monthly schedule and the landing sensor, evaluated the way the daemon does."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from feeds import IMILO_HEADER, SI_PE_HEADER, ais_row, imilo_row, write_file

from otp_pipeline.definitions import defs
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


@pytest.fixture(scope="module")
def instance():
    """A real instance (the sensor context refuses an ephemeral one), shared: a tick only
    reads it."""
    with dg.instance_for_test() as instance:
        yield instance


def _tick(instance, landing, publish, cursor=None):
    """One evaluation of the sensor as the daemon makes it, resolved against the project's
    job. Returns (partition, range, run key) per request, and the new cursor."""
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs,
        resources={"otp": OtpSettings(landing_dir=str(landing), publish_dir=str(publish))},
    )  # fmt: skip
    result = landing_sensor.evaluate_tick(context)
    requests = [
        (r.tags.get("dagster/partition"), r.partition_key_range, r.run_key)
        for r in result.run_requests or []
    ]
    return requests, result.cursor


def _publish_months(landing, publish, months):
    for month in months:
        _deliver(landing, month)
        (publish / month).mkdir(parents=True)


def test_sensor_requests_a_new_delivery_once(instance, landing, tmp_path):
    _deliver(landing)
    runs, cursor = _tick(instance, landing, tmp_path / "pub")
    assert [(month, window) for month, window, _ in runs] == [("2021-01", None)]
    assert "ais_2021-01.csv@" in runs[0][2] and "imilo_2021-01.csv@" in runs[0][2]
    assert _tick(instance, landing, tmp_path / "pub", cursor)[0] == []  # same files: nothing


def test_sensor_waits_for_both_feeds(landing, tmp_path):
    write_file(
        landing / "si_pe" / "ais_2021-01.csv", [SI_PE_HEADER, ais_row(prescription="10/01/2021")]
    )
    plan = plan_runs(landing, [], None)
    assert plan.runs == [] and plan.reports == ["month 2021-01 waits for imilo"]


def test_sensor_revision_requests_one_range_run_to_the_last_published_month(
    instance, landing, tmp_path
):
    publish = tmp_path / "pub"
    _publish_months(landing, publish, ("2021-01", "2021-02", "2021-03"))
    (publish / ".tmp-2021-04-x").mkdir()  # a publication under way is not a published month
    _, cursor = _tick(instance, landing, publish)
    _deliver(landing, "2021-02", "_r2", ids=("A1", "A2"))
    runs, cursor = _tick(instance, landing, publish, cursor)
    [(partition, window, key)] = runs
    assert (partition, window) == (None, dg.PartitionKeyRange("2021-02", "2021-03"))
    assert key.startswith("2021-02|") and "ais_2021-02_r2.csv@" in key
    assert _tick(instance, landing, publish, cursor)[0] == []


def test_sensor_revision_of_the_last_published_month_is_a_run_of_that_month(
    instance, landing, tmp_path
):
    publish = tmp_path / "pub"
    _publish_months(landing, publish, ("2021-01", "2021-02"))
    _, cursor = _tick(instance, landing, publish)
    _deliver(landing, "2021-02", "_r2", ids=("A1", "A2"))
    [(partition, window, _)] = _tick(instance, landing, publish, cursor)[0]
    assert (partition, window) == ("2021-02", None)


def test_sensor_revision_and_new_month_in_one_tick(instance, landing, tmp_path):
    """Two revisions make one range from the earlier; a new month after it runs alone."""
    publish = tmp_path / "pub"
    _publish_months(landing, publish, ("2021-01", "2021-02", "2021-03"))
    _, cursor = _tick(instance, landing, publish)
    _deliver(landing, "2021-03", "_r2", ids=("A1", "A3"))
    _deliver(landing, "2021-01", "_r2", ids=("A1", "A2"))
    _deliver(landing, "2021-04")
    runs, _ = _tick(instance, landing, publish, cursor)
    assert [(partition, window) for partition, window, _ in runs] == [
        (None, dg.PartitionKeyRange("2021-01", "2021-03")), ("2021-04", None),
    ]  # fmt: skip
    assert "ais_2021-01_r2.csv@" in runs[0][2] and "ais_2021-03_r2.csv@" in runs[0][2]


def test_revision_range_has_the_run_key_of_its_file(landing, tmp_path):
    """The range run of a revision has the key a run of that month alone would have: after
    a lost cursor, Dagster still refuses to run the same file again."""
    publish = tmp_path / "pub"
    _publish_months(landing, publish, ("2021-01", "2021-02"))
    cursor = plan_runs(landing, ["2021-01", "2021-02"], None).cursor
    _deliver(landing, "2021-01", "_r2", ids=("A1", "A2"))
    [revision] = plan_runs(landing, ["2021-01", "2021-02"], cursor).runs
    assert (revision.first, revision.last) == ("2021-01", "2021-02")
    lost = plan_runs(landing, ["2021-01", "2021-02"], None).runs
    assert revision.key in [run.key for run in lost]


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
