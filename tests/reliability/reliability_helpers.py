"""Helpers of the reliability tests: a small landing folder, job runs in process or in a
subprocess (as an operator runs them), and fingerprints of a publish folder."""

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
from feeds import IMILO_HEADER, OBJECTIVES_HEADER, SI_PE_HEADER, ais_row, imilo_row, write_file

from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.warehouse import warehouse_lock

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MONTH = "2021-01"
SECRET_PERSON = "PERSON-SECRET-123"
SECRET_JEUNE = "JEUNE-SECRET-456"
SECRET_BIRTH_DMY, SECRET_BIRTH_ISO = "17/03/1999", "1999-03-17"


def ais_lines(rows: int = 40, bad: int = 1) -> list[str]:
    """`rows` AIS of January 2021 (a duplicate and `bad` bad dates among them)."""
    lines = [SI_PE_HEADER]
    for i in range(rows - bad - 1):
        lines.append(ais_row(
            id_ais=f"AIS-{i:03d}", individu=f"{SECRET_PERSON}-{i:03d}", naissance=SECRET_BIRTH_DMY,
            departement=("75", "69", "13")[i % 3], prescripteur=("PE", "ML", "")[i % 3],
            prescription="10/01/2021", statut="ENTREE" if i % 4 == 0 else "PRESCRITE",
            entree="20/01/2021" if i % 4 == 0 else "",
        ))  # fmt: skip
    lines.append(lines[1])  # an exact duplicate: loaded once, counted
    lines += [ais_row(id_ais=f"AIS-BAD-{i}", individu=SECRET_PERSON, naissance="31/02/1999",
                      prescription="10/01/2021") for i in range(bad)]  # fmt: skip
    return lines


def imilo_lines(rows: int = 20, bad: int = 1) -> list[str]:
    lines = [IMILO_HEADER]
    for i in range(rows - bad):
        lines.append(imilo_row(
            id_prescription=f"MILO-{i:03d}", jeune=f"{SECRET_JEUNE}-{i:03d}",
            naissance=SECRET_BIRTH_ISO, departement=("75", "69")[i % 2],
            prescription="2021-01-12",
        ))  # fmt: skip
    lines += [imilo_row(id_prescription=f"MILO-BAD-{i}", jeune=SECRET_JEUNE,
                        naissance=SECRET_BIRTH_ISO, departement="96",
                        prescription="2021-01-12") for i in range(bad)]  # fmt: skip
    return lines


OBJECTIVES = [OBJECTIVES_HEADER, "11;2021-01;2021-12;100;10;50;40", "84;2021-01;2021-12;80;8;40;30"]


def write_good_landing(landing: Path) -> None:
    for name in ("si_pe", "imilo", "objectifs"):
        (landing / name).mkdir(parents=True, exist_ok=True)
        for old in (landing / name).iterdir():
            old.unlink()
    write_file(landing / "si_pe" / f"ais_{MONTH}.csv", ais_lines())
    write_file(landing / "imilo" / f"imilo_{MONTH}.csv", imilo_lines())
    write_file(landing / "objectifs" / "objectifs_otp.csv", OBJECTIVES)


def settings_for(root: Path) -> OtpSettings:
    return OtpSettings(
        landing_dir=str(root / "landing"), publish_dir=str(root / "published"),
        warehouse=str(root / "warehouse" / "otp.duckdb"),
    )  # fmt: skip


def run_month(root: Path, instance, month: str = MONTH) -> dg.ExecuteInProcessResult:
    """The whole `otp_monthly` job for one month, in process, as the e2e tests run it."""
    from otp_pipeline.definitions import defs

    return defs.resolve_job_def("otp_monthly").execute_in_process(
        partition_key=month, instance=instance, resources={"otp": settings_for(root)},
        raise_on_error=False,
    )  # fmt: skip


def fingerprint(folder: Path, skip_manifest: bool = False) -> dict[str, str]:
    """SHA-256 of every file under `folder`, by relative path."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(Path(folder).rglob("*"))
        if path.is_file() and not (skip_manifest and path.name == "manifest.json")
    }


def cli_env(root: Path) -> dict[str, str]:
    """Environment of an operator's run: OTP_* and DAGSTER_HOME in `root`."""
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    venv_bin = str(Path(sys.executable).parent)
    return {
        **os.environ, "DAGSTER_HOME": str(home), "OTP_LANDING_DIR": str(root / "landing"),
        "OTP_PUBLISH_DIR": str(root / "published"),
        "OTP_WAREHOUSE": str(root / "warehouse" / "otp.duckdb"),
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1",
    }  # fmt: skip


def start_cli_run(root: Path, log: Path, month: str = MONTH) -> subprocess.Popen:
    """`otp-pipeline run --months M --verbose` in its own process group, output to `log`
    (verbose: dbt's log streams there, as the tests wait for its lines)."""
    handle = open(log, "wb")  # noqa: SIM115 - closed by the caller through the process
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "otp-pipeline"), "run", "--months", month, "--verbose"],
        cwd=PROJECT_ROOT, env=cli_env(root), stdout=handle, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


# --- Crash safety: runs killed with SIGKILL, and what they leave behind ---------------------

TABLE_SUFFIXES = (".csv", ".parquet")  # manifest.json and rapport.html carry produced_at


