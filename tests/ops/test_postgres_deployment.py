"""The shared deployment for real: deploy/dagster-postgres.yaml as DAGSTER_HOME/dagster.yaml
on a real PostgreSQL server (Debian's, started here), the connection from OTP_DAGSTER_PG_*.

Through that one instance: a CLI backfill of two months; a code server, and a dagster-daemon
that evaluates a sensor tick and a schedule tick and queues their runs one at a time; then a
fresh process that reads the whole history back from PostgreSQL.
"""

import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
import yaml
from dagster_services import catch_up_from, service, switch_on, wait_for_code_server
from feeds import IMILO_HEADER, OBJECTIVES_HEADER, SI_PE_HEADER, ais_row, imilo_row, write_file
from postgres_server import free_port, postgres_server

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
INSTANCE_FILE = PROJECT_ROOT / "deploy" / "dagster-postgres.yaml"
MONTHS = ("2021-01", "2021-02")
PG_VARIABLES = {
    "hostname": "OTP_DAGSTER_PG_HOST", "port": "OTP_DAGSTER_PG_PORT",
    "db_name": "OTP_DAGSTER_PG_DB", "username": "OTP_DAGSTER_PG_USER",
    "password": "OTP_DAGSTER_PG_PASSWORD",
}  # fmt: skip
WAITING = {"QUEUED", "NOT_STARTED"}
IN_PROGRESS = {"STARTING", "STARTED", "CANCELING"}


def last_schedule_tick(now: datetime) -> datetime:
    """The latest tick of monthly_schedule (the 5th at 07:00, Paris) at or before `now`."""
    paris = now.astimezone(ZoneInfo("Europe/Paris"))
    tick = paris.replace(day=5, hour=7, minute=0, second=0, microsecond=0)
    if tick > paris:
        tick = (tick.replace(day=1) - timedelta(days=1)).replace(day=5)
    return tick


def month_before(moment: datetime) -> str:
    first = moment.replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


# --- the instance file ------------------------------------------------------------------


def test_instance_file_takes_every_connection_setting_from_the_environment():
    config = yaml.safe_load(INSTANCE_FILE.read_text(encoding="utf-8"))
    assert config["storage"]["postgres"]["postgres_db"] == {
        key: {"env": name} for key, name in PG_VARIABLES.items()
    }


def test_instance_file_limits_runs_to_one_with_the_concurrency_keys_of_dagster_1_13():
    from dagster._config import validate_config
    from dagster._core.instance.config import dagster_instance_config_schema

    config = yaml.safe_load(INSTANCE_FILE.read_text(encoding="utf-8"))
    # `run_queue` is superseded by `concurrency > runs` (Dagster's concurrency guide).
    assert "run_queue" not in config and "run_coordinator" not in config
    assert config["concurrency"] == {"runs": {"max_concurrent_runs": 1}}
    outcome = validate_config(dagster_instance_config_schema(), config)
    assert outcome.success, outcome.errors


# --- a PostgreSQL server and a DAGSTER_HOME on the instance file -------------------------


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """A running PostgreSQL, DAGSTER_HOME/dagster.yaml copied from deploy/, a landing folder
    with two months, and the environment every process of the deployment gets."""
    root = tmp_path_factory.mktemp("shared")
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_bytes(INSTANCE_FILE.read_bytes())
    landing = root / "landing"
    for month in MONTHS:
        day = f"04/{month[5:]}/{month[:4]}"
        write_file(landing / "si_pe" / f"ais_{month}.csv",
                   [SI_PE_HEADER, *(ais_row(id_ais=f"A{month}-{i}", prescription=day) for i in range(30))])  # fmt: skip
        write_file(landing / "imilo" / f"imilo_{month}.csv",
                   [IMILO_HEADER, imilo_row(id_prescription=f"M{month}", prescription=f"{month}-04")])  # fmt: skip
    write_file(landing / "objectifs" / "objectifs_otp.csv",
               [OBJECTIVES_HEADER, "11;2021-01;2021-12;1;1;1;1"])  # fmt: skip
    with postgres_server() as server:
        env = {
            **os.environ, **server.env(), "DAGSTER_HOME": str(home),
            "OTP_LANDING_DIR": str(landing), "OTP_WAREHOUSE": str(root / "warehouse" / "otp.duckdb"),
            "OTP_PUBLISH_DIR": str(root / "published"), "PATH": f"{BIN}:{os.environ['PATH']}",
        }  # fmt: skip
        yield root, env


def _python(code: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "python"), "-c", code], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


