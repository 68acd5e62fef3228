"""Small hand-made delivery files: rows in contract column order, written as producers do."""

import gzip
from pathlib import Path

import duckdb

from otp_pipeline.lib.paths import REFERENTIAL_DIR

SI_PE_HEADER = (
    "id_ais;id_individu;date_naissance;code_departement;code_agence;type_prescripteur;"
    "code_structure_prescriptrice;date_prescription;date_entree;statut;formacode;code_rome;"
    "type_formation;financeur;duree_heures"
)
IMILO_HEADER = (
    "id_prescription;id_jeune;date_naissance;code_mission_locale;code_departement;"
    "date_prescription;date_entree;statut;numero_ais;formacode;code_rome;type_formation"
)
OBJECTIVES_HEADER = (
    "code_region;periode_debut;periode_fin;objectif_entrees_moins_30;dont_volume_socle;"
    "sous_objectif_pe_moins_30;sous_objectif_ml_moins_26"
)


def ais_row(
    id_ais="A1", individu="P1", naissance="15/06/2000", departement="75", agence="75001",
    prescripteur="PE", structure="", prescription="10/03/2021", entree="", statut="PRESCRITE",
    formacode="22435", rome="M1607", type_formation="QUALIFIANTE", financeur="REGION",
    duree="400",
) -> str:  # fmt: skip
    """One `si_pe` line in contract column order; every argument a field as written."""
    return ";".join([
        id_ais, individu, naissance, departement, agence, prescripteur, structure,
        prescription, entree, statut, formacode, rome, type_formation, financeur, duree,
    ])  # fmt: skip


def imilo_row(
    id_prescription="M1", jeune="J1", naissance="2000-06-15", mission_locale="ML075",
    departement="75", prescription="2021-03-10", entree="", statut="PRESCRITE", numero_ais="",
    formacode="22435", rome="M1607", type_formation="QUALIFIANTE",
) -> str:  # fmt: skip
    """One `imilo` line in contract column order."""
    return ";".join([
        id_prescription, jeune, naissance, mission_locale, departement, prescription, entree,
        statut, numero_ais, formacode, rome, type_formation,
    ])  # fmt: skip


def write_file(path: Path, lines: list[str], encoding="utf-8", bom=False, gz=False) -> Path:
    """Write lines joined by CRLF-free `\\n` in `encoding`, optionally with a BOM or gzipped."""
    data = ("\n".join(lines) + "\n").encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(warehouse)) as con:
        return con.execute(sql, params or {}).fetchall()


def create_rome_seed(con: duckdb.DuckDBPyConnection) -> None:
    """The dbt seed main.ref_rome_domaines, from the shipped file, for warehouses built by
    hand (the GX suites read its labels)."""
    con.execute(
        "create or replace table main.ref_rome_domaines as select * from read_csv(?, delim=';',"
        " header=true, all_varchar=true)",
        [str(REFERENTIAL_DIR / "ref_rome_domaines.csv")],
    )
