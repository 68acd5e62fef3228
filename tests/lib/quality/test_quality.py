"""Data-quality suites (expectations/*.yml) validated with GX on a real DuckDB file.

The warehouse holds the dbt tables with hand-written rows for March 2021:
- region 11: 30 si_pe prescriptions counted, 27 with a valid type_prescripteur (0.90, not
  flagged), one of them entered in March; plus one cancelled prescription (not counted)
  and one February prescription entered in March;
- region 84: 30 si_pe prescriptions by a Mission locale or not filled, 26 filled
  (26/30 = 0.8667, flagged), one ML prescription without its structure code;
- region 93: 3 I-Milo prescriptions (one aged 27), one entered in March.
Each prescription carries its type of training and ROME grand domaine (contract §8):
region 93's prescription aged 27 has no type (1 of 3 NON_RENSEIGNE: a steering warning);
the two steering tables are as dbt would compute them from these rows and from suivi_otp.
"""

import json
import shutil
from dataclasses import replace
from datetime import date

import duckdb
import pytest
from feeds import create_rome_seed

from otp_pipeline.lib.publication.manifest import FORBIDDEN_COLUMNS
from otp_pipeline.lib.quality.frames import read_frames
from otp_pipeline.lib.quality.runner import (
    SuiteError,
    month_quality_summary,
    quality_report_path,
    read_frame,
    validate_frame,
    validate_month,
    validate_suite,
)
from otp_pipeline.lib.quality.suites import load_suite, load_suites, query_parameters
from otp_pipeline.lib.thresholds import DEFAULT_EXPECTATIONS_DIR, load_thresholds
from otp_pipeline.lib.warehouse import connect

MONTH = "2021-03"
REGIONS = {"11": ("75", "Île-de-France"), "84": ("69", "Auvergne-Rhône-Alpes"),
           "93": ("13", "Provence-Alpes-Côte d'Azur")}  # fmt: skip
VALID_TYPES = ("PE", "ML", "CAP_EMPLOI", "AUTRE")

FCT_PRESCRIPTIONS = """create table main.fct_prescriptions (
    source varchar, id_prescription varchar, mois_fichier varchar, mois varchar,
    date_prescription date, date_entree date, code_departement varchar, code_region varchar,
    libelle_region varchar, type_prescripteur varchar, prescripteur_renseigne boolean,
    code_structure varchar, reseau_prescripteur varchar, age integer, tranche_age varchar,
    statut varchar, est_prescription boolean, est_entree boolean, numero_ais varchar,
    type_formation varchar, domaine_professionnel varchar, libelle_domaine varchar)"""
FCT_ENTREES = """create table main.fct_entrees (
    source varchar, id_prescription varchar, mois_fichier varchar, mois_entree varchar,
    date_entree date, date_prescription date, code_region varchar, libelle_region varchar,
    reseau_prescripteur varchar, age integer, tranche_age varchar, numero_ais varchar,
    mois_fichier_ais_apparie varchar, type_formation varchar, domaine_professionnel varchar,
    libelle_domaine varchar)"""
PRESCRIPTIONS_MENSUELLES = """create table main.prescriptions_mensuelles (
    mois varchar, code_region varchar, libelle_region varchar, source varchar,
    reseau_prescripteur varchar, tranche_age varchar, nb_prescriptions bigint,
    nb_entrees bigint, fiabilite varchar)"""
SUIVI_OTP = """create table main.suivi_otp (
    mois varchar, code_region varchar, libelle_region varchar, indicateur varchar,
    periode_debut varchar, periode_fin varchar, objectif bigint, realise_mois bigint,
    realise_cumule bigint, taux_realisation double, cible_lineaire double,
    ecart_cible double, fiabilite varchar)"""
QUALITE_PRESCRIPTEUR = """create table main.qualite_prescripteur (
    mois varchar, code_region varchar, libelle_region varchar, nb_prescriptions_si_pe bigint,
    nb_prescripteur_renseigne bigint, taux_renseignement double,
    nb_ml_si_pe_moins_26 bigint, nb_ml_imilo_moins_26 bigint, fiabilite varchar)"""
PRESCRIPTIONS_PAR_FORMATION = """create table main.prescriptions_par_formation (
    mois varchar, code_region varchar, libelle_region varchar, source varchar,
    type_formation varchar, domaine_professionnel varchar, libelle_domaine varchar,
    tranche_age varchar, nb_prescriptions bigint, nb_entrees bigint)"""
PRESCRIPTIONS_SECTEURS_AVENIR = """create table main.prescriptions_secteurs_avenir (
    mois varchar, code_region varchar, libelle_region varchar, source varchar,
    type_formation varchar, code_secteur varchar, libelle_secteur varchar,
    tranche_age varchar, nb_prescriptions bigint, nb_entrees bigint)"""
# The lists of the run as dbt's view int_secteurs_listes gives them: region 11 on the
# national list (J15 SOIN), 84 on its own (H INDUSTRIE), 93 without a list.
INT_SECTEURS_LISTES = """create table main.int_secteurs_listes as
    select * from (values ('11', '*', 'J15', 'SOIN', 'Soin'),
                          ('84', '84', 'H', 'INDUSTRIE', 'Industrie'))
    as listes (code_region, liste, prefixe_rome, code_secteur, libelle_secteur)"""
PROJECTION_OTP = """create table main.projection_otp (
    mois varchar, code_region varchar, libelle_region varchar, indicateur varchar,
    periode_debut varchar, periode_fin varchar, objectif bigint, realise_cumule bigint,
    nb_mois_ecoules bigint, nb_mois_periode bigint, rythme_mensuel double,
    projection_fin_periode double, reste_a_realiser bigint, rythme_necessaire double,
    statut varchar, realise_cumule_borne_haute bigint, fiabilite varchar)"""
# The grands domaines the fixture uses, as ref_rome_domaines.csv labels them.
DOMAINES = {"F": "Construction, Bâtiment et Travaux publics", "H": "Industrie", "J": "Santé",
            "K": "Services à la personne et à la collectivité",
            "M": "Support à l'entreprise", "N": "Transport et Logistique",
            "NON_RENSEIGNE": None}  # fmt: skip