LOAD_INSTANCE = """
import json, warnings
import dagster as dg
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    with dg.DagsterInstance.get() as instance:
        queue = instance.get_concurrency_config().run_queue_config
        facts = {"run_storage": type(instance.run_storage).__name__,
                 "event_log_storage": type(instance.event_log_storage).__name__,
                 "schedule_storage": type(instance.schedule_storage).__name__,
                 "run_coordinator": type(instance.run_coordinator).__name__,
                 "max_concurrent_runs": queue.max_concurrent_runs}
print(json.dumps({"facts": facts, "warnings": [str(w.message) for w in caught]}))
"""


def test_instance_loads_on_postgres_without_any_warning(deployment):
    _, env = deployment
    loaded = _python(LOAD_INSTANCE, env)
    assert loaded.returncode == 0, loaded.stderr
    outcome = json.loads(loaded.stdout)
    assert outcome["facts"] == {
        "run_storage": "PostgresRunStorage", "event_log_storage": "PostgresEventLogStorage",
        "schedule_storage": "PostgresScheduleStorage", "run_coordinator": "QueuedRunCoordinator",
        "max_concurrent_runs": 1,
    }  # fmt: skip
    assert outcome["warnings"] == []
    assert loaded.stderr == "", "Dagster logged a warning while loading the instance"


def test_a_missing_connection_variable_is_named_at_start(deployment):
    _, env = deployment
    without_port = {k: v for k, v in env.items() if k != "OTP_DAGSTER_PG_PORT"}
    loaded = _python(LOAD_INSTANCE, without_port)
    assert loaded.returncode != 0
    assert 'environment variable "OTP_DAGSTER_PG_PORT" which is not set' in loaded.stderr


# --- the deployment at work: CLI, code server, daemon, and a fresh reader -----------------


def _ticks(instance) -> dict[str, list]:
    return {
        state.instigator_name: instance.get_ticks(state.instigator_origin_id, state.selector_id)
        for state in instance.all_instigator_state()
    }


def _wait_until_started(instance, backfill: subprocess.Popen) -> None:
    """Until the CLI backfill's run is in progress in PostgreSQL (or already over)."""
    deadline = time.monotonic() + 180
    while backfill.poll() is None and not instance.get_runs(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])
    ):
        assert time.monotonic() < deadline, "the CLI backfill did not start"
        time.sleep(0.5)


def _watch_daemon(instance, daemon: subprocess.Popen, backfill: subprocess.Popen, root) -> int:
    """Wait for the daemon's sensor and schedule ticks, for the end of the CLI backfill and
    for the queue to start one of the ticks' runs, then watch the queue a few iterations
    more. Returns the most runs seen in progress at once."""
    deadline = time.monotonic() + 300
    most, settled_at = 0, None
    while settled_at is None or time.monotonic() < settled_at + 6:
        assert daemon.poll() is None, (root / "daemon.log").read_text()
        assert time.monotonic() < deadline, (_ticks(instance), (root / "daemon.log").read_text())
        ticks = _ticks(instance)
        done = [t for name in ("landing_sensor", "monthly_schedule") for t in ticks.get(name, [])
                if t.status.value == "SUCCESS"]  # fmt: skip
        statuses = [run.status.value for run in instance.get_runs()]
        most = max(most, sum(status in IN_PROGRESS for status in statuses))
        if settled_at is None and len(done) == 2 and backfill.poll() is not None:
            runs = [instance.get_run_by_id(run_id) for tick in done for run_id in tick.run_ids]
            if any(run.status.value not in WAITING for run in runs):
                settled_at = time.monotonic()
        time.sleep(1)
    return most


READ_HISTORY = """
import json
import dagster as dg
with dg.DagsterInstance.get() as instance:
    runs = [{"id": r.run_id, "job": r.job_name, "status": r.status.value,
             "tags": {k: v for k, v in r.tags.items() if k.startswith(("dagster/", "otp/"))}}
            for r in instance.get_runs()]
    ticks = [{"name": s.instigator_name, "type": s.instigator_type.value, "status": t.status.value,
              "run_ids": list(t.run_ids), "timestamp": t.timestamp}
             for s in instance.all_instigator_state()
             for t in instance.get_ticks(s.instigator_origin_id, s.selector_id)]
    states = {s.instigator_name: s.status.value for s in instance.all_instigator_state()}
    print(json.dumps({"storage": type(instance.run_storage).__name__, "runs": runs,
                      "ticks": ticks, "states": states,
                      "heartbeats": sorted(instance.get_daemon_heartbeats())}))
"""


