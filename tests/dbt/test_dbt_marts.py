"""Contract §5, §7 and §8 end to end: the real `dbt build`, month after month, on the
hand-written warehouse of conftest.py. Every column of every row of the five marts is
worked out by hand below; threshold 0.90 (expectations/thresholds.yml).

The rows, with the age in completed years on date_prescription (§5) and what they count:

si_pe (id, file month, region, type_prescripteur → reseau, age → band, statut, entry):
  P01  01 11 PE → PE        2000-01-15 on 2021-01-15: 21, birthday that day → MOINS_26
  P02  01 11 ∅ → NON_RENS.  1995-06-01 on 2021-01-20: 26-1 = 25 → MOINS_26, ENTREE 01-25
  P03  01 11 PE             ANNULEE: no prescription, not in the fill rate
  P04  01 11 XX → NON_RENS. 1994-06-10 on 2021-01-05: 27-1 = 26 → 26_29
  P05  01 84 PE → PE        1991-01-10 on 2021-01-12: 30 → 30_PLUS, ENTREE 01-20
  P06  01 84 PE → PE        1991-01-20 on 2021-01-12: 30-1 = 29 → 26_29, ABANDON 01-18
  P07  01 84 CAP_EMPLOI     2002-05-05 on 2021-01-04: 18 → MOINS_26, ENTREE without date
  P08  01 84 PE → PE        1999-03-03 on 2021-01-25: 21 → MOINS_26, ENTREE 03-10 (2 months on)
  AIS-F01 02 84 ML          2001-07-01 on 2021-02-01: 19 → MOINS_26, ENTREE 02-10
  F02  02 84 ML             2000-02-29 on 2021-02-28: 21-1 = 20 → MOINS_26
  F03  02 84 ∅ → NON_RENS.  1998-04-04 on 2021-02-15: 22 → MOINS_26
  AIS-F04 02 11 PE          1997-05-05 on 2021-02-03: 23 → MOINS_26, ENTREE 02-15
  F05  02 11 AUTRE          1980-01-01 on 2021-02-10: 41 → 30_PLUS
  AIS-F06 02 11 PE          1996-08-20 on 2021-02-20: 24 → MOINS_26, PRESCRITE (no entry)
  M01..M09 03 11 PE         2000-06-15 on 2021-03-10: 20 → MOINS_26; M01 ENTREE 03-20
  M10  03 11 ∅ → NON_RENS.  1985-03-01 on 2021-03-01: 36, birthday → 30_PLUS
  M11  03 11 ∅              ANNULEE
  M12  03 84 PE → PE        1995-03-15 on 2021-03-15: 26, birthday → 26_29
imilo (all ML):
  I01  01 11  1996-01-31 on 2021-01-31: 25 → MOINS_26
  I02  01 11  1995-01-10 on 2021-01-11: 26 → 26_29, ENTREE 01-20, no numero_ais
  I03  01 84  2001-07-01 on 2021-01-15: 19, ENTREE 01-22, numero_ais AIS-F01 (February's file)
  I04  01 84  ANNULEE
  I05  01 84  1999-09-09 on 2021-01-20: 21, ENTREE 01-29, numero_ais AIS-404 (dangling)
  I06  02 11  1997-05-05 on 2021-02-02: 23, ENTREE 02-15, numero_ais AIS-F04 (matched)
  I07  02 11  1996-08-20 on 2021-02-19: 24, ENTREE 02-25, numero_ais AIS-F06 (no entry: unmatched)
  I08  02 84  1995-02-28 on 2021-02-27: 26-1 = 25 → MOINS_26
  I09  03 84  1995-03-16 on 2021-03-15: 26-1 = 25 → MOINS_26
  I10  03 11  2000-10-10 on 2021-03-03: 20, ABANDON 03-25
  I11  03 94  2004-12-01 on 2021-03-20: 16 (Corse: I-Milo only)

Fill rate (si_pe prescriptions counted, valid prescriber / all):
  11: Jan P01 of P01 P02 P04 = 1/3 → A_EXAMINER; Feb 3/3; Mar M01..M09 of M01..M10 = 9/10
      = 0.90 exactly → FIABLE.
  84: Jan 4/4; Feb F01 F02 of F01 F02 F03 = 2/3 → A_EXAMINER; Mar 1/1.
"""

import duckdb
import pytest

