"""A small hand-written warehouse and the real `dbt build` run on it, one month after the
other, as Dagster runs the partitions. The raw tables are created by the ingestion's own
DDL (otp_pipeline/sql/raw_schema.sql, as in docs/architecture.md): the models are tested
against the schema ingestion really writes."""

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest
from otp_fixture import (
    IMILO_ROWS,
    OBJECTIFS_ROWS,
    OBJECTIFS_ROWS_V2,
    SI_PE_ROWS,
    SI_PE_ROWS_JANVIER_R2,
    formation,
)

from otp_pipeline.lib.ingestion.codes import simple_upper
from otp_pipeline.lib.thresholds import dbt_vars
from otp_pipeline.lib.transform.dbt_build import DbtOutcome, dbt_events
from otp_pipeline.lib.warehouse import ensure_raw_schema

MARTS = (
    "prescriptions_mensuelles", "suivi_otp", "qualite_prescripteur",
    "prescriptions_par_formation", "projection_otp",
)  # fmt: skip


def _formation_as_loaded(row_id: str) -> tuple[str | None, str | None]:
    """type_formation and code_rome as ingestion stores them: trimmed, upper-cased, null
    when empty (otp_pipeline/lib/ingestion/row_checks.py)."""
    return tuple(simple_upper(value.strip()) or None for value in formation(row_id))


def _aged(row: tuple, prescription: int) -> tuple:
    """A fixture row as ingestion stores it: its birth date (third) replaced by the age on
    its date_prescription (at `prescription`), completed years (contract §5)."""
    born, on = date.fromisoformat(row[2]), date.fromisoformat(row[prescription])
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return (*row[:2], age, *row[3:])


def load_raw(con: duckdb.DuckDBPyConnection, si_pe_rows, imilo_rows, objectifs_rows) -> None:
    """Replace the raw tables' rows; the columns no model reads stay null."""
    con.execute("delete from raw.si_pe")
    con.execute("delete from raw.imilo")
    con.execute("delete from raw.objectifs_otp")
    con.executemany(
        "insert into raw.si_pe (mois, id_ais, age, code_departement,"
        " type_prescripteur, date_prescription, date_entree, statut, type_formation,"
        " code_rome, source_file, revision, sha256, line_number, loaded_at)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ais_' || ? || '.csv', 1, 'sha', ?, now())",
        [
            (*_aged(row, 5), *_formation_as_loaded(row[1]), row[0], line)
            for line, row in enumerate(si_pe_rows, start=2)
        ],  # fmt: skip
    )
    con.executemany(
        "insert into raw.imilo (mois, id_prescription, age, code_departement,"
        " date_prescription, date_entree, statut, numero_ais, type_formation, code_rome,"
        " code_mission_locale, source_file, revision, sha256, line_number, loaded_at)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ML-TEST', 'imilo_' || ? || '.csv', 1, 'sha',"
        " ?, now())",
        [
            (*_aged(row, 4), *_formation_as_loaded(row[1]), row[0], line)
            for line, row in enumerate(imilo_rows, start=2)
        ],  # fmt: skip
    )
    con.executemany(
        "insert into raw.objectifs_otp values"
        " (?, ?, ?, ?, ?, ?, ?, 'objectifs_otp.csv', 'sha', now())",
        objectifs_rows,
    )


@dataclass
class DbtRun:
    """What a dbt invocation returned: its exit status and its log, as the CLI prints it."""

    returncode: int
    stdout: str


def run_dbt(warehouse: Path, work_dir: Path, args: list[str]) -> DbtRun:
    """`dbt <args>` on `warehouse`, in this process, as the Dagster asset runs it
    (otp_pipeline/lib/transform/dbt_build.py: dbt's runner on the stored parse)."""
    outcome = DbtOutcome()
    messages = [
        event["info"].get("msg", "")
        for event in dbt_events(args, warehouse, work_dir / "target", outcome)
    ]
    return DbtRun(0 if outcome.success else 1, "\n".join(messages))


def run_dbt_build(
    warehouse: Path,
    work_dir: Path,
    month: str,
    extra_args: tuple[str, ...] = (),
    last_month: str | None = None,
) -> DbtRun:
    """`dbt build` for one month (or months `month`..`last_month`), as Dagster runs it."""
    vars_ = json.dumps(dbt_vars(month, last_month=last_month))
    return run_dbt(warehouse, work_dir, ["build", "--vars", vars_, *extra_args])


def read_marts(warehouse: Path) -> dict:
    """Every mart's rows, sorted by their grain (the first columns), and its column types."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            table: {
                "columns": [
                    (name, column_type)
                    for name, column_type, *_ in con.execute(f"describe {table}").fetchall()
                ],
                "rows": con.execute(f"select * from {table} order by all").fetchall(),
            }
            for table in (*MARTS, "fct_prescriptions", "fct_entrees", "int_entrees_matched")
        }


# Session-wide: test_dbt_marts.py and test_dbt_steering.py read the same builds.
@pytest.fixture(scope="session")
def warehouse_runs(tmp_path_factory) -> dict:
    """Build 2021-01, 2021-02, 2021-03 in turn, then January again after its revision.

    Returns the tables as they stood after March ("publies") and after the re-run of
    January ("apres_revision"). To keep the module short, tests run where they add
    something: unit tests (they read no warehouse data) with the first build only, data
    tests with the first build and after March (the marts then hold every month).
    """
    work_dir = tmp_path_factory.mktemp("dbt")
    warehouse = work_dir / "otp.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
        load_raw(con, SI_PE_ROWS, IMILO_ROWS, OBJECTIFS_ROWS)

    def build(month: str, *extra_args: str) -> None:
        result = run_dbt_build(warehouse, work_dir, month, extra_args)
        if result.returncode != 0:
            pytest.fail(f"dbt build {month} failed:\n{result.stdout[-6000:]}")

    no_tests = ("--exclude", "test_type:unit", "test_type:data")
    build("2021-01")
    build("2021-02", *no_tests)
    build("2021-03", "--exclude", "test_type:unit")
    publies = read_marts(warehouse)

    with duckdb.connect(str(warehouse)) as con:
        load_raw(con, SI_PE_ROWS_JANVIER_R2, IMILO_ROWS, OBJECTIFS_ROWS_V2)
    build("2021-01", *no_tests)
    return {"publies": publies, "apres_revision": read_marts(warehouse), "warehouse": warehouse}
