"""Publication of one month of the three marts (contract §7), built aside then swapped in whole.

Layout of the publish folder:

    YYYY-MM/                        the current publication of a month, always whole
    _vintages/YYYY-MM/<stamp>/      each replaced publication, named after its produced_at
    .tmp-YYYY-MM-<random>/YYYY-MM/  a publication being built, out of consumers' sight
    .swap-YYYY-MM.json              journal of a swap in progress, for crash recovery
    .publish.lock                   one publisher at a time (flock, freed if the process dies)

The month is built one level down in a dot folder: the shell's glob skips dot folders, but
pathlib's `glob("*/suivi_otp.parquet")` does not. Once every file is written and fsynced,
the swap is two renames in one file system with nothing between them: `YYYY-MM/` to
`_vintages/...`, then the built folder to `YYYY-MM/`. Between those two system calls
(microseconds) `YYYY-MM/` is absent: a consumer finding a month missing should retry; it
never sees a half-written one. A crash between them is rolled back (journal) by the next
publish before it builds anything; a crash after them leaves the new publication in place.
"""

import fcntl
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from otp_pipeline.lib.publication.manifest import (
    PersonalDataError,
    assert_no_personal_data,
    finalize_manifest,
    free_vintage_path,
    produced_at_text,
    write_durably,
    write_manifest,
)
from otp_pipeline.lib.publication.report import write_report

# The personal-data check lives with the manifest; callers import everything from here.
__all__ = [
    "TABLES", "PersonalDataError", "PublishedMonth", "Table", "assert_no_personal_data",
    "current_month_dirs", "publish_month", "read_table", "recover",
]  # fmt: skip

MONTH_PATTERN = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")  # [0-9], not \d: no Unicode digits
MONTH_DIR_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}")
TMP_PREFIX = ".tmp-"
ARROW_TYPES = {"int64": pa.int64(), "double": pa.float64(), "string": pa.string()}
STR, INT, DBL = "string", "int64", "double"


@dataclass(frozen=True)
class Table:
    """One published table of §7: columns in contract order with their types, and its grain."""

    name: str
    columns: tuple[tuple[str, str], ...]
    grain: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in self.columns])


TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table(
            "prescriptions_mensuelles",
            (("mois", STR), ("code_region", STR), ("libelle_region", STR), ("source", STR),
             ("reseau_prescripteur", STR), ("tranche_age", STR), ("nb_prescriptions", INT),
             ("nb_entrees", INT), ("fiabilite", STR)),
            ("mois", "code_region", "source", "reseau_prescripteur", "tranche_age"),
        ),
        Table(
            "suivi_otp",
            (("mois", STR), ("code_region", STR), ("libelle_region", STR), ("indicateur", STR),
             ("periode_debut", STR), ("periode_fin", STR), ("objectif", INT), ("realise_mois", INT),
             ("realise_cumule", INT), ("taux_realisation", DBL), ("cible_lineaire", DBL),
             ("ecart_cible", DBL), ("fiabilite", STR)),
            ("mois", "code_region", "indicateur", "periode_debut"),
        ),
        Table(
            "qualite_prescripteur",
            (("mois", STR), ("code_region", STR), ("libelle_region", STR),
             ("nb_prescriptions_si_pe", INT), ("nb_prescripteur_renseigne", INT),
             ("taux_renseignement", DBL), ("nb_ml_si_pe_moins_26", INT),
             ("nb_ml_imilo_moins_26", INT), ("fiabilite", STR)),
            ("mois", "code_region"),
        ),
    )
}  # fmt: skip


@dataclass(frozen=True)
class PublishedMonth:
    """What one publication of a month left on disk."""

    month: str
    folder: Path
    produced_at: str
    row_counts: dict[str, int]
    vintage: Path | None  # where the publication it replaced went, None for a first one