IDF = ("11", "Île-de-France")
ARA = ("84", "Auvergne-Rhône-Alpes")
CORSE = ("94", "Corse")
FIABLE, A_EXAMINER = "FIABLE", "A_EXAMINER"
ENTREES, PE_30, ML_26 = (
    "ENTREES_MOINS_30",
    "PRESCRIPTIONS_PE_MOINS_30",
    "PRESCRIPTIONS_ML_MOINS_26",
)

# (mois, code_region, libelle_region, source, reseau, tranche, nb_prescriptions, nb_entrees,
#  fiabilite); each source on its own, rows sorted by the grain.
PRESCRIPTIONS_MENSUELLES = {
    "2021-01": [
        ("2021-01", *IDF, "IMILO", "ML", "26_29", 1, 1, FIABLE),  # I02, entered 01-20
        ("2021-01", *IDF, "IMILO", "ML", "MOINS_26", 1, 0, FIABLE),  # I01
        ("2021-01", *IDF, "SI_PE", "NON_RENSEIGNE", "26_29", 1, 0, A_EXAMINER),  # P04 (XX)
        ("2021-01", *IDF, "SI_PE", "NON_RENSEIGNE", "MOINS_26", 1, 1, A_EXAMINER),  # P02
        ("2021-01", *IDF, "SI_PE", "PE", "MOINS_26", 1, 0, A_EXAMINER),  # P01; P03 ANNULEE
        # I03 and I05 (I04 ANNULEE): I03 is counted here though February will match it.
        ("2021-01", *ARA, "IMILO", "ML", "MOINS_26", 2, 2, FIABLE),
        ("2021-01", *ARA, "SI_PE", "CAP_EMPLOI", "MOINS_26", 1, 0, FIABLE),  # P07 no date
        ("2021-01", *ARA, "SI_PE", "PE", "26_29", 1, 1, FIABLE),  # P06, ABANDON is an entry
        ("2021-01", *ARA, "SI_PE", "PE", "30_PLUS", 1, 1, FIABLE),  # P05
        ("2021-01", *ARA, "SI_PE", "PE", "MOINS_26", 1, 0, FIABLE),  # P08, enters in March
    ],
    "2021-02": [
        # I06 and I07, both entered in February; I06 matched with AIS-F04: both sources.
        ("2021-02", *IDF, "IMILO", "ML", "MOINS_26", 2, 2, FIABLE),
        ("2021-02", *IDF, "SI_PE", "AUTRE", "30_PLUS", 1, 0, FIABLE),  # F05
        ("2021-02", *IDF, "SI_PE", "PE", "MOINS_26", 2, 1, FIABLE),  # AIS-F04 (entry), AIS-F06
        ("2021-02", *ARA, "IMILO", "ML", "MOINS_26", 1, 0, FIABLE),  # I08
        ("2021-02", *ARA, "SI_PE", "ML", "MOINS_26", 2, 1, A_EXAMINER),  # AIS-F01 (entry), F02
        ("2021-02", *ARA, "SI_PE", "NON_RENSEIGNE", "MOINS_26", 1, 0, A_EXAMINER),  # F03
    ],
    "2021-03": [
        ("2021-03", *IDF, "IMILO", "ML", "MOINS_26", 1, 1, FIABLE),  # I10, ABANDON
        ("2021-03", *IDF, "SI_PE", "NON_RENSEIGNE", "30_PLUS", 1, 0, FIABLE),  # M10; M11 ANNULEE
        ("2021-03", *IDF, "SI_PE", "PE", "MOINS_26", 9, 1, FIABLE),  # M01..M09, M01 entered
        ("2021-03", *ARA, "IMILO", "ML", "MOINS_26", 1, 0, FIABLE),  # I09
        ("2021-03", *ARA, "SI_PE", "PE", "26_29", 1, 0, FIABLE),  # M12
        # P08: prescribed in January, entered in March: an entry without a prescription.
        ("2021-03", *ARA, "SI_PE", "PE", "MOINS_26", 0, 1, FIABLE),
        ("2021-03", *CORSE, "IMILO", "ML", "MOINS_26", 1, 0, FIABLE),  # I11
    ],
}