def prescription(id_, source="SI_PE", region="11", type_prescripteur="PE", age=25,
                 statut="PRESCRITE", prescrite=date(2021, 3, 10), entree=None,
                 structure=None, numero_ais=None, formation="QUALIFIANTE",
                 domaine="J") -> dict:  # fmt: skip
    """One fct_prescriptions row derived as dbt does (contract §5, §8)."""
    departement, libelle = REGIONS.get(region, ("99", None))
    valid = source == "IMILO" or type_prescripteur in VALID_TYPES
    return {
        "source": source, "id_prescription": id_, "mois_fichier": prescrite.strftime("%Y-%m"),
        "mois": prescrite.strftime("%Y-%m"), "date_prescription": prescrite,
        "date_entree": entree, "code_departement": departement, "code_region": region,
        "libelle_region": libelle,
        "type_prescripteur": None if source == "IMILO" else type_prescripteur,
        "prescripteur_renseigne": valid, "code_structure": structure,
        "reseau_prescripteur": "ML" if source == "IMILO" else (type_prescripteur if valid else "NON_RENSEIGNE"),
        "age": age, "tranche_age": "MOINS_26" if age < 26 else ("26_29" if age < 30 else "30_PLUS"),
        "statut": statut, "est_prescription": statut != "ANNULEE",
        "est_entree": statut in ("ENTREE", "ABANDON") and entree is not None,
        "numero_ais": numero_ais, "type_formation": formation,
        "domaine_professionnel": domaine, "libelle_domaine": DOMAINES[domaine],
    }  # fmt: skip


def baseline_prescriptions() -> list[dict]:
    rows = [prescription(f"P11-{i:02d}", type_prescripteur="PE") for i in range(1, 25)]
    rows[0] = prescription("P11-01", statut="ENTREE", entree=date(2021, 3, 20))
    rows += [prescription(f"P11-{i:02d}", type_prescripteur="PE", formation="PRE_QUALIFIANTE",
                          domaine="H") for i in range(25, 28)]  # fmt: skip
    rows += [prescription("P11-28", type_prescripteur=None, formation="NON_RENSEIGNE", domaine="M"),
             prescription("P11-29", type_prescripteur=None, formation="NON_RENSEIGNE", domaine="M"),
             prescription("P11-30", type_prescripteur="MISSION LOCALE", formation="AUTRE",
                          domaine="NON_RENSEIGNE"),
             prescription("P11-31", statut="ANNULEE"),
             prescription("P11-F1", prescrite=date(2021, 2, 3), statut="ENTREE",
                          entree=date(2021, 3, 1))]  # fmt: skip
    rows += [prescription(f"P84-{i:02d}", region="84", type_prescripteur="ML", age=35,
                          structure=None if i == 1 else "ML069",
                          formation="QUALIFIANTE" if i <= 20 else "PRE_QUALIFIANTE",
                          domaine="F" if i <= 20 else "N") for i in range(1, 27)]  # fmt: skip
    rows += [prescription(f"P84-{i:02d}", region="84", type_prescripteur=None, age=35,
                          formation="NON_RENSEIGNE", domaine="NON_RENSEIGNE")
             for i in range(27, 31)]  # fmt: skip
    rows += [prescription("M93-1", source="IMILO", region="93", age=20, structure="ML013",
                          domaine="K"),
             prescription("M93-2", source="IMILO", region="93", age=20, structure="ML013",
                          statut="ENTREE", entree=date(2021, 3, 15), domaine="K"),
             prescription("M93-3", source="IMILO", region="93", age=27, structure="ML013",
                          formation="NON_RENSEIGNE", domaine="K")]  # fmt: skip
    return rows


def entries(prescriptions: list[dict]) -> list[dict]:
    return [
        {
            "source": p["source"],
            "id_prescription": p["id_prescription"],
            "mois_fichier": p["mois_fichier"],
            "mois_entree": p["date_entree"].strftime("%Y-%m"),
            "date_entree": p["date_entree"],
            "date_prescription": p["date_prescription"],
            "code_region": p["code_region"],
            "libelle_region": p["libelle_region"],
            "reseau_prescripteur": p["reseau_prescripteur"],
            "age": p["age"],
            "tranche_age": p["tranche_age"],
            "numero_ais": p["numero_ais"],
            "mois_fichier_ais_apparie": None,
            "type_formation": p["type_formation"],
            "domaine_professionnel": p["domaine_professionnel"],
            "libelle_domaine": p["libelle_domaine"],
        }  # fmt: skip
        for p in prescriptions
        if p["est_entree"]
    ]


