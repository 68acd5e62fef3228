"""docs/personal-data.md on a real DuckDB file: a warehouse of the schema before it is
migrated into a fresh file that holds no person id, birth date or raw line (its raw bytes
scanned), once; the warehouse's folder, file and lock, the GX folder and DAGSTER_HOME are
their owner's only, whatever the umask."""

import logging
import os
import stat
import subprocess
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from otp_pipeline.lib.personal_data import private_folder
from otp_pipeline.lib.quality.runner import GX_FOLDER, _context
from otp_pipeline.lib.warehouse import connect, ensure_raw_schema

PROJECT_ROOT = Path(__file__).resolve().parents[2]
OLD_WAREHOUSE_SQL = Path(__file__).with_name("warehouse_before_personal_data.sql")
# In the old file as text: person ids, birth dates of quarantined lines, whole lines.
OLD_SECRETS = (b"PERSON-OLD", b"JEUNE-OLD", b"17/03/1999", b"31/02/1999", b"75;extra")


def _old_warehouse(path: Path) -> Path:
    path.parent.mkdir()
    with duckdb.connect(str(path)) as con:
        con.execute(OLD_WAREHOUSE_SQL.read_text(encoding="utf-8"))
    data = path.read_bytes()
    # The scan after the migration means something: the old file holds them as text.
    assert all(secret in data for secret in OLD_SECRETS)
    return path


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path)) as con:
        return con.execute(sql).fetchall()


def test_old_warehouse_is_migrated_into_a_fresh_file_once(tmp_path, caplog):
    warehouse = _old_warehouse(tmp_path / "warehouse" / "otp.duckdb")
    os.chmod(warehouse, 0o644)  # as the old version left it
    published = _query(warehouse, "select * from main.prescriptions_mensuelles order by 1")
    with caplog.at_level(logging.WARNING), connect(warehouse) as con:
        ensure_raw_schema(con)
    assert "migrating it into a fresh file" in caplog.text
    data = warehouse.read_bytes()
    assert [secret for secret in OLD_SECRETS if secret in data] == []
    assert _mode(warehouse) == 0o600
    assert not (warehouse.parent / ".otp.duckdb.rewrite").exists()
    # Ages by §5: born 29/02/2000 is 20 on 28/02/2021 and 21 on 01/03/2021; born
    # 15/03/2000 is 21 on 15/03/2021, born 16/03/2000 still 20.
    assert _query(warehouse, "select id_ais, age from raw.si_pe order by 1") == [
        ("AIS-1", 20), ("AIS-2", 21),
    ]  # fmt: skip
    assert _query(warehouse, "select id_prescription, age, numero_ais from raw.imilo order by 1") == [
        ("MILO-1", 21, "AIS-2"), ("MILO-2", 20, None),
    ]  # fmt: skip
    assert _query(
        warehouse, "select line_number, reason, record_id, fault_column, fault_value "
        "from raw.quarantine order by source, line_number"
    ) == [
        (4, "ID_EN_CONFLIT", "MILO-5", "id_prescription", "MILO-5"),
        (5, "LIGNE_ILLISIBLE", None, None, None),
        (3, "DEPARTEMENT_INCONNU", "AIS-9", "code_departement", "96"),
        (4, "DATE_INVALIDE:date_naissance", "AIS-8", "date_naissance", None),
        (5, "NOMBRE_DE_CHAMPS", None, None, None),
        (6, "DEPARTEMENT_INCONNU", None, "code_departement", None),  # did not split back
    ]  # fmt: skip
    # The same columns as a warehouse created today, in the same order.
    fresh = tmp_path / "fresh.duckdb"
    with duckdb.connect(str(fresh)) as con:
        ensure_raw_schema(con)
    columns = ("select table_name, column_name, data_type, is_nullable from "
               "information_schema.columns where table_schema = 'raw' order by all")  # fmt: skip
    assert _query(warehouse, columns) == _query(fresh, columns)
    # The views reading a birth date are gone (dbt makes them again); the rest is as it was.
    assert _query(warehouse, "select view_name from duckdb_views() where not internal") == [
        ("stg_deliveries",)
    ]
    assert _query(warehouse, "select * from main.prescriptions_mensuelles order by 1") == published
    assert len(_query(warehouse, "select * from raw.deliveries")) == 3
    with duckdb.connect(str(warehouse)) as con, pytest.raises(duckdb.ConstraintException):
        con.execute("insert into raw.deliveries select * from raw.deliveries limit 1")

    # A second run finds nothing to migrate: the file is left as it is.
    before = (os.stat(warehouse).st_ino, warehouse.read_bytes())
    caplog.clear()
    with caplog.at_level(logging.WARNING), connect(warehouse) as con:
        ensure_raw_schema(con)
    assert "migrat" not in caplog.text
    assert (os.stat(warehouse).st_ino, warehouse.read_bytes()) == before


@contextmanager
def _umask(mask: int):
    """The test's process umask, to show the modes do not depend on it (the code under
    test never sets it)."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o077])
def test_warehouse_folder_file_and_lock_are_the_owners_only(tmp_path, mask):
    warehouse = tmp_path / "data" / "warehouse" / "otp.duckdb"
    with _umask(mask), connect(warehouse) as con:
        ensure_raw_schema(con)
        assert _mode(warehouse.parent) == 0o700
        con.execute("create table t as select range as n from range(10)")
    assert (_mode(warehouse.parent), _mode(warehouse)) == (0o700, 0o600)
    assert _mode(Path(str(warehouse) + ".lock")) == 0o600
    assert _mode(tmp_path / "data") == 0o777 & ~mask, "only the warehouse's own folder"
    with _umask(mask):
        _context(warehouse)
    assert _mode(warehouse.parent / GX_FOLDER) == 0o700


def test_existing_folder_open_to_others_is_warned_about_not_changed(tmp_path, caplog):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o755)
    with caplog.at_level(logging.WARNING), connect(folder / "otp.duckdb") as con:
        ensure_raw_schema(con)
    assert f"{folder} is open to other users (mode 755)" in caplog.text
    assert _mode(folder) == 0o755
    assert _mode(folder / "otp.duckdb") == 0o600
    caplog.clear()
    private_folder(folder)
    assert caplog.text == "", "warned once per process"


@pytest.mark.parametrize("mask", ["000", "022"])
def test_makefile_creates_dagster_home_for_its_owner_only(tmp_path, mask):
    home = tmp_path / "dagster_home"
    make = f"umask {mask}; make --no-print-directory -C {PROJECT_ROOT} DAGSTER_HOME={home} {home}/dagster.yaml"
    subprocess.run(["bash", "-c", make], check=True, capture_output=True)
    assert (_mode(home), _mode(home / "dagster.yaml")) == (0o700, 0o600)


def test_makefile_warns_about_an_open_dagster_home_and_leaves_it(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    os.chmod(home, 0o755)
    make = f"make --no-print-directory -C {PROJECT_ROOT} DAGSTER_HOME={home} {home}/dagster.yaml"
    done = subprocess.run(["bash", "-c", make], check=True, capture_output=True, text=True)
    assert "is open to other users" in done.stdout
    assert _mode(home) == 0o755
