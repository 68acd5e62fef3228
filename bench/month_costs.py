"""A month's run as a new user runs it (Dagster's CLI), against what the stack and plain
DuckDB allow.

- **Fixed cost**: a month of about 1,000 rows per feed (scale 0.01), end to end through
  `dagster asset materialize ... --partition M` on an empty warehouse, against the *stack
  floor*: one process importing dagster, dagster_dbt, great_expectations, duckdb and
  pyarrow, plus one `dbt --version`.
- **×10 month**: one month of clean UTF-8 data at scale 10 (about 1 M AIS + 400 k I-Milo
  rows), the same CLI run on an empty warehouse, against the plain DuckDB baseline
  (`baseline.py`) on the same files; the two sets of published tables compared cell for
  cell.

Every case is repeated and its median kept; each run records the peak RSS of its whole
process tree and the load average before it.
"""

import shutil
import statistics
from pathlib import Path

from measure import run_measured
from pipeline_run import PROJECT_ROOT, VENV_BIN, rows_read, run_pipeline, step_of_dbt

STACK_IMPORTS = "import dagster, dagster_dbt, great_expectations, duckdb, pyarrow"
FIXED_COST_SCALE = 0.01
FIRST_MONTH = "2021-01"


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def stack_floor(repeats: int) -> dict:
    """The stack's own start-up: the five imports in one process, plus one `dbt --version`."""
    runs = []
    for _ in range(repeats):
        imports = run_measured([str(VENV_BIN / "python"), "-c", STACK_IMPORTS], cwd=PROJECT_ROOT)
        dbt = run_measured([str(VENV_BIN / "dbt"), "--version"], cwd=PROJECT_ROOT)
        for measured in (imports, dbt):
            if measured.returncode != 0:
                raise RuntimeError(measured.output_tail)
        runs.append({
            "imports_s": imports.wall_s, "dbt_version_s": dbt.wall_s,
            "wall_s": round(imports.wall_s + dbt.wall_s, 3),
            "cpu_s": round(imports.cpu_s + dbt.cpu_s, 3), "load": imports.load_before,
        })  # fmt: skip
    return {
        "repeats": repeats,
        "wall_s": _median([run["wall_s"] for run in runs]),
        "cpu_s": _median([run["cpu_s"] for run in runs]),
        "imports_s": _median([run["imports_s"] for run in runs]),
        "dbt_version_s": _median([run["dbt_version_s"] for run in runs]),
        "runs": runs,
    }


def cli_month_runs(landing: Path, work_root: Path, month: str, repeats: int) -> dict:
    """`repeats` CLI runs of `month`, each on an empty warehouse; medians and the last run's
    phases."""
    runs = []
    for index in range(repeats):
        work = work_root / f"run_{index}"
        shutil.rmtree(work, ignore_errors=True)
        runs.append(run_pipeline(landing, work, month, cli=True))
    last = runs[-1]
    return {
        "repeats": repeats,
        "wall_s": _median([run["wall_s"] for run in runs]),
        "cpu_s": _median([run["cpu_s"] for run in runs]),
        "peak_rss_mib": max(run["peak_rss_mib"] for run in runs),
        "load": [run["load_before"] for run in runs],
        "walls": [run["wall_s"] for run in runs],
        "phases": last["phases"],
        "steps": last["runs"][-1]["steps"] if last["runs"] else {},
        "planning_s": last["runs"][-1]["planning_s"] if last["runs"] else None,
        "dbt_split": step_of_dbt(last["runs"][-1], last["dbt"]) if last["runs"] else {},
        "rows_read": rows_read(work_root / f"run_{repeats - 1}", month),
        "published": str(work_root / f"run_{repeats - 1}" / "published" / month),
    }


def _ratios(pipeline: dict, reference: dict) -> dict:
    """The pipeline's medians over the reference's, wall and CPU."""
    return {
        "ratio_wall": round(pipeline["wall_s"] / reference["wall_s"], 2),
        "ratio_cpu": round(pipeline["cpu_s"] / reference["cpu_s"], 2),
    }


def bench_fixed_cost(landing: Path, out: Path, repeats: int) -> dict:
    """The ~1,000-row month through the CLI against the stack floor."""
    floor = stack_floor(repeats)
    pipeline = cli_month_runs(landing, out / "work" / "fixed_cost", FIRST_MONTH, repeats)
    return {
        "month": FIRST_MONTH,
        "scale": FIXED_COST_SCALE,
        "floor": floor,
        "pipeline": pipeline,
        **_ratios(pipeline, floor),
    }


def bench_clean_month(
    landing: Path, scale: float, out: Path, repeats: int, baseline_runner, compare
) -> dict:
    """One clean month at `scale` through the CLI against the baseline on the same files."""
    name = f"s{scale:g}_clean".replace(".", "_")
    base_out = out / "baseline" / name / FIRST_MONTH
    baseline = baseline_runner(landing, FIRST_MONTH, base_out, repeats)
    pipeline = cli_month_runs(landing, out / "work" / name, FIRST_MONTH, repeats)
    comparison = compare(Path(pipeline["published"]), base_out)
    return {
        "month": FIRST_MONTH,
        "scale": scale,
        "baseline": baseline,
        "pipeline": pipeline,
        "comparison": comparison,
        **_ratios(pipeline, baseline),
    }