IDF, ARA, PACA = (REGIONS[code][1] for code in ("11", "84", "93"))
PRESCRIPTIONS_MENSUELLES_ROWS = [
    (MONTH, "11", IDF, "SI_PE", "PE", "MOINS_26", 27, 2, "FIABLE"),
    (MONTH, "11", IDF, "SI_PE", "NON_RENSEIGNE", "MOINS_26", 3, 0, "FIABLE"),
    (MONTH, "84", ARA, "SI_PE", "ML", "30_PLUS", 26, 0, "A_EXAMINER"),
    (MONTH, "84", ARA, "SI_PE", "NON_RENSEIGNE", "30_PLUS", 4, 0, "A_EXAMINER"),
    (MONTH, "93", PACA, "IMILO", "ML", "MOINS_26", 2, 1, "FIABLE"),
    (MONTH, "93", PACA, "IMILO", "ML", "26_29", 1, 0, "FIABLE"),
]
# The same groups (mois, code_region, source, tranche_age) and sums as above, split by type
# and domain as baseline_prescriptions gives them: region 11 (SI_PE, MOINS_26) 24 + 3 + 2 +
# 1 = 30 prescriptions and 2 entries (P11-01, and P11-F1 from its own row); region 84
# (SI_PE, 30_PLUS) 20 + 6 + 4 = 30; region 93 (IMILO) 2 and 1 entry under 26, 1 aged 27.
PRESCRIPTIONS_PAR_FORMATION_ROWS = [
    (MONTH, "11", IDF, "SI_PE", "QUALIFIANTE", "J", DOMAINES["J"], "MOINS_26", 24, 2),
    (MONTH, "11", IDF, "SI_PE", "PRE_QUALIFIANTE", "H", DOMAINES["H"], "MOINS_26", 3, 0),
    (MONTH, "11", IDF, "SI_PE", "NON_RENSEIGNE", "M", DOMAINES["M"], "MOINS_26", 2, 0),
    (MONTH, "11", IDF, "SI_PE", "AUTRE", "NON_RENSEIGNE", None, "MOINS_26", 1, 0),
    (MONTH, "84", ARA, "SI_PE", "QUALIFIANTE", "F", DOMAINES["F"], "30_PLUS", 20, 0),
    (MONTH, "84", ARA, "SI_PE", "PRE_QUALIFIANTE", "N", DOMAINES["N"], "30_PLUS", 6, 0),
    (MONTH, "84", ARA, "SI_PE", "NON_RENSEIGNE", "NON_RENSEIGNE", None, "30_PLUS", 4, 0),
    (MONTH, "93", PACA, "IMILO", "QUALIFIANTE", "K", DOMAINES["K"], "MOINS_26", 2, 1),
    (MONTH, "93", PACA, "IMILO", "NON_RENSEIGNE", "K", DOMAINES["K"], "26_29", 1, 0),
]
# prescriptions_par_formation's groups (mois, region, source, type, age band) split by
# sector (contract §9).
PRESCRIPTIONS_SECTEURS_AVENIR_ROWS = [
    (MONTH, "11", IDF, "SI_PE", "QUALIFIANTE", "SOIN", "Soin", "MOINS_26", 20, 2),
    (MONTH, "11", IDF, "SI_PE", "QUALIFIANTE", "HORS_LISTE", None, "MOINS_26", 4, 0),
    (MONTH, "11", IDF, "SI_PE", "PRE_QUALIFIANTE", "HORS_LISTE", None, "MOINS_26", 3, 0),
    (MONTH, "11", IDF, "SI_PE", "NON_RENSEIGNE", "HORS_LISTE", None, "MOINS_26", 2, 0),
    (MONTH, "11", IDF, "SI_PE", "AUTRE", "NON_RENSEIGNE", None, "MOINS_26", 1, 0),
    (MONTH, "84", ARA, "SI_PE", "QUALIFIANTE", "INDUSTRIE", "Industrie", "30_PLUS", 20, 0),
    (MONTH, "84", ARA, "SI_PE", "PRE_QUALIFIANTE", "HORS_LISTE", None, "30_PLUS", 6, 0),
    (MONTH, "84", ARA, "SI_PE", "NON_RENSEIGNE", "NON_RENSEIGNE", None, "30_PLUS", 4, 0),
    (MONTH, "93", PACA, "IMILO", "QUALIFIANTE", "HORS_LISTE", None, "MOINS_26", 2, 1),
    (MONTH, "93", PACA, "IMILO", "NON_RENSEIGNE", "HORS_LISTE", None, "26_29", 1, 0),
]
QUALITE_PRESCRIPTEUR_ROWS = [
    (MONTH, "11", IDF, 30, 27, 27 / 30, 0, 0, "FIABLE"),
    (MONTH, "84", ARA, 30, 26, 26 / 30, 0, 0, "A_EXAMINER"),
    (MONTH, "93", PACA, 0, 0, None, 0, 2, "FIABLE"),
]


def suivi_rows(month, entrees, pe, ml, fiabilite_pe="FIABLE") -> list[tuple]:
    """Region 11's three indicators for `month`: (realise_mois, realise_cumule) each."""
    return [
        (month, "11", IDF, indicator, "2021-01", "2021-12", 120, mois, cumul, cumul / 120,
         30.0, cumul - 30.0, fiabilite)
        for indicator, (mois, cumul), fiabilite in (
            ("ENTREES_MOINS_30", entrees, "FIABLE"),
            ("PRESCRIPTIONS_PE_MOINS_30", pe, fiabilite_pe),
            ("PRESCRIPTIONS_ML_MOINS_26", ml, "FIABLE"),
        )
    ]  # fmt: skip


SUIVI_ROWS = suivi_rows("2021-02", (1, 3), (10, 25), (0, 0)) + suivi_rows(
    MONTH, (2, 5), (27, 52), (0, 0)
)


def calendar_months(first: str, last: str) -> int:
    """Months from `first` to `last` (YYYY-MM), both included."""
    (year_a, month_a), (year_b, month_b) = (map(int, m.split("-")) for m in (first, last))
    return (year_b - year_a) * 12 + month_b - month_a + 1


def projection_row(suivi_row: tuple, unfilled_pe: int = 0) -> tuple:
    """The projection_otp row of one suivi_otp row by contract §8's formulas; `unfilled_pe`:
    the si_pe prescriptions of under-30s with an unfilled prescriber over the period so far,
    added to the upper bound of PRESCRIPTIONS_PE_MOINS_30 only."""
    mois, region, libelle, indicator, debut, fin, objectif, _, cumul, *_, fiabilite = suivi_row
    k, n = calendar_months(debut, mois), calendar_months(debut, fin)
    reste = max(objectif - cumul, 0)
    if cumul >= objectif:
        statut = "ATTEINT"
    elif cumul * n >= objectif * k:
        statut = "EN_BONNE_VOIE"
    elif 10 * cumul * n >= 9 * objectif * k:
        statut = "A_RISQUE"
    else:
        statut = "EN_RETARD"
    bound = cumul + (unfilled_pe if indicator == "PRESCRIPTIONS_PE_MOINS_30" else 0)
    return (mois, region, libelle, indicator, debut, fin, objectif, cumul, k, n, cumul / k,
            cumul * n / k, reste, None if k == n else reste / (n - k), statut, bound,
            fiabilite)  # fmt: skip


# One row per SUIVI_ROWS row (region 11, objectif 120, period 2021-01..2021-12: n = 12; k = 2
# in February, 3 in March). Statut in whole numbers:
#   02 ENTREES  3: 3*12 = 36 < 120*2 = 240, 10*36 = 360 < 9*240 = 2160   EN_RETARD
#   02 PE      25: 25*12 = 300 >= 240                                     EN_BONNE_VOIE
#   03 ENTREES  5: 60 < 360, 600 < 9*360 = 3240                           EN_RETARD
#   03 PE      52: 52*12 = 624 >= 360                                     EN_BONNE_VOIE
#   ML 0 both months: EN_RETARD.
# Upper bound of PE: no unfilled prescriber in January or February, and March's P11-28,
# P11-29 and P11-30 (si_pe, aged 25, NON_RENSEIGNE): 25 in February, 52 + 3 = 55 in March.
PROJECTION_ROWS = [
    projection_row(row, unfilled_pe=3 if row[0] == MONTH else 0) for row in SUIVI_ROWS
]


