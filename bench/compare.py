"""Differences between the pipeline's published tables and the baseline's, for one month.

    python bench/compare.py PUBLISHED/2021-03 BASELINE_OUT

Rows are matched on each table's grain (contract §7, §8, §9); every other cell is compared,
doubles within 1e-9 (relative or absolute), nulls equal only to nulls. Prints the report
as JSON; exits 1 when a table differs.
"""

import json
import math
import sys
from pathlib import Path

import pyarrow.parquet as pq

GRAINS = {
    "prescriptions_mensuelles": (
        "mois", "code_region", "source", "reseau_prescripteur", "tranche_age",
    ),
    "suivi_otp": ("mois", "code_region", "indicateur", "periode_debut"),
    "qualite_prescripteur": ("mois", "code_region"),
    "prescriptions_par_formation": (
        "mois", "code_region", "source", "type_formation", "domaine_professionnel",
        "tranche_age",
    ),
    "projection_otp": ("mois", "code_region", "indicateur", "periode_debut"),
    "prescriptions_secteurs_avenir": (
        "mois", "code_region", "source", "type_formation", "code_secteur", "tranche_age",
    ),
}  # fmt: skip
DOUBLE_TOLERANCE = 1e-9


def _rows(path: Path, grain: tuple[str, ...]) -> dict[tuple, dict]:
    table = pq.read_table(path).to_pylist()
    rows = {tuple(row[column] for column in grain): row for row in table}
    if len(rows) != len(table):
        raise ValueError(f"{path}: {len(table) - len(rows)} rows repeat a grain {grain}")
    return rows


def _same(left, right) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=DOUBLE_TOLERANCE, abs_tol=DOUBLE_TOLERANCE)
    if type(left) is not type(right):
        return False  # 3 and 3.0, or a value and a null, are not the same cell
    return left == right


def compare_table(pipeline_file: Path, baseline_file: Path, grain: tuple[str, ...]) -> dict:
    """Rows on each side, rows on one side only, differing cells (with a few examples)."""
    pipeline = _rows(pipeline_file, grain)
    base = _rows(baseline_file, grain)
    only_pipeline = sorted(set(pipeline) - set(base), key=repr)
    only_baseline = sorted(set(base) - set(pipeline), key=repr)
    cells, examples = 0, []
    columns_missing = sorted(
        set(next(iter(pipeline.values()), {})) - set(next(iter(base.values()), {}))
    )
    for key in sorted(set(pipeline) & set(base), key=repr):
        for column, value in pipeline[key].items():
            other = base[key].get(column)
            if not _same(value, other):
                cells += 1
                if len(examples) < 5:
                    examples.append(
                        {"key": list(key), "column": column,
                         "pipeline": value, "baseline": other}
                    )  # fmt: skip
    return {
        "rows_pipeline": len(pipeline),
        "rows_baseline": len(base),
        "rows_only_pipeline": [list(k) for k in only_pipeline[:5]],
        "rows_only_pipeline_count": len(only_pipeline),
        "rows_only_baseline": [list(k) for k in only_baseline[:5]],
        "rows_only_baseline_count": len(only_baseline),
        "cells_differing": cells,
        "columns_missing_in_baseline": columns_missing,
        "examples": examples,
        "equal": not only_pipeline and not only_baseline and cells == 0,
    }


def compare_month(published: Path, baseline: Path) -> dict:
    """Per table the baseline wrote: `compare_table` of the pipeline's and the baseline's."""
    published, baseline = Path(published), Path(baseline)
    return {
        table: compare_table(published / f"{table}.parquet", baseline / f"{table}.parquet", grain)
        for table, grain in GRAINS.items()
        if (baseline / f"{table}.parquet").is_file()
    }


def main(argv: list[str] | None = None) -> int:
    published, baseline = (Path(arg) for arg in (argv or sys.argv[1:]))
    report = compare_month(published, baseline)
    print(json.dumps(report, indent=1, default=str))
    return 0 if all(diff["equal"] for diff in report.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
