"""Reading a `;` CSV delivery (§3) as batches of trimmed text, line numbers kept.

Python's C `csv` tokenizer does the RFC 4180 work (quotes, `""`, line breaks inside
quotes) and counts physical lines; every check on values is left to SQL in DuckDB
(`row_checks.py`). The per-row Python work is only the field count: a batch's records
are joined, then split, picked and trimmed by Arrow's kernels, because trimming value by
value in Python cost more than the tokenizing (13.7 s → 6.5 s to read a million-row AIS
extract). Batches go to DuckDB as Arrow tables: memory stays bounded by the batch size,
whatever the file's size.
"""

import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.settings import REASON_FIELD_COUNT, REASON_UNREADABLE

BATCH_ROWS = 50_000
# A field longer than this is certainly garbage (an unclosed quote eating the file):
# the record is quarantined instead of growing without bound in memory.
FIELD_LIMIT = 1 << 20
csv.field_size_limit(min(sys.maxsize, FIELD_LIMIT))


@dataclass
class Malformed:
    """A data record that cannot be read as a row of the header's width."""

    line_number: int
    reason: str
    raw_record: str


@dataclass
class ReadResult:
    """Filled while reading: records read and those that could not be used."""

    rows_read: int = 0
    malformed: list[Malformed] = field(default_factory=list)


def header_positions(header: list[str], columns: tuple[str, ...], required, label: str):
    names = [name.strip().lower() for name in header]
    seen: dict[str, int] = {}
    for position, name in enumerate(names):
        if not name:
            continue  # an unnamed extra column (trailing `;`) is ignored like any extra
        if name in seen:
            raise StructuralError(label, f"column {name!r} appears twice in the header", 1)
        seen[name] = position
    missing = [column for column in required if column not in seen]
    if missing:
        raise StructuralError(label, f"missing required column(s): {', '.join(missing)}", 1)
    return [seen.get(column) for column in columns]


def _is_blank(record: list[str]) -> bool:
    """A line that is blank after trimming: no field, or one field of whitespace only.

    `""` parses as one empty field: it is a record (with the wrong number of fields), not a
    blank line, so a single field counts as blank only when it holds whitespace.
    """
    return not record or (len(record) == 1 and record[0] != "" and not record[0].strip())


def read_batches(
    text, label: str, columns: tuple[str, ...], required: tuple[str, ...], result: ReadResult
) -> Iterator[pa.Table]:
    """Arrow batches of `line_number` + every contract column (absent optional ones empty).

    Records whose field count differs from the header's go to `result.malformed`.
    Blank lines are skipped and not counted. Line numbers are physical lines where the
    record starts; the header is line 1.
    """
    reader = csv.reader(text, delimiter=";", quotechar='"', doublequote=True, strict=False)
    positions, width, previous_end = _read_header(reader, label, columns, required)
    starts: list[int] = []
    rows: list[list[str]] = []
    rows_read = 0
    while True:
        try:
            # The loop every data row goes through: kept to the field count and two appends,
            # on local names (an attribute lookup a row is a measurable share of a load).
            for record in reader:
                start = previous_end + 1
                previous_end = reader.line_num
                if len(record) == width:
                    starts.append(start)
                    rows.append(record)
                    if len(rows) >= BATCH_ROWS:
                        rows_read += len(rows)
                        yield _to_arrow(starts, rows, positions, width, columns)
                        starts, rows = [], []
                elif not _is_blank(record):  # blank lines are skipped, not counted
                    rows_read += 1
                    values = ";".join(value.strip() for value in record)
                    result.malformed.append(Malformed(start, REASON_FIELD_COUNT, values))
            break
        except csv.Error:
            rows_read += 1
            result.malformed.append(Malformed(previous_end + 1, REASON_UNREADABLE, ""))
            previous_end = reader.line_num
        finally:
            result.rows_read = rows_read + len(rows)
    if rows:
        yield _to_arrow(starts, rows, positions, width, columns)


def _read_header(reader, label: str, columns, required):
    """(column positions, field count, line where it ends) of the first non-blank record,
    the header."""
    previous_end = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            raise StructuralError(label, "no header line (file holds only blank lines)") from None
        except csv.Error as error:
            start = previous_end + 1
            raise StructuralError(label, f"unreadable header ({error})", start) from error
        previous_end = reader.line_num
        if not _is_blank(record):
            positions = header_positions(record, columns, required, label)
            return positions, len(record), previous_end


# Joins a batch's records into one string per record, for Arrow to split and trim in C++.
# Any separator may occur in a value (the tokenizer accepts every character): a batch
# whose split does not give back the field count is converted value by value instead.
_SEPARATOR = "\x1f"


def _to_arrow(starts, rows, positions, width: int, columns: tuple[str, ...]) -> pa.Table:
    """One batch as Arrow, every value trimmed of whitespace in the sense of `str.strip`
    (Arrow's `utf8_trim_whitespace` trims the same characters: tested)."""
    count = len(rows)
    joined = pa.array(map(_SEPARATOR.join, rows), pa.string(), size=count)
    fields = pc.split_pattern(joined, _SEPARATOR)
    if pc.all(pc.equal(pc.list_value_length(fields), width)).as_py():
        picked = {p: pc.list_element(fields, p) for p in positions if p is not None}
    else:
        transposed = list(zip(*rows, strict=True))
        picked = {p: pa.array(transposed[p], pa.string()) for p in positions if p is not None}
    empty = pa.array([""] * count, pa.string())
    arrays = [pa.array(starts, pa.int64())]
    arrays += [
        pc.utf8_trim_whitespace(picked[position]) if position is not None else empty
        for position in positions
    ]
    return pa.table(arrays, names=["line_number", *columns])