def build_warehouse(path, prescriptions=None):
    """The seven checked tables of the warehouse, as dbt would leave them for March 2021."""
    prescriptions = baseline_prescriptions() if prescriptions is None else prescriptions
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        for ddl in (FCT_PRESCRIPTIONS, FCT_ENTREES, PRESCRIPTIONS_MENSUELLES, SUIVI_OTP,
                    QUALITE_PRESCRIPTEUR, PRESCRIPTIONS_PAR_FORMATION, PROJECTION_OTP,
                    PRESCRIPTIONS_SECTEURS_AVENIR, INT_SECTEURS_LISTES):  # fmt: skip
            con.execute(ddl)
        _insert(con, "fct_prescriptions", prescriptions)
        _insert(con, "fct_entrees", entries(prescriptions))
        con.executemany("insert into main.prescriptions_mensuelles values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?)", PRESCRIPTIONS_MENSUELLES_ROWS)  # fmt: skip
        con.executemany("insert into main.qualite_prescripteur values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?)", QUALITE_PRESCRIPTEUR_ROWS)  # fmt: skip
        con.executemany("insert into main.suivi_otp values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", SUIVI_ROWS)  # fmt: skip
        con.executemany("insert into main.prescriptions_par_formation values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", PRESCRIPTIONS_PAR_FORMATION_ROWS)  # fmt: skip
        con.executemany("insert into main.projection_otp values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", PROJECTION_ROWS)  # fmt: skip
        con.executemany("insert into main.prescriptions_secteurs_avenir values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", PRESCRIPTIONS_SECTEURS_AVENIR_ROWS)  # fmt: skip
        create_rome_seed(con)
    return path


def _insert(con, table, rows):
    if rows:
        columns = list(rows[0])
        placeholders = ", ".join("?" for _ in columns)
        con.executemany(
            f"insert into main.{table} ({', '.join(columns)}) values ({placeholders})",
            [[row[column] for column in columns] for row in rows],
        )


def execute(path, sql, params=None):
    with duckdb.connect(str(path)) as con:
        con.execute(sql, params or [])


def failed_names(result, severity=None):
    return sorted({failure.name for failure in result.failures(severity)})


@pytest.fixture
def built(warehouse):
    return build_warehouse(warehouse)


def test_every_suite_file_loads_and_names_its_asset():
    suites = load_suites(DEFAULT_EXPECTATIONS_DIR)
    assert {name: spec.asset for name, spec in suites.items()} == {
        "champs_souvent_vides": "fct_prescriptions",
        "fct_entrees": "fct_entrees",
        "fct_prescriptions": "fct_prescriptions",
        "formation_non_renseignee": "prescriptions_par_formation",
        "prescriptions_mensuelles": "prescriptions_mensuelles",
        "prescriptions_par_formation": "prescriptions_par_formation",
        "prescriptions_secteurs_avenir": "prescriptions_secteurs_avenir",
        "projection_otp": "projection_otp",
        "qualite_prescripteur": "qualite_prescripteur",
        "si_pe_prescripteur": "fct_prescriptions",
        "suivi_otp": "suivi_otp",
    }
    # The fill-rate threshold is referenced by name, never copied into a suite.
    assert suites["si_pe_prescripteur"].expectations[0].kwargs["min_value"] == {
        "threshold": "prescriber_fill_rate_min"
    }
    # YAML 1.1 reads an unquoted 26_29 as the integer 2629: every code must stay text.
    for spec in suites.values():
        for expectation in spec.expectations:
            values = expectation.kwargs.get("value_set")
            if isinstance(values, list):
                assert len({type(value) for value in values}) == 1, (spec.name, values)


def test_valid_month_passes_every_blocking_suite(built):
    results = {result.suite: result for result in validate_month(built, MONTH)}
    assert {name: failed_names(result) for name, result in results.items()} == {
        "champs_souvent_vides": ["code_structure_si_pe_ml"],  # warning: one ML without code
        "fct_entrees": [],
        "fct_prescriptions": [],
        "formation_non_renseignee": ["type_formation_renseigne"],  # warning: region 93
        "prescriptions_mensuelles": [],
        "prescriptions_par_formation": [],
        "prescriptions_secteurs_avenir": [],
        "projection_otp": [],
        "qualite_prescripteur": [],
        "si_pe_prescripteur": ["remplissage_prescripteur"],  # warning: region 84
        "suivi_otp": [],
    }
    assert not any(result.blocking_failed for result in results.values())
    assert results["fct_prescriptions"].row_count == 64  # March rows, cancelled one included
    assert results["fct_entrees"].row_count == 3  # incl. the February prescription


def test_fill_rate_flags_only_the_region_strictly_below_threshold(built):
    result = validate_suite(built, "si_pe_prescripteur", MONTH)
    # 26 of 30 = 0.8667 < 0.90: flagged; 27 of 30 = 0.90 exactly: not flagged (contract §5).
    assert result.failing_groups("remplissage_prescripteur") == {
        "84": {"lignes": 30, "non_conformes": 4, "taux": 0.8667}
    }
    assert result.group_rates("remplissage_prescripteur") == {"11": 0.9, "84": 0.8667}
    assert result.key_figures()["regions_sous_seuil"] == {
        "84": {"lignes": 30, "non_conformes": 4, "taux": 0.8667}
    }
    assert not result.success and not result.blocking_failed
    assert result.thresholds == {"prescriber_fill_rate_min": 0.9}
    often_empty = validate_suite(built, "champs_souvent_vides", MONTH)
    [invalid] = [r for r in often_empty.expectations if r.name == "valeurs_type_prescripteur"]
    assert invalid.samples == ("MISSION LOCALE",)  # a code, reported, never a failure
    assert not invalid.failed


def test_often_empty_fields_are_reported_as_fill_rates(built):
    result = validate_suite(built, "champs_souvent_vides", MONTH)
    figures = result.key_figures()
    assert figures["taux_code_structure_si_pe"] == {"lignes": 60, "non_conformes": 35,
                                                    "taux": round(25 / 60, 4)}  # fmt: skip
    assert figures["taux_numero_ais_imilo"] == {"lignes": 3, "non_conformes": 3, "taux": 0.0}
    [ml] = result.failures("warning")
    assert (ml.name, ml.unexpected_count, ml.element_count) == ("code_structure_si_pe_ml", 1, 26)


