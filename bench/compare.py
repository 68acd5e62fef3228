"""Differences between the pipeline's published tables and the baseline's, for one month."""

import math
from pathlib import Path

import pyarrow.parquet as pq

GRAINS = {
    "prescriptions_mensuelles": (
        "mois", "code_region", "source", "reseau_prescripteur", "tranche_age",
    ),
    "suivi_otp": ("mois", "code_region", "indicateur"),
    "qualite_prescripteur": ("mois", "code_region"),
}  # fmt: skip
DOUBLE_TOLERANCE = 1e-9


def _rows(path: Path, grain: tuple[str, ...]) -> dict[tuple, dict]:
    table = pq.read_table(path).to_pylist()
    return {tuple(row[column] for column in grain): row for row in table}


def _same(left, right) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=DOUBLE_TOLERANCE, abs_tol=DOUBLE_TOLERANCE)
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return left == right


def compare_month(published: Path, baseline: Path) -> dict:
    """Per table: rows on each side, rows on one side only, and differing cells (examples)."""
    report = {}
    for table, grain in GRAINS.items():
        pipeline = _rows(published / f"{table}.parquet", grain)
        base = _rows(baseline / f"{table}.parquet", grain)
        only_pipeline = sorted(set(pipeline) - set(base))
        only_baseline = sorted(set(base) - set(pipeline))
        cells, examples = 0, []
        for key in sorted(set(pipeline) & set(base)):
            for column, value in pipeline[key].items():
                if not _same(value, base[key].get(column)):
                    cells += 1
                    if len(examples) < 5:
                        examples.append(
                            {"key": list(key), "column": column,
                             "pipeline": value, "baseline": base[key].get(column)}
                        )  # fmt: skip
        report[table] = {
            "rows_pipeline": len(pipeline),
            "rows_baseline": len(base),
            "rows_only_pipeline": [list(k) for k in only_pipeline[:5]],
            "rows_only_pipeline_count": len(only_pipeline),
            "rows_only_baseline": [list(k) for k in only_baseline[:5]],
            "rows_only_baseline_count": len(only_baseline),
            "cells_differing": cells,
            "examples": examples,
            "equal": not only_pipeline and not only_baseline and cells == 0,
        }
    return report
