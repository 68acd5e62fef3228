"""Contract §8, rule by rule, on the real `dbt build` of the hand-written fixture
(conftest.py, otp_fixture.FORMATIONS): each test reads the cells its rule decides. The
whole tables are compared in test_dbt_marts.py; the statut thresholds, each on both sides
and at equality, are dbt unit tests of projection_otp (projection_otp.yml), run by the
same build."""

from collections import defaultdict

from test_dbt_marts import FACT_COLUMNS, PROJECTION_OTP, rows_of


def _facts(warehouse_runs, table="fct_prescriptions") -> dict[tuple[str, str], dict]:
    columns = FACT_COLUMNS[table]
    return {
        (row[0], row[1]): dict(zip(columns, row, strict=True))
        for row in warehouse_runs["publies"][table]["rows"]
    }


def _training(warehouse_runs, source: str, id_: str, table="fct_prescriptions") -> tuple:
    fact = _facts(warehouse_runs, table)[(source, id_)]
    return fact["type_formation"], fact["domaine_professionnel"], fact["libelle_domaine"]


def _projection(warehouse_runs, mois: str, region: str, indicateur: str) -> dict:
    columns = [name for name, _ in warehouse_runs["publies"]["projection_otp"]["columns"]]
    [row] = [dict(zip(columns, row, strict=True))
             for row in rows_of(warehouse_runs["publies"], "projection_otp", mois)
             if row[1] == region and row[3] == indicateur]  # fmt: skip
    return row


def test_lower_case_rome_code_reads_its_grand_domaine(warehouse_runs):
    """`j1501` → J, Santé; ` pre_qualifiante ` → PRE_QUALIFIANTE."""
    assert _training(warehouse_runs, "SI_PE", "P01") == ("PRE_QUALIFIANTE", "J", "Santé")


def test_malformed_or_empty_rome_codes_are_non_renseigne(warehouse_runs):
    """`J15` (too short), `Z1234` (no such domain), `J 1501` (a space), empty."""
    assert [_training(warehouse_runs, *key)[1:] for key in (
        ("SI_PE", "P02"), ("SI_PE", "P04"), ("IMILO", "I03"), ("IMILO", "I11"),
    )] == [("NON_RENSEIGNE", None)] * 4  # fmt: skip


def test_type_formation_is_one_of_three_types_or_non_renseigne(warehouse_runs):
    """Empty and `CERTIFIANTE` are NON_RENSEIGNE; `qualifiante` is QUALIFIANTE; AUTRE stays."""
    assert [_training(warehouse_runs, *key)[0] for key in (
        ("SI_PE", "P02"), ("SI_PE", "P04"), ("IMILO", "I06"), ("SI_PE", "M10"),
    )] == ["NON_RENSEIGNE", "NON_RENSEIGNE", "QUALIFIANTE", "AUTRE"]  # fmt: skip


def test_dotless_i_is_upper_cased_by_the_simple_mapping(warehouse_runs):
    """`ı1304`: Unicode's simple upper-case mapping of ı is I: Installation et Maintenance."""
    assert _training(warehouse_runs, "SI_PE", "M12")[1:] == ("I", "Installation et Maintenance")


def test_matched_pair_appears_under_both_sources_each_with_its_own_training(warehouse_runs):
    """AIS-F01 (F1603) ↔ I03 (`J 1501`): the entry is counted under SI_PE with domain F in
    February, and under IMILO with NON_RENSEIGNE in January, the month of its own date."""
    publies = warehouse_runs["publies"]
    assert _training(warehouse_runs, "SI_PE", "AIS-F01", "fct_entrees")[1] == "F"
    assert _training(warehouse_runs, "IMILO", "I03", "fct_entrees")[1] == "NON_RENSEIGNE"
    feb = [row for row in rows_of(publies, "prescriptions_par_formation", "2021-02")
           if row[1] == "84" and row[3] == "SI_PE" and row[5] == "F"]  # fmt: skip
    jan = [row for row in rows_of(publies, "prescriptions_par_formation", "2021-01")
           if row[1] == "84" and row[3] == "IMILO" and row[4] == "PRE_QUALIFIANTE"]  # fmt: skip
    assert [row[-2:] for row in feb] == [(1, 1)] and [row[-2:] for row in jan] == [(1, 1)]


