"""A backfill is one Dagster run over a range of months (BackfillPolicy.single_run): the
same published tables as one run per month, worked out by hand in tests/dbt."""

import csv
import json

import dagster as dg
import pytest
from fixture_landing import MONTHS, fixture_settings, typed
from frictionless_check import validation_errors
from test_dbt_marts import COLUMNS, EXPECTED

from otp_pipeline.definitions import defs
from otp_pipeline.runner import RANGE_END, RANGE_START, spans


@pytest.fixture(scope="module")
def backfill(tmp_path_factory):
    root = tmp_path_factory.mktemp("backfill")
    settings = fixture_settings(root)
    job = defs.resolve_job_def("otp_monthly")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            tags={RANGE_START: MONTHS[0], RANGE_END: MONTHS[-1]},
            instance=instance,
            resources={"otp": settings},
            raise_on_error=False,
        )
        materialized = {
            key.to_user_string(): instance.get_materialized_partitions(key)
            for key in (dg.AssetKey(["publication"]), dg.AssetKey(["suivi_otp"]))
        }
        runs = len(instance.get_run_records())
    return {"result": result, "folder": root / "published", "materialized": materialized,
            "runs": runs}  # fmt: skip


def test_backfill_is_one_successful_run_materializing_every_month(backfill):
    assert backfill["result"].success
    assert backfill["runs"] == 1
    assert backfill["materialized"] == dict.fromkeys(["publication", "suivi_otp"], set(MONTHS))


@pytest.mark.parametrize("table", sorted(EXPECTED))
@pytest.mark.parametrize("month", MONTHS)
def test_backfill_publishes_each_month_as_of_itself(backfill, table, month):
    with open(backfill["folder"] / month / f"{table}.csv", encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f, delimiter=";"))
    assert header == [name for name, _ in COLUMNS[table]]
    assert [typed(table, row) for row in rows] == EXPECTED[table][month]


def test_backfill_manifest_lists_only_the_files_up_to_its_month(backfill):
    """The run loaded three months; January's manifest still names January's files only."""
    for month in MONTHS:
        manifest = json.loads((backfill["folder"] / month / "manifest.json").read_text("utf-8"))
        assert manifest["mois"] == month
        assert {entry["mois"] for entry in manifest["fichiers_sources"]} == {
            m for m in MONTHS if m <= month
        }
        assert manifest["controles_qualite"], "the run's checks are recorded"


def test_consecutive_months_make_one_span():
    assert spans(["2021-03", "2021-01", "2021-02", "2021-06", "2021-12", "2022-01"]) == [
        ("2021-01", "2021-03"), ("2021-06", "2021-06"), ("2021-12", "2022-01"),
    ]  # fmt: skip


@pytest.mark.parametrize("month", MONTHS)
def test_frictionless_validates_each_month_of_the_backfill(backfill, month):
    assert validation_errors(backfill["folder"] / month) == []
