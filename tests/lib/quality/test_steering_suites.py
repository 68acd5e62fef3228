"""The suites of the steering tables (contract §8) validated with GX on a real DuckDB file.

The warehouse is test_quality's March 2021 (`build_warehouse`): prescriptions_par_formation
splits prescriptions_mensuelles' groups by type and domain, projection_otp projects its six
suivi_otp rows (region 11, objectif 120, period 2021-01..2021-12, February and March).
Each test breaks one rule and names what the suite must report, worked out by hand.
"""

import pytest
from test_quality import (
    ARA,
    DOMAINES,
    MONTH,
    PROJECTION_ROWS,
    SUIVI_ROWS,
    build_warehouse,
    execute,
    failed_names,
    projection_row,
)

from otp_pipeline.lib.quality.runner import validate_suite

OCCITANIE = "Occitanie"
PE_MARCH = "PRESCRIPTIONS_PE_MOINS_30"
GROUP_11 = {"mois": MONTH, "code_region": "11", "source": "SI_PE", "tranche_age": "MOINS_26"}
SUIVI_INSERT = "insert into main.suivi_otp values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
PROJECTION_INSERT = (
    "insert into main.projection_otp values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@pytest.fixture
def built(warehouse):
    return build_warehouse(warehouse)


def samples_of(result, name):
    [failure] = [f for f in result.failures() if f.name == name]
    return failure.samples


def projection_key(indicator, region="11"):
    return {"mois": MONTH, "code_region": region, "indicateur": indicator,
            "periode_debut": "2021-01"}  # fmt: skip


def test_valid_month_passes_both_blocking_steering_suites(built):
    formation = validate_suite(built, "prescriptions_par_formation", MONTH)
    assert formation.success and formation.row_count == 9
    # 24 + 3 + 2 + 1 (region 11) + 20 + 6 + 4 (region 84) + 2 + 1 (region 93) = 63, the
    # 27 + 3 + 26 + 4 + 2 + 1 of prescriptions_mensuelles; entries 2 + 1 = 3.
    assert formation.figures == {"nb_prescriptions": 63, "nb_entrees": 3}
    projection = validate_suite(built, "projection_otp", MONTH)
    assert projection.success and projection.row_count == 3  # March's three suivi_otp rows
    # objectif 3 x 120; realise_cumule 5 + 52 + 0; bound 5 + (52 + 3) + 0.
    assert projection.figures == {
        "objectif": 360, "realise_cumule": 57, "realise_cumule_borne_haute": 60}  # fmt: skip
    assert [row[14] for row in PROJECTION_ROWS if row[0] == MONTH] == [
        "EN_RETARD", "EN_BONNE_VOIE", "EN_RETARD"]  # fmt: skip


# prescriptions_par_formation: its group sums equal prescriptions_mensuelles' (full join).


@pytest.mark.parametrize(
    ("column", "name", "published"),
    [("nb_prescriptions", "prescriptions_egales_a_prescriptions_mensuelles", 30),
     ("nb_entrees", "entrees_egales_a_prescriptions_mensuelles", 2)],
)  # fmt: skip
def test_group_sum_off_by_one_is_blocking_and_names_the_group(built, column, name, published):
    # Region 11's QUALIFIANTE/J row one too high: its group (11, SI_PE, MOINS_26) sums to
    # 31 prescriptions (24 + 1 + 3 + 2 + 1) for 30, or 3 entries (2 + 1) for 2.
    execute(built, f"update main.prescriptions_par_formation set {column} = {column} + 1 "
                   "where code_region = '11' and type_formation = 'QUALIFIANTE'")  # fmt: skip
    result = validate_suite(built, "prescriptions_par_formation", MONTH)
    assert failed_names(result, "blocking") == [name]
    [failure] = result.failures()
    assert failure.unexpected_count == 4  # each of the group's 4 rows carries its sum
    suffix = "prescriptions" if column == "nb_prescriptions" else "entrees"
    assert failure.samples == (
        {f"nb_{suffix}_groupe": published + 1, f"nb_{suffix}_mensuelles": published, **GROUP_11},
    )


def test_group_missing_from_par_formation_is_blocking_and_named(built):
    # Region 93's (IMILO, MOINS_26) group, 2 prescriptions and 1 entry in
    # prescriptions_mensuelles, has no row left: the full join gives it sums of 0 and 0.
    execute(built, "delete from main.prescriptions_par_formation "
                   "where code_region = '93' and tranche_age = 'MOINS_26'")  # fmt: skip
    result = validate_suite(built, "prescriptions_par_formation", MONTH)
    assert failed_names(result, "blocking") == [
        "entrees_egales_a_prescriptions_mensuelles",
        "prescriptions_egales_a_prescriptions_mensuelles",
    ]
    group = {"mois": MONTH, "code_region": "93", "source": "IMILO", "tranche_age": "MOINS_26"}
    assert samples_of(result, "prescriptions_egales_a_prescriptions_mensuelles") == (
        {"nb_prescriptions_groupe": 0, "nb_prescriptions_mensuelles": 2, **group},
    )
    assert samples_of(result, "entrees_egales_a_prescriptions_mensuelles") == (
        {"nb_entrees_groupe": 0, "nb_entrees_mensuelles": 1, **group},
    )
    assert all(failure.unexpected_count == 1 for failure in result.failures())


def test_group_only_in_par_formation_is_blocking_and_named(built):
    # Region 84 has no under-26 in prescriptions_mensuelles: 1 prescription against 0.
    execute(built, "insert into main.prescriptions_par_formation values "
                   "(?, '84', ?, 'SI_PE', 'QUALIFIANTE', 'F', ?, 'MOINS_26', 1, 0)",
            [MONTH, ARA, DOMAINES["F"]])  # fmt: skip
    result = validate_suite(built, "prescriptions_par_formation", MONTH)
    assert failed_names(result, "blocking") == ["prescriptions_egales_a_prescriptions_mensuelles"]
    group = {"mois": MONTH, "code_region": "84", "source": "SI_PE", "tranche_age": "MOINS_26"}
    assert samples_of(result, "prescriptions_egales_a_prescriptions_mensuelles") == (
        {"nb_prescriptions_groupe": 1, "nb_prescriptions_mensuelles": 0, **group},
    )


# projection_otp: exactly suivi_otp's rows, with §8's figures.


def test_projection_row_missing_is_blocking_and_named(built):
    execute(built, "delete from main.projection_otp where mois = ? and indicateur = ?",
            [MONTH, PE_MARCH])  # fmt: skip
    result = validate_suite(built, "projection_otp", MONTH)
    assert failed_names(result, "blocking") == ["une_projection_par_suivi"]
    # 3 rows still: the full join keeps suivi_otp's row, with no projection beside it.
    assert result.row_count == 3
    assert samples_of(result, "une_projection_par_suivi") == (
        {"une_projection_par_suivi": False, **projection_key(PE_MARCH)},
    )


def test_projection_row_without_suivi_row_is_blocking_and_named(built):
    # A projection for region 84, which has no objective: consistent in itself (k = 3,
    # n = 12, 10 of 40: 10 * 12 = 120 >= 40 * 3 = 120, EN_BONNE_VOIE), but no suivi_otp row.
    suivi = (MONTH, "84", ARA, PE_MARCH, "2021-01", "2021-12", 40, 4, 10, 0.25, 10.0, 0.0,
             "FIABLE")  # fmt: skip
    extra = projection_row(suivi)
    assert extra[14] == "EN_BONNE_VOIE"
    execute(built, PROJECTION_INSERT, list(extra))
    result = validate_suite(built, "projection_otp", MONTH)
    assert failed_names(result, "blocking") == ["une_projection_par_suivi"]
    assert result.row_count == 4
    assert samples_of(result, "une_projection_par_suivi") == (
        {"une_projection_par_suivi": False, **projection_key(PE_MARCH, "84")},
    )


def test_upper_bound_below_realise_cumule_is_blocking(built):
    # March PE: realise_cumule 52, bound 55; set to 51.
    execute(built, "update main.projection_otp set realise_cumule_borne_haute = 51 "
                   "where mois = ? and indicateur = ?", [MONTH, PE_MARCH])  # fmt: skip
    result = validate_suite(built, "projection_otp", MONTH)
    assert failed_names(result, "blocking") == ["borne_haute_au_moins_le_realise"]
    assert samples_of(result, "borne_haute_au_moins_le_realise") == (
        {"realise_cumule_borne_haute": 51, "realise_cumule": 52, **projection_key(PE_MARCH)},
    )
    # Any other indicator: the bound is realise_cumule itself (5 for ENTREES), not above.
    execute(built, "update main.projection_otp set realise_cumule_borne_haute = 52 "
                   "where mois = ? and indicateur = ?", [MONTH, PE_MARCH])  # fmt: skip
    execute(built, "update main.projection_otp set realise_cumule_borne_haute = 6 "
                   "where mois = ? and indicateur = 'ENTREES_MOINS_30'", [MONTH])  # fmt: skip
    above = validate_suite(built, "projection_otp", MONTH)
    assert failed_names(above, "blocking") == ["borne_egale_hors_pe"]


def test_statut_not_given_by_the_thresholds_is_blocking(built):
    # March ENTREES with realise_cumule 27 (k = 3, n = 12, objectif 120): 27 * 12 = 324 <
    # 120 * 3 = 360, not EN_BONNE_VOIE; 10 * 27 * 12 = 3240 >= 9 * 120 * 3 = 3240: A_RISQUE,
    # exactly on the 90 % line. reste_a_realiser 93, rythme_necessaire 93 / 9.
    [suivi] = [row for row in SUIVI_ROWS if row[0] == MONTH and row[3] == "ENTREES_MOINS_30"]
    suivi = suivi[:8] + (27,) + suivi[9:]
    row = projection_row(suivi)
    assert (row[12], row[13], row[14]) == (93, 93 / 9, "A_RISQUE")
    execute(built, "update main.suivi_otp set realise_cumule = 27 "
                   "where mois = ? and indicateur = 'ENTREES_MOINS_30'", [MONTH])  # fmt: skip
    execute(built, "delete from main.projection_otp "
                   "where mois = ? and indicateur = 'ENTREES_MOINS_30'", [MONTH])  # fmt: skip
    execute(built, PROJECTION_INSERT, list(row))
    assert validate_suite(built, "projection_otp", MONTH).success  # the line is A_RISQUE

    execute(built, "update main.projection_otp set statut = 'EN_BONNE_VOIE' "
                   "where mois = ? and indicateur = 'ENTREES_MOINS_30'", [MONTH])  # fmt: skip
    result = validate_suite(built, "projection_otp", MONTH)
    assert failed_names(result, "blocking") == ["statut_selon_les_seuils"]
    assert samples_of(result, "statut_selon_les_seuils") == (
        {"statut": "EN_BONNE_VOIE", "statut_attendu": "A_RISQUE",
         **projection_key("ENTREES_MOINS_30")},
    )  # fmt: skip


def test_rythme_necessaire_in_the_last_month_of_the_period_is_blocking(built):
    # Region 84 with a period ending in March: k = n = 3, 30 of 30 (ATTEINT), reste 0,
    # rythme_necessaire null (no month left to need anything).
    suivi = (MONTH, "84", ARA, "ENTREES_MOINS_30", "2021-01", "2021-03", 30, 10, 30, 1.0,
             30.0, 0.0, "FIABLE")  # fmt: skip
    last = projection_row(suivi)
    assert (last[8], last[9], last[12], last[13], last[14]) == (3, 3, 0, None, "ATTEINT")
    execute(built, SUIVI_INSERT, list(suivi))
    execute(built, PROJECTION_INSERT, list(last))
    assert validate_suite(built, "projection_otp", MONTH).success

    execute(built, "update main.projection_otp set rythme_necessaire = 0.0 "
                   "where code_region = '84'")  # fmt: skip
    result = validate_suite(built, "projection_otp", MONTH)
    assert failed_names(result, "blocking") == ["rythme_necessaire"]
    key = projection_key("ENTREES_MOINS_30", "84")
    # The frame compares a null rythme as -1: 0.0 set where -1 (null) is expected.
    assert samples_of(result, "rythme_necessaire") == (
        {"rythme_necessaire": 0.0, "rythme_necessaire_attendu": -1.0, **key},
    )
    # And the other way round: null with months left (region 11, k = 3 of 12) fails too.
    execute(built, "update main.projection_otp set rythme_necessaire = null")
    both = validate_suite(built, "projection_otp", MONTH)
    [failure] = both.failures()
    assert failure.name == "rythme_necessaire"
    assert failure.unexpected_count == 3  # region 11's three rows; region 84's is right now


# formation_non_renseignee: the share of a region-month's prescriptions (both sources) whose
# type, or domain, is NON_RENSEIGNE; above 0.25 a warning, exactly 0.25 passes.


def add_region_76(path, column, unfilled_imilo):
    """Region 76 in both marts, consistent with each other: 16 si_pe and 4 I-Milo
    prescriptions under 26, `column` NON_RENSEIGNE for 3 si_pe and `unfilled_imilo` I-Milo
    ones: (3 + 2) / 20 = 0.25 exactly, (3 + 3) / 20 = 0.30 above."""
    execute(path, "insert into main.prescriptions_mensuelles values "
                  "(?, '76', ?, 'SI_PE', 'PE', 'MOINS_26', 16, 0, 'FIABLE'), "
                  "(?, '76', ?, 'IMILO', 'ML', 'MOINS_26', 4, 0, 'FIABLE')",
            [MONTH, OCCITANIE] * 2)  # fmt: skip
    filled = ("QUALIFIANTE", "J", DOMAINES["J"])
    unfilled = {"type_formation": ("NON_RENSEIGNE", "J", DOMAINES["J"]),
                "domaine_professionnel": ("QUALIFIANTE", "NON_RENSEIGNE", None)}[column]  # fmt: skip
    for source, codes, count in (("SI_PE", filled, 13), ("SI_PE", unfilled, 3),
                                 ("IMILO", filled, 4 - unfilled_imilo),
                                 ("IMILO", unfilled, unfilled_imilo)):  # fmt: skip
        execute(path, "insert into main.prescriptions_par_formation values "
                      "(?, '76', ?, ?, ?, ?, ?, 'MOINS_26', ?, 0)",
                [MONTH, OCCITANIE, source, *codes, count])  # fmt: skip


UNFILLED_CASES = [
    # column, expectation, report; region 93's baseline: its prescription aged 27 has no
    # type (1 of 3 = 0.3333, above: warned, rate filled 2/3), every domain is filled.
    ("type_formation", "type_formation_renseigne", "regions_type_non_renseigne",
     {"93": {"lignes": 3, "non_conformes": 1, "taux": 0.6667}}),
    ("domaine_professionnel", "domaine_renseigne", "regions_domaine_non_renseigne", {}),
]  # fmt: skip


@pytest.mark.parametrize(("column", "name", "report", "baseline"), UNFILLED_CASES)
def test_unfilled_share_exactly_at_threshold_passes(built, column, name, report, baseline):
    add_region_76(built, column, unfilled_imilo=2)  # 5 of 20 = 0.25
    assert validate_suite(built, "prescriptions_par_formation", MONTH).success
    result = validate_suite(built, "formation_non_renseignee", MONTH)
    assert result.failing_groups(name) == baseline  # region 76 not among them
    assert result.group_rates(name)["76"] == 0.75  # 15 of 20 filled
    assert result.thresholds == {"steering_unfilled_share_max": 0.25}


@pytest.mark.parametrize(("column", "name", "report", "baseline"), UNFILLED_CASES)
def test_unfilled_share_above_threshold_warns_naming_the_region(
    built, column, name, report, baseline
):
    add_region_76(built, column, unfilled_imilo=3)  # 6 of 20 = 0.30
    result = validate_suite(built, "formation_non_renseignee", MONTH)
    flagged = {**baseline, "76": {"lignes": 20, "non_conformes": 6, "taux": 0.7}}
    assert result.failing_groups(name) == flagged
    assert result.key_figures()[report] == flagged
    assert not result.success and not result.blocking_failed  # a warning: published
    assert {(f.name, f.group, f.severity) for f in result.failures()} >= {(name, "76", "warning")}
    assert "code_region 76" in next(f for f in result.failures() if f.group == "76").description
    # The steering table still adds up: nothing holds the month back.
    assert validate_suite(built, "prescriptions_par_formation", MONTH).success


# Each edit breaks one rule of §8 on March's rows; the expectation that must say so. k and
# n are recomputed from the dates (3 and 12), the doubles as one division each (region 11
# ENTREES: 5 / 3 and 5 × 12 / 3 = 20.0), the copied columns compared with suivi_otp's.
PROJECTION_EDITS = [
    ("set nb_mois_ecoules = 2", "mois_ecoules_selon_les_dates"),
    ("set nb_mois_periode = 11", "mois_de_la_periode_selon_les_dates"),
    ("set rythme_mensuel = rythme_mensuel + 1e-9", "rythme_mensuel"),
    ("set projection_fin_periode = 9999", "projection_fin_periode"),
    ("set periode_fin = '2030-12'", "periode_fin_de_suivi"),
    ("set fiabilite = 'A_EXAMINER'", "fiabilite_de_suivi"),
    ("set libelle_region = 'Ailleurs'", "libelle_region_de_suivi"),
    ("set statut = null", "statut_renseigne"),
    ("set realise_cumule_borne_haute = null", "borne_haute_renseignee"),
    ("set objectif = null", "ligne_complete"),
    ("set projection_fin_periode = null", "ligne_complete"),
]


@pytest.mark.parametrize(("edit", "expectation"), PROJECTION_EDITS)
def test_projection_column_not_as_section_8_computes_it_is_blocking(built, edit, expectation):
    execute(built, f"update main.projection_otp {edit} "
                   "where mois = ? and indicateur = 'ENTREES_MOINS_30'", [MONTH])  # fmt: skip
    result = validate_suite(built, "projection_otp", MONTH)
    assert result.blocking_failed and expectation in failed_names(result, "blocking")


@pytest.mark.parametrize(("edit", "expectation"), [
    ("set libelle_domaine = 'Mauvais libellé'", "libelle_selon_domaine"),
    ("set domaine_professionnel = 'Z'", "domaine_valide"),
    ("set type_formation = null", "ligne_complete"),
    ("set libelle_region = null", "ligne_complete"),
])  # fmt: skip
def test_formation_row_with_a_wrong_code_or_label_is_blocking(built, edit, expectation):
    execute(built, f"update main.prescriptions_par_formation {edit} "
                   "where domaine_professionnel = 'J'")  # fmt: skip
    result = validate_suite(built, "prescriptions_par_formation", MONTH)
    assert result.blocking_failed and expectation in failed_names(result, "blocking")


# prescriptions_secteurs_avenir (contract §9): its group sums equal
# prescriptions_par_formation's, and it names only the sectors of the region's list.


def test_valid_month_passes_the_sectors_suite(built):
    result = validate_suite(built, "prescriptions_secteurs_avenir", MONTH)
    assert result.success and result.row_count == 10
    # 20 + 4 + 3 + 2 + 1 + 20 + 6 + 4 + 2 + 1, as prescriptions_par_formation's 63; entries 3.
    assert result.figures == {"nb_prescriptions": 63, "nb_entrees": 3}


def test_sectors_sum_off_by_one_is_blocking(built):
    execute(built, "update main.prescriptions_secteurs_avenir set nb_prescriptions = 5 "
                   "where code_region = '11' and code_secteur = 'HORS_LISTE' "
                   "and type_formation = 'QUALIFIANTE'")  # fmt: skip
    result = validate_suite(built, "prescriptions_secteurs_avenir", MONTH)
    assert failed_names(result, "blocking") == [
        "prescriptions_egales_a_prescriptions_par_formation"
    ]
    [failure] = result.failures()
    assert failure.unexpected_count == 2  # the group (11, SI_PE, QUALIFIANTE, MOINS_26): 2 rows


def test_a_missing_group_fails_the_full_join(built):
    execute(built, "delete from main.prescriptions_secteurs_avenir where code_region = '93' "
                   "and tranche_age = '26_29'")  # fmt: skip
    result = validate_suite(built, "prescriptions_secteurs_avenir", MONTH)
    # The group (93, IMILO, NON_RENSEIGNE, 26_29) is on prescriptions_par_formation's side
    # only: 1 prescription against 0; its entries are 0 on both sides.
    assert failed_names(result, "blocking") == [
        "prescriptions_egales_a_prescriptions_par_formation"
    ]
    [failure] = result.failures()
    assert failure.unexpected_count == 1


@pytest.mark.parametrize(
    "update",
    [
        # 93 has no list: none of its sectors can be named.
        "set code_secteur = 'SOIN', libelle_secteur = 'Soin' where code_region = '93' "
        "and tranche_age = 'MOINS_26'",
        # 84's own list replaces the national one: SOIN is not 84's.
        "set code_secteur = 'SOIN', libelle_secteur = 'Soin' where code_region = '84' "
        "and code_secteur = 'INDUSTRIE'",
        # The label is the file's, exactly.
        "set libelle_secteur = 'soin' where code_secteur = 'SOIN'",
        # HORS_LISTE has no label.
        "set libelle_secteur = 'Hors liste' where code_region = '93' and tranche_age = '26_29'",
    ],
)
def test_a_sector_outside_the_regions_list_is_blocking(built, update):
    execute(built, f"update main.prescriptions_secteurs_avenir {update}")
    result = validate_suite(built, "prescriptions_secteurs_avenir", MONTH)
    assert failed_names(result, "blocking") == ["secteur_de_la_liste_de_la_region"]
    [failure] = result.failures()
    assert failure.unexpected_count == 1