@pytest.fixture(scope="module")
def history(deployment):
    """Run the deployment, stop it, and return what a fresh process reads from PostgreSQL
    (plus the most runs seen in progress at once while the daemon ran)."""
    root, env = deployment
    grpc_port = free_port()
    grpc = ["--grpc-host", "127.0.0.1", "--grpc-port", str(grpc_port)]
    tick = last_schedule_tick(datetime.now(ZoneInfo("UTC")))
    with ExitStack() as services, pytest.MonkeyPatch.context() as patch:
        for name in PG_VARIABLES.values():
            patch.setenv(name, env[name])
        # The CLI backfill runs while the code server loads, the schedule and the sensor are
        # switched on and the daemon ticks: the ticks' runs wait in the queue until it ends.
        backfill = services.enter_context(service(
            "backfill", [BIN / "otp-pipeline", "run", "--months", f"{MONTHS[0]}:{MONTHS[-1]}"],
            env, root,
        ))  # fmt: skip
        code_server = services.enter_context(service(
            "code_server", [BIN / "dagster", "code-server", "start", "-h", "127.0.0.1",
                            "-p", grpc_port, "-m", "otp_pipeline.definitions",
                            "--location-name", "otp_pipeline"], env, root,
        ))  # fmt: skip
        wait_for_code_server(grpc_port, code_server, root)
        switch_on(grpc, env)
        with dg.DagsterInstance.from_config(str(env["DAGSTER_HOME"])) as instance:
            catch_up_from(instance, tick.timestamp() - 60)
            # Before its run is recorded, the backfill is invisible to the queue.
            _wait_until_started(instance, backfill)
            daemon = services.enter_context(
                service("daemon", [BIN / "dagster-daemon", "run", *grpc], env, root)
            )
            most_in_progress = _watch_daemon(instance, daemon, backfill, root)
        assert backfill.wait() == 0, (root / "backfill.log").read_text()
    # Daemon and code server stopped: what is left is in PostgreSQL alone.
    read = _python(READ_HISTORY, env)
    assert read.returncode == 0, read.stderr
    return {**json.loads(read.stdout), "most_in_progress": most_in_progress,
            "scheduled_month": month_before(tick), "daemon_log": (root / "daemon.log").read_text()}  # fmt: skip


def _runs_of(history: dict, tick: dict) -> list[dict]:
    runs = {run["id"]: run for run in history["runs"]}
    return [runs[run_id] for run_id in tick["run_ids"]]


def _tick(history: dict, name: str) -> dict:
    [tick] = [t for t in history["ticks"] if t["name"] == name]
    return tick


def test_a_fresh_process_reads_the_cli_backfill_from_postgres(history):
    assert history["storage"] == "PostgresRunStorage"
    [backfill] = [r for r in history["runs"] if "dagster/asset_partition_range_start" in r["tags"]]
    assert backfill["job"] == "otp_monthly" and backfill["status"] == "SUCCESS"
    assert backfill["tags"]["dagster/asset_partition_range_start"] == MONTHS[0]
    assert backfill["tags"]["dagster/asset_partition_range_end"] == MONTHS[-1]


def test_the_daemon_records_a_sensor_tick_that_requests_each_delivered_month(history):
    tick = _tick(history, "landing_sensor")
    assert tick["type"] == "SENSOR" and tick["status"] == "SUCCESS"
    runs = _runs_of(history, tick)
    assert sorted(run["tags"]["dagster/partition"] for run in runs) == list(MONTHS)
    assert {run["tags"]["dagster/sensor_name"] for run in runs} == {"landing_sensor"}
    assert history["states"]["landing_sensor"] == "RUNNING"


def test_the_daemon_catches_up_the_missed_schedule_tick_for_the_previous_month(history):
    tick = _tick(history, "monthly_schedule")
    assert tick["type"] == "SCHEDULE" and tick["status"] == "SUCCESS"
    [run] = _runs_of(history, tick)
    assert run["tags"]["dagster/schedule_name"] == "monthly_schedule"
    assert run["tags"]["dagster/partition"] == history["scheduled_month"]
    assert history["states"]["monthly_schedule"] == "RUNNING"


def test_the_daemon_starts_the_requested_runs_one_at_a_time(history):
    requested = [run for name in ("landing_sensor", "monthly_schedule")
                 for run in _runs_of(history, _tick(history, name))]  # fmt: skip
    assert len(requested) == 3
    assert history["most_in_progress"] <= 1
    # They waited for the CLI backfill, then went one at a time: the daemon stopped while
    # the first was running, the others still wait in the queue.
    assert sum(run["status"] not in WAITING for run in requested) >= 1
    assert sum(run["status"] == "QUEUED" for run in requested) >= 1


def test_the_daemon_heartbeats_into_postgres_without_deprecation_warnings(history):
    assert {"SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR"} <= set(history["heartbeats"])
    assert "deprecat" not in history["daemon_log"].lower()
