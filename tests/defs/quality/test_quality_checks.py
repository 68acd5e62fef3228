"""The GX asset checks through real Dagster materialisations of a monthly partition.

The dbt models are stood in for by one multi-asset with the same keys that writes the five
checked tables (as dbt would) into a temporary warehouse; the checks are what is tested.
A stand-in publication depends on every checked asset, as the real one must.
"""

from datetime import date

import dagster as dg
import pytest

from otp_pipeline.defs.partitions import monthly_partitions
from otp_pipeline.defs.quality.checks import CHECKED_ASSET_KEYS, QUALITY_CHECKS
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.warehouse import connect

MONTH = "2021-03"
FACTS = ["fct_prescriptions", "fct_entrees"]
MARTS = ["prescriptions_mensuelles", "suivi_otp", "qualite_prescripteur"]
TABLES = {
    "fct_prescriptions": """source varchar, id_prescription varchar, mois_fichier varchar,
        mois varchar, date_prescription date, date_entree date, code_departement varchar,
        code_region varchar, libelle_region varchar, type_prescripteur varchar,
        prescripteur_renseigne boolean, code_structure varchar, reseau_prescripteur varchar,
        age integer, tranche_age varchar, statut varchar, est_prescription boolean,
        est_entree boolean, numero_ais varchar""",
    "fct_entrees": """source varchar, id_prescription varchar, mois_fichier varchar,
        mois_entree varchar, date_entree date, date_prescription date, code_region varchar,
        libelle_region varchar, reseau_prescripteur varchar, age integer, tranche_age varchar,
        numero_ais varchar, mois_fichier_ais_apparie varchar""",
    "prescriptions_mensuelles": """mois varchar, code_region varchar, libelle_region varchar,
        source varchar, reseau_prescripteur varchar, tranche_age varchar,
        nb_prescriptions bigint, nb_entrees bigint, fiabilite varchar""",
    "suivi_otp": """mois varchar, code_region varchar, libelle_region varchar,
        indicateur varchar, periode_debut varchar, periode_fin varchar, objectif bigint,
        realise_mois bigint, realise_cumule bigint, taux_realisation double,
        cible_lineaire double, ecart_cible double, fiabilite varchar""",
    "qualite_prescripteur": """mois varchar, code_region varchar, libelle_region varchar,
        nb_prescriptions_si_pe bigint, nb_prescripteur_renseigne bigint,
        taux_renseignement double, nb_ml_si_pe_moins_26 bigint, nb_ml_imilo_moins_26 bigint,
        fiabilite varchar""",
}
IDF, ARA = "Île-de-France", "Auvergne-Rhône-Alpes"


def si_pe(id_, region, type_prescripteur, age):
    """One si_pe prescription of March counted in March, as fct_prescriptions holds it."""
    departement, libelle = {"11": ("75", IDF), "84": ("69", ARA)}[region]
    filled = type_prescripteur is not None
    return ("SI_PE", id_, MONTH, MONTH, date(2021, 3, 10), None, departement, region, libelle,
            type_prescripteur, filled, None, type_prescripteur if filled else "NON_RENSEIGNE",
            age, "MOINS_26" if age < 26 else "30_PLUS", "PRESCRITE", True, False, None)  # fmt: skip


def month_tables(filled_84=10, duplicate=False) -> dict[str, list[tuple]]:
    """Region 11: 10 si_pe prescriptions, all filled; region 84: 10, `filled_84` filled."""
    prescriptions = [si_pe(f"A11-{i}", "11", "PE", 25) for i in range(10)]
    prescriptions += [si_pe(f"A84-{i}", "84", "PE" if i < filled_84 else None, 35)
                      for i in range(10)]  # fmt: skip
    if duplicate:
        prescriptions[1] = si_pe("A11-0", "11", "PE", 25)
    flag_84 = "A_EXAMINER" if filled_84 < 9 else "FIABLE"
    mensuelles = [(MONTH, "11", IDF, "SI_PE", "PE", "MOINS_26", 10, 0, "FIABLE"),
                  (MONTH, "84", ARA, "SI_PE", "PE", "30_PLUS", filled_84, 0, flag_84)]  # fmt: skip
    if filled_84 < 10:
        mensuelles.append((MONTH, "84", ARA, "SI_PE", "NON_RENSEIGNE", "30_PLUS",
                           10 - filled_84, 0, flag_84))  # fmt: skip
    return {
        "fct_prescriptions": prescriptions,
        "fct_entrees": [],
        "prescriptions_mensuelles": mensuelles,
        "suivi_otp": [],
        "qualite_prescripteur": [
            (MONTH, "11", IDF, 10, 10, 1.0, 0, 0, "FIABLE"),
            (MONTH, "84", ARA, 10, filled_84, filled_84 / 10, 0, 0, flag_84),
        ],
    }


def stand_in_models(tables: dict[str, list[tuple]]) -> dg.AssetsDefinition:
    """The dbt models' stand-in: one step materialising the five checked tables."""

    @dg.multi_asset(
        name="dbt_models_stand_in",
        specs=[dg.AssetSpec(name) for name in FACTS]
        + [dg.AssetSpec(name, deps=FACTS) for name in MARTS],
        partitions_def=monthly_partitions,
    )
    def models(otp: OtpSettings):
        with connect(otp.warehouse_path) as con:
            for name, columns in TABLES.items():
                con.execute(f"create or replace table main.{name} ({columns})")
                if tables[name]:
                    marks = ", ".join("?" for _ in tables[name][0])
                    con.executemany(f"insert into main.{name} values ({marks})", tables[name])
        for name in FACTS + MARTS:
            yield dg.MaterializeResult(asset_key=name)

    return models


