"""The whole pipeline through real Dagster runs of three monthly partitions: the landing
files of the hand-computed fixture in, the published tables out, every column of every row.

The fixture and its hand-worked expected tables are those of tests/dbt (conftest.py and
test_dbt_marts.py), delivered as files by tests/fixture_landing.py; here they go through
ingestion, dbt, the checks and publication.
"""

import csv
import json

import dagster as dg
import pyarrow.parquet as pq
import pytest
from fixture_landing import MONTHS, fixture_settings, run_month, typed
from frictionless_check import validated_resources, validation_errors
from test_dbt_marts import COLUMNS, EXPECTED

from otp_pipeline.lib.publication.tables import TABLES


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    settings = fixture_settings(root)
    with dg.DagsterInstance.ephemeral() as instance:
        results = {month: run_month(settings, month, instance) for month in MONTHS}
    return root / "published", results


def test_every_month_runs_successfully_through_dagster(published):
    _, results = published
    assert {month: result.success for month, result in results.items()} == dict.fromkeys(
        MONTHS, True
    )


@pytest.mark.parametrize("table", sorted(EXPECTED))
@pytest.mark.parametrize("month", MONTHS)
def test_published_csv_holds_the_hand_computed_rows(published, table, month):
    folder, _ = published
    with open(folder / month / f"{table}.csv", encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle, delimiter=";"))
    assert header == [name for name, _ in COLUMNS[table]]
    assert [typed(table, row) for row in rows] == EXPECTED[table][month]


@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_published_parquet_equals_the_csv(published, table):
    folder, _ = published
    data = pq.read_table(folder / "2021-03" / f"{table}.parquet")
    assert [tuple(row.values()) for row in data.to_pylist()] == EXPECTED[table]["2021-03"]


def test_manifest_accounts_for_every_file_used(published):
    folder, _ = published
    manifest = json.loads((folder / "2021-02" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["mois"] == "2021-02" and manifest["seuil_remplissage"] == 0.9
    files = {(f["source"], f["mois"]): f for f in manifest["fichiers_sources"]}
    assert sorted(files) == [("imilo", "2021-01"), ("imilo", "2021-02"),
                             ("si_pe", "2021-01"), ("si_pe", "2021-02")]  # fmt: skip
    for entry in files.values():
        assert entry["rows_read"] == (
            entry["rows_loaded"] + entry["rows_quarantined"] + entry["rows_duplicates"]
        )
        assert len(entry["sha256"]) == 64
    assert {t: manifest["tables"][t] for t in EXPECTED} == {
        t: len(EXPECTED[t]["2021-02"]) for t in EXPECTED
    }
    # No sectors file here: contract §9's table is published all the same (tests of its
    # rows: test_sectors_end_to_end.py), and the manifest says there was none.
    assert "prescriptions_secteurs_avenir" in manifest["tables"]
    assert manifest["secteurs_avenir"] is None
    assert manifest["controles_qualite"], "the run's checks are recorded"


@pytest.mark.parametrize("month", MONTHS)
def test_frictionless_validates_each_published_month_against_its_package(published, month):
    folder, _ = published
    assert validation_errors(folder / month) == []
    assert validated_resources(folder / month) == 2 * len(TABLES)