def publish_month(
    con: duckdb.DuckDBPyConnection,
    month: str,
    publish_dir: Path,
    manifest: dict,
    now: datetime | None = None,
) -> PublishedMonth:
    """Publish month `month` of the three marts to `publish_dir/YYYY-MM/`, all or nothing."""
    if not MONTH_PATTERN.fullmatch(month):
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    produced_at_text(now)  # a naive `now` fails here, before anything is touched
    publish_dir = Path(publish_dir)
    publish_dir.mkdir(parents=True, exist_ok=True)
    with _publish_lock(publish_dir):
        recover(publish_dir)
        produced_at = produced_at_text(now)  # after the lock: when the files are made
        # mkdir, not mkdtemp: mkdtemp's 0700 would follow the folder into YYYY-MM/.
        scratch = publish_dir / f"{TMP_PREFIX}{month}-{secrets.token_hex(6)}"
        staging = scratch / month
        staging.mkdir(parents=True)
        try:
            row_counts = _build(con, month, staging, manifest, produced_at, publish_dir)
            vintage = _swap_in(publish_dir, month, staging)
        finally:
            # Empty once swapped in; after a failure, the half-built month goes with it.
            shutil.rmtree(scratch, ignore_errors=True)
    return PublishedMonth(month, publish_dir / month, produced_at, row_counts, vintage)


def current_month_dirs(publish_dir: Path) -> list[Path]:
    """Every currently published month folder (`YYYY-MM/`), oldest first."""
    if not Path(publish_dir).is_dir():
        return []
    found = [path for path in Path(publish_dir).iterdir() if MONTH_DIR_PATTERN.fullmatch(path.name)]
    return sorted(path for path in found if path.is_dir())


def read_table(con: duckdb.DuckDBPyConnection, table: Table, month: str) -> pa.Table:
    """The rows of one month of a mart, sorted by the grain, cast to the contract's types."""
    columns = ", ".join(_quote(name) for name in table.column_names)
    # The grain sorts; the other columns only make the order total, hence repeatable.
    rest = [name for name in table.column_names if name not in table.grain]
    order = ", ".join(f"{_quote(name)} nulls last" for name in (*table.grain, *rest))
    # Identifiers come from TABLES only; the one value, the month, is a bound parameter.
    sql = f"select {columns} from main.{_quote(table.name)} where mois = ? order by {order}"
    # safe=True: a lossy cast (1.5 into an integer column) fails instead of rounding.
    data = con.sql(sql, params=[month]).to_arrow_table().cast(table.arrow_schema, safe=True)
    for name, kind in table.columns:
        # NaN or inf would print as text no consumer reads as a number: a mart bug to fix.
        if kind == DBL and pc.any(pc.invert(pc.is_finite(data[name]))).as_py():
            raise ValueError(f"{table.name}.{name} holds a NaN or infinite value for {month}")
    return data


def write_parquet(data: pa.Table, path: Path) -> None:
    """Write one month of a table as Parquet with the contract's schema, flushed to disk."""
    with open(path, "wb") as handle:
        pq.write_table(data, handle)
        handle.flush()
        os.fsync(handle.fileno())


def write_csv(data: pa.Table, path: Path) -> None:
    """Write one month of a table as the contract's CSV, one line per row, flushed to disk."""
    lines = [";".join(_csv_field(name) for name in data.column_names)]
    columns = [data[name].to_pylist() for name in data.column_names]
    lines.extend(";".join(_csv_field(value) for value in row) for row in zip(*columns, strict=True))
    write_durably(path, ("\n".join(lines) + "\n").encode("utf-8"))


