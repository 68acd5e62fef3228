"""The hand-written fixture of the transformation tests: raw rows of three months, two
regions plus Corsica, and the objectives. The expected tables are worked out by hand in
test_dbt_marts.py; tests/fixture_landing.py delivers the same rows as files."""

# Departments used: 75, 92, 93 → region 11 (Île-de-France); 01, 69 → 84
# (Auvergne-Rhône-Alpes); 2A → 94 (Corse). Ages are worked out in test_dbt_marts.py.

# si_pe: (mois, id_ais, date_naissance, code_departement, type_prescripteur,
#         date_prescription, date_entree, statut)
SI_PE_ROWS = [
    # 2021-01, region 11
    ("2021-01", "P01", "2000-01-15", "75", "PE", "2021-01-15", None, "PRESCRITE"),
    ("2021-01", "P02", "1995-06-01", "75", None, "2021-01-20", "2021-01-25", "ENTREE"),
    ("2021-01", "P03", "1990-12-31", "92", "PE", "2021-01-10", None, "ANNULEE"),
    ("2021-01", "P04", "1994-06-10", "93", "XX", "2021-01-05", None, "PRESCRITE"),
    # 2021-01, region 84
    ("2021-01", "P05", "1991-01-10", "69", "PE", "2021-01-12", "2021-01-20", "ENTREE"),
    ("2021-01", "P06", "1991-01-20", "69", "PE", "2021-01-12", "2021-01-18", "ABANDON"),
    ("2021-01", "P07", "2002-05-05", "01", "CAP_EMPLOI", "2021-01-04", None, "ENTREE"),
    ("2021-01", "P08", "1999-03-03", "01", "PE", "2021-01-25", "2021-03-10", "ENTREE"),
    # 2021-02, region 84
    ("2021-02", "AIS-F01", "2001-07-01", "69", "ML", "2021-02-01", "2021-02-10", "ENTREE"),
    ("2021-02", "F02", "2000-02-29", "01", "ML", "2021-02-28", None, "PRESCRITE"),
    ("2021-02", "F03", "1998-04-04", "01", None, "2021-02-15", None, "PRESCRITE"),
    # 2021-02, region 11
    ("2021-02", "AIS-F04", "1997-05-05", "75", "PE", "2021-02-03", "2021-02-15", "ENTREE"),
    ("2021-02", "F05", "1980-01-01", "75", "AUTRE", "2021-02-10", None, "PRESCRITE"),
    ("2021-02", "AIS-F06", "1996-08-20", "92", "PE", "2021-02-20", None, "PRESCRITE"),
    # 2021-03, region 11: 10 counted prescriptions, 9 with a valid prescriber (0.90)
    ("2021-03", "M01", "2000-06-15", "75", "PE", "2021-03-10", "2021-03-20", "ENTREE"),
    *[
        ("2021-03", f"M0{n}", "2000-06-15", "75", "PE", "2021-03-10", None, "PRESCRITE")
        for n in range(2, 10)
    ],
    ("2021-03", "M10", "1985-03-01", "75", None, "2021-03-01", None, "PRESCRITE"),
    ("2021-03", "M11", "1990-01-01", "75", None, "2021-03-05", None, "ANNULEE"),
    # 2021-03, region 84
    ("2021-03", "M12", "1995-03-15", "01", "PE", "2021-03-15", None, "PRESCRITE"),
]

# imilo: (mois, id_prescription, date_naissance, code_departement, date_prescription,
#         date_entree, statut, numero_ais)
IMILO_ROWS = [
    ("2021-01", "I01", "1996-01-31", "75", "2021-01-31", None, "PRESCRITE", None),
    ("2021-01", "I02", "1995-01-10", "75", "2021-01-11", "2021-01-20", "ENTREE", None),
    ("2021-01", "I03", "2001-07-01", "69", "2021-01-15", "2021-01-22", "ENTREE", "AIS-F01"),
    ("2021-01", "I04", "2003-03-03", "01", "2021-01-08", None, "ANNULEE", None),
    ("2021-01", "I05", "1999-09-09", "01", "2021-01-20", "2021-01-29", "ENTREE", "AIS-404"),
    ("2021-02", "I06", "1997-05-05", "75", "2021-02-02", "2021-02-15", "ENTREE", "AIS-F04"),
    ("2021-02", "I07", "1996-08-20", "92", "2021-02-19", "2021-02-25", "ENTREE", "AIS-F06"),
    ("2021-02", "I08", "1995-02-28", "69", "2021-02-27", None, "PRESCRITE", None),
    ("2021-03", "I09", "1995-03-16", "69", "2021-03-15", None, "PRESCRITE", None),
    ("2021-03", "I10", "2000-10-10", "75", "2021-03-03", "2021-03-25", "ABANDON", None),
    ("2021-03", "I11", "2004-12-01", "2A", "2021-03-20", None, "PRESCRITE", None),
]

