"""Each partition shows its own month: after ONE range run over three months, every month's
latest materialization of the feeds, the objectives and the publication holds that month's
file, checksum and counts, never the range's; and one run leaves one event per partition.

The landing files are small and hand-made; every expected figure below is counted by hand
from them (comments say how).
"""

import hashlib

import dagster as dg
import pytest
from feeds import IMILO_HEADER, OBJECTIVES_HEADER, SI_PE_HEADER, ais_row, imilo_row, write_file
from frictionless_check import validation_errors

from otp_pipeline.definitions import defs
from otp_pipeline.defs.ingestion.assets import imilo, objectifs_otp, si_pe
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.publication.tables import TABLES
from otp_pipeline.runner import RANGE_END, RANGE_START

MONTHS = ("2021-01", "2021-02", "2021-03")
SI_PE, IMILO = dg.AssetKey(["raw", "si_pe"]), dg.AssetKey(["raw", "imilo"])
OBJECTIVES, PUBLICATION = dg.AssetKey(["raw", "objectifs_otp"]), dg.AssetKey(["publication"])
ASSETS = (SI_PE, IMILO, OBJECTIVES, PUBLICATION)


def write_landing(landing) -> dict[str, dict[str, str]]:
    """Three months of both feeds and the objectives; the winning file of each month by feed.

    si_pe: January 2 rows (A2 enters in January); February's `_r2` (Windows-1252) beats
    the first delivery: 3 rows, B2 twice identical (1 duplicate), B2 without prescriber;
    March 20 rows: C18 is 27, C19 lives in region 93, C20's department 96 does not exist
    (1 of 20 quarantined, exactly 5 %: passes). imilo: 1, 2 (gzip), 1 rows. Everyone else is
    20 and lives in Paris (region 11).
    """
    jan, feb, mar = (f"10/0{n}/2021" for n in (1, 2, 3))
    write_file(landing / "si_pe" / "ais_2021-01.csv", [
        SI_PE_HEADER, ais_row(id_ais="A1", prescription=jan),
        ais_row(id_ais="A2", prescription=jan, entree="20/01/2021", statut="ENTREE"),
    ])  # fmt: skip
    write_file(
        landing / "si_pe" / "ais_2021-02.csv", [SI_PE_HEADER, ais_row("B9", prescription=feb)]
    )
    write_file(landing / "si_pe" / "ais_2021-02_r2.csv", [
        SI_PE_HEADER, ais_row(id_ais="B1", prescription=feb, agence="Évry"),
        *[ais_row(id_ais="B2", prescription=feb, prescripteur="")] * 2,
    ], encoding="cp1252")  # fmt: skip
    write_file(landing / "si_pe" / "ais_2021-03.csv", [
        SI_PE_HEADER, *(ais_row(id_ais=f"C{i}", prescription=mar) for i in range(1, 18)),
        ais_row(id_ais="C18", prescription=mar, naissance="15/06/1993"),
        ais_row(id_ais="C19", prescription=mar, departement="13"),
        ais_row(id_ais="C20", prescription=mar, departement="96"),
    ])  # fmt: skip
    write_file(landing / "imilo" / "imilo_2021-01.csv",
               [IMILO_HEADER, imilo_row("M1", prescription="2021-01-10")])  # fmt: skip
    write_file(landing / "imilo" / "imilo_2021-02.csv.gz", [
        IMILO_HEADER, imilo_row("M2", prescription="2021-02-10"),
        imilo_row("M3", prescription="2021-02-10"),
    ], gz=True)  # fmt: skip
    write_file(landing / "imilo" / "imilo_2021-03.csv",
               [IMILO_HEADER, imilo_row("M4", prescription="2021-03-10")])  # fmt: skip
    write_file(landing / "objectifs" / "objectifs_otp.csv", [
        OBJECTIVES_HEADER, "11;2021-01;2021-12;100;10;50;40", "93;2021-03;2021-06;20;2;10;8",
    ])  # fmt: skip
    return {
        "si_pe": {"2021-01": "ais_2021-01.csv", "2021-02": "ais_2021-02_r2.csv",
                  "2021-03": "ais_2021-03.csv"},
        "imilo": {"2021-01": "imilo_2021-01.csv", "2021-02": "imilo_2021-02.csv.gz",
                  "2021-03": "imilo_2021-03.csv"},
    }  # fmt: skip


def _settings(root) -> OtpSettings:
    return OtpSettings(
        landing_dir=str(root / "landing"), publish_dir=str(root / "published"),
        warehouse=str(root / "warehouse" / "otp.duckdb"),
    )  # fmt: skip


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _events(instance, key: dg.AssetKey, month: str) -> list[dg.EventLogRecord]:
    return instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[month]), limit=10
    ).records


def _metadata(record: dg.EventLogRecord) -> dict:
    return {name: value.value for name, value in record.asset_materialization.metadata.items()}