# (mois, code_region, libelle_region, nb_prescriptions_si_pe, nb_prescripteur_renseigne,
#  taux_renseignement, nb_ml_si_pe_moins_26, nb_ml_imilo_moins_26, fiabilite)
QUALITE_PRESCRIPTEUR = {
    "2021-01": [
        ("2021-01", *IDF, 3, 1, 1 / 3, 0, 1, A_EXAMINER),  # I01 (25); I02 is 26
        ("2021-01", *ARA, 4, 4, 4 / 4, 0, 2, FIABLE),  # I03, I05
    ],
    "2021-02": [
        ("2021-02", *IDF, 3, 3, 3 / 3, 0, 2, FIABLE),  # I06, I07
        ("2021-02", *ARA, 3, 2, 2 / 3, 2, 1, A_EXAMINER),  # ML: AIS-F01 (19), F02 (20); I08
    ],
    "2021-03": [
        ("2021-03", *IDF, 10, 9, 9 / 10, 0, 1, FIABLE),  # 9/10 = 0.90 is not below 0.90
        ("2021-03", *ARA, 1, 1, 1 / 1, 0, 1, FIABLE),  # M12; I09
        ("2021-03", *CORSE, 0, 0, None, 0, 1, FIABLE),  # I-Milo only: no rate, FIABLE
    ],
}


def suivi(mois, region, indicateur, periode, objectif, realise_mois, realise_cumule, k, n, fiab):
    """One suivi_otp row, with the §5 arithmetic: taux = cumul / objectif (null for 0),
    cible = (objectif × k) / n, écart = cumul − cible."""
    cible = objectif * k / n
    taux = realise_cumule / objectif if objectif else None
    return (
        mois,
        *region,
        indicateur,
        *periode,
        objectif,
        realise_mois,
        realise_cumule,
        taux,
        cible,
        realise_cumule - cible,
        fiab,
    )


P11 = ("2021-01", "2022-12")  # n = 24 months
P84_1 = ("2020-07", "2021-02")  # n = 8 months, starts before the data (2021-01)
P84_2 = ("2021-03", "2021-12")  # n = 10 months: the second period of region 84
P94 = ("2021-01", "2021-12")  # n = 12 months, no activity but I11 in March

# Indicator values by region and month, as known in month M (files <= M):
#   ENTREES_MOINS_30 (si_pe entries < 30 + unmatched imilo entries < 30)
#     11: Jan P02 + I02 = 2; Feb AIS-F04 + I07 = 2 (I06 matched with AIS-F04: once);
#         Mar M01 + I10 = 2.
#     84: Jan as of Jan: P06 + I03 + I05 = 3 (P05 is 30; AIS-F01 is in February's file);
#         Jan as of Feb: P06 + I05 = 2 (I03 now matched); Feb AIS-F01 = 1; Mar P08 = 1.
#   PRESCRIPTIONS_PE_MOINS_30: 11: Jan P01 = 1, Feb AIS-F04 + AIS-F06 = 2, Mar M01..M09 = 9;
#     84: Jan P06 + P08 = 2 (P05 is 30), Feb 0 (ML / none), Mar M12 = 1.
#   PRESCRIPTIONS_ML_MOINS_26: 11: Jan I01 = 1, Feb I06 + I07 = 2, Mar I10 = 1;
#     84: Jan I03 + I05 = 2, Feb I08 = 1, Mar I09 = 1; 94: Mar I11 = 1.
# Row order: code_region, then indicateur alphabetically (ENTREES, ML, PE).
SUIVI_OTP = {
    "2021-01": [
        suivi("2021-01", IDF, ENTREES, P11, 240, 2, 2, 1, 24, FIABLE),
        suivi("2021-01", IDF, ML_26, P11, 0, 1, 1, 1, 24, FIABLE),  # objective 0: taux null
        suivi("2021-01", IDF, PE_30, P11, 120, 1, 1, 1, 24, A_EXAMINER),  # 11 Jan is 1/3
        # 84: k = 7 (2020-07 .. 2021-01); 2020's months add 0.
        suivi("2021-01", ARA, ENTREES, P84_1, 80, 3, 3, 7, 8, FIABLE),
        suivi("2021-01", ARA, ML_26, P84_1, 16, 2, 2, 7, 8, FIABLE),
        suivi("2021-01", ARA, PE_30, P84_1, 40, 2, 2, 7, 8, FIABLE),
        suivi("2021-01", CORSE, ENTREES, P94, 12, 0, 0, 1, 12, FIABLE),  # no activity: zeros
        suivi("2021-01", CORSE, ML_26, P94, 6, 0, 0, 1, 12, FIABLE),
        suivi("2021-01", CORSE, PE_30, P94, 6, 0, 0, 1, 12, FIABLE),
    ],
    "2021-02": [
        suivi("2021-02", IDF, ENTREES, P11, 240, 2, 2 + 2, 2, 24, FIABLE),
        suivi("2021-02", IDF, ML_26, P11, 0, 2, 1 + 2, 2, 24, FIABLE),
        # February is FIABLE, but January of the same period was not.
        suivi("2021-02", IDF, PE_30, P11, 120, 2, 1 + 2, 2, 24, A_EXAMINER),
        # January recounted as of February: 2 (I03 matched), not the 3 published then.
        suivi("2021-02", ARA, ENTREES, P84_1, 80, 1, 2 + 1, 8, 8, FIABLE),
        suivi("2021-02", ARA, ML_26, P84_1, 16, 1, 2 + 1, 8, 8, FIABLE),
        suivi("2021-02", ARA, PE_30, P84_1, 40, 0, 2 + 0, 8, 8, A_EXAMINER),  # 84 Feb is 2/3
        suivi("2021-02", CORSE, ENTREES, P94, 12, 0, 0, 2, 12, FIABLE),
        suivi("2021-02", CORSE, ML_26, P94, 6, 0, 0, 2, 12, FIABLE),
        suivi("2021-02", CORSE, PE_30, P94, 6, 0, 0, 2, 12, FIABLE),
    ],
    "2021-03": [
        suivi("2021-03", IDF, ENTREES, P11, 240, 2, 2 + 2 + 2, 3, 24, FIABLE),
        suivi("2021-03", IDF, ML_26, P11, 0, 1, 1 + 2 + 1, 3, 24, FIABLE),
        suivi("2021-03", IDF, PE_30, P11, 120, 9, 1 + 2 + 9, 3, 24, A_EXAMINER),
        # 84 second period: k = 1; February's A_EXAMINER belongs to the first period.
        suivi("2021-03", ARA, ENTREES, P84_2, 100, 1, 1, 1, 10, FIABLE),
        suivi("2021-03", ARA, ML_26, P84_2, 20, 1, 1, 1, 10, FIABLE),
        suivi("2021-03", ARA, PE_30, P84_2, 50, 1, 1, 1, 10, FIABLE),
        suivi("2021-03", CORSE, ENTREES, P94, 12, 0, 0, 3, 12, FIABLE),
        suivi("2021-03", CORSE, ML_26, P94, 6, 1, 1, 3, 12, FIABLE),  # taux 1/6
        suivi("2021-03", CORSE, PE_30, P94, 6, 0, 0, 3, 12, FIABLE),
    ],
}