def test_duplicate_key_is_a_blocking_failure_naming_the_key(warehouse):
    rows = baseline_prescriptions()
    rows.append(prescription("P11-05"))  # same (SI_PE, P11-05) twice in March
    rows.append(prescription("P84-03", region="84", prescrite=date(2021, 1, 5)))  # in January
    build_warehouse(warehouse, rows)
    result = validate_suite(warehouse, "fct_prescriptions", MONTH)
    assert failed_names(result) == ["cle_unique"]
    [failure] = result.failures("blocking")
    assert "(source, id_prescription)" in failure.description
    assert failure.unexpected_count == 3  # both March P11-05 rows and the March P84-03 row
    assert failure.samples == (2,)  # rows per key: never the id itself


def test_invalid_codes_ages_dates_and_regions_are_blocking(warehouse):
    rows = baseline_prescriptions()
    rows[1]["statut"] = "EN_COURS"
    rows[2]["age"] = 12
    rows[3].update(code_region="99", code_departement="2C")
    rows[4].update(
        statut="ENTREE", date_entree=date(2021, 3, 1), date_prescription=date(2021, 3, 9)
    )
    rows[5]["reseau_prescripteur"] = "POLE_EMPLOI"
    rows[6]["code_region"] = None
    rows[7]["tranche_age"] = "30_PLUS"  # aged 25
    build_warehouse(warehouse, rows)
    result = validate_suite(warehouse, "fct_prescriptions", MONTH)
    assert failed_names(result, "blocking") == [
        "age_entre_14_et_99", "date_entree_pas_avant_prescription",
        "departement_dans_referentiel", "region_dans_referentiel", "region_renseignee",
        "reseau_selon_type", "reseau_valide", "statut_valide", "tranche_age_selon_age",
    ]  # fmt: skip
    samples = {failure.name: failure.samples for failure in result.failures()}
    assert samples["statut_valide"] == ("EN_COURS",)
    assert samples["age_entre_14_et_99"] == (12,)
    assert samples["region_dans_referentiel"] == ("99",)
    assert samples["date_entree_pas_avant_prescription"] == (["2021-03-01", "2021-03-09"],)


def test_threshold_changed_in_a_copied_folder_changes_the_outcome(built, tmp_path):
    folder = tmp_path / "expectations"
    shutil.copytree(DEFAULT_EXPECTATIONS_DIR, folder)
    thresholds = folder / "thresholds.yml"
    text = thresholds.read_text(encoding="utf-8")
    thresholds.write_text(text.replace("prescriber_fill_rate_min: 0.90",
                                       "prescriber_fill_rate_min: 0.95"))  # fmt: skip
    stricter = validate_suite(built, "si_pe_prescripteur", MONTH, folder)
    assert sorted(stricter.failing_groups("remplissage_prescripteur")) == ["11", "84"]
    assert stricter.thresholds == {"prescriber_fill_rate_min": 0.95}

    thresholds.write_text(text.replace("prescriber_fill_rate_min: 0.90",
                                       "prescriber_fill_rate_min: 0.85"))  # fmt: skip
    looser = validate_suite(built, "si_pe_prescripteur", MONTH, folder)
    assert looser.success and looser.failing_groups("remplissage_prescripteur") == {}
    # The published flag computed with 0.90 no longer matches the threshold: blocking.
    published = validate_suite(built, "qualite_prescripteur", MONTH, folder)
    assert failed_names(published, "blocking") == ["fiabilite_selon_seuil"]
    [failure] = published.failures()
    assert failure.samples == ({"fiabilite": "A_EXAMINER", "fiabilite_attendue": "FIABLE",
                                "mois": MONTH, "code_region": "84"},)  # fmt: skip


def test_published_counts_differing_from_the_facts_are_blocking(built):
    execute(built, "update main.prescriptions_mensuelles set nb_prescriptions = 28 "
                   "where code_region = '11' and reseau_prescripteur = 'PE'")  # fmt: skip
    execute(built, "delete from main.prescriptions_mensuelles where code_region = '93'")
    result = validate_suite(built, "prescriptions_mensuelles", MONTH)
    assert failed_names(result, "blocking") == [
        "ligne_publiee_pour_chaque_combinaison", "nb_prescriptions_egal_faits",
    ]  # fmt: skip
    samples = {failure.name: failure.samples for failure in result.failures()}
    assert {"nb_prescriptions": 28, "nb_prescriptions_faits": 27, "mois": MONTH, "code_region": "11",
            "source": "SI_PE", "reseau_prescripteur": "PE",
            "tranche_age": "MOINS_26"} in samples["nb_prescriptions_egal_faits"]  # fmt: skip
    figures = result.key_figures()
    assert (figures["nb_prescriptions_publiees"], figures["nb_prescriptions_faits"]) == (61, 63)


def test_suivi_cumul_below_the_month_is_blocking(built):
    execute(built, "update main.suivi_otp set realise_cumule = 1 "
                   "where mois = '2021-03' and indicateur = 'ENTREES_MOINS_30'")  # fmt: skip
    result = validate_suite(built, "suivi_otp", MONTH)
    assert failed_names(result, "blocking") == ["cumul_au_moins_le_mois"]
    # Also below February's published cumul: reported as a warning beside it.
    assert failed_names(result, "warning") == ["cumul_non_decroissant"]


def test_suivi_cumul_below_previous_month_is_only_a_warning(built):
    # A revision of February's file can lower February's count as computed in March.
    execute(built, "update main.suivi_otp set realise_cumule = 60 "
                   "where mois = '2021-02' and indicateur = 'PRESCRIPTIONS_PE_MOINS_30'")  # fmt: skip
    result = validate_suite(built, "suivi_otp", MONTH)
    assert not result.blocking_failed
    [warning] = result.failures()
    assert warning.name == "cumul_non_decroissant"
    assert warning.samples == ({"realise_cumule": 52, "realise_cumule_mois_precedent": 60,
                                "mois": MONTH, "code_region": "11", "indicateur": "PRESCRIPTIONS_PE_MOINS_30",
                                "periode_debut": "2021-01"},)  # fmt: skip


def test_first_month_of_a_period_has_cumul_equal_to_month(built):
    execute(built, "update main.suivi_otp set periode_debut = '2021-03' where mois = '2021-03'")
    result = validate_suite(built, "suivi_otp", MONTH)
    assert failed_names(result, "blocking") == ["cumul_egal_mois_au_premier_mois"]


def test_region_with_data_missing_from_qualite_prescripteur_is_blocking(built):
    execute(built, "delete from main.qualite_prescripteur where code_region = '93'")
    result = validate_suite(built, "qualite_prescripteur", MONTH)
    assert failed_names(result, "blocking") == ["chaque_region_avec_donnees_publiee"]
    [failure] = result.failures()
    assert failure.samples == ({"ligne_publiee": False, "mois": MONTH, "code_region": "93"},)