def stand_in_publication(deps) -> dg.AssetsDefinition:
    @dg.asset(key=["publication"], partitions_def=monthly_partitions, deps=deps)
    def publication() -> None:
        return None

    return publication


def materialize(warehouse, tables, publication_deps=CHECKED_ASSET_KEYS):
    return dg.materialize(
        [stand_in_models(tables), stand_in_publication(publication_deps), *QUALITY_CHECKS],
        partition_key=MONTH,
        resources={"otp": OtpSettings(warehouse=str(warehouse))},
        raise_on_error=False,
    )


def materialized(result) -> set[str]:
    return {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}


def evaluations(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()
    }


def metadata(evaluation, key):
    return evaluation.metadata[key].value


@pytest.fixture(scope="module")
def valid_run(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("valid") / "otp.duckdb"
    return warehouse, materialize(warehouse, month_tables())


def test_every_suite_is_a_blocking_check_on_its_dbt_asset():
    specs = {
        spec.key.name: (spec.asset_key.to_user_string(), spec.blocking)
        for check in QUALITY_CHECKS
        for spec in check.check_specs
    }
    assert specs == {
        "gx_champs_souvent_vides": ("fct_prescriptions", True),
        "gx_fct_entrees": ("fct_entrees", True),
        "gx_fct_prescriptions": ("fct_prescriptions", True),
        "gx_prescriptions_mensuelles": ("prescriptions_mensuelles", True),
        "gx_qualite_prescripteur": ("qualite_prescripteur", True),
        "gx_si_pe_prescripteur": ("fct_prescriptions", True),
        "gx_suivi_otp": ("suivi_otp", True),
    }
    assert [key.to_user_string() for key in CHECKED_ASSET_KEYS] == sorted(FACTS + MARTS)


def test_valid_month_passes_every_check_and_is_published(valid_run):
    warehouse, result = valid_run
    assert result.success
    assert "publication" in materialized(result)
    checks = evaluations(result)
    assert len(checks) == 7
    # One ML-free month: the often-empty fields are measured, nothing fails.
    assert {name: check.passed for name, check in checks.items()} == dict.fromkeys(checks, True)
    fct = checks["gx_fct_prescriptions"]
    assert fct.severity == dg.AssetCheckSeverity.ERROR  # declared blocking
    assert metadata(fct, "mois") == MONTH and metadata(fct, "lignes") == 20
    docs = metadata(fct, "data_docs")
    assert docs == str(warehouse.parent / "gx/uncommitted/data_docs/local_site/index.html")
    assert (warehouse.parent / "gx/uncommitted/data_docs/local_site/index.html").is_file()


def test_blocking_failure_holds_back_the_publication(tmp_path):
    result = materialize(tmp_path / "otp.duckdb", month_tables(duplicate=True))
    assert not result.success
    assert "publication" not in materialized(result)
    assert "fct_prescriptions" in materialized(result)
    check = evaluations(result)["gx_fct_prescriptions"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    [failure] = metadata(check, "echecs")
    assert failure["expectation"] == "cle_unique" and failure["non_conformes"] == 2
    assert "(source, id_prescription)" in failure["description"]
    assert "A11-0" not in str(check.metadata)  # counts of rows per key, never the id


def test_warning_failure_is_reported_and_the_month_published(tmp_path):
    result = materialize(tmp_path / "otp.duckdb", month_tables(filled_84=8))
    assert result.success
    assert "publication" in materialized(result)
    check = evaluations(result)["gx_si_pe_prescripteur"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert metadata(check, "regions_sous_seuil") == {
        "84": {"lignes": 10, "non_conformes": 2, "taux": 0.8}
    }
    assert metadata(check, "seuils") == {"prescriber_fill_rate_min": 0.9}
    # The published flag follows the same rule: the marts' checks pass.
    assert evaluations(result)["gx_qualite_prescripteur"].passed


def test_fact_checks_hold_back_only_assets_depending_on_the_facts(tmp_path):
    # Why the publication must depend on fct_* too: depending on the marts alone, a failed
    # blocking check on a fact does not stop it (Dagster 1.13).
    result = materialize(tmp_path / "otp.duckdb", month_tables(duplicate=True),
                         publication_deps=MARTS)  # fmt: skip
    assert not result.success
    assert "publication" in materialized(result)


def test_a_run_over_a_range_of_months_validates_the_range_at_once(tmp_path):
    # A single-run backfill of February and March: each check validates both months in one
    # validation (the stand-in tables hold March only).
    result = dg.materialize(
        [stand_in_models(month_tables(filled_84=8)), *QUALITY_CHECKS],
        tags={
            "dagster/asset_partition_range_start": "2021-02",
            "dagster/asset_partition_range_end": MONTH,
        },
        resources={"otp": OtpSettings(warehouse=str(tmp_path / "otp.duckdb"))},
        raise_on_error=False,
    )
    checks = evaluations(result)
    assert len(checks) == 7
    fct = checks["gx_fct_prescriptions"]
    assert fct.passed and metadata(fct, "mois") == "2021-02..2021-03"
    assert metadata(fct, "lignes") == 20
    fill = checks["gx_si_pe_prescripteur"]
    assert not fill.passed and fill.severity == dg.AssetCheckSeverity.WARN
    assert metadata(fill, "regions_sous_seuil") == {
        MONTH: {"84": {"lignes": 10, "non_conformes": 2, "taux": 0.8}}
    }
    [failure] = metadata(fill, "echecs")
    assert (failure["mois"], failure["group"]) == (MONTH, "84")
    assert fill.description.startswith(
        "2021-02..2021-03: warning: remplissage_prescripteur (2021-03 84)"
    )
