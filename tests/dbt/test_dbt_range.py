"""A range of months in one `dbt build` (a single-run backfill): every month is computed
as of itself, so the marts hold exactly the rows of one build per month, worked out by
hand in test_dbt_marts.py."""

import json

import duckdb
import pytest
from conftest import load_raw, read_marts, run_dbt, run_dbt_build
from otp_fixture import IMILO_ROWS, OBJECTIFS_ROWS, SI_PE_ROWS
from test_dbt_marts import EXPECTED, rows_of

from otp_pipeline.lib.warehouse import ensure_raw_schema

MONTHS = ("2021-01", "2021-02", "2021-03")


@pytest.fixture(scope="module")
def range_build(tmp_path_factory) -> dict:
    """2021-01 to 2021-03 in one `dbt build`, data tests included, on a fresh warehouse."""
    work_dir = tmp_path_factory.mktemp("dbt_range")
    warehouse = work_dir / "otp.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
        load_raw(con, SI_PE_ROWS, IMILO_ROWS, OBJECTIFS_ROWS)
    result = run_dbt_build(
        warehouse, work_dir, MONTHS[0], ("--exclude", "test_type:unit"), last_month=MONTHS[-1]
    )
    if result.returncode != 0:
        pytest.fail(f"dbt build {MONTHS[0]}..{MONTHS[-1]} failed:\n{result.stdout[-6000:]}")
    return {"tables": read_marts(warehouse), "work_dir": work_dir, "warehouse": warehouse}


@pytest.mark.parametrize("table", sorted(EXPECTED))
@pytest.mark.parametrize("mois", MONTHS)
def test_range_build_computes_each_month_as_of_itself(range_build, table, mois):
    assert rows_of(range_build["tables"], table, mois) == EXPECTED[table][mois]


def test_range_build_holds_exactly_the_range(range_build):
    for table in EXPECTED:
        assert {row[0] for row in range_build["tables"][table]["rows"]} == set(MONTHS), table


def test_inverted_range_fails_naming_both_vars(range_build, tmp_path):
    vars_ = {"mois_debut": "2021-03", "mois_fin": "2021-01", "seuil_remplissage": 0.9}
    result = run_dbt(
        range_build["warehouse"], tmp_path,
        ["run", "--select", "int_region_mois_fiabilite", "--vars", json.dumps(vars_)],
    )  # fmt: skip
    assert result.returncode != 0
    assert "var 'mois_fin' (2021-01) is before var 'mois_debut' (2021-03)" in result.stdout
