"""The SHA-256 of landing files, kept in the warehouse by (path, size, modification time).

Every run checks that each earlier month's loaded file is still its winner (§2), by
checksum: re-reading every earlier month's file at every run made a month's run grow with
the months behind it. A file whose size and modification time (nanoseconds) are those it
had when its checksum was taken is taken as unchanged, the rule the watch sensor already
applies (lib/operations/watch.py): a revision rewrites the file, which moves its mtime.
What it cannot see, a rewrite that keeps both size and mtime (a deliberate `touch -d`
back), is the trade-off written in docs/decisions.md.
"""

import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from otp_pipeline.lib.ingestion.decoding import sha256_of


def file_sha256(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """The SHA-256 of `path`: the one kept for its current size and mtime, else read anew
    (and kept). `con`'s warehouse has the raw schema (`warehouse.ensure_raw_schema`)."""
    stat = path.stat()
    rows = con.execute(
        "select sha256 from raw.file_checksums "
        "where path = $path and size = $size and mtime_ns = $mtime_ns",
        _key(path, stat),
    ).fetchall()
    if rows:
        return rows[0][0]
    sha = sha256_of(path)
    remember_sha256(con, path, stat, sha)
    return sha


def remember_sha256(
    con: duckdb.DuckDBPyConnection, path: Path, stat: os.stat_result, sha256: str
) -> None:
    """Keep `sha256` as the checksum of `path` at `stat` (taken before the file was read:
    a change during the read leaves another mtime, so it is read again next time)."""
    con.execute(
        "insert or replace into raw.file_checksums "
        "values ($path, $size, $mtime_ns, $sha256, $checked_at)",
        {**_key(path, stat), "sha256": sha256,
         "checked_at": datetime.now(UTC).replace(tzinfo=None)},
    )  # fmt: skip


def kept_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, str]]:
    """Every checksum kept, by resolved path: (size, mtime_ns, sha256); empty before the
    first load (no table yet). For a reader that may not write (`otp-pipeline status`)."""
    try:
        rows = con.execute("select path, size, mtime_ns, sha256 from raw.file_checksums")
    except duckdb.CatalogException:
        return {}
    return {path: (size, mtime_ns, sha) for path, size, mtime_ns, sha in rows.fetchall()}


def kept_sha256(kept: dict[str, tuple[int, int, str]], path: Path) -> str | None:
    """The SHA-256 `kept` holds for `path` at its current size and mtime, else None: the
    rule of `file_sha256`, on checksums read once by `kept_checksums`."""
    key = _key(path, path.stat())
    row = kept.get(key["path"])
    return row[2] if row is not None and row[:2] == (key["size"], key["mtime_ns"]) else None


def _key(path: Path, stat: os.stat_result) -> dict:
    return {"path": str(Path(path).resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