@pytest.fixture(scope="module")
def range_run(tmp_path_factory):
    """ONE run over 2021-01..2021-03, as a backfill, the CLI and the sensor launch it."""
    root = tmp_path_factory.mktemp("partition_metadata")
    winners = write_landing(root / "landing")
    job = defs.resolve_job_def("otp_monthly")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            tags={RANGE_START: MONTHS[0], RANGE_END: MONTHS[-1]}, instance=instance,
            resources={"otp": _settings(root)}, raise_on_error=False,
        )  # fmt: skip
        keys = (*ASSETS, *(dg.AssetKey([model]) for model in DBT_ROWS))
        events = {(key, m): _events(instance, key, m) for key in keys for m in MONTHS}
        runs = len(instance.get_run_records())
    return {"result": result, "root": root, "winners": winners, "events": events, "runs": runs}


def test_range_run_is_one_successful_run(range_run):
    assert range_run["result"].success
    assert range_run["runs"] == 1


@pytest.mark.parametrize("key", ASSETS, ids=lambda key: key.to_user_string())
def test_one_run_leaves_one_materialization_per_partition(range_run, key):
    for month in MONTHS:
        [record] = range_run["events"][key, month]
        assert record.run_id == range_run["result"].run_id
        assert record.asset_materialization.partition == month


# Per month: revision, encoding, read, loaded, quarantined, duplicates, quarantine reasons.
FEEDS = {
    ("si_pe", "2021-01"): (1, "utf-8", 2, 2, 0, 0, {}),
    ("si_pe", "2021-02"): (2, "cp1252", 3, 2, 0, 1, {}),
    ("si_pe", "2021-03"): (1, "utf-8", 20, 19, 1, 0, {"DEPARTEMENT_INCONNU": 1}),
    ("imilo", "2021-01"): (1, "utf-8", 1, 1, 0, 0, {}),
    ("imilo", "2021-02"): (1, "utf-8", 2, 2, 0, 0, {}),
    ("imilo", "2021-03"): (1, "utf-8", 1, 1, 0, 0, {}),
}


@pytest.mark.parametrize(("feed", "month"), sorted(FEEDS))
def test_each_feed_partition_holds_its_own_months_file_and_counts(range_run, feed, month):
    revision, encoding, read, loaded, quarantined, duplicates, reasons = FEEDS[feed, month]
    file = range_run["winners"][feed][month]
    [record] = range_run["events"][dg.AssetKey(["raw", feed]), month]
    metadata = _metadata(record)
    assert {name: metadata[name] for name in (
        "file", "revision", "encoding", "sha256", "rows_read", "rows_loaded",
        "rows_quarantined", "rows_duplicates", "quarantine_rate", "quarantine_reasons",
        "earlier_months_loaded", "dagster/row_count", "dagster/partition_row_count",
        "dagster/table_name",
    )} == {
        "file": file, "revision": revision, "encoding": encoding,
        "sha256": _sha256(range_run["root"] / "landing" / feed / file),
        "rows_read": read, "rows_loaded": loaded, "rows_quarantined": quarantined,
        "rows_duplicates": duplicates, "quarantine_rate": quarantined / read,
        "quarantine_reasons": reasons, "earlier_months_loaded": [],
        "dagster/row_count": loaded, "dagster/partition_row_count": loaded,
        "dagster/table_name": f"raw.{feed}",
    }  # fmt: skip


@pytest.mark.parametrize("feed", ["si_pe", "imilo"])
def test_range_totals_are_labelled_as_the_range(range_run, feed):
    """2 + 3 + 20 and 1 + 2 + 1 rows read: under `range_` names, on every partition."""
    read, loaded, duplicates = {"si_pe": (25, 23, 1), "imilo": (4, 4, 0)}[feed]
    for month in MONTHS:
        [record] = range_run["events"][dg.AssetKey(["raw", feed]), month]
        metadata = _metadata(record)
        assert {name: value for name, value in metadata.items() if name.startswith("range_")} == {
            "range_months": "2021-01..2021-03", "range_rows_read": read,
            "range_rows_loaded": loaded, "range_rows_quarantined": 1 if feed == "si_pe" else 0,
            "range_rows_duplicates": duplicates,
        }  # fmt: skip
        assert metadata["rows_read"] != read


def test_objectives_partition_holds_the_file_and_the_periods_of_its_month(range_run):
    sha = _sha256(range_run["root"] / "landing" / "objectifs" / "objectifs_otp.csv")
    region_11 = {"code_region": "11", "periode_debut": "2021-01", "periode_fin": "2021-12"}
    region_93 = {"code_region": "93", "periode_debut": "2021-03", "periode_fin": "2021-06"}
    expected = {"2021-01": [region_11], "2021-02": [region_11], "2021-03": [region_11, region_93]}
    for month in MONTHS:
        [record] = range_run["events"][OBJECTIVES, month]
        assert _metadata(record) == {
            "file": "objectifs_otp.csv", "sha256": sha, "periods": 2, "regions": 2,
            "periods_of_month": expected[month], "dagster/row_count": 2,
            "dagster/table_name": "raw.objectifs_otp",
        }  # fmt: skip