# Contract §8, type and grand domaine of each row: otp_fixture.FORMATIONS (the rest
# QUALIFIANTE, M). (mois, code_region, libelle_region, source, type_formation,
# domaine_professionnel, libelle_domaine, tranche, nb_prescriptions, nb_entrees), sorted by
# the grain; counted as prescriptions_mensuelles, whose sums per region, source and band
# they equal (a matched pair under both sources, each with its own row's type and domain).
QUAL, PRE, NR = "QUALIFIANTE", "PRE_QUALIFIANTE", "NON_RENSEIGNE"
SANTE, SUPPORT, INDUSTRIE = ("J", "Santé"), ("M", "Support à l'entreprise"), ("H", "Industrie")
BTP = ("F", "Construction, Bâtiment et Travaux publics")
MAINTENANCE, TRANSPORT = ("I", "Installation et Maintenance"), ("N", "Transport et Logistique")
INCONNU = (NR, None)
PRESCRIPTIONS_PAR_FORMATION = {
    "2021-01": [
        ("2021-01", *IDF, "IMILO", QUAL, *SUPPORT, "26_29", 1, 1),  # I02
        ("2021-01", *IDF, "IMILO", QUAL, *SUPPORT, "MOINS_26", 1, 0),  # I01
        ("2021-01", *IDF, "SI_PE", NR, *INCONNU, "26_29", 1, 0),  # P04 CERTIFIANTE, Z1234
        ("2021-01", *IDF, "SI_PE", NR, *INCONNU, "MOINS_26", 1, 1),  # P02 empty, J15
        ("2021-01", *IDF, "SI_PE", PRE, *SANTE, "MOINS_26", 1, 0),  # P01 pre_qualifiante, j1501
        ("2021-01", *ARA, "IMILO", PRE, *INCONNU, "MOINS_26", 1, 1),  # I03 `J 1501`
        ("2021-01", *ARA, "IMILO", QUAL, *SUPPORT, "MOINS_26", 1, 1),  # I05
        ("2021-01", *ARA, "SI_PE", PRE, *MAINTENANCE, "MOINS_26", 1, 0),  # P08
        ("2021-01", *ARA, "SI_PE", QUAL, *SUPPORT, "26_29", 1, 1),  # P06
        ("2021-01", *ARA, "SI_PE", QUAL, *SUPPORT, "30_PLUS", 1, 1),  # P05
        ("2021-01", *ARA, "SI_PE", QUAL, *SUPPORT, "MOINS_26", 1, 0),  # P07
    ],
    "2021-02": [
        ("2021-02", *IDF, "IMILO", QUAL, *INDUSTRIE, "MOINS_26", 1, 1),  # I06 h2913 (pair)
        ("2021-02", *IDF, "IMILO", QUAL, *SUPPORT, "MOINS_26", 1, 1),  # I07
        ("2021-02", *IDF, "SI_PE", QUAL, *INDUSTRIE, "MOINS_26", 1, 1),  # AIS-F04 (pair)
        ("2021-02", *IDF, "SI_PE", QUAL, *SUPPORT, "30_PLUS", 1, 0),  # F05
        ("2021-02", *IDF, "SI_PE", QUAL, *SUPPORT, "MOINS_26", 1, 0),  # AIS-F06
        ("2021-02", *ARA, "IMILO", QUAL, *SUPPORT, "MOINS_26", 1, 0),  # I08
        ("2021-02", *ARA, "SI_PE", QUAL, *BTP, "MOINS_26", 1, 1),  # AIS-F01, I03's pair
        ("2021-02", *ARA, "SI_PE", QUAL, *SUPPORT, "MOINS_26", 2, 0),  # F02, F03
    ],
    "2021-03": [
        ("2021-03", *IDF, "IMILO", QUAL, *SUPPORT, "MOINS_26", 1, 1),  # I10
        ("2021-03", *IDF, "SI_PE", "AUTRE", *TRANSPORT, "30_PLUS", 1, 0),  # M10
        ("2021-03", *IDF, "SI_PE", QUAL, *SUPPORT, "MOINS_26", 9, 1),  # M01..M09
        ("2021-03", *ARA, "IMILO", QUAL, *SUPPORT, "MOINS_26", 1, 0),  # I09
        # P08, January's file, entered in March: type and domain of its own row.
        ("2021-03", *ARA, "SI_PE", PRE, *MAINTENANCE, "MOINS_26", 0, 1),
        ("2021-03", *ARA, "SI_PE", QUAL, *MAINTENANCE, "26_29", 1, 0),  # M12 ı1304
        ("2021-03", *CORSE, "IMILO", NR, *INCONNU, "MOINS_26", 1, 0),  # I11 empty
    ],
}


