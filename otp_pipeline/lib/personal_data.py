"""What the warehouse keeps of the feeds' personal data, and who can read its files.

The feeds carry a person id and a birth date on every row (contract §3). Ingestion reads
them where a rule needs them and keeps what the rule keeps: the age at prescription (§5)
and the duplicate verdict (§6). Neither is stored, nor is a delivered line: a quarantined
row keeps its record id, the column at fault and that column's value, never a person
column's (docs/personal-data.md).

A warehouse written before this rule is migrated the first time it is opened (the caller,
`warehouse.connect`, holds the writer lock). DuckDB leaves deleted rows in its file's free
blocks and has no rewriting VACUUM, so a migration or a purge writes a fresh file beside
the old one, fsyncs it and renames it over: the old bytes go with the old file.

Folders and files that hold rows are created readable by their owner only (0700 / 0600,
whatever the umask, which is never changed); an existing one open to others is warned
about, not changed.
"""

import logging
import os
import shutil
from pathlib import Path

import duckdb

from otp_pipeline.lib.settings import (
    FEEDS,
    PERSONAL_COLUMNS,
    REASON_AGE,
    REASON_BAD_DATE,
    REASON_CONFLICTING_ID,
    REASON_ENTRY_BEFORE,
    REASON_FIELD_COUNT,
    REASON_MISSING,
    REASON_OUTSIDE_MONTH,
    REASON_UNKNOWN_DEPARTEMENT,
    REASON_UNKNOWN_STATUT,
    REASON_UNREADABLE,
    Feed,
)

logger = logging.getLogger(__name__)
_warned: set[str] = set()  # paths already warned about by this process

# The column a row fault is about, for the reasons that name no column (the others are
# suffixed `:<column>`). An age out of bounds is the birth date's fault: its value is a
# person column's, never kept.
REASON_COLUMNS = {
    REASON_UNKNOWN_DEPARTEMENT: "code_departement",
    REASON_UNKNOWN_STATUT: "statut",
    REASON_OUTSIDE_MONTH: "date_prescription",
    REASON_AGE: "date_naissance",
    REASON_ENTRY_BEFORE: "date_entree",
}
# Reasons whose line could not be split into the header's columns: file, line and reason only.
UNSPLIT_REASONS = (REASON_FIELD_COUNT, REASON_UNREADABLE)


def age_sql(birth: str, prescription: str) -> str:
    """Contract §5's age: completed years on the prescription date, i.e. the difference of
    the years, minus one while (month, day) of the birth is not reached (born 29/02/2000:
    20 on 28/02/2021, 21 on 01/03/2021). `birth` and `prescription` are SQL date
    expressions, constant column names of this package."""
    return (
        f"(year({prescription}) - year({birth}) "
        f"- case when month({prescription}) * 100 + day({prescription}) "
        f"< month({birth}) * 100 + day({birth}) then 1 else 0 end)"
    )


def fault_sql(feed: Feed, value_of) -> tuple[str, str]:
    """(column at fault, its offending value) as SQL over a row with `reason` and
    `fault_column`: `value_of(column)` is the SQL of a column's delivered (trimmed) text.
    The value of a person column is never given: null."""
    by_reason = " ".join(
        f"when reason = '{reason}' then '{column}'" for reason, column in REASON_COLUMNS.items()
    )
    column_sql = (
        f"case when reason like '{REASON_MISSING}:%' or reason like '{REASON_BAD_DATE}:%' "
        f"then split_part(reason, ':', 2) {by_reason} "
        f"when reason = '{REASON_CONFLICTING_ID}' then '{feed.id_column}' end"
    )
    kept = [column for column in feed.columns if column not in PERSONAL_COLUMNS]
    value_sql = (
        "case fault_column "
        + " ".join(f"when '{column}' then {value_of(column)}" for column in kept)
        + " end"
    )
    return column_sql, value_sql


def private_folder(folder: Path) -> Path:
    """`folder`, created 0700 if missing (its parents as usual); warned about if it exists
    open to other users. The umask is never changed: the mode is set after `mkdir`."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        warn_if_open(folder)
    else:
        os.chmod(folder, 0o700)
    return folder


def open_private_file(path: Path, flags: int = os.O_RDWR) -> int:
    """A descriptor on `path`, the file created 0600 if missing (whatever the umask); an
    existing one is opened as it is."""
    try:
        descriptor = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return os.open(path, flags)
    os.fchmod(descriptor, 0o600)
    return descriptor


def warn_if_open(path: Path) -> None:
    """Log once per process that `path` can be read by users other than its owner."""
    mode = os.stat(path).st_mode & 0o777
    if mode & 0o077 and str(path) not in _warned:
        _warned.add(str(path))
        command = "chmod -R go-rwx" if Path(path).is_dir() else "chmod go-rwx"
        logger.warning(
            "%s is open to other users (mode %o): it holds personal data; restrict it "
            "(%s) unless that is intended (docs/personal-data.md)", path, mode, command,
        )  # fmt: skip


# --- Migration and rewriting ----------------------------------------------------------------


def needs_migration(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a raw table still has a person column or the quarantine's raw lines."""
    [(found,)] = con.execute(
        "select count(*) from duckdb_columns() where database_name = current_database() "
        "and schema_name = 'raw' and column_name in $columns",
        {"columns": [*PERSONAL_COLUMNS, "raw_record"]},
    ).fetchall()
    return found > 0


