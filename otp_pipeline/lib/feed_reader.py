"""Reading a `;` CSV delivery (§3) as batches of trimmed text, line numbers kept.

Python's C `csv` tokenizer does the RFC 4180 work (quotes, `""`, line breaks inside
quotes); every check on values is left to SQL in DuckDB (`row_checks.py`), so the only
per-row Python work is trimming. Batches go to DuckDB as Arrow tables: memory stays
bounded by the batch size, whatever the file's size.
"""

import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

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


class _ConsumedLines:
    """The text's lines, remembering those the tokenizer took for the record being read."""

    def __init__(self, text):
        self._lines = iter(text)
        self.taken: list[str] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        return line


def read_batches(
    text, label: str, columns: tuple[str, ...], required: tuple[str, ...], result: ReadResult
) -> Iterator[pa.Table]:
    """Arrow batches of `line_number` + every contract column (absent optional ones empty).

    Records whose field count differs from the header's go to `result.malformed`.
    Blank lines are skipped and not counted. Line numbers are physical lines where the
    record starts; the header is line 1.
    """
    lines = _ConsumedLines(text)
    reader = csv.reader(lines, delimiter=";", quotechar='"', doublequote=True, strict=False)
    previous_end = 0
    positions = None
    width = 0
    batch: list[list] = [[] for _ in range(len(columns) + 1)]
    while True:
        lines.taken.clear()
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
        values = [value.strip() for value in record]
        # Blank is judged on the line as written: `""` parses as one empty field, like a
        # blank line, but it is a record with the wrong number of fields, not a blank line.
        if not "".join(lines.taken).strip():
            continue  # blank after trimming: skipped, not counted
        if positions is None:
            positions = header_positions(record, columns, required, label)
            width = len(record)
            continue
        result.rows_read += 1
        if len(values) != width:
            result.malformed.append(Malformed(start, REASON_FIELD_COUNT, ";".join(values)))
            continue
        batch[0].append(start)
        for slot, position in enumerate(positions, start=1):
            batch[slot].append(values[position] if position is not None else "")
        if len(batch[0]) >= BATCH_ROWS:
            yield _to_arrow(batch, columns)
            batch = [[] for _ in range(len(columns) + 1)]
    if positions is None:
        raise StructuralError(label, "no header line (file holds only blank lines)")
    if batch[0]:
        yield _to_arrow(batch, columns)


def _to_arrow(batch: list[list], columns: tuple[str, ...]) -> pa.Table:
    arrays = [pa.array(batch[0], pa.int64())]
    arrays += [pa.array(values, pa.string()) for values in batch[1:]]
    return pa.table(arrays, names=["line_number", *columns])