def test_entry_from_an_earlier_months_file_counts_in_its_entry_month(warehouse_runs):
    """P08, January's file, entered on 2021-03-10: an entry of March with its own row's
    PRE_QUALIFIANTE and I1604, and no prescription."""
    march = rows_of(warehouse_runs["publies"], "prescriptions_par_formation", "2021-03")
    assert [row for row in march if row[1] == "84" and row[4] == "PRE_QUALIFIANTE"] == [
        ("2021-03", "84", "Auvergne-Rhône-Alpes", "SI_PE", "PRE_QUALIFIANTE", "I",
         "Installation et Maintenance", "MOINS_26", 0, 1),
    ]  # fmt: skip


def test_sums_by_region_source_and_band_equal_prescriptions_mensuelles(warehouse_runs):
    publies = warehouse_runs["publies"]
    for mois in ("2021-01", "2021-02", "2021-03"):
        sums = {}
        for table, counts in (("prescriptions_par_formation", slice(8, 10)),
                              ("prescriptions_mensuelles", slice(6, 8))):  # fmt: skip
            totals = defaultdict(lambda: [0, 0])
            for row in rows_of(publies, table, mois):
                key = (row[1], row[3], row[7] if table == "prescriptions_par_formation" else row[5])
                for index, value in enumerate(row[counts]):
                    totals[key][index] += value
            sums[table] = dict(totals)
        assert sums["prescriptions_par_formation"] == sums["prescriptions_mensuelles"], mois


def test_borne_haute_counts_only_under_30s_with_an_unfilled_prescriber(warehouse_runs):
    """Region 11, PRESCRIPTIONS_PE_MOINS_30: P02 (25, empty) and P04 (26, XX, invalid) of
    January add to realise_cumule; M10 (36, empty) does not, nor P03 (ANNULEE); the other
    indicators keep realise_cumule."""
    by_month = {mois: _projection(warehouse_runs, mois, "11", "PRESCRIPTIONS_PE_MOINS_30")
                for mois in ("2021-01", "2021-02", "2021-03")}  # fmt: skip
    assert {mois: (row["realise_cumule"], row["realise_cumule_borne_haute"])
            for mois, row in by_month.items()} == {
        "2021-01": (1, 3), "2021-02": (3, 5), "2021-03": (12, 14),
    }  # fmt: skip
    entrees = _projection(warehouse_runs, "2021-03", "11", "ENTREES_MOINS_30")
    assert entrees["realise_cumule_borne_haute"] == entrees["realise_cumule"] == 6


def test_borne_haute_sums_the_period_so_far_only(warehouse_runs):
    """Region 84: F03 (22, empty) in February counts in the first period (2020-07 to
    2021-02), not in the second one, which starts in March."""
    assert (
        _projection(warehouse_runs, "2021-02", "84", "PRESCRIPTIONS_PE_MOINS_30")[
            "realise_cumule_borne_haute"
        ]
        == 2 + 1
    )
    assert (
        _projection(warehouse_runs, "2021-03", "84", "PRESCRIPTIONS_PE_MOINS_30")[
            "realise_cumule_borne_haute"
        ]
        == 1
    )


def test_period_starting_before_2021_counts_its_earlier_months(warehouse_runs):
    """84's first period runs 2020-07 to 2021-02: k = 7 in January (2020's months count in
    k and n, and add 0 to realise_cumule), and its last month, February, has k = n = 8 and
    no rythme_necessaire."""
    january = _projection(warehouse_runs, "2021-01", "84", "ENTREES_MOINS_30")
    assert (january["nb_mois_ecoules"], january["nb_mois_periode"]) == (7, 8)
    assert january["rythme_mensuel"] == 3 / 7 and january["projection_fin_periode"] == 24 / 7
    february = _projection(warehouse_runs, "2021-02", "84", "ENTREES_MOINS_30")
    assert (february["nb_mois_ecoules"], february["rythme_necessaire"]) == (8, None)


def test_objective_of_zero_is_reached(warehouse_runs):
    """Region 11's PRESCRIPTIONS_ML_MOINS_26 objective is 0: ATTEINT, nothing left to do."""
    row = _projection(warehouse_runs, "2021-03", "11", "PRESCRIPTIONS_ML_MOINS_26")
    assert (row["statut"], row["reste_a_realiser"], row["rythme_necessaire"]) == (
        "ATTEINT", 0, 0.0,
    )  # fmt: skip


def test_one_projection_per_suivi_row(warehouse_runs):
    publies = warehouse_runs["publies"]
    for mois in ("2021-01", "2021-02", "2021-03"):
        keys = [(r[1], r[3], r[4]) for r in rows_of(publies, "projection_otp", mois)]
        assert keys == [(r[1], r[3], r[4]) for r in rows_of(publies, "suivi_otp", mois)]
        assert len(keys) == len(PROJECTION_OTP[mois])
