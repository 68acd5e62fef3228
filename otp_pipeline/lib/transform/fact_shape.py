"""Fact tables built with another column set than their model's contract, dropped before
dbt builds them, so that dbt builds them whole again.

The facts are incremental (dbt_project.yml): a build appends the months a table lacks, and
`on_schema_change: fail` stops a build whose columns changed rather than patch rows built
with the old shape. A fact holds nothing but what raw and the referentials give it, so a
table of an older shape (a warehouse built by an earlier version of the pipeline) is
dropped and rebuilt from raw; the marts, which hold every published month, are never
dropped here.
"""

from collections.abc import Iterable, Mapping

FACTS_FOLDER = "facts"  # dbt_project/models/facts: the models this module may drop


def fact_models(manifest: Mapping) -> dict[str, tuple[str, str, list[str]]]:
    """The incremental fact models of the manifest: unique id → (schema, table, the
    contract's columns in order)."""
    return {
        unique_id: (node["schema"], node["alias"], list(node["columns"]))
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and node["fqn"][1:2] == [FACTS_FOLDER]
        and node["config"]["materialized"] == "incremental"
    }


def drop_outdated_facts(con, manifest: Mapping, unique_ids: Iterable[str]) -> list[str]:
    """Drop the tables of `unique_ids` (fact models) whose columns are not their contract's;
    return their names. A missing table is left to dbt's first build."""
    models = fact_models(manifest)
    dropped = []
    for unique_id in unique_ids:
        if unique_id not in models:
            continue
        schema, table, expected = models[unique_id]
        found = [
            name
            for (name,) in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = $schema and table_name = $table order by ordinal_position",
                {"schema": schema, "table": table},
            ).fetchall()
        ]
        if found and found != expected:
            # Names from the manifest's own models, never from data.
            con.execute(f'drop table "{schema}"."{table}"')
            dropped.append(table)
    return dropped