def projection(row: tuple, k: int, n: int, statut: str, borne: int | None = None) -> tuple:
    """The projection_otp row of a suivi_otp row, with §8's arithmetic: rythme = cumul / k,
    projection = (cumul × n) / k, reste = max(objectif − cumul, 0), rythme nécessaire =
    reste / (n − k) (null when k = n); the statut and the borne haute are given by hand."""
    (mois, code, libelle, indicateur, debut, fin, objectif, _, cumul, *_, fiabilite) = row
    reste = max(objectif - cumul, 0)
    return (
        mois, code, libelle, indicateur, debut, fin, objectif, cumul, k, n, cumul / k,
        cumul * n / k, reste, reste / (n - k) if k < n else None, statut,
        cumul if borne is None else borne, fiabilite,
    )  # fmt: skip


# (k, n, statut, borne haute) of each suivi_otp row, in its order. With so little activity
# every region is EN_RETARD (×10 below its linear target), but for region 11's
# ML objective of 0, ATTEINT. Borne haute of PRESCRIPTIONS_PE_MOINS_30: the si_pe
# prescriptions of under-30s with an unfilled prescriber, of the period so far: 11, P02
# (25, empty) and P04 (26, XX) in January; 84, F03 (22, empty) in February, in the first
# period only; M10 (empty) is 36.
RETARD, ATTEINT = "EN_RETARD", "ATTEINT"
PROJECTIONS = {
    "2021-01": [(1, 24, RETARD, None), (1, 24, ATTEINT, None), (1, 24, RETARD, 1 + 2),
                (7, 8, RETARD, None), (7, 8, RETARD, None), (7, 8, RETARD, 2),
                (1, 12, RETARD, None), (1, 12, RETARD, None), (1, 12, RETARD, 0)],
    # 84's first period ends in February: k = n = 8, no rythme_necessaire.
    "2021-02": [(2, 24, RETARD, None), (2, 24, ATTEINT, None), (2, 24, RETARD, 3 + 2),
                (8, 8, RETARD, None), (8, 8, RETARD, None), (8, 8, RETARD, 2 + 1),
                (2, 12, RETARD, None), (2, 12, RETARD, None), (2, 12, RETARD, 0)],
    # 11 PE: 12 × 24 = 288 against 120 × 3 = 360, 2 880 < 9 × 360 = 3 240: EN_RETARD.
    "2021-03": [(3, 24, RETARD, None), (3, 24, ATTEINT, None), (3, 24, RETARD, 12 + 2),
                (1, 10, RETARD, None), (1, 10, RETARD, None), (1, 10, RETARD, 1),
                (3, 12, RETARD, None), (3, 12, RETARD, None), (3, 12, RETARD, 0)],
}  # fmt: skip
PROJECTION_OTP = {
    mois: [projection(row, *args) for row, args in zip(SUIVI_OTP[mois], PROJECTIONS[mois],
                                                       strict=True)]
    for mois in SUIVI_OTP
}  # fmt: skip

