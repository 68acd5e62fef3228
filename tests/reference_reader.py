"""The feed reader as it was before its Arrow path (commit c3751cd), kept as a reference:
`csv.reader` tokenizes every record and each value is trimmed in Python. The production
reader (`otp_pipeline.lib.ingestion.reader`) must give the same rows, line numbers and errors
(tests/reliability/test_reader_paths.py).
"""

import csv
from collections.abc import Iterator
from operator import itemgetter

import pyarrow as pa

# What the two readers share (the header's reading, the result's shape) is imported: only
# the reading of records is the reference's own.
from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.reader import (
    BATCH_ROWS,
    Malformed,
    ReadResult,
    header_positions,
    is_blank,
)
from otp_pipeline.lib.settings import REASON_FIELD_COUNT, REASON_UNREADABLE

__all__ = ["ReadResult", "read_batches"]


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
            result.malformed.append(Malformed(start, REASON_UNREADABLE))
            continue
        start = previous_end + 1
        previous_end = reader.line_num
        if is_blank(record):
            continue  # skipped, not counted
        if positions is None:
            positions = header_positions(record, columns, required, label)
            width = len(record)
            # C-level column picking: the per-row Python work is what ingestion costs.
            pick = itemgetter(*[p for p in positions if p is not None])
            continue
        result.rows_read += 1
        if len(record) != width:
            result.malformed.append(Malformed(start, REASON_FIELD_COUNT))
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