# Rows per table and month. prescriptions_mensuelles: SI_PE/PE and IMILO in January;
# February adds SI_PE/NON_RENSEIGNE (B2); March: SI_PE/PE for under-26s and for 26_29 (C18)
# in region 11, SI_PE/PE in region 93 (C19), IMILO. suivi_otp and projection_otp: 3
# indicators per region with a period containing the month (11; 11 and 93 in March).
# qualite_prescripteur: regions with a prescription. prescriptions_par_formation: one type
# and domain (QUALIFIANTE, M) for all, so one row per region, source and age band.
# prescriptions_secteurs_avenir: no sectors file, every row HORS_LISTE: the same rows.
ROWS = {
    "2021-01": {"prescriptions_mensuelles": 2, "suivi_otp": 3, "qualite_prescripteur": 1,
                "prescriptions_par_formation": 2, "projection_otp": 3,
                "prescriptions_secteurs_avenir": 2},
    "2021-02": {"prescriptions_mensuelles": 3, "suivi_otp": 3, "qualite_prescripteur": 1,
                "prescriptions_par_formation": 2, "projection_otp": 3,
                "prescriptions_secteurs_avenir": 2},
    "2021-03": {"prescriptions_mensuelles": 4, "suivi_otp": 6, "qualite_prescripteur": 2,
                "prescriptions_par_formation": 4, "projection_otp": 6,
                "prescriptions_secteurs_avenir": 4},
}  # fmt: skip


# The dbt tables, a fact's month being the month it counts in: fct_prescriptions, every
# loaded row by its prescription month (si_pe 2 + imilo 1; 2 (B2 once) + 2; 19 + 1);
# fct_entrees, A2's entry of January only; the marts, their rows above.
DBT_ROWS = {
    "fct_prescriptions": {"2021-01": 3, "2021-02": 4, "2021-03": 20},
    "fct_entrees": {"2021-01": 1, "2021-02": 0, "2021-03": 0},
    **{name: {month: ROWS[month][name] for month in MONTHS} for name in ROWS["2021-01"]},
}


@pytest.mark.parametrize("model", sorted(DBT_ROWS))
def test_each_dbt_partition_holds_its_own_months_row_count(range_run, model):
    """One materialization per month from the range run, each with its month's rows, not
    the range's (dbt reports one result for the range)."""
    for month in MONTHS:
        [record] = range_run["events"][dg.AssetKey([model]), month]
        assert record.run_id == range_run["result"].run_id
        assert _metadata(record)["dagster/row_count"] == DBT_ROWS[model][month]


@pytest.mark.parametrize("month", MONTHS)
def test_publication_partition_holds_its_own_months_folder_and_rows(range_run, month):
    [record] = range_run["events"][PUBLICATION, month]
    metadata = _metadata(record)
    folder = range_run["root"] / "published" / month
    assert metadata["folder"] == str(folder)
    assert metadata["report"] == str(folder / "rapport.html")
    assert {name: metadata[f"rows_{name}"] for name in TABLES} == ROWS[month]
    assert metadata["dagster/row_count"] == sum(ROWS[month].values())  # 13, 14, 26
    assert "previous_publication" not in metadata  # a first publication: no vintage
    assert metadata["checks_evaluated"] > 0
    assert metadata["checks_failed"] == len(metadata["failed_checks"])
    assert {name: value for name, value in metadata.items() if name.startswith("range_")} == {
        "range_months": "2021-01..2021-03", "range_months_published": 3,
        "range_rows_published": 13 + 14 + 26,
    }  # fmt: skip


def test_publication_carries_the_contract_column_schema_of_each_table(range_run):
    [record] = range_run["events"][PUBLICATION, "2021-02"]
    metadata = _metadata(record)
    for name, table in TABLES.items():
        schema = metadata[f"schema_{name}"]
        assert [(c.name, c.type) for c in schema.columns] == list(table.columns)
    assert [c.name for c in metadata["dagster/column_schema"].columns] == [
        f"{name}.{column}" for name, table in TABLES.items() for column in table.column_names
    ]


def test_a_monthly_run_has_one_materialization_with_the_month_alone(tmp_path):
    """A run of February alone (ingestion only, for speed) loads stale January first, says
    so, and records February's own figures, with no range totals."""
    write_landing(tmp_path / "landing")
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [si_pe, imilo, objectifs_otp], partition_key="2021-02", instance=instance,
            resources={"otp": _settings(tmp_path)},
        )  # fmt: skip
        assert result.success
        [record] = _events(instance, SI_PE, "2021-02")
        assert _events(instance, SI_PE, "2021-01") == []  # loaded, not materialized
    metadata = _metadata(record)
    assert (metadata["file"], metadata["rows_read"], metadata["dagster/row_count"]) == (
        "ais_2021-02_r2.csv", 3, 2,
    )  # fmt: skip
    assert metadata["earlier_months_loaded"] == ["2021-01 (ais_2021-01.csv)"]
    assert not [name for name in metadata if name.startswith("range_")]


@pytest.mark.parametrize("month", MONTHS)
def test_frictionless_validates_each_month_of_the_range_run(range_run, month):
    assert validation_errors(range_run["root"] / "published" / month) == []
