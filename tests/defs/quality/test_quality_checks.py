"""The GX asset checks through real Dagster materialisations of a monthly partition.

The dbt models are stood in for by one multi-asset with the same keys that writes the seven
checked tables (as dbt would) into a temporary warehouse; the checks are what is tested.
A stand-in publication depends on every checked asset, as the real one must.
"""

from datetime import date

import dagster as dg
import pytest
from feeds import create_rome_seed

from otp_pipeline.defs.partitions import monthly_partitions
from otp_pipeline.defs.quality.assets import quality_report
from otp_pipeline.defs.quality.checks import CHECKED_ASSET_KEYS, QUALITY_CHECKS
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.warehouse import connect

MONTH = "2021-03"
FACTS = ["fct_prescriptions", "fct_entrees"]
MARTS = ["prescriptions_mensuelles", "suivi_otp", "qualite_prescripteur",
         "prescriptions_par_formation", "projection_otp", "prescriptions_secteurs_avenir"]  # fmt: skip
STEERING_CHECKS = {
    "gx_formation_non_renseignee": ("prescriptions_par_formation", "warning"),
    "gx_prescriptions_par_formation": ("prescriptions_par_formation", "blocking"),
    "gx_projection_otp": ("projection_otp", "blocking"),
}
TABLES = {
    "fct_prescriptions": """source varchar, id_prescription varchar, mois_fichier varchar,
        mois varchar, date_prescription date, date_entree date, code_departement varchar,
        code_region varchar, libelle_region varchar, type_prescripteur varchar,
        prescripteur_renseigne boolean, code_structure varchar, reseau_prescripteur varchar,
        age integer, tranche_age varchar, statut varchar, est_prescription boolean,
        est_entree boolean, numero_ais varchar, type_formation varchar,
        domaine_professionnel varchar, libelle_domaine varchar""",
    "fct_entrees": """source varchar, id_prescription varchar, mois_fichier varchar,
        mois_entree varchar, date_entree date, date_prescription date, code_region varchar,
        libelle_region varchar, reseau_prescripteur varchar, age integer, tranche_age varchar,
        numero_ais varchar, mois_fichier_ais_apparie varchar, type_formation varchar,
        domaine_professionnel varchar, libelle_domaine varchar""",
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
    "prescriptions_par_formation": """mois varchar, code_region varchar,
        libelle_region varchar, source varchar, type_formation varchar,
        domaine_professionnel varchar, libelle_domaine varchar, tranche_age varchar,
        nb_prescriptions bigint, nb_entrees bigint""",
    "projection_otp": """mois varchar, code_region varchar, libelle_region varchar,
        indicateur varchar, periode_debut varchar, periode_fin varchar, objectif bigint,
        realise_cumule bigint, nb_mois_ecoules bigint, nb_mois_periode bigint,
        rythme_mensuel double, projection_fin_periode double, reste_a_realiser bigint,
        rythme_necessaire double, statut varchar, realise_cumule_borne_haute bigint,
        fiabilite varchar""",
    "prescriptions_secteurs_avenir": """mois varchar, code_region varchar,
        libelle_region varchar, source varchar, type_formation varchar,
        code_secteur varchar, libelle_secteur varchar, tranche_age varchar,
        nb_prescriptions bigint, nb_entrees bigint""",
    # dbt's view of the run's lists (contract §9): region 11 on a national list.
    "int_secteurs_listes": """code_region varchar, liste varchar, prefixe_rome varchar,
        code_secteur varchar, libelle_secteur varchar""",
}
SANTE, CONSTRUCTION = "Santé", "Construction, Bâtiment et Travaux publics"
IDF, ARA = "Île-de-France", "Auvergne-Rhône-Alpes"


def si_pe(id_, region, type_prescripteur, age):
    """One si_pe prescription of March counted in March, as fct_prescriptions holds it
    (QUALIFIANTE toward Santé in region 11, toward Construction in region 84)."""
    departement, libelle = {"11": ("75", IDF), "84": ("69", ARA)}[region]
    filled = type_prescripteur is not None
    return ("SI_PE", id_, MONTH, MONTH, date(2021, 3, 10), None, departement, region, libelle,
            type_prescripteur, filled, None, type_prescripteur if filled else "NON_RENSEIGNE",
            age, "MOINS_26" if age < 26 else "30_PLUS", "PRESCRITE", True, False, None,
            "QUALIFIANTE", *{"11": ("J", SANTE), "84": ("F", CONSTRUCTION)}[region])  # fmt: skip