EXPECTED = {
    "prescriptions_mensuelles": PRESCRIPTIONS_MENSUELLES,
    "suivi_otp": SUIVI_OTP,
    "qualite_prescripteur": QUALITE_PRESCRIPTEUR,
    "prescriptions_par_formation": PRESCRIPTIONS_PAR_FORMATION,
    "projection_otp": PROJECTION_OTP,
}

# Contract §7, in order: int64 → BIGINT, double → DOUBLE, string → VARCHAR.
COLUMNS = {
    "prescriptions_mensuelles": [
        ("mois", "VARCHAR"),
        ("code_region", "VARCHAR"),
        ("libelle_region", "VARCHAR"),
        ("source", "VARCHAR"),
        ("reseau_prescripteur", "VARCHAR"),
        ("tranche_age", "VARCHAR"),
        ("nb_prescriptions", "BIGINT"),
        ("nb_entrees", "BIGINT"),
        ("fiabilite", "VARCHAR"),
    ],
    "suivi_otp": [
        ("mois", "VARCHAR"),
        ("code_region", "VARCHAR"),
        ("libelle_region", "VARCHAR"),
        ("indicateur", "VARCHAR"),
        ("periode_debut", "VARCHAR"),
        ("periode_fin", "VARCHAR"),
        ("objectif", "BIGINT"),
        ("realise_mois", "BIGINT"),
        ("realise_cumule", "BIGINT"),
        ("taux_realisation", "DOUBLE"),
        ("cible_lineaire", "DOUBLE"),
        ("ecart_cible", "DOUBLE"),
        ("fiabilite", "VARCHAR"),
    ],
    "qualite_prescripteur": [
        ("mois", "VARCHAR"),
        ("code_region", "VARCHAR"),
        ("libelle_region", "VARCHAR"),
        ("nb_prescriptions_si_pe", "BIGINT"),
        ("nb_prescripteur_renseigne", "BIGINT"),
        ("taux_renseignement", "DOUBLE"),
        ("nb_ml_si_pe_moins_26", "BIGINT"),
        ("nb_ml_imilo_moins_26", "BIGINT"),
        ("fiabilite", "VARCHAR"),
    ],
    # Contract §8.
    "prescriptions_par_formation": [
        ("mois", "VARCHAR"), ("code_region", "VARCHAR"), ("libelle_region", "VARCHAR"),
        ("source", "VARCHAR"), ("type_formation", "VARCHAR"),
        ("domaine_professionnel", "VARCHAR"), ("libelle_domaine", "VARCHAR"),
        ("tranche_age", "VARCHAR"), ("nb_prescriptions", "BIGINT"), ("nb_entrees", "BIGINT"),
    ],
    "projection_otp": [
        ("mois", "VARCHAR"), ("code_region", "VARCHAR"), ("libelle_region", "VARCHAR"),
        ("indicateur", "VARCHAR"), ("periode_debut", "VARCHAR"), ("periode_fin", "VARCHAR"),
        ("objectif", "BIGINT"), ("realise_cumule", "BIGINT"), ("nb_mois_ecoules", "BIGINT"),
        ("nb_mois_periode", "BIGINT"), ("rythme_mensuel", "DOUBLE"),
        ("projection_fin_periode", "DOUBLE"), ("reste_a_realiser", "BIGINT"),
        ("rythme_necessaire", "DOUBLE"), ("statut", "VARCHAR"),
        ("realise_cumule_borne_haute", "BIGINT"), ("fiabilite", "VARCHAR"),
    ],
}  # fmt: skip