def test_data_docs_index_exists_and_names_the_suites(built):
    results = validate_month(built, MONTH)
    index = quality_report_path(built)
    assert index == built.parent / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert index.is_file() and all(result.data_docs == index for result in results)
    html = index.read_text(encoding="utf-8")
    for result in results:
        assert result.suite in html


def test_quality_report_path_without_any_validation_is_an_error(warehouse):
    with pytest.raises(FileNotFoundError, match="no data-quality validation"):
        quality_report_path(warehouse)


def test_month_summary_for_the_manifest_is_json_with_aggregates_only(built):
    summary = month_quality_summary(validate_month(built, MONTH))
    assert [(s["check"], s["severity"], s["success"]) for s in summary] == [
        ("gx_champs_souvent_vides", "warning", False),
        ("gx_fct_entrees", "blocking", True),
        ("gx_fct_prescriptions", "blocking", True),
        ("gx_formation_non_renseignee", "warning", False),
        ("gx_prescriptions_mensuelles", "blocking", True),
        ("gx_prescriptions_par_formation", "blocking", True),
        ("gx_prescriptions_secteurs_avenir", "blocking", True),
        ("gx_projection_otp", "blocking", True),
        ("gx_qualite_prescripteur", "blocking", True),
        ("gx_si_pe_prescripteur", "warning", False),
        ("gx_suivi_otp", "blocking", True),
    ]
    fill = next(s for s in summary if s["check"] == "gx_si_pe_prescripteur")
    assert fill["figures"]["regions_sous_seuil"] == {
        "84": {"lignes": 30, "non_conformes": 4, "taux": 0.8667}
    }
    text = json.dumps(summary, allow_nan=False)
    assert not any(f'"{name}"' in text for name in FORBIDDEN_COLUMNS)
    assert "P11-" not in text and "M93-" not in text  # no prescription id anywhere


def test_a_frame_holding_a_person_level_column_is_refused(built):
    with pytest.raises(SuiteError, match="id_prescription"):
        read_frame(built, "select id_prescription from main.fct_prescriptions", {})


def test_unknown_threshold_name_is_an_error(built, tmp_path):
    folder = tmp_path / "expectations"
    shutil.copytree(DEFAULT_EXPECTATIONS_DIR, folder)
    suite = folder / "si_pe_prescripteur.yml"
    suite.write_text(suite.read_text(encoding="utf-8").replace(
        "threshold: prescriber_fill_rate_min", "threshold: taux_inconnu"))  # fmt: skip
    with pytest.raises(SuiteError, match="unknown threshold 'taux_inconnu'"):
        validate_suite(built, "si_pe_prescripteur", MONTH, folder)


def test_a_part_that_fails_lets_go_of_the_warehouse(built, tmp_path):
    """A suite validated in parts holds the warehouse while it streams the rows: when a
    part's validation raises, the connection and the lock are released at once, not when
    the error is forgotten."""
    folder = tmp_path / "expectations"
    shutil.copytree(DEFAULT_EXPECTATIONS_DIR, folder)
    suite = folder / "fct_prescriptions.yml"
    written = "value_set: [PRESCRITE, ENTREE, ABANDON, ANNULEE]}"
    assert written in suite.read_text(encoding="utf-8")
    suite.write_text(suite.read_text(encoding="utf-8").replace(
        written, written[:-1] + ", mostly: {threshold: taux_inconnu}}"))  # fmt: skip
    with pytest.raises(SuiteError, match="unknown threshold 'taux_inconnu'") as raised:
        validate_suite(built, "fct_prescriptions", MONTH, folder, max_rows=5)
    assert raised.traceback  # the error is still held, with the frames it went through
    # Another configuration in the same process: refused while the first is still open.
    with connect(built) as con:
        assert con.execute("select count(*) from main.fct_prescriptions").fetchall()[0][0] > 5


def test_counts_without_per_is_an_error(tmp_path):
    suite = tmp_path / "agregat.yml"
    suite.write_text(
        "asset: fct_prescriptions\ndescription: d\nquery: select 1 as n\nexpectations:\n"
        "  - {name: n_positif, type: expect_column_values_to_be_between, severity: warning,\n"
        "     kwargs: {column: n, min_value: 0}, counts: {rows: n, met: n}}\n",
        encoding="utf-8",
    )
    with pytest.raises(SuiteError, match="counts needs `per`"):
        load_suite(suite)


# A range of months validated at once (single-run backfills): February and March 2021.
FEBRUARY = "2021-02"
SUITE_NAMES = sorted(load_suites(DEFAULT_EXPECTATIONS_DIR))


def february_prescriptions() -> list[dict]:
    """Region 11: 10 si_pe prescriptions, all filled, one aged 12, one entered in February,
    one key twice; region 84: 10 by a Mission locale, 8 filled (0.80, flagged)."""
    day = date(2021, 2, 10)
    rows = [prescription(f"F11-{i:02d}", prescrite=day) for i in range(1, 11)]
    rows[0] = prescription("F11-01", prescrite=day, statut="ENTREE", entree=date(2021, 2, 20))
    rows[3]["age"] = 12
    rows.append(prescription("F11-02", prescrite=day))  # the key twice in February's file
    rows += [prescription(f"F84-{i:02d}", region="84", type_prescripteur="ML" if i <= 8 else None,
                          age=35, structure="ML069", prescrite=day) for i in range(1, 11)]  # fmt: skip
    return rows


