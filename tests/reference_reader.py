"""The feed reader as it was before its Arrow path (commit c3751cd), kept as a reference:
`csv.reader` tokenizes every record and each value is trimmed in Python. The production
reader (`otp_pipeline.lib.feed_reader`) must give the same rows, line numbers and errors
(tests/reliability/test_reader_paths.py).
"""

import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter

import pyarrow as pa

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
    previous_end = 0
    positions: list[int | None] | None = None
    width = 0
    pick = None
    starts: list[int] = []
    rows: list[list[str]] = []
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            start = previous_end + 1
            previous_end = reader.line_num
            if positions is None:
                raise StructuralError(label, f"unreadable header ({error})", start) from error
            result.rows_read += 1
            result.malformed.append(Malformed(start, REASON_UNREADABLE, ""))
            continue
        start = previous_end + 1
        previous_end = reader.line_num
        if _is_blank(record):
            continue  # skipped, not counted
        if positions is None:
            positions = header_positions(record, columns, required, label)
            width = len(record)
            # C-level column picking: the per-row Python work is what ingestion costs.
            pick = itemgetter(*[p for p in positions if p is not None])
            continue
        result.rows_read += 1
        if len(record) != width:
            values = ";".join(value.strip() for value in record)
            result.malformed.append(Malformed(start, REASON_FIELD_COUNT, values))
            continue
        starts.append(start)
        rows.append([value.strip() for value in pick(record)])
        if len(rows) >= BATCH_ROWS:
            yield _to_arrow(starts, rows, positions, columns)
            starts, rows = [], []
    if positions is None:
        raise StructuralError(label, "no header line (file holds only blank lines)")
    if rows:
        yield _to_arrow(starts, rows, positions, columns)


def _to_arrow(starts, rows, positions, columns: tuple[str, ...]) -> pa.Table:
    present = iter(zip(*rows, strict=True))
    empty = pa.array([""] * len(rows), pa.string())
    arrays = [pa.array(starts, pa.int64())]
    arrays += [
        pa.array(next(present), pa.string()) if position is not None else empty
        for position in positions
    ]
    return pa.table(arrays, names=["line_number", *columns])
