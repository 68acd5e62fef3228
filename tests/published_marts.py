"""Marts of every published table (tables.TABLES) in a DuckDB file, and a month published from
them: what the publication's tests build on."""

from datetime import datetime
from pathlib import Path

import duckdb

from otp_pipeline.lib.publication.swap import PublishedMonth, publish_month
from otp_pipeline.lib.publication.tables import TABLES

SQL_TYPES = {"string": "varchar", "int64": "bigint", "double": "double"}
# The codes a month's sectors file gives the publication (contract §9).
ENUMS = {
    "secteurs_avenir": ["NUMERIQUE", "SOIN"],
    "libelles_secteurs_avenir": ["Numérique", "Santé et soin"],
}
# March (and a row of February) in four of the tables, then a revision of March moving known
# cells (tests/lib/publication/test_changes.py and report/test_revisions.py count them).
ROWS = """
insert into main.prescriptions_mensuelles values
    ('2021-03', '84', 'Auvergne-Rhône-Alpes', 'SI_PE', 'PE', 'MOINS_26', 4, 1, 'FIABLE'),
    ('2021-03', '11', 'Île-de-France', 'IMILO', 'ML', '26_29', 3, 0, 'FIABLE'),
    ('2021-03', '11', 'Île-de-France', 'SI_PE', 'PE', '26_29', 2, 0, 'FIABLE'),
    ('2021-02', '11', 'Île-de-France', 'IMILO', 'ML', 'MOINS_26', 9, 9, 'FIABLE');
insert into main.suivi_otp values
    ('2021-03', '11', 'Île-de-France', 'ENTREES_MOINS_30', '2021-01', '2021-12',
     120, 2, 5, 5 / 120, 30.0, -25.0, 'FIABLE'),
    ('2021-03', '84', 'Auvergne-Rhône-Alpes', 'ENTREES_MOINS_30', '2021-01', '2021-12',
     0, 0, 0, null, 0.0, 0.0, 'FIABLE');
insert into main.qualite_prescripteur values
    ('2021-03', '93', 'Provence-Alpes-Côte d''Azur', 0, 0, null, 0, 5, 'FIABLE');
insert into main.projection_otp values
    ('2021-03', '11', 'Île-de-France', 'ENTREES_MOINS_30', '2021-01', '2021-12',
     120, 5, 3, 12, 5 / 3, 5 * 12 / 3, 115, 115 / 9, 'EN_RETARD', 5, 'FIABLE');
"""
# The revision: in prescriptions_mensuelles, 84's entries 1 -> 2 (changed), 11's IMILO row
# gone (removed), an 11 SI_PE MOINS_26 row new (added), 11's SI_PE 26_29 row and February's
# untouched; in suivi_otp, 11's realise_cumule 5 -> 7 (changed: realise_mois, taux and ecart
# with it) and 84 gets a PRESCRIPTIONS_PE_MOINS_30 row (added); 93's fill rate null -> 0.5
# with 2 prescriptions of which 1 filled, A_EXAMINER (changed); projection_otp's row gone (removed).
REVISION = """
update main.prescriptions_mensuelles set nb_entrees = 2 where mois = '2021-03' and code_region = '84';
delete from main.prescriptions_mensuelles where source = 'IMILO' and mois = '2021-03';
insert into main.prescriptions_mensuelles values
    ('2021-03', '11', 'Île-de-France', 'SI_PE', 'PE', 'MOINS_26', 1, 0, 'FIABLE');
update main.suivi_otp set realise_mois = 4, realise_cumule = 7, taux_realisation = 7 / 120,
    ecart_cible = -23.0 where code_region = '11';
insert into main.suivi_otp values
    ('2021-03', '84', 'Auvergne-Rhône-Alpes', 'PRESCRIPTIONS_PE_MOINS_30', '2021-01',
     '2021-12', 0, 3, 3, null, 0.0, 3.0, 'FIABLE');
update main.qualite_prescripteur set nb_prescriptions_si_pe = 2, nb_prescripteur_renseigne = 1,
    taux_renseignement = 0.5, fiabilite = 'A_EXAMINER';
delete from main.projection_otp;
"""


def create_marts(warehouse: Path, rows_sql: str) -> Path:
    """Every published table as an empty mart with its contract's columns, then `rows_sql`."""
    Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        for table in TABLES.values():
            columns = ", ".join(f"{name} {SQL_TYPES[kind]}" for name, kind in table.columns)
            con.execute(f"create table main.{table.name} ({columns})")
        con.execute(rows_sql)
    return Path(warehouse)


def run_sql(warehouse: Path, sql: str) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(sql)


def publish(
    warehouse: Path, month: str, publish_dir: Path, manifest: dict, now: datetime
) -> PublishedMonth:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return publish_month(con, month, publish_dir, manifest, now, ENUMS)