def recover(publish_dir: Path) -> None:
    """Undo what an interrupted publication left: half-done swaps, then staging folders."""
    for journal in sorted(Path(publish_dir).glob(".swap-*.json")):
        _roll_back(Path(publish_dir), journal)
    for leftover in Path(publish_dir).glob(f"{TMP_PREFIX}*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()


def _build(
    con: duckdb.DuckDBPyConnection,
    month: str,
    staging: Path,
    manifest: dict,
    produced_at: str,
    publish_dir: Path,
) -> dict[str, int]:
    """Write every file of the month into `staging` (tables, manifest, report); row counts."""
    tables = {}
    for table in TABLES.values():
        data = read_table(con, table, month)
        write_parquet(data, staging / f"{table.name}.parquet")
        write_csv(data, staging / f"{table.name}.csv")
        tables[table.name] = data
    row_counts = {name: data.num_rows for name, data in tables.items()}
    final_manifest = finalize_manifest(manifest, month, produced_at, row_counts)
    write_manifest(staging, final_manifest)
    # The report is drawn from the Arrow tables just written: it cannot disagree with them.
    earlier = [folder / "suivi_otp.parquet" for folder in current_month_dirs(publish_dir)
               if folder.name < month]  # fmt: skip
    write_report(staging, month, tables, final_manifest, earlier)
    assert_no_personal_data(staging)
    _fsync_dir(staging)
    return row_counts


def _swap_in(publish_dir: Path, month: str, staging: Path) -> Path | None:
    """Make `staging` the current `YYYY-MM/`, the previous one becoming a vintage."""
    current = publish_dir / month
    if not current.exists():
        os.rename(staging, current)
        _fsync_dir(publish_dir)
        return None
    vintage = free_vintage_path(publish_dir, month, current)
    vintage.parent.mkdir(parents=True, exist_ok=True)
    _fsync_dir(vintage.parent.parent)
    journal = publish_dir / f".swap-{month}.json"
    entry = {"month": month, "vintage": vintage.relative_to(publish_dir).as_posix()}
    write_durably(journal, json.dumps(entry).encode("utf-8"))
    _fsync_dir(publish_dir)
    try:
        os.rename(current, vintage)
        os.rename(staging, current)  # YYYY-MM/ is absent only between these two calls
    except BaseException:
        _roll_back(publish_dir, journal)
        raise
    _fsync_dir(vintage.parent)
    _fsync_dir(publish_dir)
    journal.unlink()
    _fsync_dir(publish_dir)
    return vintage


def _roll_back(publish_dir: Path, journal: Path) -> None:
    """Put a vintage back as `YYYY-MM/` if a swap stopped between its two renames."""
    try:
        entry = json.loads(journal.read_text(encoding="utf-8"))
        month, vintage = entry["month"], publish_dir / entry["vintage"]
    except (OSError, ValueError, KeyError, TypeError):
        # The journal is synced before the first rename: unreadable means no rename happened.
        month = vintage = None
    if month and MONTH_PATTERN.fullmatch(month):
        current = publish_dir / month
        # Current present: the swap never started or completed; either way it is whole.
        if not current.exists() and vintage.is_dir():
            os.rename(vintage, current)
            _fsync_dir(publish_dir)
            with suppress(OSError):
                vintage.parent.rmdir()  # only if empty: the month's older vintages stay
    journal.unlink()
    _fsync_dir(publish_dir)


@contextmanager
def _publish_lock(publish_dir: Path) -> Iterator[None]:
    """Hold the publish folder's lock: recovery must never undo a live publisher's swap."""
    with open(publish_dir / ".publish.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _csv_field(value: object) -> str:
    """One CSV field: null empty, doubles in shortest round-trip form, quoted only if needed."""
    if value is None:
        return ""
    if isinstance(value, float):
        # Shortest round-trip digits (never rounded), written positionally: repr gives
        # 8.333333333333333e-05 for a small rate, the contract wants a `.` decimal.
        text = format(Decimal(repr(value)), "f")
        return text if "." in text else text + ".0"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    # An empty string is quoted so that it stays distinct from a null.
    if text == "" or any(char in text for char in ';"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _fsync_dir(folder: Path) -> None:
    """Make a folder's entries (new files, renames) durable, not only its files' contents."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
