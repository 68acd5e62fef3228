"""What dbt checks every month is in the tables: the enforced contracts of the facts and
marts carry `not_null` and `check` constraints (docs/decisions.md, *Speed*), which DuckDB
applies to every row written, so a bad row fails the build as a failed dbt test did."""

import duckdb
import pytest

NOT_NULL = {
    "fct_prescriptions": 17,
    "fct_entrees": 13,
    "prescriptions_mensuelles": 9,
    "suivi_otp": 12,
    "qualite_prescripteur": 8,
}
CHECKS = {
    "fct_prescriptions": 6,
    "fct_entrees": 5,
    "prescriptions_mensuelles": 4,
    "suivi_otp": 2,
    "qualite_prescripteur": 1,
}


def _constraints(warehouse, table: str, kind: str) -> list:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select constraint_column_names, constraint_text from duckdb_constraints()"
            " where table_name = ? and constraint_type = ? order by all",
            [table, kind],
        ).fetchall()


@pytest.mark.parametrize("table", sorted(NOT_NULL))
def test_contracts_carry_the_not_null_and_check_constraints(warehouse_runs, table):
    warehouse = warehouse_runs["warehouse"]
    assert len(_constraints(warehouse, table, "NOT NULL")) == NOT_NULL[table]
    assert len(_constraints(warehouse, table, "CHECK")) == CHECKS[table]


def test_a_row_breaking_a_constraint_is_refused(warehouse_runs, tmp_path):
    copy = tmp_path / "otp.duckdb"
    copy.write_bytes(warehouse_runs["warehouse"].read_bytes())
    with duckdb.connect(str(copy)) as con:
        with pytest.raises(duckdb.ConstraintException, match="fiabilite"):
            con.execute("update main.qualite_prescripteur set fiabilite = 'PEUT_ETRE'")
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL.*libelle_region"):
            con.execute("update main.suivi_otp set libelle_region = null")
        with pytest.raises(duckdb.ConstraintException, match="source"):
            con.execute("update main.fct_prescriptions set source = 'AUTRE'")
