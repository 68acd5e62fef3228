"""Retention of personal data: purging the person-level rows of old months from the warehouse.

`raw.si_pe`, `raw.imilo` and `raw.quarantine` hold pseudonymised record ids (`id_ais`,
`id_prescription`, `numero_ais`) and ages, row by row (docs/personal-data.md). A purge
deletes them for the months before a horizon and keeps `raw.deliveries` (the accounting:
file, checksum, counts, no person data), so the ingestion's staleness check still sees
those months as loaded and later months run without reloading them.
`raw.purges` records what was deleted. Published tables are never touched. Deleted rows
linger in a DuckDB file's free blocks: the warehouse is written anew when the purge's
connection closes (`warehouse.rewrite_when_closed`).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from otp_pipeline.lib.months import month_index, parse_month
from otp_pipeline.lib.warehouse import ensure_raw_schema, rewrite_when_closed

# Entries of a prescription may fall months later (§5): the months kept in full must cover
# that lag, or later months would lose entries. Two years by default.
MIN_MONTHS_KEPT = 24

PURGES_DDL = """
create table if not exists raw.purges (
    source varchar not null,
    mois varchar not null,
    purged_at timestamp not null,
    rows_deleted bigint not null,
    quarantine_rows_deleted bigint not null
)
"""
FEED_TABLES = {"si_pe": "raw.si_pe", "imilo": "raw.imilo"}  # constants, never file data


@dataclass(frozen=True)
class Purged:
    """What a purge deleted for one source and month."""

    source: str
    month: str
    rows: int
    quarantine_rows: int


class RetentionError(ValueError):
    """A purge that would delete data still needed to compute current months."""


def purge_before(
    con: duckdb.DuckDBPyConnection, horizon: str, min_months_kept: int = MIN_MONTHS_KEPT
) -> list[Purged]:
    """Delete the person-level rows of every month before `horizon`, in one transaction.

    `con` must come from `warehouse.connect`: the file is written anew when it closes, so
    that the deleted rows leave no bytes behind. Refused when fewer than `min_months_kept`
    loaded months would remain from the horizon to the latest loaded month: those months'
    entries still need the older prescriptions.
    """
    parse_month(horizon)
    ensure_raw_schema(con)
    con.execute(PURGES_DDL)
    [(latest,)] = con.execute("select max(mois) from raw.deliveries").fetchall()
    if latest is None:
        return []
    kept = month_index(latest) - month_index(horizon) + 1
    if kept < min_months_kept:
        raise RetentionError(
            f"purge before {horizon} refused: only {max(kept, 0)} month(s) from {horizon} to "
            f"the latest loaded month {latest} would keep their rows; at least "
            f"{min_months_kept} are needed to compute later months' entries"
        )
    months = con.execute(
        "select distinct source, mois from raw.deliveries where mois < $h order by 1, 2",
        {"h": horizon},
    ).fetchall()
    now = datetime.now(UTC).replace(tzinfo=None)
    purged = []
    con.execute("begin transaction")
    try:
        for source, month in months:
            key = {"source": source, "mois": month}
            table = FEED_TABLES[source]
            [(rows,)] = con.execute(
                f"select count(*) from {table} where mois = $mois", {"mois": month}
            ).fetchall()
            [(quarantine,)] = con.execute(
                "select count(*) from raw.quarantine where source = $source and mois = $mois", key
            ).fetchall()
            if rows == 0 and quarantine == 0:
                continue  # already purged
            con.execute(f"delete from {table} where mois = $mois", {"mois": month})
            con.execute("delete from raw.quarantine where source = $source and mois = $mois", key)
            con.execute(
                "insert into raw.purges values ($source, $mois, $now, $rows, $quarantine)",
                {**key, "now": now, "rows": rows, "quarantine": quarantine},
            )
            purged.append(Purged(source, month, rows, quarantine))
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    if purged:
        rewrite_when_closed(con)
    return purged


def purged_months(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(source, month) of every purged month, oldest first."""
    con.execute(PURGES_DDL)
    return con.execute("select distinct source, mois from raw.purges order by 2, 1").fetchall()
