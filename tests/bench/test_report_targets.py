"""The targets table of bench/RESULTS.md: each figure against its anchor of the same run.

The figures are made up and the expected ratios worked out by hand.
"""

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH_DIR))

from report import data_cost, tables_markdown  # noqa: E402


def _run(wall: float, cpu: float, rss: float = 500.0) -> dict:
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mib": rss, "load": ["1.0"],
            "rows_read": {"si_pe": 1, "imilo": 1}, "steps": {}}  # fmt: skip


def _results() -> dict:
    floor = {**_run(14.0, 13.0), "imports_s": 10.0, "dbt_version_s": 4.0, "repeats": 3,
             "runs": [{"load": "1.0"}]}  # fmt: skip
    return {
        "machine": {"cores": 2, "python": "3.11.7", "commit": "abc1234"},
        "fixed_cost": {
            "month": "2021-01",
            "scale": 0.01,
            "floor": floor,
            "pipeline": {**_run(18.9, 17.0), "repeats": 3},
            "ratio_wall": 1.35,
            "ratio_cpu": 1.31,
        },
        "clean_month": {
            # (29 - 14) / 5 = 3.0: met at the bound; CPU (33 - 13) / 8 = 2.5.
            "s10_clean": {
                "month": "2021-01",
                "scale": 10,
                "baseline": {**_run(5.0, 8.0), "repeats": 3},
                "pipeline": {**_run(29.0, 33.0, 900), "repeats": 3},
                "ratio_wall": 5.8,
                "ratio_cpu": 4.12,
                "comparison": {},
            },
            # 130 / 40 = 3.25: not met, the floor is not taken off at x100.
            "s100_clean": {
                "month": "2021-01",
                "scale": 100,
                "baseline": {**_run(40.0, 70.0), "repeats": 1},
                "pipeline": {**_run(130.0, 200.0, 1500), "repeats": 1},
                "ratio_wall": 3.25,
                "ratio_cpu": 2.86,
                "comparison": {},
            },
        },
    }


def test_data_cost_is_the_run_less_the_floor_of_the_same_results():
    results = _results()
    cost = data_cost(results, results["clean_month"]["s10_clean"])
    assert cost["wall_s"] == 15.0 and cost["cpu_s"] == 20.0
    assert cost["ratio_wall"] == 3.0 and cost["ratio_cpu"] == 2.5
    del results["fixed_cost"]
    assert data_cost(results, results["clean_month"]["s10_clean"]) is None


def test_targets_table_says_met_or_not_against_each_anchor():
    text = tables_markdown(_results())
    assert "bench code and pipeline at abc1234" in text
    lines = {line.split(" | ")[0]: line for line in text.splitlines() if line.startswith("| ")}
    fixed = next(line for key, line in lines.items() if "1,000-row" in key)
    assert "1.35×" in fixed and fixed.endswith("**met** |")
    x10 = next(line for key, line in lines.items() if "×10 clean month" in key)
    assert "3.00× ((29.00 − 14.00) s against 5.00 s)" in x10 and x10.endswith("**met** |")
    x100 = next(line for key, line in lines.items() if "×100 clean month" in key)
    assert "3.25×" in x100 and x100.endswith("**not met** |")
