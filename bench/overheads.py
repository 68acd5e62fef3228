"""The fixed cost of a run, piece by piece: imports, dbt parse, GX context.

Each piece runs in a fresh process so that nothing is already imported or cached, and is
reported as the median of `repeats` runs, with the load average seen.
"""

import json
import os
import statistics
import tempfile
from pathlib import Path

from measure import run_measured

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
DBT = str(PROJECT_ROOT / ".venv" / "bin" / "dbt")
DBT_DIR = PROJECT_ROOT / "dbt_project"

IMPORTS = {
    "python_start": "pass",
    "import_dagster": "import dagster",
    "import_dagster_dbt": "import dagster_dbt",
    "import_great_expectations": "import great_expectations",
    "import_duckdb_pyarrow": "import duckdb, pyarrow",
    "load_definitions": "import otp_pipeline.definitions",
}
GX_CONTEXT = (
    "import time, sys; import great_expectations as gx; t = time.perf_counter(); "
    "gx.get_context(mode='file', project_root_dir=sys.argv[1]); "
    "print(time.perf_counter() - t)"
)


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def _timed(command: list[str], env: dict | None = None) -> tuple[float, str, str, float]:
    measured = run_measured(command, env=env, cwd=PROJECT_ROOT)
    if measured.returncode != 0:
        raise RuntimeError(f"{command}: {measured.output_tail}")
    return measured.wall_s, measured.load_before, measured.output_tail, measured.cpu_s


def measure_overheads(repeats: int = 3) -> dict:
    """Wall seconds of each fixed cost (median), and the load averages seen."""
    results: dict[str, dict] = {}
    for name, code in IMPORTS.items():
        runs = [_timed([PYTHON, "-c", code]) for _ in range(repeats)]
        results[name] = {
            "s": _median([r[0] for r in runs]),
            "cpu_s": _median([r[3] for r in runs]),
            "load": runs[0][1],
        }
    with tempfile.TemporaryDirectory(prefix="bench-overheads-") as tmp:
        env = dict(os.environ, OTP_WAREHOUSE=str(Path(tmp) / "otp.duckdb"))
        base = [DBT, "parse", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]
        target = ["--target-path", str(Path(tmp) / "target")]
        cold = _timed([*base, *target], env)
        warm = _timed([*base, *target], env)
        var_runs = []
        for month in ("2021-01", "2021-02"):
            variables = json.dumps({"mois": month, "seuil_remplissage": 0.9})
            var_runs.append(_timed([*base, *target, "--vars", variables], env))
        results["dbt_parse_cold"] = {"s": cold[0], "cpu_s": cold[3], "load": cold[1]}
        results["dbt_parse_partial_same_vars"] = {"s": warm[0], "cpu_s": warm[3], "load": warm[1]}
        results["dbt_parse_after_vars_change"] = {
            "s": var_runs[1][0], "cpu_s": var_runs[1][3], "load": var_runs[1][1],
        }  # fmt: skip
        version = _timed([DBT, "--version"])
        results["dbt_version_process_only"] = {
            "s": version[0], "cpu_s": version[3], "load": version[1],
        }  # fmt: skip
        gx_root = Path(tmp) / "gx_project"
        gx_root.mkdir()
        first = _timed([PYTHON, "-c", GX_CONTEXT, str(gx_root)])
        again = _timed([PYTHON, "-c", GX_CONTEXT, str(gx_root)])
        results["gx_context_create"] = {"s": round(float(first[2].split()[-1]), 3),
                                        "load": first[1]}  # fmt: skip
        results["gx_context_open"] = {"s": round(float(again[2].split()[-1]), 3),
                                      "load": again[1]}  # fmt: skip
    start = results["python_start"]["s"]
    for name in IMPORTS:
        if name != "python_start":
            results[name]["s_beyond_python_start"] = round(results[name]["s"] - start, 3)
    return results