FACT_COLUMNS = {
    "fct_prescriptions": [
        "source", "id_prescription", "mois_fichier", "mois", "date_prescription",
        "date_entree", "code_departement", "code_region", "libelle_region",
        "type_prescripteur", "prescripteur_renseigne", "code_structure",
        "reseau_prescripteur", "age", "tranche_age", "statut", "est_prescription",
        "est_entree", "numero_ais", "type_formation", "domaine_professionnel",
        "libelle_domaine", "code_rome", "loaded_at", "empreinte_referentiels",
    ],
    "fct_entrees": [
        "source", "id_prescription", "mois_fichier", "mois_entree", "date_entree",
        "date_prescription", "code_region", "libelle_region", "reseau_prescripteur", "age",
        "tranche_age", "numero_ais", "type_formation", "domaine_professionnel",
        "libelle_domaine", "code_rome", "loaded_at", "empreinte_referentiels",
    ],
    # The view that adds the I-Milo ↔ AIS match to the entries, where it is read.
    "int_entrees_matched": [
        "source", "id_prescription", "mois_fichier", "mois_entree", "date_entree",
        "date_prescription", "code_region", "libelle_region", "reseau_prescripteur", "age",
        "tranche_age", "numero_ais", "mois_fichier_ais_apparie", "type_formation",
        "domaine_professionnel", "libelle_domaine", "code_rome",
    ],
}  # fmt: skip


def rows_of(tables: dict, table: str, mois: str) -> list[tuple]:
    return [row for row in tables[table]["rows"] if row[0] == mois]


@pytest.mark.parametrize("table", sorted(COLUMNS))
def test_published_tables_have_the_contract_columns_and_types(warehouse_runs, table):
    assert warehouse_runs["publies"][table]["columns"] == COLUMNS[table]


@pytest.mark.parametrize("table", sorted(FACT_COLUMNS))
def test_facts_have_their_documented_columns(warehouse_runs, table):
    columns = [name for name, _ in warehouse_runs["publies"][table]["columns"]]
    assert columns == FACT_COLUMNS[table]


@pytest.mark.parametrize("table", sorted(EXPECTED))
@pytest.mark.parametrize("mois", ["2021-01", "2021-02", "2021-03"])
def test_each_month_is_computed_from_files_up_to_that_month(warehouse_runs, table, mois):
    """Every column of every row, as each month's run computed it (contract §2, §5, §7)."""
    assert rows_of(warehouse_runs["publies"], table, mois) == EXPECTED[table][mois]


def test_marts_hold_exactly_the_months_run(warehouse_runs):
    for table in EXPECTED:
        months = {row[0] for row in warehouse_runs["publies"][table]["rows"]}
        assert months == {"2021-01", "2021-02", "2021-03"}, table


def test_age_is_in_completed_years_on_the_prescription_date(warehouse_runs):
    """§5: 29/02/2000 is 20 on 28/02/2021; birthdays count on the day; band edges."""
    columns = FACT_COLUMNS["fct_prescriptions"]
    by_id = {
        row[columns.index("id_prescription")]: row
        for row in warehouse_runs["publies"]["fct_prescriptions"]["rows"]
    }
    expected = {
        "F02": (20, "MOINS_26"),  # born 29/02/2000, prescribed 28/02/2021
        "P01": (21, "MOINS_26"),  # birthday on the prescription day
        "P02": (25, "MOINS_26"),
        "P04": (26, "26_29"),
        "P06": (29, "26_29"),
        "P05": (30, "30_PLUS"),
        "M12": (26, "26_29"),  # 26th birthday on the prescription day
        "I09": (25, "MOINS_26"),  # the day before the 26th birthday
    }
    ages = {
        id_: (by_id[id_][columns.index("age")], by_id[id_][columns.index("tranche_age")])
        for id_ in expected
    }
    assert ages == expected


