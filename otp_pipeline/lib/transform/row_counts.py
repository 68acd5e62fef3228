"""Rows of each month in a dbt table: what each month's partition of its asset shows.

A model says which column holds the month a row counts in (`config.meta.month_column` in
its yml: `mois` for the marts and fct_prescriptions, `mois_entree` for fct_entrees). Counted
once dbt has let the warehouse go: dbt-duckdb holds the file while it builds.
"""

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path

from otp_pipeline.lib.months import months_between
from otp_pipeline.lib.warehouse import connect


@dataclass(frozen=True)
class MonthlyRelation:
    """A dbt table and the column holding each row's month."""

    schema: str
    name: str
    month_column: str


def monthly_relations(manifest: Mapping) -> dict[str, MonthlyRelation]:
    """Every model of a dbt manifest (its JSON as a dict) that names its `month_column`,
    by unique id."""
    relations = {}
    for unique_id, node in (manifest.get("nodes") or {}).items():
        column = ((node.get("config") or {}).get("meta") or {}).get("month_column")
        if node.get("resource_type") == "model" and column:
            name = node.get("alias") or node["name"]
            relations[unique_id] = MonthlyRelation(node["schema"], name, column)
    return relations


def month_row_counts(
    warehouse: Path, relations: Mapping[Hashable, MonthlyRelation], first: str, last: str
) -> dict[Hashable, dict[str, int]]:
    """For each relation, its rows of every month from `first` to `last` (0 for none)."""
    months = months_between(first, last)
    counts = {}
    with connect(warehouse) as con:
        for key, relation in relations.items():
            column = _quote(relation.month_column)
            # Identifiers come from the project's own dbt manifest; the months are parameters.
            sql = (
                f"select {column}, count(*) from {_quote(relation.schema)}.{_quote(relation.name)}"
                f" where {column} between ? and ? group by {column}"
            )
            found = dict(con.execute(sql, [first, last]).fetchall())
            counts[key] = {month: int(found.get(month, 0)) for month in months}
    return counts


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