def start_logged(command: list[str], root: Path, log: Path) -> subprocess.Popen:
    """`command`, from the project root with `cli_env(root)`, in its own process group
    (so that a kill reaches its children, dbt included), output to `log`."""
    with open(log, "wb") as handle:  # the child keeps its own descriptor
        return subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=cli_env(root), stdout=handle,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def start_materialize(root: Path, log: Path, select: str, month: str = MONTH) -> subprocess.Popen:
    """`dagster asset materialize --select <select> --partition M`, as `start_logged`."""
    dagster = str(Path(sys.executable).parent / "dagster")
    command = [dagster, "asset", "materialize", "-m", "otp_pipeline.definitions",
               "--select", select, "--partition", month]  # fmt: skip
    return start_logged(command, root, log)


def log_tail(log: Path, chars: int = 4000) -> str:
    return Path(log).read_bytes()[-chars:].decode("utf-8", "replace")


def wait_for_output(
    process: subprocess.Popen,
    log: Path,
    marker: str,
    timeout: float = 300.0,
    watch: Path | None = None,
) -> None:
    """Poll `log` (or the file `watch`) until it holds `marker`. Fails, showing the log's
    end, if the process ends first or time runs out (then its process group is killed)."""
    deadline = time.monotonic() + timeout
    needle, watched = marker.encode("utf-8"), Path(watch or log)
    while not (watched.exists() and needle in watched.read_bytes()):
        if process.poll() is not None:
            raise AssertionError(
                f"ended ({process.returncode}) before {marker!r}:\n{log_tail(log)}"
            )
        if time.monotonic() > deadline:
            kill_group(process)
            raise AssertionError(f"no {marker!r} after {timeout:g} s:\n{log_tail(log)}")
        time.sleep(0.05)


def group_alive(group: int) -> bool:
    """Whether a process of process group `group` still runs (zombies excepted)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended while we looked
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
        state, _, pgrp = text[text.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == group and state not in ("Z", "X"):
            return True
    return False


def kill_group(process: subprocess.Popen, timeout: float = 60.0) -> None:
    """SIGKILL the process and every process of its group (dbt included); wait until all
    are gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while group_alive(process.pid):
        if time.monotonic() > deadline:
            raise AssertionError(f"process group {process.pid} still alive after SIGKILL")
        time.sleep(0.05)


def table_fingerprint(folder: Path) -> dict[str, str]:
    """SHA-256 of every published table file (CSV, Parquet) of a month folder."""
    return {name: digest for name, digest in fingerprint(folder).items()
            if name.endswith(TABLE_SUFFIXES)}  # fmt: skip


def first_publication(publish_dir: Path, month: str = MONTH) -> Path:
    """The first publication of a month: its oldest vintage, or the current folder if it
    was never replaced."""
    vintages = Path(publish_dir) / "_vintages" / month
    kept = sorted(vintages.iterdir()) if vintages.is_dir() else []
    return kept[0] if kept else Path(publish_dir) / month


RAW_ROW_COUNTS = {
    "si_pe": "select mois, count(*) from raw.si_pe group by mois",
    "imilo": "select mois, count(*) from raw.imilo group by mois",
}


def warehouse_accounting(warehouse: Path) -> dict[tuple[str, str], dict[str, tuple]]:
    """Per (source, month): what `raw.deliveries` says was loaded and quarantined, and what
    `raw.<source>` and `raw.quarantine` hold. Opens the file read-write (a WAL left by a
    killed writer is replayed) under its writer lock, which must be free within 10 s."""
    found: dict[tuple[str, str], dict[str, tuple]] = {}
    with warehouse_lock(warehouse, wait_seconds=10), duckdb.connect(str(warehouse)) as con:
        schemas = con.sql("select schema_name from information_schema.schemata").fetchall()
        if ("raw",) not in schemas:
            return found
        accounting = con.sql(
            "select source, mois, rows_loaded, rows_quarantined from raw.deliveries"
        ).fetchall()
        for source, month, loaded, quarantined in accounting:
            found.setdefault((source, month), {})["deliveries"] = (loaded, quarantined)
        held = {key: [0, 0] for key in found}
        for source, sql in RAW_ROW_COUNTS.items():
            for month, count in con.sql(sql).fetchall():
                held.setdefault((source, month), [0, 0])[0] = count
        quarantine = "select source, mois, count(*) from raw.quarantine group by all"
        for source, month, count in con.sql(quarantine).fetchall():
            held.setdefault((source, month), [0, 0])[1] = count
        for key, (rows, quarantined) in held.items():
            found.setdefault(key, {"deliveries": None})["held"] = (rows, quarantined)
    return found


def assert_warehouse_consistent(warehouse: Path) -> dict[tuple[str, str], dict[str, tuple]]:
    """The warehouse opens, its lock is free, and every source-month's accounting matches
    its rows: rows_loaded = count(*) of raw.<source>, rows_quarantined = its quarantine."""
    accounting = warehouse_accounting(warehouse)
    wrong = {key: value for key, value in accounting.items()
             if value["deliveries"] != value["held"]}  # fmt: skip
    assert not wrong, f"raw.deliveries disagrees with the rows held: {wrong}"
    return accounting
