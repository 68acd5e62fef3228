"""dbt in the Dagster process (lib/transform/dbt_build.py): the stored parse when it fits
the warehouse, dbt's own parse when it does not, and the warehouse let go after a run."""

import json

import duckdb

from otp_pipeline.lib.thresholds import dbt_vars
from otp_pipeline.lib.transform.dbt_build import DbtOutcome, dbt_events, parsed_manifest


def test_the_stored_parse_serves_the_warehouse_it_was_parsed_for_only():
    # `make setup` parses with the contract's default warehouse, data/warehouse/otp.duckdb.
    manifest = parsed_manifest(database="otp")
    assert manifest is not None
    assert "model.otp_pipeline.fct_prescriptions" in manifest.nodes
    assert parsed_manifest(database="entrepot") is None


def test_a_warehouse_of_another_name_is_parsed_then_built_and_let_go(tmp_path):
    warehouse = tmp_path / "entrepot.duckdb"
    outcome = DbtOutcome()
    args = ["seed", "--select", "ref_regions", "--vars", json.dumps(dbt_vars("2021-01"))]
    events = list(dbt_events(args, warehouse, tmp_path, outcome))
    assert outcome.success, outcome.errors
    assert any(event["info"]["name"] == "LogSeedResult" for event in events)
    # Closed after the run: a writer opens the file at once.
    with duckdb.connect(str(warehouse)) as con:
        assert con.execute("select count(*) from main.ref_regions").fetchone() == (18,)


def test_a_caller_stopping_early_waits_for_dbt_and_gets_the_warehouse_back(tmp_path):
    warehouse = tmp_path / "otp.duckdb"
    args = ["seed", "--vars", json.dumps(dbt_vars("2021-01"))]
    events = dbt_events(args, warehouse, tmp_path, DbtOutcome())
    next(events)
    events.close()  # as when the Dagster step fails while dbt still runs
    with duckdb.connect(str(warehouse)) as con:
        assert con.execute("select count(*) from main.ref_departements").fetchone() == (101,)
