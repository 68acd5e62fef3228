"""The DuckDB warehouse file: connections, the writer lock and the raw schema.

DuckDB allows one writer per file across processes, and dbt runs as a subprocess: every
connection here lives in a `with` block that closes it, never across a dbt step. Two runs
started outside the Dagster queue (two CLI runs, say) take turns through an advisory lock
file beside the warehouse instead of failing on DuckDB's own lock.

The warehouse holds pseudonymised personal data (docs/personal-data.md): its folder is
created 0700 before anything is written in it (DuckDB's WAL and spill files hold rows),
the file and its lock 0600. A warehouse of the schema before the person columns were
dropped is migrated, into a fresh file, when it is first opened here.
"""

import csv
import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TypeVar

import duckdb
import pyarrow as pa

from otp_pipeline.lib.paths import REFERENTIAL_DIR
from otp_pipeline.lib.personal_data import (
    needs_migration,
    open_private_file,
    private_folder,
    rewrite_file,
    warn_if_open,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")
LOCK_WAIT_SECONDS = 3600.0
# For the connections that stage a month's rows (ingestion) and the dbt build (its profile):
# a month of a million rows must load in well under 1 GiB, so DuckDB spills to disk (a
# `.tmp` folder beside the warehouse) past this instead of taking 80 % of the machine.
# No query on such a connection relies on row order (line numbers are a column, every
# read sorts), so DuckDB need not preserve it. dbt's profile sets the same two values.
BULK_WORK_CONFIG = {"memory_limit": "256MB", "preserve_insertion_order": False}
# The quality checks' connections: DuckDB spills what it can past 256 MB (hash aggregates,
# sorts). A suite query that needs more runs once more with 1 GB: the key count of the fact
# suites (expectations/fct_*.yml) on a month of 14 M rows, whose semi join holds every
# checked key in a hash table that does not spill (out of memory at 256 and 512 MB). Not
# 1 GB from the start: DuckDB keeps what it reads up to its limit, and the ×10 month's run
# then peaked at 1,064 MiB instead of 831 (issue 25 asks ≤ 1 GiB). Limits, not
# reservations: a month of a million rows uses far less.
QUALITY_WORK_CONFIGS = (
    {**BULK_WORK_CONFIG, "memory_limit": "256MB"},
    {**BULK_WORK_CONFIG, "memory_limit": "1GB"},
)
_held: dict[str, int] = {}  # lock files this process holds, with their nesting depth
_rewrites: set[str] = set()  # warehouses to write anew when their connection closes


class WarehouseBusy(RuntimeError):
    """Another process kept the warehouse longer than we were willing to wait."""


@contextmanager
def warehouse_lock(path: Path, wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the warehouse's writer lock (`<file>.lock`), waiting while another run has it.

    Re-entrant within a process. The lock is released by the kernel if the process dies,
    so a killed run never leaves the warehouse locked.
    """
    lock_path = str(Path(path)) + ".lock"
    if _held.get(lock_path):
        _held[lock_path] += 1
        try:
            yield
        finally:
            _held[lock_path] -= 1
        return
    private_folder(Path(lock_path).parent)
    with os.fdopen(open_private_file(Path(lock_path), os.O_WRONLY | os.O_APPEND), "a") as handle:
        deadline = time.monotonic() + wait_seconds
        waited = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    logger.warning("warehouse %s is in use by another run: waiting", path)
                    waited = True
                if time.monotonic() > deadline:
                    raise WarehouseBusy(
                        f"another run has held the warehouse {path} for more than "
                        f"{wait_seconds:g} s (lock file {lock_path})"
                    ) from None
                time.sleep(0.5)
        _held[lock_path] = 1
        try:
            yield
        finally:
            del _held[lock_path]
            fcntl.flock(handle, fcntl.LOCK_UN)


def sql_text(name: str) -> str:
    """A packaged SQL file of `otp_pipeline/sql/`."""
    return resources.files("otp_pipeline.sql").joinpath(name).read_text(encoding="utf-8")


@contextmanager
def connect(path: Path, config: dict | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the warehouse under its writer lock, closed on exit even
    after an error; `config` is DuckDB's (`BULK_WORK_CONFIG` for bulk work).

    A warehouse still holding person columns is migrated first (a fresh file); one whose
    connection asked for it (`rewrite_when_closed`) is written anew after it closes.
    """
    path = Path(path)
    private_folder(path.parent)
    try:
        with warehouse_lock(path):
            created = not path.exists()
            con = duckdb.connect(str(path), config=config or {})
            try:
                if created:
                    os.chmod(path, 0o600)
                if needs_migration(con):  # the fresh file is the owner's only
                    con.close()
                    _migrate(path)
                    con = duckdb.connect(str(path), config=config or {})
                elif not created:
                    warn_if_open(path)
                yield con
            finally:
                con.close()
            if str(path.resolve()) in _rewrites:
                _rewrites.discard(str(path.resolve()))
                rewrite_file(path)
    finally:
        # Arrow's allocator keeps what the connection's work freed, for later use: given
        # back now, it would otherwise stay in the run's process through dbt and GX
        # (about 85 MB after loading a x10 month, measured).
        pa.default_memory_pool().release_unused()


def quality_work(path: Path, label: str, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """`work(con)` on a quality connection of the warehouse at `path`, run again with the
    next of `QUALITY_WORK_CONFIGS` when DuckDB runs out of memory (`label` names it in the
    log)."""
    for attempt, config in enumerate(QUALITY_WORK_CONFIGS):
        try:
            with connect(path, config) as con:
                return work(con)
        except duckdb.OutOfMemoryException as error:
            if not out_of_memory_retry(label, attempt, error):
                raise
    raise AssertionError("the last attempt returns or raises")


def out_of_memory_retry(label: str, attempt: int, error: Exception) -> bool:
    """Whether quality work that ran out of memory with `QUALITY_WORK_CONFIGS[attempt]`
    runs again with the next (logged), or the error stands (the last)."""
    if attempt + 1 >= len(QUALITY_WORK_CONFIGS):
        return False
    logger.warning(
        "%s: DuckDB ran out of memory within %s (%s): run again within %s", label,
        QUALITY_WORK_CONFIGS[attempt]["memory_limit"], str(error).splitlines()[0],
        QUALITY_WORK_CONFIGS[attempt + 1]["memory_limit"],
    )  # fmt: skip
    return True


def _migrate(path: Path) -> None:
    logger.warning(
        "warehouse %s holds person ids, birth dates or raw quarantined lines (schema of "
        "before docs/personal-data.md): migrating it into a fresh file (ages computed, "
        "person columns and the views reading them dropped)", path,
    )  # fmt: skip
    started = time.monotonic()
    rewrite_file(path, sql_text("raw_schema.sql"))
    logger.warning("warehouse %s migrated in %.1f s", path, time.monotonic() - started)


def rewrite_when_closed(con: duckdb.DuckDBPyConnection) -> None:
    """Ask `connect` to write the warehouse of `con` anew once `con` is closed, so that the
    rows deleted through it leave no bytes in the file (DuckDB has no rewriting VACUUM)."""
    [(file,)] = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    _rewrites.add(str(Path(file).resolve()))


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(sql_text("raw_schema.sql"))


def _referential_codes(file_name: str, column: str, delimiter: str = ",") -> frozenset[str]:
    with open(REFERENTIAL_DIR / file_name, encoding="utf-8", newline="") as handle:
        return frozenset(row[column] for row in csv.DictReader(handle, delimiter=delimiter))


def department_codes() -> frozenset[str]:
    """Every `DEP` of the shipped INSEE referential (COG 2024)."""
    return _referential_codes("ref_departements.csv", "DEP")


def region_codes() -> frozenset[str]:
    """Every `REG` of the shipped INSEE referential (COG 2024)."""
    return _referential_codes("ref_regions.csv", "REG")


def rome_domain_codes() -> frozenset[str]:
    """Every `code` of the shipped ROME referential: the 14 grands domaines, `A` to `N`."""
    return _referential_codes("ref_rome_domaines.csv", "code", delimiter=";")


# The raw tables ingestion replaces whole at every run, and the statements that do it.
WHOLE_FILE_TABLES = {
    name: (f"delete from {name}", f"insert into {name} by name select * from replacement_rows")
    for name in ("raw.objectifs_otp", "raw.secteurs_avenir")
}


def replace_table(con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table) -> None:
    """Replace every row of `name` (one of WHOLE_FILE_TABLES) with `rows`, matched by
    column name, in one transaction: a failure leaves the table as it was."""
    delete, insert = WHOLE_FILE_TABLES[name]
    con.register("replacement_rows", rows)
    con.execute("begin transaction")
    try:
        con.execute(delete)
        con.execute(insert)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.unregister("replacement_rows")
