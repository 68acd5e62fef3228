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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from otp_pipeline.lib.publication.changes import month_changes
from otp_pipeline.lib.publication.datapackage import write_datapackage
from otp_pipeline.lib.publication.durable import fsync_dir, write_durably
from otp_pipeline.lib.publication.manifest import (
    assert_no_personal_data,
    finalize_manifest,
    free_vintage_path,
    produced_at_text,
    write_manifest,
)
from otp_pipeline.lib.publication.report.page import write_report
from otp_pipeline.lib.publication.tables import TABLES, read_table, write_csv, write_parquet

MONTH_PATTERN = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")  # [0-9], not \d: no Unicode digits
MONTH_DIR_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}")
TMP_PREFIX = ".tmp-"


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
    enums: Mapping[str, Sequence[str]] | None = None,
) -> PublishedMonth:
    """Publish month `month` of the three marts to `publish_dir/YYYY-MM/`, all or nothing.

    `enums`: the codes of the month named by the marts' `enum_from` (table_schema.py), for
    its `datapackage.json`."""
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
            row_counts = _build(con, month, staging, manifest, produced_at, publish_dir, enums)
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
    enums: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, int]:
    """Write every file of the month into `staging` (tables, manifest, Data Package, report);
    row counts."""
    tables = {}
    for table in TABLES.values():
        data = read_table(con, table, month)
        write_parquet(data, staging / f"{table.name}.parquet")
        write_csv(data, staging / f"{table.name}.csv")
        tables[table.name] = data
    row_counts = {name: data.num_rows for name, data in tables.items()}
    # Under the publish lock: the publication being replaced cannot change meanwhile.
    previous = publish_dir / month if (publish_dir / month).is_dir() else None
    changes = month_changes(previous, staging, TABLES.values())
    final_manifest = finalize_manifest({**manifest, "changes": changes}, month, produced_at,
                                       row_counts)  # fmt: skip
    write_manifest(staging, final_manifest)
    write_datapackage(staging, month, final_manifest, TABLES.values(), enums)
    # The report is drawn from the Arrow tables just written: it cannot disagree with them.
    earlier = [folder / "suivi_otp.parquet" for folder in current_month_dirs(publish_dir)
               if folder.name < month]  # fmt: skip
    write_report(staging, month, tables, final_manifest, earlier, previous)
    assert_no_personal_data(staging)
    fsync_dir(staging)
    return row_counts


def _swap_in(publish_dir: Path, month: str, staging: Path) -> Path | None:
    """Make `staging` the current `YYYY-MM/`, the previous one becoming a vintage."""
    current = publish_dir / month
    if not current.exists():
        os.rename(staging, current)
        fsync_dir(publish_dir)
        return None
    vintage = free_vintage_path(publish_dir, month, current)
    vintage.parent.mkdir(parents=True, exist_ok=True)
    fsync_dir(vintage.parent.parent)
    journal = publish_dir / f".swap-{month}.json"
    entry = {"month": month, "vintage": vintage.relative_to(publish_dir).as_posix()}
    write_durably(journal, json.dumps(entry).encode("utf-8"))
    fsync_dir(publish_dir)
    try:
        os.rename(current, vintage)
        os.rename(staging, current)  # YYYY-MM/ is absent only between these two calls
    except BaseException:
        _roll_back(publish_dir, journal)
        raise
    fsync_dir(vintage.parent)
    fsync_dir(publish_dir)
    journal.unlink()
    fsync_dir(publish_dir)
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
            fsync_dir(publish_dir)
            with suppress(OSError):
                vintage.parent.rmdir()  # only if empty: the month's older vintages stay
    journal.unlink()
    fsync_dir(publish_dir)


@contextmanager
def _publish_lock(publish_dir: Path) -> Iterator[None]:
    """Hold the publish folder's lock: recovery must never undo a live publisher's swap."""
    with open(publish_dir / ".publish.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
