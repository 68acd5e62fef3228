"""The whole pipeline through real Dagster runs of three monthly partitions: the landing
files of the hand-computed fixture in, the published tables out, every column of every row.

The fixture and its hand-worked expected tables are those of tests/dbt (conftest.py and
test_dbt_marts.py); here they go through ingestion, dbt, the checks and publication.
"""

import csv
import json
from datetime import date

import dagster as dg
import pyarrow.parquet as pq
import pytest
from feeds import IMILO_HEADER, OBJECTIVES_HEADER, SI_PE_HEADER, ais_row, imilo_row, write_file
from frictionless_check import validated_resources, validation_errors
from otp_fixture import IMILO_ROWS, OBJECTIFS_ROWS, SI_PE_ROWS, formation
from test_dbt_marts import COLUMNS, EXPECTED

from otp_pipeline.definitions import defs
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.publication.tables import TABLES

MONTHS = ("2021-01", "2021-02", "2021-03")


def _dmy(iso: str | None) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""


def write_fixture_landing(landing) -> None:
    """The fixture's rows as the producers would deliver them, one file per month."""
    for month in MONTHS:
        ais = [
            ais_row(id_ais=r[1], individu=f"IND-{r[1]}", naissance=_dmy(r[2]), departement=r[3],
                    prescripteur=r[4] or "", prescription=_dmy(r[5]), entree=_dmy(r[6]),
                    statut=r[7], type_formation=formation(r[1])[0], rome=formation(r[1])[1])
            for r in SI_PE_ROWS if r[0] == month
        ]  # fmt: skip
        write_file(landing / "si_pe" / f"ais_{month}.csv", [SI_PE_HEADER, *ais])
        milo = [
            imilo_row(id_prescription=r[1], jeune=f"J-{r[1]}", naissance=r[2], departement=r[3],
                      prescription=r[4], entree=r[5] or "", statut=r[6], numero_ais=r[7] or "",
                      type_formation=formation(r[1])[0], rome=formation(r[1])[1])
            for r in IMILO_ROWS if r[0] == month
        ]  # fmt: skip
        write_file(landing / "imilo" / f"imilo_{month}.csv", [IMILO_HEADER, *milo])
    objectives = [";".join(map(str, row)) for row in OBJECTIFS_ROWS]
    write_file(landing / "objectifs" / "objectifs_otp.csv", [OBJECTIVES_HEADER, *objectives])


def run_month(settings: OtpSettings, month: str, instance) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("otp_monthly")
    return job.execute_in_process(
        partition_key=month, instance=instance, resources={"otp": settings}, raise_on_error=False
    )


def _typed(table: str, row: list[str]) -> tuple:
    """A CSV row as typed values. A null is an empty field (§7); no published text is ever
    empty (an empty string would be written `""`), so an empty field is a null of any type
    (libelle_domaine of NON_RENSEIGNE, §8)."""
    cast = {"BIGINT": int, "DOUBLE": float, "VARCHAR": str}
    return tuple(
        None if value == "" else cast[kind](value)
        for value, (_, kind) in zip(row, COLUMNS[table], strict=True)
    )


def fixture_settings(root) -> OtpSettings:
    """The fixture's landing folder written under `root`, and settings pointing at it."""
    write_fixture_landing(root / "landing")
    return OtpSettings(
        landing_dir=str(root / "landing"), publish_dir=str(root / "published"),
        warehouse=str(root / "warehouse" / "otp.duckdb"),
    )  # fmt: skip


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
    assert [_typed(table, row) for row in rows] == EXPECTED[table][month]


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
