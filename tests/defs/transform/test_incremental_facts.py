"""The incremental facts equal a full rebuild (`dbt build --full-refresh`), relation by
relation, cell by cell, whatever order the months run in, after a revision of an earlier
month arrives once later months ran, after changed referentials and after a purge.

The hand-made landing of tests/dbt (fixture_landing.py): a matched pair (I03 of January's
I-Milo file ↔ AIS-F01 of February's AIS file), an entry in a later month than its
prescription (P08, prescribed in January, entered in March). Each month's run is what the
job's steps do to the warehouse: the real ingestion of both feeds (every stale earlier
month first), then the real `dbt build` of the month, in this process as Dagster runs it.
"""

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from feeds import SI_PE_HEADER, ais_row, write_file
from fixture_landing import MONTHS, write_fixture_landing

from otp_pipeline.lib.ingestion.landing import objectives_file
from otp_pipeline.lib.ingestion.monthly_load import load_month
from otp_pipeline.lib.ingestion.objectives import load_objectives, read_objectives
from otp_pipeline.lib.operations.retention import purge_before
from otp_pipeline.lib.settings import IMILO, SI_PE
from otp_pipeline.lib.thresholds import dbt_vars
from otp_pipeline.lib.transform.dbt_build import DbtOutcome, dbt_events
from otp_pipeline.lib.warehouse import connect, region_codes

# Every relation the GX suites and the publication read, built from the facts.
RELATIONS = (
    "fct_prescriptions", "fct_entrees", "int_entrees_matched", "int_indicateurs_mensuels",
    "int_region_mois_fiabilite", "prescriptions_mensuelles", "prescriptions_par_formation",
    "prescriptions_secteurs_avenir", "qualite_prescripteur", "suivi_otp", "projection_otp",
)  # fmt: skip
FACTS = ("fct_prescriptions", "fct_entrees", "int_entrees_matched")


def _dbt(warehouse: Path, args: list[str], first: str, last: str) -> None:
    vars_ = json.dumps(dbt_vars(first, last_month=last))
    outcome = DbtOutcome()
    log = [
        event["info"].get("msg", "")
        for event in dbt_events(
            [*args, "--vars", vars_, "--exclude", "test_type:unit"],
            warehouse,
            warehouse.parent / "target",
            outcome,
        )  # fmt: skip
    ]
    assert outcome.success, "\n".join(log[-40:])


def _run_month(root: Path, month: str) -> None:
    """A month's run: its files and every stale earlier month's loaded, then its build."""
    landing, warehouse = root / "landing", root / "incremental" / "otp.duckdb"
    warehouse.parent.mkdir(exist_ok=True)
    with connect(warehouse) as con:
        for feed in (SI_PE, IMILO):
            load_month(con, feed, landing, month, 5)
        path = objectives_file(landing)
        load_objectives(con, path, read_objectives(path, region_codes()))
    _dbt(warehouse, ["build"], month, month)


def _relations(warehouse: Path, names=RELATIONS) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            name: con.execute(f"select * from {name} order by all").fetchall() for name in names
        }


def _assert_equal_to_full_rebuild(root: Path, args=("build",), names=RELATIONS) -> dict:
    """Build every month incrementally on the warehouse, and with --full-refresh on a copy
    of it (same raw, same seeds); every relation must hold the same rows. Returns them."""
    warehouse = root / "incremental" / "otp.duckdb"
    full = root / "full" / "otp.duckdb"  # same file name: dbt-duckdb names the database so
    shutil.rmtree(full.parent, ignore_errors=True)
    full.parent.mkdir()
    shutil.copy(warehouse, full)
    _dbt(warehouse, list(args), MONTHS[0], MONTHS[-1])
    _dbt(full, [*args, "--full-refresh"], MONTHS[0], MONTHS[-1])
    incremental, rebuilt = _relations(warehouse, names), _relations(full, names)
    assert rebuilt["fct_prescriptions"], "the comparison must hold rows"
    for name in names:
        assert incremental[name] == rebuilt[name], name
    assert _lineage(warehouse) == _lineage(full)
    return incremental


