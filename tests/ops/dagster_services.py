"""Dagster's long-running processes for tests (CLI, code server, daemon), each in its own
process group and stopped by PID, and the instance steps the shared-deployment test takes
between them."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@contextmanager
def service(name: str, command: list, env: dict, root: Path):
    """A dagster process in its own process group, its output in `<root>/<name>.log`, stopped
    whole by PID at the end (run workers and dbt are its children), even when the test fails."""
    log = open(root / f"{name}.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [str(part) for part in command], cwd=PROJECT_ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        yield process
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group, SIGKILL if it is still there after 20 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for_code_server(port: int, process: subprocess.Popen, root: Path) -> None:
    """Until the code server answers its gRPC health check (it loads the project first)."""
    deadline = time.monotonic() + 120
    while True:
        ping = subprocess.run(
            [str(BIN / "dagster"), "api", "grpc-health-check", "--host", "127.0.0.1",
             "--port", str(port)],
            capture_output=True, timeout=30,
        )  # fmt: skip
        if ping.returncode == 0:
            return
        assert process.poll() is None, (root / "code_server.log").read_text()
        assert time.monotonic() < deadline, "the code server did not start"
        time.sleep(0.5)


def switch_on(grpc: list[str], env: dict) -> None:
    """`dagster schedule start` and `dagster sensor start`, side by side: both start stopped."""
    commands = [["schedule", "start", "monthly_schedule"], ["sensor", "start", "landing_sensor"]]
    started = [
        subprocess.Popen([str(BIN / "dagster"), *command, *grpc], env=env, cwd=PROJECT_ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for command in commands
    ]  # fmt: skip
    for process in started:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, output


def catch_up_from(instance, moment: float) -> None:
    """Move the schedule's start back to `moment`, as if it had been switched on then and the
    daemon had been down at its last tick: on its first iteration the daemon evaluates the
    missed tick (up to max_catchup_runs). A schedule started now would tick next month."""
    from dagster._core.scheduler.instigation import InstigatorType, ScheduleInstigatorData

    [state] = [s for s in instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE)
               if s.instigator_name == "monthly_schedule"]  # fmt: skip
    data = ScheduleInstigatorData(state.instigator_data.cron_schedule, start_timestamp=moment)
    instance.update_instigator_state(state.with_data(data))