# Region 11: an objective of 120 per indicator over 2021-01..2021-12 (k = 3, n = 12, linear
# target 30), 30 PE prescriptions of under-30s so far (10 in March), no entry and no I-Milo.
SUIVI_11 = [
    (MONTH, "11", IDF, indicator, "2021-01", "2021-12", 120, mois, cumul, cumul / 120, 30.0,
     cumul - 30.0, "FIABLE")
    for indicator, mois, cumul in (("ENTREES_MOINS_30", 0, 0),
                                   ("PRESCRIPTIONS_PE_MOINS_30", 10, 30),
                                   ("PRESCRIPTIONS_ML_MOINS_26", 0, 0))
]  # fmt: skip
# PE exactly on the target: 30 * 12 = 120 * 3, EN_BONNE_VOIE; pace 30 / 3 = 10.0, projection
# 30 * 12 / 3 = 120.0, 90 left over 9 months: 10.0. The two others: 0 * 12 < 120 * 3 and
# 10 * 0 * 12 < 9 * 120 * 3, EN_RETARD, 120 left: 120 / 9. No unfilled prescriber: every
# upper bound is realise_cumule.
PROJECTION_11 = [
    (MONTH, "11", IDF, "ENTREES_MOINS_30", "2021-01", "2021-12", 120, 0, 3, 12, 0.0, 0.0, 120, 120 / 9, "EN_RETARD", 0, "FIABLE"),
    (MONTH, "11", IDF, "PRESCRIPTIONS_PE_MOINS_30", "2021-01", "2021-12", 120, 30, 3, 12, 10.0, 120.0, 90, 10.0, "EN_BONNE_VOIE", 30, "FIABLE"),
    (MONTH, "11", IDF, "PRESCRIPTIONS_ML_MOINS_26", "2021-01", "2021-12", 120, 0, 3, 12, 0.0, 0.0, 120, 120 / 9, "EN_RETARD", 0, "FIABLE"),
]  # fmt: skip


def month_tables(filled_84=10, duplicate=False) -> dict[str, list[tuple]]:
    """Region 11: 10 si_pe prescriptions, all filled; region 84: 10, `filled_84` filled;
    region 11's objectives tracked and projected (SUIVI_11, PROJECTION_11)."""
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
        "suivi_otp": SUIVI_11,
        "projection_otp": PROJECTION_11,
        # prescriptions_mensuelles' two groups, by type and domain: 10 and 10.
        "prescriptions_par_formation": [
            (MONTH, "11", IDF, "SI_PE", "QUALIFIANTE", "J", SANTE, "MOINS_26", 10, 0),
            (MONTH, "84", ARA, "SI_PE", "QUALIFIANTE", "F", CONSTRUCTION, "30_PLUS", 10, 0),
        ],
        # The same groups by sector: J15 is on 11's (national) list, 84 has none.
        "prescriptions_secteurs_avenir": [
            (MONTH, "11", IDF, "SI_PE", "QUALIFIANTE", "SOIN", "Soin", "MOINS_26", 10, 0),
            (MONTH, "84", ARA, "SI_PE", "QUALIFIANTE", "HORS_LISTE", None, "30_PLUS", 10, 0),
        ],
        "int_secteurs_listes": [("11", "*", "J15", "SOIN", "Soin")],
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
            create_rome_seed(con)
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
        [
            stand_in_models(tables),
            stand_in_publication(publication_deps),
            quality_report,
            *QUALITY_CHECKS,
        ],
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
        "gx_formation_non_renseignee": ("prescriptions_par_formation", True),
        "gx_prescriptions_mensuelles": ("prescriptions_mensuelles", True),
        "gx_prescriptions_par_formation": ("prescriptions_par_formation", True),
        "gx_prescriptions_secteurs_avenir": ("prescriptions_secteurs_avenir", True),
        "gx_projection_otp": ("projection_otp", True),
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
    assert len(checks) == 11
    # One ML-free month: the often-empty fields are measured, nothing fails.
    assert {name: check.passed for name, check in checks.items()} == dict.fromkeys(checks, True)
    fct = checks["gx_fct_prescriptions"]
    assert fct.severity == dg.AssetCheckSeverity.ERROR  # declared blocking
    assert metadata(fct, "mois") == MONTH and metadata(fct, "lignes") == 20
    docs = metadata(fct, "data_docs")
    assert docs == str(warehouse.parent / "gx/uncommitted/data_docs/local_site/index.html")
    # Written by quality_report, after the checks: every suite's page of the month.
    index = warehouse.parent / "gx/uncommitted/data_docs/local_site/index.html"
    assert index.is_file() and "quality_report" in materialized(result)
    pages = list((index.parent / "validations").glob(f"*/{MONTH}/*/*.html"))
    assert len(pages) == 11


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


