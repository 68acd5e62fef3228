"""The DuckDB warehouse file: connections and the raw schema.

DuckDB allows one writer per file across processes, and dbt runs as a subprocess: every
connection here lives in a `with` block that closes it, never across a dbt step.
"""

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REFERENTIAL_DIR = PROJECT_ROOT / "dbt_project" / "seeds"


def sql_text(name: str) -> str:
    """A packaged SQL file of `otp_pipeline/sql/`."""
    return resources.files("otp_pipeline.sql").joinpath(name).read_text(encoding="utf-8")


@contextmanager
def connect(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the warehouse, closed on exit even after an error."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        yield con


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(sql_text("raw_schema.sql"))


def _referential_codes(file_name: str, column: str) -> frozenset[str]:
    with open(REFERENTIAL_DIR / file_name, encoding="utf-8", newline="") as handle:
        return frozenset(row[column] for row in csv.DictReader(handle))


def department_codes() -> frozenset[str]:
    """Every `DEP` of the shipped INSEE referential (COG 2024)."""
    return _referential_codes("ref_departements.csv", "DEP")


def region_codes() -> frozenset[str]:
    """Every `REG` of the shipped INSEE referential (COG 2024)."""
    return _referential_codes("ref_regions.csv", "REG")