def test_matched_pair_is_one_entry_from_the_month_the_ais_file_is_known(warehouse_runs):
    """§5 / §2: I03 ↔ AIS-F01 is matched as of February only; I06 ↔ AIS-F04 in February;
    a dangling numero_ais (I05) or an AIS that is no entry (I07 → AIS-F06) is unmatched."""
    columns = FACT_COLUMNS["int_entrees_matched"]
    appariement = {
        row[columns.index("id_prescription")]: row[columns.index("mois_fichier_ais_apparie")]
        for row in warehouse_runs["publies"]["int_entrees_matched"]["rows"]
        if row[0] == "IMILO"
    }
    assert appariement == {
        "I02": None,
        "I03": "2021-02",
        "I05": None,
        "I06": "2021-02",
        "I07": None,
        "I10": None,
    }


def test_revision_of_an_earlier_month_rebuilds_that_month_only(warehouse_runs):
    """January's si_pe file is revised (P02 → ML, P04 → PE) and the objectives file no
    longer has a period containing January, after March was built. Re-running January
    replaces January's rows whole, stale rows and all; February and March stay as they
    were computed and published until they are run again."""
    publies, revises = warehouse_runs["publies"], warehouse_runs["apres_revision"]
    assert (
        rows_of(revises, "prescriptions_mensuelles", "2021-01")
        == [
            ("2021-01", *IDF, "IMILO", "ML", "26_29", 1, 1, FIABLE),
            ("2021-01", *IDF, "IMILO", "ML", "MOINS_26", 1, 0, FIABLE),
            ("2021-01", *IDF, "SI_PE", "ML", "MOINS_26", 1, 1, FIABLE),  # P02, 3/3 now
            ("2021-01", *IDF, "SI_PE", "PE", "26_29", 1, 0, FIABLE),  # P04
            ("2021-01", *IDF, "SI_PE", "PE", "MOINS_26", 1, 0, FIABLE),  # P01
            *PRESCRIPTIONS_MENSUELLES["2021-01"][5:],  # region 84 unchanged
        ]
    )
    assert rows_of(revises, "qualite_prescripteur", "2021-01") == [
        ("2021-01", *IDF, 3, 3, 3 / 3, 1, 1, FIABLE),  # P02 is ML and 25
        QUALITE_PRESCRIPTEUR["2021-01"][1],
    ]
    # No period contains January any more: its rows are gone, not left stale.
    assert rows_of(revises, "suivi_otp", "2021-01") == []
    for table in EXPECTED:
        for mois in ("2021-02", "2021-03"):
            assert rows_of(revises, table, mois) == rows_of(publies, table, mois), (table, mois)


# What dbt checks every month is in the tables: the enforced contracts of the facts and
# marts carry `not_null` and `check` constraints (docs/decisions.md, *Speed*), which DuckDB
# applies to every row written, so a bad row fails the build as a failed dbt test did.
# (Here, beside the other tests of these builds: one warehouse_runs per test worker.)
NOT_NULL = {
    "fct_prescriptions": 19,
    "fct_entrees": 15,
    "prescriptions_mensuelles": 9,
    "suivi_otp": 12,
    "qualite_prescripteur": 8,
}
CHECKS = {
    "fct_prescriptions": 7,
    "fct_entrees": 6,
    "prescriptions_mensuelles": 4,
    "suivi_otp": 2,
    "qualite_prescripteur": 1,
}


def _constraints(warehouse, table: str, kind: str) -> list:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select constraint_column_names, constraint_text from duckdb_constraints()"
            " where table_name = ? and constraint_type = ? order by all",
            [table, kind],
        ).fetchall()


@pytest.mark.parametrize("table", sorted(NOT_NULL))
def test_contracts_carry_the_not_null_and_check_constraints(warehouse_runs, table):
    warehouse = warehouse_runs["warehouse"]
    assert len(_constraints(warehouse, table, "NOT NULL")) == NOT_NULL[table]
    assert len(_constraints(warehouse, table, "CHECK")) == CHECKS[table]


def test_a_row_breaking_a_constraint_is_refused(warehouse_runs, tmp_path):
    copy = tmp_path / "otp.duckdb"
    copy.write_bytes(warehouse_runs["warehouse"].read_bytes())
    with duckdb.connect(str(copy)) as con:
        with pytest.raises(duckdb.ConstraintException, match="fiabilite"):
            con.execute("update main.qualite_prescripteur set fiabilite = 'PEUT_ETRE'")
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL.*libelle_region"):
            con.execute("update main.suivi_otp set libelle_region = null")
        with pytest.raises(duckdb.ConstraintException, match="source"):
            con.execute("update main.fct_prescriptions set source = 'AUTRE'")
