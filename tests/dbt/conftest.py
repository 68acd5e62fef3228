"""A small hand-written warehouse and the real `dbt build` run on it, one month after the
other, as Dagster runs the partitions. The raw tables are created by the ingestion's own
DDL (otp_pipeline/sql/raw_schema.sql, as in docs/architecture.md): the models are tested
against the schema ingestion really writes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from otp_pipeline.lib.thresholds import PROJECT_ROOT, dbt_vars
from otp_pipeline.lib.warehouse import ensure_raw_schema

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"

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

MARTS = ("prescriptions_mensuelles", "suivi_otp", "qualite_prescripteur")


def load_raw(con: duckdb.DuckDBPyConnection, si_pe_rows, imilo_rows, objectifs_rows) -> None:
    """Replace the raw tables' rows; the columns no model reads stay null."""
    con.execute("delete from raw.si_pe")
    con.execute("delete from raw.imilo")
    con.execute("delete from raw.objectifs_otp")
    con.executemany(
        "insert into raw.si_pe (mois, id_ais, date_naissance, code_departement,"
        " type_prescripteur, date_prescription, date_entree, statut, id_individu,"
        " source_file, revision, sha256, line_number, loaded_at)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, 'IND-' || ?, 'ais_' || ? || '.csv', 1, 'sha', ?,"
        " now())",
        [(*row, row[1], row[0], line) for line, row in enumerate(si_pe_rows, start=2)],
    )
    con.executemany(
        "insert into raw.imilo (mois, id_prescription, date_naissance, code_departement,"
        " date_prescription, date_entree, statut, numero_ais, id_jeune, code_mission_locale,"
        " source_file, revision, sha256, line_number, loaded_at)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, 'JEUNE-' || ?, 'ML-TEST',"
        " 'imilo_' || ? || '.csv', 1, 'sha', ?, now())",
        [(*row, row[1], row[0], line) for line, row in enumerate(imilo_rows, start=2)],
    )
    con.executemany(
        "insert into raw.objectifs_otp values"
        " (?, ?, ?, ?, ?, ?, ?, 'objectifs_otp.csv', 'sha', now())",
        objectifs_rows,
    )


def run_dbt_build(
    warehouse: Path, work_dir: Path, month: str, extra_args: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """`dbt build` for one month, as the Dagster transform asset runs it."""
    env = {
        **os.environ,
        "OTP_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        str(DBT_EXECUTABLE), "build",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
        "--vars", json.dumps(dbt_vars(month)),
        *extra_args,
    ]  # fmt: skip
    return subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def read_marts(warehouse: Path) -> dict:
    """Every mart's rows, sorted by their grain (the first columns), and its column types."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            table: {
                "columns": [
                    (name, column_type)
                    for name, column_type, *_ in con.execute(f"describe {table}").fetchall()
                ],
                "rows": con.execute(f"select * from {table} order by all").fetchall(),
            }
            for table in (*MARTS, "fct_prescriptions", "fct_entrees")
        }


@pytest.fixture(scope="module")
def warehouse_runs(tmp_path_factory) -> dict:
    """Build 2021-01, 2021-02, 2021-03 in turn, then January again after its revision.

    Returns the tables as they stood after March ("publies") and after the re-run of
    January ("apres_revision"). To keep the module short, tests run where they add
    something: unit tests (they read no warehouse data) with the first build only, data
    tests with the first build and after March (the marts then hold every month).
    """
    work_dir = tmp_path_factory.mktemp("dbt")
    warehouse = work_dir / "otp.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
        load_raw(con, SI_PE_ROWS, IMILO_ROWS, OBJECTIFS_ROWS)

    def build(month: str, *extra_args: str) -> None:
        result = run_dbt_build(warehouse, work_dir, month, extra_args)
        if result.returncode != 0:
            pytest.fail(f"dbt build {month} failed:\n{result.stdout[-6000:]}")

    no_tests = ("--exclude", "test_type:unit", "test_type:data")
    build("2021-01")
    build("2021-02", *no_tests)
    build("2021-03", "--exclude", "test_type:unit")
    publies = read_marts(warehouse)

    with duckdb.connect(str(warehouse)) as con:
        load_raw(con, SI_PE_ROWS_JANVIER_R2, IMILO_ROWS, OBJECTIFS_ROWS_V2)
    build("2021-01", *no_tests)
    return {"publies": publies, "apres_revision": read_marts(warehouse)}