def test_a_failed_fact_check_holds_back_the_publication_even_through_the_marts(tmp_path):
    # The checks are one step, with checks on the marts: the publication waits for it and
    # is held back by a failed check on a fact, even when it depends on the marts alone.
    # (When each check was its own step, it was not: Dagster 1.13 holds back only the
    # assets depending on the checked asset. The publication still depends on fct_*.)
    result = materialize(tmp_path / "otp.duckdb", month_tables(duplicate=True),
                         publication_deps=MARTS)  # fmt: skip
    assert not result.success
    assert not evaluations(result)["gx_fct_prescriptions"].passed
    assert "publication" not in materialized(result)


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
    assert len(checks) == 11
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


# The steering tables of contract §8.


def test_steering_suites_are_blocking_checks_on_the_steering_tables():
    # Blocking in Dagster's sense, all three (known before the publication runs); the
    # suite's own severity says whether a failure stops it: formation_non_renseignee warns.
    specs = {
        spec.key.name: (spec.asset_key.to_user_string(), spec.metadata["severity"])
        for check in QUALITY_CHECKS
        for spec in check.check_specs
        if spec.key.name in STEERING_CHECKS and spec.blocking
    }
    assert specs == STEERING_CHECKS
    checked = {key.to_user_string() for key in CHECKED_ASSET_KEYS}
    assert {"prescriptions_par_formation", "projection_otp"} <= checked


def test_valid_month_passes_the_steering_checks(valid_run):
    _, result = valid_run
    checks = evaluations(result)
    assert {name: checks[name].passed for name in STEERING_CHECKS} == dict.fromkeys(
        STEERING_CHECKS, True
    )
    severities = {name: checks[name].severity for name in STEERING_CHECKS}
    assert severities == {
        "gx_formation_non_renseignee": dg.AssetCheckSeverity.WARN,  # declared warning
        "gx_prescriptions_par_formation": dg.AssetCheckSeverity.ERROR,
        "gx_projection_otp": dg.AssetCheckSeverity.ERROR,
    }
    # Two steering rows; two region-months; three projections (region 11's indicators).
    lines = {name: metadata(checks[name], "lignes") for name in STEERING_CHECKS}
    assert lines == {"gx_formation_non_renseignee": 2, "gx_prescriptions_par_formation": 2,
                     "gx_projection_otp": 3}  # fmt: skip
    assert metadata(checks["gx_projection_otp"], "realise_cumule") == 30  # 0 + 30 + 0
    assert metadata(checks["gx_prescriptions_par_formation"], "nb_prescriptions") == 20


def test_steering_table_not_adding_up_holds_back_the_publication(tmp_path):
    tables = month_tables()
    # Region 11's row says 11 prescriptions where prescriptions_mensuelles says 10.
    tables["prescriptions_par_formation"][0] = (
        MONTH, "11", IDF, "SI_PE", "QUALIFIANTE", "J", SANTE, "MOINS_26", 11, 0)  # fmt: skip
    result = materialize(tmp_path / "otp.duckdb", tables)
    assert not result.success
    assert "publication" not in materialized(result)
    check = evaluations(result)["gx_prescriptions_par_formation"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    [failure] = metadata(check, "echecs")
    assert failure["expectation"] == "prescriptions_egales_a_prescriptions_mensuelles"
    assert failure["exemples"] == [
        {"nb_prescriptions_groupe": 11, "nb_prescriptions_mensuelles": 10, "mois": MONTH,
         "code_region": "11", "source": "SI_PE", "tranche_age": "MOINS_26"}
    ]  # fmt: skip


def test_unfilled_training_type_warns_and_the_month_is_published(tmp_path):
    tables = month_tables()
    # Region 84: 3 of its 10 prescriptions without a type, 0.30 > 0.25.
    tables["prescriptions_par_formation"][1:] = [
        (MONTH, "84", ARA, "SI_PE", "QUALIFIANTE", "F", CONSTRUCTION, "30_PLUS", 7, 0),
        (MONTH, "84", ARA, "SI_PE", "NON_RENSEIGNE", "F", CONSTRUCTION, "30_PLUS", 3, 0),
    ]
    tables["prescriptions_secteurs_avenir"][1:] = [
        (MONTH, "84", ARA, "SI_PE", "QUALIFIANTE", "HORS_LISTE", None, "30_PLUS", 7, 0),
        (MONTH, "84", ARA, "SI_PE", "NON_RENSEIGNE", "HORS_LISTE", None, "30_PLUS", 3, 0),
    ]
    result = materialize(tmp_path / "otp.duckdb", tables)
    assert result.success
    assert "publication" in materialized(result)
    check = evaluations(result)["gx_formation_non_renseignee"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert metadata(check, "regions_type_non_renseigne") == {
        "84": {"lignes": 10, "non_conformes": 3, "taux": 0.7}
    }
    assert metadata(check, "regions_domaine_non_renseigne") == {}
    assert metadata(check, "seuils") == {"steering_unfilled_share_max": 0.25}
    assert evaluations(result)["gx_prescriptions_par_formation"].passed  # still adds up
