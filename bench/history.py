"""History: what a month's run costs with the months behind it (issue 25's third case).

Clean demo data (`demo-data --clean`) of `count` months from 2021-01 at one scale (scale
1: about 100 k AIS + 40 k I-Milo rows a month, seasonal); the demo's objectives give one
period per region and calendar year, except one region whose first period spans
2021-2022, so every month tracks one period per region. The sectors file of §9 is there.

- **Month 1 alone**: `dagster asset materialize ... --partition 2021-01` on an empty
  warehouse, `repeats` times, each on a fresh folder: the anchor.
- **Month c after c - 1 months** for each checkpoint c of (12, count) up to `count`: the
  months not yet loaded before c in one range run (`otp-pipeline run --months a:b`, what
  a backfill does), the folder kept as it is then, and month c run through Dagster's CLI
  `repeats` times, each on a copy of that folder (so each repeat is month c's first run,
  not a re-run).

The slope is each checkpoint's median against month 1's, in wall and in CPU seconds (the
steadier on a shared machine); the peak RSS (process tree) is
reported for each checkpoint, the last one being issue 25's month 36.
"""

import shutil
import statistics
from pathlib import Path

from measure import load_average
from pipeline_run import ensure_demo, rows_read, run_pipeline

FIRST_MONTH = "2021-01"
CHECKPOINTS = (12,)


def history_months(count: int) -> list[str]:
    """The `count` months from 2021-01."""
    year, number = int(FIRST_MONTH[:4]), int(FIRST_MONTH[5:])
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{number:02d}")
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return months


def checkpoints(count: int) -> list[int]:
    """The months (1-based) timed after their history: 12 when there are more, and the last."""
    return sorted({c for c in CHECKPOINTS if 1 < c < count} | ({count} if count > 1 else set()))


def ensure_history_data(data_root: Path, scale: float, count: int) -> dict:
    """Clean demo data of the `count` months from 2021-01, generated once, timed."""
    landing = data_root / f"s{scale:g}_clean_history_{count}".replace(".", "_")
    return ensure_demo(landing, history_months(count), scale, clean=True)


def _summary(month: str, runs: list[dict]) -> dict:
    return {
        "month": month,
        "repeats": len(runs),
        "wall_s": round(statistics.median(run["wall_s"] for run in runs), 3),
        "cpu_s": round(statistics.median(run["cpu_s"] for run in runs), 3),
        "peak_rss_mib": max(run["peak_rss_mib"] for run in runs),
        "loads": [run["load_before"] for run in runs],
        "walls_s": [run["wall_s"] for run in runs],
        "steps": runs[-1]["runs"][-1]["steps"] if runs[-1]["runs"] else {},
    }


def _cli_runs(landing: Path, prepared: Path | None, root: Path, month: str, repeats: int):
    """`repeats` CLI runs of `month`, each in a fresh copy of `prepared` (or empty)."""
    runs = []
    for index in range(repeats):
        work = root / f"run_{month}_{index}"
        shutil.rmtree(work, ignore_errors=True)
        if prepared is not None:
            shutil.copytree(prepared, work, symlinks=True)
        runs.append(run_pipeline(landing, work, month, cli=True))
        shutil.rmtree(work, ignore_errors=True)
    return runs


def bench_history(landing: Path, root: Path, count: int, repeats: int) -> dict:
    """Month 1 alone, then each checkpoint after the months before it (see the module)."""
    months = history_months(count)
    root = Path(root).resolve()
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    print(f"history: month 1 alone (load {load_average()})", flush=True)
    first = _summary(months[0], _cli_runs(landing, None, root, months[0], repeats))
    history = root / "history"
    loaded, timed, backfills = 0, [], []
    for checkpoint in checkpoints(count):
        if checkpoint - 1 > loaded:
            span = f"{months[loaded]}:{months[checkpoint - 2]}"
            print(f"history: range run {span} (load {load_average()})", flush=True)
            result = run_pipeline(landing, history, span)
            backfills.append({"months": span, "wall_s": result["wall_s"],
                              "peak_rss_mib": result["peak_rss_mib"],
                              "load": result["load_before"]})  # fmt: skip
            loaded = checkpoint - 1
        month = months[checkpoint - 1]
        print(f"history: month {checkpoint} ({month}) (load {load_average()})", flush=True)
        runs = _cli_runs(landing, history, root, month, repeats)
        entry = _summary(month, runs)
        entry["month_number"] = checkpoint
        entry["ratio_to_month_1"] = round(entry["wall_s"] / first["wall_s"], 2)
        entry["cpu_ratio_to_month_1"] = round(entry["cpu_s"] / first["cpu_s"], 2)
        entry["rows_loaded_before"] = rows_read(history, None)
        timed.append(entry)
    last = timed[-1] if timed else first
    return {
        "months": count,
        "month_1": {
            **first,
            "month_number": 1,
            "ratio_to_month_1": 1.0,
            "cpu_ratio_to_month_1": 1.0,
        },
        "checkpoints": timed,
        "range_runs": backfills,
        "slope": {"1": 1.0, **{str(e["month_number"]): e["ratio_to_month_1"] for e in timed}},
        "last_month_peak_rss_mib": last["peak_rss_mib"],
    }


def history_rows(results: dict) -> list[str]:
    """The history case as a Markdown table for RESULTS.md."""
    history = results.get("history")
    if not history:
        return ["Not measured in this run (`run_bench.py --history 36`)."]
    rows = [
        f"Clean demo data at scale {history['scale']:g}, {history['months']} months; each "
        "month through Dagster's CLI, medians of the repeats; peak RSS of the process tree.",
        "",
        "| month | run after | repeats | wall s | CPU s | peak RSS MiB | wall / month 1 "
        "| CPU / month 1 | load avg before |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in [history["month_1"], *history["checkpoints"]]:
        after = "empty warehouse" if entry["month_number"] == 1 else (
            f"{entry['month_number'] - 1} months"
        )  # fmt: skip
        rows.append(
            f"| {entry['month_number']} ({entry['month']}) | {after} | {entry['repeats']} | "
            f"{entry['wall_s']:.1f} | {entry['cpu_s']:.1f} | {entry['peak_rss_mib']:,.0f} | "
            f"{entry['ratio_to_month_1']:.2f} | {entry['cpu_ratio_to_month_1']:.2f} | "
            f"{'; '.join(entry['loads'])} |"
        )
    for run in history["range_runs"]:
        rows.append(
            f"\nRange run {run['months']} (loads the history): {run['wall_s']:.1f} s, peak "
            f"RSS {run['peak_rss_mib']:,.0f} MiB, load {run['load']}."
        )
    return rows
