"""Benchmarks of a month's run against the plain DuckDB baseline; writes results.json.

    .venv/bin/python bench/run_bench.py --scales 1,10 --month 2021-03 --repeats 3
    .venv/bin/python bench/run_bench.py --quick            # one repeat, scale 1, no extras

For each scale: demo data (generated once under bench/data/), the baseline (median of
`--repeats`), the pipeline cold (empty warehouse: loads every month up to M) and warm
(earlier months loaded: the run of M only, `--repeats` times), both compared with the
baseline's tables. Extras: `--overheads`, `--profile`, `--backfill 2021-01:2022-12`,
`--history 36` (months 1, 12 and 36 through Dagster's CLI, each after the months before
it, at `--history-scale`; bench/history.py).
Results are merged into `results.json` (a partial run keeps the other keys) and the
tables of RESULTS.md are regenerated from it.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from baseline import months_up_to  # noqa: E402
from compare import compare_month  # noqa: E402
from history import bench_history, ensure_history_data  # noqa: E402
from measure import load_average, run_measured  # noqa: E402
from month_costs import (  # noqa: E402
    FIRST_MONTH,
    FIXED_COST_SCALE,
    bench_clean_month,
    bench_fixed_cost,
)
from pipeline_run import (  # noqa: E402
    PROJECT_ROOT,
    VENV_BIN,
    ensure_demo,
    rows_read,
    run_pipeline,
    step_of_dbt,
)
from report import write_report  # noqa: E402

PYTHON = str(VENV_BIN / "python")


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def scale_name(scale: float, clean: bool = False) -> str:
    return f"s{scale:g}{'_clean' if clean else ''}".replace(".", "_")


def ensure_data(data_root: Path, scale: float, month: str, clean: bool = False) -> dict:
    """Demo landing folder for the months up to `month` (`clean`: UTF-8, no bad row, no
    duplicate, no revision, only `month`); generated once, timed."""
    months = [month] if clean else months_up_to(month)
    return ensure_demo(data_root / scale_name(scale, clean), months, scale, clean)


def run_baseline_measured(landing: Path, month: str, out: Path, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        command = [PYTHON, str(BENCH_DIR / "baseline.py"), "--landing", str(landing),
                   "--month", month, "--out", str(out)]  # fmt: skip
        measured = run_measured(command, cwd=PROJECT_ROOT)
        if measured.returncode != 0:
            raise RuntimeError(measured.output_tail)
        summary = json.loads(measured.output_tail.strip().splitlines()[-1])
        runs.append({**_public(measured.__dict__), "summary": summary})
    return _summarise(runs)


def _public(measured: dict) -> dict:
    return {k: v for k, v in measured.items() if k != "output_tail"}


def _summarise(runs: list[dict]) -> dict:
    return {
        "repeats": len(runs),
        "wall_s": _median([r["wall_s"] for r in runs]),
        "cpu_s": _median([r["cpu_s"] for r in runs]),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        "load": [r["load_before"] for r in runs],
        "runs": runs,
    }


def _pipeline_summary(result: dict) -> dict:
    run = result["runs"][-1] if result["runs"] else {}
    keep = {k: v for k, v in result.items() if k not in ("output_tail", "runs", "dbt")}
    return {**keep, "last_run": run, "dbt_split": step_of_dbt(run, result["dbt"]) if run else {}}


def bench_scale(scale: float, month: str, repeats: int, out: Path, data_root: Path) -> dict:
    data = ensure_data(data_root, scale, month)
    landing = Path(data["landing"])
    name = scale_name(scale)
    base_out = out / "baseline" / name / month
    baseline = run_baseline_measured(landing, month, base_out, repeats)
    work = out / "work" / name
    shutil.rmtree(work, ignore_errors=True)
    cold = _pipeline_summary(run_pipeline(landing, work, month))
    rows_all = rows_read(work, None)
    warm_runs = [_pipeline_summary(run_pipeline(landing, work, month)) for _ in range(repeats)]
    rows_month = rows_read(work, month)
    comparison = compare_month(work / "published" / month, base_out)
    warm = _summarise(warm_runs)
    result = {
        "scale": scale, "month": month, "data": data,
        "rows_month": rows_month, "rows_all_months": rows_all,
        "baseline": baseline, "pipeline_cold": cold, "pipeline_warm": warm,
        "comparison": comparison,
    }  # fmt: skip
    all_rows = sum(rows_all.values())
    result["derived"] = {
        "baseline_rows_per_s": round(all_rows / baseline["wall_s"]),
        "cold_rows_per_s": round(all_rows / cold["wall_s"]),
        "warm_rows_per_s": round(sum(rows_month.values()) / warm["wall_s"]),
        "ratio_cold_to_baseline": round(cold["wall_s"] / baseline["wall_s"], 2),
        "ratio_warm_to_baseline": round(warm["wall_s"] / baseline["wall_s"], 2),
    }
    return result


def bench_ingestion_only(scale: float, month: str, out: Path, data_root: Path) -> dict:
    """Baseline plus the ingestion part of the pipeline only (no Dagster, no dbt): for CI."""
    data = ensure_data(data_root, scale, month)
    landing = Path(data["landing"])
    name = scale_name(scale)
    base_out = out / "baseline" / name / month
    baseline = run_baseline_measured(landing, month, base_out, 1)
    work = out / "work" / f"ingestion_{name}"
    shutil.rmtree(work, ignore_errors=True)
    warehouse = work / "warehouse" / "otp.duckdb"
    command = [PYTHON, str(BENCH_DIR / "ingest_only.py"), "--landing", str(landing),
               "--month", month, "--warehouse", str(warehouse)]  # fmt: skip
    measured = run_measured(command, cwd=PROJECT_ROOT)
    if measured.returncode != 0:
        raise RuntimeError(measured.output_tail)
    summary = json.loads(measured.output_tail.strip().splitlines()[-1])
    return {
        "scale": scale, "month": month, "data": data, "baseline": baseline,
        "pipeline_ingestion": {**_public(measured.__dict__), "summary": summary,
                               "warehouse": str(warehouse)},
        "rows_all_months": rows_read(work, None),
        "baseline_dir": str(base_out),
    }  # fmt: skip


def bench_backfill(months: str, out: Path, data_root: Path, repeats: int = 3) -> dict:
    """The backfill of `months` at scale 1 (one Dagster run), against one month's run.

    One month's run, two ways: the monthly run of the last month once the history is
    loaded (what the schedule does every month: it rebuilds the facts over every month),
    and the first month on an empty warehouse (the smallest possible run). Medians of
    `repeats`; the backfill itself once (it is the long one).
    """
    first, last = months.split(":")
    landing = Path(ensure_data(data_root, 1.0, last)["landing"])
    work = out / "work" / "backfill_s1_runbench"
    shutil.rmtree(work, ignore_errors=True)
    result = run_pipeline(landing, work, months)
    monthly = [run_pipeline(landing, work, last) for _ in range(repeats)]
    first_alone = []
    for index in range(repeats):
        alone = out / "work" / f"backfill_s1_first_month_{index}"
        shutil.rmtree(alone, ignore_errors=True)
        first_alone.append(run_pipeline(landing, alone, first))
    monthly_s = _median([run["wall_s"] for run in monthly])
    first_s = _median([run["wall_s"] for run in first_alone])
    return {
        **_public(result), "months": months, "runs": len(result["runs"]),
        "per_run_steps": [run.get("steps", {}) for run in result["runs"]],
        "month_run": {
            "month": last, "wall_s": monthly_s,
            "cpu_s": _median([run["cpu_s"] for run in monthly]),
            "peak_rss_mib": max(run["peak_rss_mib"] for run in monthly),
            "loads": [run["load_before"] for run in monthly],
        },
        "first_month_run": {
            "month": first, "wall_s": first_s,
            "cpu_s": _median([run["cpu_s"] for run in first_alone]),
            "peak_rss_mib": max(run["peak_rss_mib"] for run in first_alone),
            "loads": [run["load_before"] for run in first_alone],
        },
        "ratio_to_month_run": round(result["wall_s"] / monthly_s, 2),
        "ratio_to_first_month_run": round(result["wall_s"] / first_s, 2),
    }  # fmt: skip


def bench_profile(scale: float, month: str, out: Path, data_root: Path) -> dict:
    """A warm run of `month` under cProfile (the Dagster process; dbt is a subprocess)."""
    import pstats

    landing = data_root / scale_name(scale)
    work = out / "work" / f"profile_{scale_name(scale)}"
    shutil.rmtree(work, ignore_errors=True)
    earlier = months_up_to(month)
    run_pipeline(landing, work, f"{earlier[0]}:{earlier[-1]}")
    profile = out / f"profile_{scale_name(scale)}.pstats"
    result = run_pipeline(landing, work, month, profile=profile)
    stats = pstats.Stats(str(profile))
    top = []
    for (file, line, function), row in stats.stats.items():
        top.append({"function": f"{Path(file).name}:{line}:{function}",
                    "cumulative_s": round(row[3], 3), "own_s": round(row[2], 3)})  # fmt: skip
    top.sort(key=lambda entry: entry["cumulative_s"], reverse=True)
    with open(out / f"profile_{scale_name(scale)}.txt", "w") as handle:
        pstats.Stats(str(profile), stream=handle).sort_stats("cumulative").print_stats(60)
    return {"scale": scale, "month": month, "wall_s": result["wall_s"],
            "load": result["load_before"], "top_cumulative": top[:60]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1", help="comma list, e.g. 1,10")
    parser.add_argument(
        "--month", "--months", dest="month", default="2021-03",
        help="the month M timed; earlier months are the warm-up (2021-01 .. M-1)",
    )  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one repeat, no extras")
    parser.add_argument("--overheads", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--backfill", default=None, help="months of a scale-1 backfill")
    parser.add_argument("--skip-scales", action="store_true", help="only the extras")
    parser.add_argument(
        "--history", type=int, default=None,
        help="months of clean history: month 1 alone, then 12 and this one after the rest",
    )  # fmt: skip
    parser.add_argument("--history-scale", type=float, default=1.0)
    parser.add_argument(
        "--fixed-cost", action="store_true",
        help="a ~1,000-row month through Dagster's CLI against the stack floor",
    )  # fmt: skip
    parser.add_argument(
        "--clean-scale", type=float, default=None,
        help="one clean month at this scale through Dagster's CLI against the baseline",
    )  # fmt: skip
    parser.add_argument(
        "--ingestion-only", action="store_true",
        help="baseline + the pipeline's ingestion only (no Dagster, no dbt): the CI smoke run",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "out")
    parser.add_argument("--data", type=Path, default=BENCH_DIR / "data")
    parser.add_argument("--report", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    args.out.mkdir(parents=True, exist_ok=True)
    results_path = args.out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else {}
    results.setdefault("scales", {})
    results["machine"] = {
        "cores": _cores(), "python": sys.version.split()[0],
        "load_at_start": load_average(), "commit": _commit(),
    }  # fmt: skip

    def save() -> None:
        results_path.write_text(json.dumps(results, indent=1, default=str))

    if not args.skip_scales:
        for text in args.scales.split(","):
            scale = float(text)
            print(f"scale {scale:g}, month {args.month} (load {load_average()})", flush=True)
            if args.ingestion_only:
                results.setdefault("ingestion_only", {})[scale_name(scale)] = bench_ingestion_only(
                    scale, args.month, args.out, args.data
                )
            else:
                results["scales"][scale_name(scale)] = bench_scale(
                    scale, args.month, repeats, args.out, args.data
                )
            save()
    if args.fixed_cost:
        data = ensure_data(args.data, FIXED_COST_SCALE, FIRST_MONTH)
        print(f"fixed cost (load {load_average()})", flush=True)
        results["fixed_cost"] = {
            "data": data,
            **bench_fixed_cost(Path(data["landing"]), args.out, repeats),
        }
        save()
    if args.clean_scale:
        data = ensure_data(args.data, args.clean_scale, FIRST_MONTH, clean=True)
        print(f"clean month x{args.clean_scale:g} (load {load_average()})", flush=True)
        results.setdefault("clean_month", {})[scale_name(args.clean_scale, True)] = {
            "data": data,
            **bench_clean_month(
                Path(data["landing"]), args.clean_scale, args.out, repeats,
                run_baseline_measured, compare_month,
            ),
        }  # fmt: skip
        save()
    if args.overheads and not args.quick:
        from overheads import measure_overheads

        results["overheads"] = measure_overheads(repeats)
        save()
    if args.profile and not args.quick:
        results["profile"] = bench_profile(1.0, args.month, args.out, args.data)
        save()
    if args.backfill and not args.quick:
        results["backfill"] = bench_backfill(args.backfill, args.out, args.data, repeats)
        save()
    if args.history:
        data = ensure_history_data(args.data, args.history_scale, args.history)
        results["history"] = {
            "scale": args.history_scale, "data": data,
            **bench_history(Path(data["landing"]), args.out / "work" / "history",
                            args.history, repeats),
        }  # fmt: skip
        save()
    if not args.no_report:
        write_report(results, args.report, BENCH_DIR)
    print(f"wrote {results_path}")
    return 0


def _commit() -> str:
    """The commit measured, `+` when the work tree differs from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, cwd=BENCH_DIR
        ).stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + ("+" if dirty else "")


def _cores() -> int:
    return int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or 0)


if __name__ == "__main__":
    sys.exit(main())