def _lineage(warehouse: Path) -> dict[str, list[tuple]]:
    """Each fact's recorded lineage (macros/fact_lineage.sql), checked against its rows:
    fct_prescriptions' is the distinct lineage of its rows; fct_entrees' is
    fct_prescriptions', and holds every lineage its rows carry (a month of no entry
    too)."""
    columns = "source, mois_fichier, loaded_at, empreinte_referentiels"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        recorded = {
            fact: con.execute(
                f"select {columns} from fact_lineage where fait = $fait order by all",
                {"fait": fact},
            ).fetchall()
            for fact in ("fct_prescriptions", "fct_entrees")
        }
        held = {
            fact: con.execute(f"select distinct {columns} from {fact} order by all").fetchall()
            for fact in ("fct_prescriptions", "fct_entrees")
        }
    assert recorded["fct_prescriptions"] == held["fct_prescriptions"]
    assert recorded["fct_entrees"] == recorded["fct_prescriptions"]
    assert set(held["fct_entrees"]) <= set(recorded["fct_entrees"])
    return recorded


def _matches(relations: dict) -> dict[str, str | None]:
    """id_prescription → mois_fichier_ais_apparie of the I-Milo entries."""
    return {row[1]: row[12] for row in relations["int_entrees_matched"] if row[0] == "IMILO"}


@pytest.fixture
def root(tmp_path) -> Path:
    write_fixture_landing(tmp_path / "landing")
    return tmp_path


@pytest.mark.parametrize(
    "order",
    [pytest.param(("2021-03", "2021-02", "2021-01"), id="backward"),
     pytest.param(("2021-02", "2021-03", "2021-01"), id="shuffled")],
)  # fmt: skip
def test_months_run_in_any_order_build_the_facts_of_a_full_rebuild(root, order):
    for month in order:
        _run_month(root, month)
    relations = _assert_equal_to_full_rebuild(root)
    assert _matches(relations)["I03"] == "2021-02"


def test_revision_referentials_and_purge_keep_the_facts_of_a_full_rebuild(root):
    for month in MONTHS:
        _run_month(root, month)
    relations = _assert_equal_to_full_rebuild(root)
    assert _matches(relations) == {
        "I02": None, "I03": "2021-02", "I05": None, "I06": "2021-02", "I07": None, "I10": None,
    }  # fmt: skip
    # P08: prescribed in January's file, an entry of March.
    assert [row[3] for row in relations["fct_entrees"] if row[1] == "P08"] == ["2021-03"]

    # February's AIS file revised after March ran: AIS-F01 is no entry any more, which
    # unmatches January's I-Milo row I03. March runs again (February loads first, stale).
    revised = [
        ais_row(id_ais="AIS-F01", naissance="01/07/2001", departement="69", prescripteur="ML",
                prescription="01/02/2021", statut="PRESCRITE"),
        ais_row(id_ais="AIS-F04", naissance="05/05/1997", departement="75",
                prescription="03/02/2021", entree="15/02/2021", statut="ENTREE"),
    ]  # fmt: skip
    write_file(root / "landing" / "si_pe" / "ais_2021-02_r2.csv", [SI_PE_HEADER, *revised])
    # And the warehouse as a version before the lineage table left it: the build reads
    # the facts' lineage from their rows once, then deletes and inserts as before.
    with duckdb.connect(str(root / "incremental" / "otp.duckdb")) as con:
        con.execute("drop table main.fact_lineage")
    _run_month(root, "2021-03")
    relations = _assert_equal_to_full_rebuild(root)
    assert _matches(relations)["I03"] is None
    assert {row[1] for row in relations["fct_prescriptions"] if row[2] == "2021-02"} == {
        "AIS-F01", "AIS-F04", "I06", "I07", "I08",
    }  # fmt: skip

    # A referential changed: every fact row is built again with it (no seed reload here,
    # so that the changed table is the one both builds read).
    warehouse = root / "incremental" / "otp.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update main.ref_regions set LIBELLE = 'Région 84' where REG = '84'")
    relations = _assert_equal_to_full_rebuild(
        root, ("run", "--select", "fct_prescriptions", "fct_entrees", "int_entrees_matched"),
        FACTS,
    )  # fmt: skip
    assert {row[8] for row in relations["fct_prescriptions"] if row[7] == "84"} == {"Région 84"}

    # January purged (retention): its rows leave the facts at the next run.
    with connect(warehouse) as con:
        assert purge_before(con, "2021-02", min_months_kept=2)
    _run_month(root, "2021-03")
    relations = _assert_equal_to_full_rebuild(root)
    assert {row[2] for row in relations["fct_prescriptions"]} == {"2021-02", "2021-03"}