def rewrite_file(path: Path, schema_sql: str | None = None) -> None:
    """Write the warehouse `path` anew and rename it over the old file.

    With `schema_sql` (the raw schema of today), the copy is also the migration: the raw
    feed tables get their age instead of the person columns, the quarantine its fault
    columns instead of raw lines, and the views that read a person column are left out
    (dbt creates them again at its next build). The old file is untouched until the rename.
    """
    path = Path(path)
    work = path.parent / f".{path.name}.rewrite"
    shutil.rmtree(work, ignore_errors=True)  # a rewrite killed before its rename
    private_folder(work)
    fresh = work / path.name
    try:
        with duckdb.connect(config={"temp_directory": str(work / "tmp")}) as con:
            con.execute("attach $path as old (read_only)", {"path": str(path)})
            con.execute("attach $path as fresh", {"path": str(fresh)})
            os.chmod(fresh, 0o600)
            if schema_sql is None:
                con.execute("copy from database old to fresh")
            else:
                _copy_migrated(con, schema_sql)
            con.execute("use memory")
            con.execute("checkpoint fresh")
            con.execute("detach fresh")
            con.execute("detach old")
        if Path(str(fresh) + ".wal").exists():
            raise RuntimeError(f"rewriting {path}: the fresh copy kept a WAL, not renamed")
        descriptor = os.open(fresh, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(fresh, path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _copy_migrated(con: duckdb.DuckDBPyConnection, schema_sql: str) -> None:
    """Schema, then rows, from `old` to `fresh`, the person columns turned into what the
    rules keep."""
    con.execute("copy from database old to fresh (schema)")
    con.execute("use fresh")
    personal = " or ".join(f"sql ilike '%{column}%'" for column in PERSONAL_COLUMNS)
    for schema, view in con.execute(
        f"select schema_name, view_name from duckdb_views() "
        f"where database_name = 'fresh' and not internal and ({personal})"
    ).fetchall():
        con.execute(f"drop view {_q(schema)}.{_q(view)}")
    migrated = ("quarantine", *FEEDS)
    for table in migrated:
        con.execute(f"drop table if exists raw.{_q(table)}")
    con.execute(schema_sql)  # today's raw tables, in `fresh` (the current database)
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = 'old' and not temporary order by all"
    ).fetchall()
    for schema, table in tables:
        if schema == "raw" and table in migrated:
            continue
        name = f"{_q(schema)}.{_q(table)}"
        con.execute(f"insert into fresh.{name} select * from old.{name}")
    for feed in FEEDS.values():
        age = age_sql("date_naissance", "date_prescription")
        con.execute(
            f"insert into fresh.raw.{_q(feed.name)} by name "
            f"select * exclude ({', '.join(_q(c) for c in feed.columns if c in PERSONAL_COLUMNS)}),"
            f" {age} as age from old.raw.{_q(feed.name)}"
        )
        # An old quarantined line is the row's values joined by `;`: split back when the
        # count is right (a value holding `;` makes it wrong: then no record id or value).
        position = {column: at + 1 for at, column in enumerate(feed.columns)}
        column_sql, value_sql = fault_sql(feed, lambda c, at=position: f"parts[{at[c]}]")
        con.execute(
            f"""
            insert into fresh.raw.quarantine by name
            with split as (
                select *, case when reason not in $unsplit
                    and len(string_split(raw_record, ';')) = $width
                    then string_split(raw_record, ';') end as parts
                from old.raw.quarantine where source = $source
            ),
            faults as (select *, {column_sql} as fault_column from split)
            select source, mois, source_file, revision, sha256, line_number, reason,
                nullif(parts[{position[feed.id_column]}], '') as record_id,
                fault_column,
                {value_sql} as fault_value, loaded_at
            from faults
            """,
            {"unsplit": list(UNSPLIT_REASONS), "width": len(feed.columns), "source": feed.name},
        )