# objectifs_otp: (code_region, periode_debut, periode_fin, objectif_entrees_moins_30,
#                 dont_volume_socle, sous_objectif_pe_moins_30, sous_objectif_ml_moins_26)
OBJECTIFS_ROWS = [
    ("11", "2021-01", "2022-12", 240, 100, 120, 0),
    ("84", "2020-07", "2021-02", 80, 30, 40, 16),
    ("84", "2021-03", "2021-12", 100, 40, 50, 20),
    ("94", "2021-01", "2021-12", 12, 5, 6, 6),
]


# Revision 2 of January's si_pe file, loaded after March was built: P02 and P04 now carry a
# valid prescriber. And a new objectives file where no period contains January any more.
SI_PE_ROWS_JANVIER_R2 = [
    (*row[:4], {"P02": "ML", "P04": "PE"}.get(row[1], row[4]), *row[5:]) for row in SI_PE_ROWS
]
OBJECTIFS_ROWS_V2 = [
    ("11", "2021-02", "2022-12", 240, 100, 120, 0),
    ("84", "2020-07", "2020-12", 80, 30, 40, 16),
    ("84", "2021-03", "2021-12", 100, 40, 50, 20),
    ("94", "2021-02", "2021-12", 12, 5, 6, 6),
]

# type_formation and code_rome of each row, as delivered (contract §8); rows not listed
# carry QUALIFIANTE and M1607 (grand domaine M). Read as:
#   P01 ` pre_qualifiante `, `j1501` → PRE_QUALIFIANTE, J (trimmed, upper-cased)
#   P02 empty, `J15` → NON_RENSEIGNE, NON_RENSEIGNE (too short)
#   P04 `CERTIFIANTE`, `Z1234` → NON_RENSEIGNE, NON_RENSEIGNE (Z is no grand domaine)
#   P08 PRE_QUALIFIANTE, I1604 → I: entered in March from January's file
#   AIS-F01 F1603 → F, and its matched I-Milo row I03 `J 1501` → NON_RENSEIGNE: each
#       side of a pair with its own row's domain
#   AIS-F04 H2913 and I06 `qualifiante`, `h2913` → QUALIFIANTE, H on both sides
#   M10 AUTRE, N1103 → AUTRE, N
#   M12 `ı1304` (dotless i): Unicode's simple upper-case mapping gives I1304 → I
#   I11 empty, empty → NON_RENSEIGNE, NON_RENSEIGNE
FORMATION_DEFAUT = ("QUALIFIANTE", "M1607")
FORMATIONS = {
    "P01": (" pre_qualifiante ", "j1501"),
    "P02": ("", "J15"),
    "P04": ("CERTIFIANTE", "Z1234"),
    "P08": ("PRE_QUALIFIANTE", "I1604"),
    "AIS-F01": ("QUALIFIANTE", "F1603"),
    "I03": ("PRE_QUALIFIANTE", "J 1501"),
    "AIS-F04": ("QUALIFIANTE", "H2913"),
    "I06": ("qualifiante", "h2913"),
    "M10": ("AUTRE", "N1103"),
    "M12": ("QUALIFIANTE", "\u01311304"),
    "I11": ("", ""),
}


def formation(row_id: str) -> tuple[str, str]:
    """(type_formation, code_rome) of a fixture row, as delivered."""
    return FORMATIONS.get(row_id, FORMATION_DEFAUT)