@pytest.fixture
def two_months(warehouse):
    """The March warehouse with a February of its own: facts (with March's P11-F1, 12
    prescriptions in region 11), marts (February's nb_entrees of region 11 wrong, 2 for 1),
    suivi_otp and projection_otp rows for both months, and February's steering rows: the
    sums of prescriptions_mensuelles, region 84's type not filled for 3 of 10 (a warning)."""
    build_warehouse(warehouse, february_prescriptions() + baseline_prescriptions())
    execute(warehouse, "insert into main.prescriptions_mensuelles values "
                       "('2021-02', '11', ?, 'SI_PE', 'PE', 'MOINS_26', 12, 2, 'FIABLE'), "
                       "('2021-02', '84', ?, 'SI_PE', 'ML', '30_PLUS', 8, 0, 'A_EXAMINER'), "
                       "('2021-02', '84', ?, 'SI_PE', 'NON_RENSEIGNE', '30_PLUS', 2, 0, 'A_EXAMINER')",
            [IDF, ARA, ARA])  # fmt: skip
    execute(warehouse, "insert into main.qualite_prescripteur values "
                       "('2021-02', '11', ?, 12, 12, 1.0, 0, 0, 'FIABLE'), "
                       "('2021-02', '84', ?, 10, 8, 0.8, 0, 0, 'A_EXAMINER')", [IDF, ARA])  # fmt: skip
    execute(warehouse, "insert into main.prescriptions_par_formation values "
                       "('2021-02', '11', ?, 'SI_PE', 'QUALIFIANTE', 'J', ?, 'MOINS_26', 12, 2), "
                       "('2021-02', '84', ?, 'SI_PE', 'QUALIFIANTE', 'F', ?, '30_PLUS', 7, 0), "
                       "('2021-02', '84', ?, 'SI_PE', 'NON_RENSEIGNE', 'F', ?, '30_PLUS', 3, 0)",
            [IDF, DOMAINES["J"], ARA, DOMAINES["F"], ARA, DOMAINES["F"]])  # fmt: skip
    return warehouse


def counts_by_expectation(results) -> dict:
    """(name, month of a `per` group, group) -> [failed, rows, unexpected, missing], the
    months' results added up."""
    added = {}
    for result in results:
        for item in result.expectations:
            month = (item.month or result.month) if item.group is not None else None
            entry = added.setdefault((item.name, month, item.group), [False, 0, 0, 0])
            entry[0] |= item.failed
            entry[1] += item.element_count or 0
            entry[2] += item.unexpected_count or 0
            entry[3] += item.missing_count
    return added


def test_range_validation_checks_what_its_months_check_one_by_one(two_months):
    for suite in SUITE_NAMES:
        months = [validate_suite(two_months, suite, month) for month in (FEBRUARY, MONTH)]
        whole = validate_suite(two_months, suite, FEBRUARY, last_month=MONTH)
        assert (whole.month, whole.last_month, whole.months) == (FEBRUARY, MONTH, [FEBRUARY, MONTH])
        assert whole.row_count == sum(result.row_count for result in months), suite
        assert whole.success == all(result.success for result in months), suite
        assert whole.blocking_failed == any(result.blocking_failed for result in months), suite
        assert counts_by_expectation([whole]) == counts_by_expectation(months), suite
    # The fixture fails in both months, so the comparison compares something.
    fct = validate_suite(two_months, "fct_prescriptions", FEBRUARY, last_month=MONTH)
    assert failed_names(fct) == ["age_entre_14_et_99", "cle_unique"]
    assert {f.name: f.unexpected_count for f in fct.failures()} == {
        "age_entre_14_et_99": 1, "cle_unique": 2}  # fmt: skip


def test_a_range_of_one_month_is_that_month(built):
    alone = validate_suite(built, "si_pe_prescripteur", MONTH)
    ranged = validate_suite(built, "si_pe_prescripteur", MONTH, last_month=MONTH)
    assert ranged == alone and ranged.last_month is None and ranged.period == MONTH


def test_key_repeated_in_a_later_file_of_the_range_fails_in_both_months(two_months):
    # Checked over every file up to the range's last month: at least as strict as the
    # months' own checks (February alone never sees March's file).
    execute(two_months, "update main.fct_prescriptions set id_prescription = 'F84-01' "
                        "where id_prescription = 'P84-05'")  # fmt: skip
    february = validate_suite(two_months, "fct_prescriptions", FEBRUARY)
    march = validate_suite(two_months, "fct_prescriptions", MONTH)
    whole = validate_suite(two_months, "fct_prescriptions", FEBRUARY, last_month=MONTH)
    [cle] = [r for r in whole.expectations if r.name == "cle_unique"]
    unexpected = {r.month: next(e.unexpected_count for e in r.expectations
                                if e.name == "cle_unique") for r in (february, march)}  # fmt: skip
    assert unexpected == {FEBRUARY: 2, MONTH: 1}  # the February duplicate; March's F84-01
    assert cle.unexpected_count == 4  # and February's F84-01, repeated in March's file


def test_failing_group_in_a_range_names_its_month(two_months):
    result = validate_suite(two_months, "si_pe_prescripteur", FEBRUARY, last_month=MONTH)
    # Region 84 below the threshold in both months, each with its own rate (never averaged).
    assert result.failing_groups("remplissage_prescripteur") == {
        FEBRUARY: {"84": {"lignes": 10, "non_conformes": 2, "taux": 0.8}},
        MONTH: {"84": {"lignes": 30, "non_conformes": 4, "taux": 0.8667}},
    }
    assert result.group_rates("remplissage_prescripteur") == {
        FEBRUARY: {"11": 1.0, "84": 0.8}, MONTH: {"11": 0.9, "84": 0.8667}}  # fmt: skip
    assert result.key_figures()["regions_sous_seuil"] == result.failing_groups(
        "remplissage_prescripteur"
    )
    failures = {(f.month, f.group): f for f in result.failures()}
    assert sorted(failures) == [(FEBRUARY, "84"), (MONTH, "84")]
    assert "(mois 2021-02, code_region 84)" in failures[(FEBRUARY, "84")].description
    summary = result.summary()
    assert (summary["mois"], summary["mois_fin"]) == (FEBRUARY, MONTH)
    assert [(f["mois"], f["group"]) for f in summary["failed"]] == [(FEBRUARY, "84"), (MONTH, "84")]
    # A failing row of an aggregate suite names its month through the sample columns.
    marts = validate_suite(two_months, "prescriptions_mensuelles", FEBRUARY, last_month=MONTH)
    [wrong] = marts.failures()
    assert wrong.name == "nb_entrees_egal_faits"
    assert {"mois": FEBRUARY, "code_region": "11", "nb_entrees": 2, "nb_entrees_faits": 1,
            "source": "SI_PE", "reseau_prescripteur": "PE",
            "tranche_age": "MOINS_26"} in wrong.samples  # fmt: skip


def plain_frame(path, spec, parameters):
    """The frame as `read_frame` built it before compact frames: Arrow-backed text, object
    booleans where one is missing, int64 integers."""
    with duckdb.connect(str(path)) as con:
        frame = (
            con.sql(spec.query, params=parameters).to_arrow_table().to_pandas(date_as_object=False)
        )
    for name in frame.columns:
        if frame[name].dtype.kind in "iu":
            frame[name] = frame[name].astype("int64")
    return frame


