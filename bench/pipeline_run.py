"""One timed `otp-pipeline run` (or Dagster CLI run) in a bench folder, and where its time
went.

The phases come from what the run leaves behind: Dagster's event log (SQLite under
DAGSTER_HOME) gives run planning and each step; dbt's JSON log (`dbt.log` in the
warehouse's `dbt_target/`) splits the dbt step into start, parse (none since dbt runs on
the stored parse: 0) and build.
"""

import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from measure import Measured, run_measured

PROJECT_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"


def bench_env(landing: Path, work: Path) -> dict:
    """The environment `make run` sets, pointed at bench folders."""
    work = work.resolve()
    home = work / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    return dict(
        os.environ,
        OTP_LANDING_DIR=str(landing.resolve()),
        OTP_WAREHOUSE=str(work / "warehouse" / "otp.duckdb"),
        OTP_PUBLISH_DIR=str(work / "published"),
        DAGSTER_HOME=str(home),
        PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}",
    )


def ensure_demo(landing: Path, months: list[str], scale: float, clean: bool) -> dict:
    """Demo landing folder of `months` (consecutive) in `landing` (`clean`: UTF-8, no bad
    row, no duplicate, no revision); generated once, timed."""
    wanted = [landing / "si_pe", landing / "imilo", landing / "objectifs"]
    if all(folder.is_dir() and any(folder.iterdir()) for folder in wanted):
        present = {p.name[4:11] for p in (landing / "si_pe").iterdir()}
        if all(m in present for m in months):
            return {"landing": str(landing), "generated_now": False}
    command = [
        str(VENV_BIN / "otp-pipeline"), "demo-data", "--out", str(landing),
        "--months", f"{months[0]}:{months[-1]}", "--scale", f"{scale:g}", "--seed", "7",
        *(["--clean"] if clean else []),
    ]  # fmt: skip
    measured = run_measured(command, cwd=PROJECT_ROOT)
    if measured.returncode != 0:
        raise RuntimeError(measured.output_tail)
    return {"landing": str(landing), "generated_now": True, "generation_s": measured.wall_s,
            "load": measured.load_before}  # fmt: skip


def run_pipeline(
    landing: Path, work: Path, months: str, profile: Path | None = None, cli: bool = False
) -> dict:
    """Run the months in one process (as `make run` does, or, with `cli`, one month as
    Dagster's own CLI does: the contract's command); timings, memory and phases."""
    work = work.resolve()
    env = bench_env(landing, work)
    command = [str(VENV_BIN / "otp-pipeline"), "run", "--months", months]
    if cli:
        command = [
            str(VENV_BIN / "dagster"), "asset", "materialize", "-m", "otp_pipeline.definitions",
            "--select", "*", "--partition", months,
        ]  # fmt: skip
    if profile is not None:
        command = [str(VENV_BIN / "python"), "-m", "cProfile", "-o", str(profile), *command]
    started = datetime.now(UTC).timestamp()
    measured: Measured = run_measured(command, env=env, cwd=PROJECT_ROOT)
    if measured.returncode != 0:
        raise RuntimeError(f"pipeline run failed:\n{measured.output_tail}")
    # DAGSTER_HOME keeps earlier runs of this folder: only this process's runs count.
    runs = [run for run in dagster_phases(work / "dagster_home") if run["first_event"] >= started]
    last = runs[-1] if runs else {}
    phases = {}
    if last:
        first_run = runs[0]
        phases["process_start_to_first_event_s"] = first_run["first_event"] - started
        phases["end_of_run_to_process_exit_s"] = started + measured.wall_s - last["end"]
    return {
        **measured.__dict__,
        "runs": runs,
        "phases": phases,
        "dbt": dbt_phases(work / "warehouse" / "dbt_target" / "dbt.log"),
    }


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def dagster_phases(home: Path) -> list[dict]:
    """Per run, in start order: planning (events written before the run starts) and steps."""
    runs = []
    for path in sorted((home / "history" / "runs").glob("*.db")):
        if path.name == "index.db":
            continue
        with sqlite3.connect(path) as con:
            events = con.execute(
                "select dagster_event_type, step_key, timestamp, partition from event_logs "
                "where dagster_event_type is not null order by id"
            ).fetchall()
        if not events:
            continue
        times = {"steps": {}}
        partition = next((e[3] for e in events if e[3]), None)
        first, start, end = _epoch(events[0][2]), None, _epoch(events[-1][2])
        planned = sum(1 for e in events if e[0].endswith("_PLANNED"))
        step_start = {}
        for kind, step, stamp, _ in events:
            if kind == "PIPELINE_START":
                start = _epoch(stamp)
            elif kind == "STEP_START":
                step_start[step] = _epoch(stamp)
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
                times["steps"][step] = round(_epoch(stamp) - step_start[step], 3)
        runs.append({
            "partition": partition, "first_event": first, "end": end,
            "planning_s": round((start or first) - first, 3), "planned_events": planned,
            "events": len(events), "run_s": round(end - (start or first), 3),
            "steps": times["steps"],
        })  # fmt: skip
    return sorted(runs, key=lambda run: run["first_event"])


def dbt_phases(log: Path) -> list[dict]:
    """Per dbt invocation: start → 'Running with dbt' → 'Found …' (parsed) → last line."""
    invocations: dict[str, dict] = {}
    if not log.is_file():
        return []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            info = json.loads(line)["info"]
        except (ValueError, KeyError, TypeError):  # a text line, or JSON that is no event
            continue
        entry = invocations.setdefault(info["invocation_id"], {"first": None, "found": None})
        stamp = _epoch(info["ts"].rstrip("Z"))
        entry["first"] = entry["first"] or stamp
        if info.get("name") == "FoundStats":
            entry["found"] = stamp
        entry["last"] = stamp
    phases = []
    for entry in sorted(invocations.values(), key=lambda e: e["first"]):
        parsed = entry["found"] or entry["first"]
        phases.append({
            "start": entry["first"],
            "parse_s": round(parsed - entry["first"], 3),
            "build_s": round(entry["last"] - parsed, 3),
        })  # fmt: skip
    return phases


def rows_read(work: Path, month: str | None) -> dict:
    """Data rows read per source from raw.deliveries: one month, or every loaded month."""
    with duckdb.connect(str(work / "warehouse" / "otp.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select source, sum(rows_read) from raw.deliveries "
            "where $month is null or mois = $month group by source",
            {"month": month},
        ).fetchall()
    return {source: int(count) for source, count in rows}


def step_of_dbt(run: dict, dbt: list[dict]) -> dict:
    """Split a run's dbt step: waiting for dbt to start, dbt parse, dbt build and tests."""
    step = run["steps"].get("otp_dbt_models")
    mine = [d for d in dbt if run["first_event"] <= d["start"] <= run["end"]]
    if step is None or not mine:
        return {}
    invocation = mine[-1]
    return {
        "dbt_step_s": step,
        "dbt_parse_s": invocation["parse_s"],
        "dbt_build_and_tests_s": invocation["build_s"],
        "dbt_process_start_and_dagster_events_s": round(
            step - invocation["parse_s"] - invocation["build_s"], 3
        ),
    }
