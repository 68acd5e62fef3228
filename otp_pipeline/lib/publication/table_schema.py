"""The Table Schema of a published table, read from the yml beside its dbt mart.

One source of truth: each mart's yml (`dbt_project/models/marts/<table>.yml`) holds its
columns in contract order, their types (the enforced dbt contract) and, in each column's
`config.meta`, what a consumer reads about it:

    description_fr   the French sentence published as the field's description
    enum             fixed codes the column takes
    enum_from        more codes: `{seed: <seed>, column: <column>}` reads them from a dbt
                     seed; a bare name (`secteurs_avenir`) takes them from the publication,
                     which passes them in by that name (they depend on the month's files)
    pattern          a regular expression every value matches (months: YYYY-MM)
    minimum          the smallest value (counts: 0)

and in the model's `config.meta`: `description_fr` (the table's) and `primary_key` (the
grain of contract §7, the columns rows are matched on). `required` comes from the dbt
`not_null` constraints. tests/lib/publication/test_table_schema.py holds all this equal to
the dbt constraints, the GX value sets and `tables.TABLES`.
"""

import csv
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import yaml

from otp_pipeline.lib.paths import DBT_PROJECT_DIR, REFERENTIAL_DIR
from otp_pipeline.lib.publication.tables import Table

MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"
# dbt data types of the published columns as Table Schema types.
FIELD_TYPES = {"varchar": "string", "bigint": "integer", "double": "number"}
# The types tables.TABLES writes, as the same Table Schema types.
ARROW_FIELD_TYPES = {"string": "string", "int64": "integer", "double": "number"}
CONSTRAINT_KEYS = ("pattern", "minimum")
# The C parser when PyYAML has it: a month's publication reads each yml several times.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SchemaError(ValueError):
    """A mart's yml does not describe its published table (columns, types, enums)."""


def model(name: str, models_dir: Path = MARTS_DIR) -> dict:
    """The yml entry of the dbt model `name` (`models_dir/<name>.yml`)."""
    path = Path(models_dir) / f"{name}.yml"
    for entry in _yaml(path).get("models") or []:
        if entry.get("name") == name:
            return entry
    raise SchemaError(f"{path}: no model named {name}")


def meta(entry: dict) -> dict:
    """The `config.meta` of a model or column entry of a dbt yml (empty when absent)."""
    return dict((entry.get("config") or {}).get("meta") or {})


def primary_key(table: Table, models_dir: Path = MARTS_DIR) -> tuple[str, ...]:
    """The columns a row of `table` is identified by: its model's `meta.primary_key`."""
    key = meta(model(table.name, models_dir)).get("primary_key")
    if not key or not set(key) <= set(table.column_names):
        raise SchemaError(f"{table.name}: meta.primary_key must name columns, got {key!r}")
    return tuple(key)


def table_schema(
    table: Table,
    enums: Mapping[str, Sequence[str]] | None = None,
    models_dir: Path = MARTS_DIR,
) -> dict:
    """The Table Schema (Frictionless v2) of `table`: fields in contract order, the grain as
    primary key, an empty field as the missing value.

    `enums` supplies the codes of each `enum_from` that is a bare name; one missing is an
    error (a schema that let any code through would mislead its reader).
    """
    entry = model(table.name, models_dir)
    columns = entry.get("columns") or []
    described = tuple(
        (column["name"], FIELD_TYPES.get(column.get("data_type"))) for column in columns
    )
    expected = tuple((name, ARROW_FIELD_TYPES[kind]) for name, kind in table.columns)
    if described != expected:
        raise SchemaError(
            f"{table.name}: its yml describes {described}, the publication writes {expected}"
        )
    return {
        "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
        "fields": [_field(column, enums or {}) for column in columns],
        "primaryKey": list(primary_key(table, models_dir)),
        "missingValues": [""],
    }


def table_description(table: Table, models_dir: Path = MARTS_DIR) -> str | None:
    """The French description of `table` (its model's `meta.description_fr`)."""
    return meta(model(table.name, models_dir)).get("description_fr")


def column_enum(column_meta: dict, enums: Mapping[str, Sequence[str]]) -> list[str] | None:
    """The codes a column takes by its meta (`enum` and `enum_from`), sorted; None if no enum."""
    if "enum" not in column_meta and "enum_from" not in column_meta:
        return None
    codes = set(column_meta.get("enum") or [])
    source = column_meta.get("enum_from")
    if isinstance(source, dict):
        codes |= seed_values(source["seed"], source["column"])
    elif source is not None:
        if source not in enums:
            raise SchemaError(f"the codes of {source!r} were not supplied to the publication")
        codes |= set(enums[source])
    return sorted(codes)


def seed_values(seed: str, column: str, seeds_dir: Path = REFERENTIAL_DIR) -> set[str]:
    """Every value of `column` in the dbt seed `seed`, read with the seed's own delimiter."""
    delimiter = ","
    config_path = Path(seeds_dir) / f"{seed}.yml"
    if config_path.is_file():
        for entry in _yaml(config_path).get("seeds") or []:
            if entry.get("name") == seed:
                delimiter = (entry.get("config") or {}).get("delimiter", delimiter)
    path = Path(seeds_dir) / f"{seed}.csv"
    columns = _seed_columns(path, delimiter, *_version(path))
    if column not in columns:
        raise SchemaError(f"seed {seed} has no column {column}")
    return set(columns[column])


def not_null(column: dict) -> bool:
    """Whether the dbt contract of a column says not null."""
    return any(c.get("type") == "not_null" for c in column.get("constraints") or [])


def _field(column: dict, enums: Mapping[str, Sequence[str]]) -> dict:
    column_meta = meta(column)
    field = {"name": column["name"], "type": FIELD_TYPES[column["data_type"]]}
    if column_meta.get("description_fr"):
        field["description"] = column_meta["description_fr"]
    constraints = {key: column_meta[key] for key in CONSTRAINT_KEYS if key in column_meta}
    codes = column_enum(column_meta, enums)
    if codes:  # a list named at publication may be empty (no sectors file): no constraint
        constraints["enum"] = codes
    if not_null(column):
        constraints["required"] = True
    if constraints:
        field["constraints"] = constraints
    return field


def _yaml(path: Path) -> dict:
    """A yml file's document, parsed again only when the file changed."""
    return _parsed_yaml(Path(path), *_version(path))


def _version(path: Path) -> tuple[int, int]:
    stat = Path(path).stat()
    return stat.st_mtime_ns, stat.st_size


@cache
def _parsed_yaml(path: Path, mtime_ns: int, size: int) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=YAML_LOADER) or {}  # a safe loader, C or Python


@cache
def _seed_columns(path: Path, delimiter: str, mtime_ns: int, size: int) -> dict[str, tuple]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        rows = list(reader)
        return {name: tuple(row[name] for row in rows) for name in reader.fieldnames or []}