def test_compact_frames_give_the_results_of_plain_frames(warehouse):
    rows = baseline_prescriptions()
    rows[1]["statut"] = "EN_COURS"
    rows[2]["age"] = 12
    rows[4].update(
        statut="ENTREE", date_entree=date(2021, 3, 1), date_prescription=date(2021, 3, 9)
    )
    rows[5]["reseau_prescripteur"] = "POLE_EMPLOI"
    rows[6]["code_region"] = None
    rows[7]["tranche_age"] = "30_PLUS"
    rows[8]["prescripteur_renseigne"] = None  # a missing boolean: nullable, not object
    rows.append(prescription("P11-05"))
    build_warehouse(warehouse, rows)
    execute(warehouse, "update main.prescriptions_mensuelles set nb_prescriptions = 28 "
                       "where code_region = '11' and reseau_prescripteur = 'PE'")  # fmt: skip
    execute(warehouse, "update main.prescriptions_secteurs_avenir set libelle_secteur = 'soin' "
                       "where code_secteur = 'SOIN'")  # fmt: skip
    # 52 * 12 >= 120 * 3: EN_BONNE_VOIE, not A_RISQUE (a pair of categoricals that differs).
    execute(warehouse, "update main.projection_otp set statut = 'A_RISQUE' "
                       "where mois = ? and indicateur = 'PRESCRIPTIONS_PE_MOINS_30'", [MONTH])  # fmt: skip
    thresholds = load_thresholds(DEFAULT_EXPECTATIONS_DIR)
    suites = load_suites(DEFAULT_EXPECTATIONS_DIR)

    spec = suites["fct_prescriptions"]
    parameters = query_parameters(spec.query, MONTH, thresholds)
    compact = read_frame(warehouse, spec.query, parameters, spec.frame_columns(),
                         spec.paired_columns(), spec.ranged_columns())  # fmt: skip
    kinds = {name: str(dtype) for name, dtype in compact.dtypes.items()}
    assert kinds["age"] == "int64"  # a range is checked on it: GX vectorises int64 only
    assert kinds["nb_lignes_cle"] == "int8"
    assert kinds["id_renseigne"] == "bool" and kinds["prescripteur_renseigne"] == "boolean"
    assert all(kinds[name] == "category" for name in (
        "source", "code_region", "statut", "mois", "date_prescription", "date_entree"))  # fmt: skip
    assert compact["date_entree"].cat.ordered  # dates compare with >=
    # A pair compares categoricals with the same categories.
    assert list(compact["tranche_age"].cat.categories) == list(
        compact["tranche_age_selon_age"].cat.categories
    )
    assert set(compact.columns) == set(spec.frame_columns())
    plain = plain_frame(warehouse, spec, parameters)
    assert compact.memory_usage(deep=True).sum() * 3 < plain.memory_usage(deep=True).sum()

    for name, spec in suites.items():
        parameters = query_parameters(spec.query, MONTH, thresholds)
        compact = read_frame(warehouse, spec.query, parameters, spec.frame_columns(),
                             spec.paired_columns(), spec.ranged_columns())  # fmt: skip
        plain = plain_frame(warehouse, spec, parameters)
        from_compact = validate_frame(warehouse, spec, compact, thresholds, MONTH)
        from_plain = validate_frame(warehouse, spec, plain, thresholds, MONTH)
        assert from_compact.expectations == from_plain.expectations, name
        assert from_compact.figures == from_plain.figures, name
        assert any(not r.success for r in from_compact.expectations) or name in (
            "fct_entrees", "qualite_prescripteur", "suivi_otp"), name  # fmt: skip


def test_a_suite_validated_in_parts_adds_up_to_one_validation(warehouse):
    """Above `max_rows`, a row-by-row suite is validated part by part (memory bounded at
    x100 volume): its counts, outcomes and figures must be those of one validation. Every
    row is validated by GX here (`screened=False`): screened, these few rows are one part."""
    rows = baseline_prescriptions()
    rows[1]["statut"] = "EN_COURS"
    rows[2]["age"] = 12
    rows[20]["age"] = 101  # a second failing row, in another part
    rows[6]["code_region"] = None
    rows[40]["prescripteur_renseigne"] = None
    rows.append(prescription("P11-05"))  # a repeated key
    build_warehouse(warehouse, rows)
    thresholds = load_thresholds(DEFAULT_EXPECTATIONS_DIR)
    spec = load_suite(DEFAULT_EXPECTATIONS_DIR / "fct_prescriptions.yml")
    parameters = query_parameters(spec.query, MONTH, thresholds)
    sizes = [len(frame) for frame in read_frames(warehouse, spec.query, parameters,
                                                 spec.frame_columns(), max_rows=7)]  # fmt: skip
    assert sizes[:-1] == [7] * (len(sizes) - 1) and 0 < sizes[-1] <= 7
    assert sum(sizes) > 7 * 5

    suites = load_suites(DEFAULT_EXPECTATIONS_DIR)
    in_parts = sorted(name for name, spec in suites.items() if spec.row_by_row)
    assert in_parts == ["champs_souvent_vides", "fct_entrees", "fct_prescriptions"]
    for name in in_parts:
        whole = validate_suite(warehouse, name, MONTH, max_rows=None, screened=False)
        part_rows = whole.row_count // 2  # two parts, and a rest of one row when odd
        assert part_rows >= 1, name
        parts = validate_suite(warehouse, name, MONTH, max_rows=part_rows, screened=False)
        assert parts.row_count == whole.row_count, name
        without_samples = [
            [replace(result, samples=()) for result in suite.expectations]
            for suite in (whole, parts)
        ]
        assert without_samples[0] == without_samples[1], name
        assert parts.figures == whole.figures, name
        assert [bool(r.samples) for r in parts.failures()] == [
            bool(r.samples) for r in whole.failures()
        ], name
    result = validate_suite(warehouse, "fct_prescriptions", MONTH, max_rows=7, screened=False)
    assert failed_names(result) == [
        "age_entre_14_et_99", "cle_unique", "prescripteur_renseigne_connu",
        "region_renseignee",
        "reseau_selon_type",  # prescripteur_renseigne unknown: NON_RENSEIGNE expected
        "statut_valide",
        "tranche_age_selon_age",  # aged 101 in a row of band MOINS_26
    ]  # fmt: skip
    [ages] = [r for r in result.failures() if r.name == "age_entre_14_et_99"]
    assert ages.unexpected_count == 2 and set(ages.samples) == {12, 101}
