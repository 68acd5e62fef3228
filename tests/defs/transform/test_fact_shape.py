"""A warehouse whose fact tables an earlier version of the pipeline built with another
column set: the next run drops them and builds them whole again from raw, instead of
failing on `on_schema_change: fail` (lib/transform/fact_shape.py).

Real Dagster runs of the monthly job on the hand-made landing of tests/dbt: January, then
the facts altered as an older build would have left them (no lineage columns), then
February, whose published tables must be the hand-computed ones.
"""

import csv
import json

import dagster as dg
import duckdb
import pytest
from fixture_landing import MONTHS, fixture_settings, run_month, typed
from test_dbt_marts import EXPECTED

from otp_pipeline.defs.transform.project import dbt_project
from otp_pipeline.lib.transform.fact_shape import drop_outdated_facts, fact_models

FACTS = ("fct_prescriptions", "fct_entrees")


@pytest.fixture(scope="module")
def older_facts(tmp_path_factory):
    root = tmp_path_factory.mktemp("fact_shape")
    settings = fixture_settings(root)
    warehouse = root / "warehouse" / "otp.duckdb"
    with dg.DagsterInstance.ephemeral() as instance:
        first = run_month(settings, MONTHS[0], instance)
        with duckdb.connect(str(warehouse)) as con:
            for table in FACTS:
                con.execute(f"alter table {table} drop column empreinte_referentiels")
                con.execute(f"alter table {table} drop column loaded_at")
        second = run_month(settings, MONTHS[1], instance)
        warnings = [
            event.message
            for event in instance.all_logs(second.run_id)
            if event.level >= 30 and "column set" in (event.message or "")
        ]
    return {"first": first, "second": second, "root": root, "warehouse": warehouse,
            "warnings": warnings}  # fmt: skip


def test_run_after_an_older_build_of_the_facts_succeeds_and_says_so(older_facts):
    assert older_facts["first"].success
    assert older_facts["second"].success
    assert len(older_facts["warnings"]) == 2
    assert all("rebuilt whole from raw" in message for message in older_facts["warnings"])


def test_the_rebuilt_facts_have_their_contract_columns(older_facts):
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    expected = {table: columns for _, table, columns in fact_models(manifest).values()}
    assert set(expected) == set(FACTS)
    with duckdb.connect(str(older_facts["warehouse"]), read_only=True) as con:
        for table in FACTS:
            columns = [row[0] for row in con.execute(f"describe {table}").fetchall()]
            assert columns == expected[table]
            # Rebuilt whole: January's file is in the facts again, beside February's.
            months = {row[0] for row in con.execute(f"select mois_fichier from {table}").fetchall()}
            assert months == {MONTHS[0], MONTHS[1]}


@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_the_month_after_the_rebuild_publishes_the_hand_computed_rows(older_facts, table):
    path = older_facts["root"] / "published" / MONTHS[1] / f"{table}.csv"
    with open(path, encoding="utf-8", newline="") as f:
        _, *rows = list(csv.reader(f, delimiter=";"))
    assert [typed(table, row) for row in rows] == EXPECTED[table][MONTHS[1]]


def test_facts_of_their_contract_shape_or_absent_are_left_alone(tmp_path):
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    models = fact_models(manifest)
    [(unique_id, (_, table, columns))] = [
        (uid, model) for uid, model in models.items() if model[1] == "fct_entrees"
    ]
    with duckdb.connect(str(tmp_path / "otp.duckdb")) as con:
        assert drop_outdated_facts(con, manifest, [unique_id]) == []  # absent
        con.execute(f"create table {table} ({', '.join(f'{c} varchar' for c in columns)})")
        con.execute(f"insert into {table} ({columns[0]}) values ('SI_PE')")
        assert drop_outdated_facts(con, manifest, [unique_id]) == []  # its own shape
        assert con.execute(f"select count(*) from {table}").fetchone() == (1,)
        # A model that is not a fact is never dropped here, whatever its shape.
        assert drop_outdated_facts(con, manifest, ["model.otp_pipeline.suivi_otp"]) == []
