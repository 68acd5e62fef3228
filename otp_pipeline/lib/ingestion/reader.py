"""Reading a `;` CSV delivery (§3) as batches of trimmed text, line numbers kept.

Two paths, one result. Python's C `csv` tokenizer does the RFC 4180 work (quotes, `""`,
line breaks inside quotes, a lone `\r` ending a line) and counts physical lines. Most lines
of an extract hold no quote at all, though: for those, a line is one record and its fields
are what lies between the `;`. The text is read in blocks of lines; the plain lines of a
block (no `"`, no `\r` but the one of a CRLF, not long enough to break the field limit)
are found with `str.find` and split, picked and trimmed together by Arrow's kernels in
C++, after the tokenizer has walked past them. Every other line goes
through the one `csv.reader` of the file, which pulls as many lines as its record spans,
across blocks if need be. A differential test holds the two paths to the tokenizer's own
results (records, line numbers, errors) on generated files.

Every check on values is left to SQL in DuckDB (`row_checks.py`). Batches go to DuckDB
as Arrow tables: memory stays bounded by the block and batch sizes, whatever the file's.
Reading a million-row AIS extract (2.7 % of its lines quoted) takes 4.3 to 4.9 s: 13.7 s
with the tokenizer for every line and a Python trim on every value, 6.5 s with the
tokenizer for every line and Arrow trimming.
"""

import csv
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
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
    """A data record that cannot be read as a row of the header's width: where and why
    only (its text may hold personal data, and nothing could tell which field is which)."""

    line_number: int
    reason: str


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


def is_blank(record: list[str]) -> bool:
    """A line that is blank after trimming: no field, or one field of whitespace only.

    `""` parses as one empty field: it is a record (with the wrong number of fields), not a
    blank line, so a single field counts as blank only when it holds whitespace.
    """
    return not record or (len(record) == 1 and record[0] != "" and not record[0].strip())


def read_batches(
    text, label: str, columns: tuple[str, ...], required: tuple[str, ...], result: ReadResult
) -> Iterator[pa.Table]:
    """Arrow batches of `line_number` + every contract column (absent optional ones empty).

    Records whose field count differs from the header's go to `result.malformed` (in line
    order). Blank lines are skipped and not counted. Line numbers are physical lines where
    the record starts; the header is line 1. Batches are not in line order.
    """
    lines = _Lines(text, result)
    reader = csv.reader(lines, delimiter=";", quotechar='"', doublequote=True, strict=False)
    positions, width, consumed = read_header(reader, label, columns, required)
    lines.header = (positions, width, columns)
    starts: list[int] = []  # records read by the tokenizer, waiting for a batch
    rows: list[list[str]] = []
    while lines.available():
        yield from lines.take_ready()
        run = lines.plain_run(consumed + 1)
        if run:
            consumed += run
            continue
        start, before = consumed + 1, reader.line_num
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error:
            result.rows_read += 1
            result.malformed.append(Malformed(start, REASON_UNREADABLE))
            consumed += reader.line_num - before
            continue
        consumed += reader.line_num - before
        if len(record) == width:
            result.rows_read += 1
            starts.append(start)
            rows.append(record)
            if len(rows) >= BATCH_ROWS:
                yield records_table(starts, rows, positions, width, columns)
                starts, rows = [], []
        elif not is_blank(record):  # blank lines are skipped, not counted
            result.rows_read += 1
            result.malformed.append(Malformed(start, REASON_FIELD_COUNT))
    lines.flush()
    yield from lines.take_ready()
    if rows:
        yield records_table(starts, rows, positions, width, columns)
    result.malformed.sort(key=lambda malformed: malformed.line_number)


# Characters of text read at a time: about 40,000 lines of an AIS extract.
BLOCK_CHARS = 1 << 22


class _Lines:
    """The file's lines, block by block, shared by the tokenizer and the plain-line path.

    Iterated by `csv.reader`, it gives one physical line at a time with its line break, as
    the text file itself would (a lone `\r` ends a line). Between two records, `plain_run`
    takes the plain lines that come next for the Arrow path instead: they are converted
    together when the block is done (`flush`), their batch left in `take_ready`.
    """

    def __init__(self, text, result: ReadResult):
        self.text = text
        self.header: tuple | None = None  # (positions, width, columns), once it is read
        self.result = result
        self.carry = ""  # text read after the last complete line
        self.lines: list[str] = []  # the block's lines, without their `\n`
        self.array: pa.Array | None = None  # the same, for Arrow
        self.odd = np.array([], dtype=np.int64)  # indices of the block's lines not plain
        self.index = 0  # the next line of the block to hand out
        self.last_ends = True  # whether the block's last line ended with `\n`
        self.pieces: list[str] = []  # the rest of a line split at a lone `\r`, reversed
        self.runs: list[tuple[int, int, int]] = []  # plain (start, end, first line number)
        self.ready: list[pa.Table] = []

    def available(self) -> bool:
        """Whether a line remains, reading the next block when this one is used up."""
        return bool(self.pieces) or self.index < len(self.lines) or self._next_block()

    def _next_block(self) -> bool:
        self.flush()
        while True:
            chunk = self.text.read(BLOCK_CHARS)
            data = self.carry + chunk
            if chunk:
                cut = data.rfind("\n")
                if cut < 0:
                    self.carry = data
                    continue
                block, self.carry, self.last_ends = data[:cut], data[cut + 1 :], True
            else:
                block, self.carry, self.last_ends = data, "", False
                if not block:
                    self.lines = []
                    return False
            self.lines = block.split("\n")
            self.array = pa.array(self.lines, pa.string())
            self.odd = _odd_lines(block, self.lines)
            self.index = 0
            return True

    def plain_run(self, first_number: int) -> int:
        """Take the plain lines from here to the next other line of the block; their
        count (0 when the next line is not plain)."""
        if self.pieces or self.header is None:
            return 0
        start = self.index
        following = np.searchsorted(self.odd, start)
        end = int(self.odd[following]) if following < len(self.odd) else len(self.lines)
        if end > start:
            self.runs.append((start, end, first_number))
            self.index = end
        return end - start

    def flush(self) -> None:
        """Convert the plain lines taken from this block into one batch."""
        if not self.runs:
            return
        runs, self.runs = self.runs, []
        indices = np.concatenate([np.arange(start, end) for start, end, _ in runs])
        numbers = np.concatenate(
            [np.arange(first, first + end - start) for start, end, first in runs]
        )
        batch = _plain_batch(self.array.take(indices), numbers, *self.header, self.result)
        if batch.num_rows:
            self.ready.append(batch)

    def take_ready(self) -> list[pa.Table]:
        ready, self.ready = self.ready, []
        return ready

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.pieces:
            return self.pieces.pop()
        if not self.available():
            raise StopIteration
        line = self.lines[self.index]
        self.index += 1
        if self.index < len(self.lines) or self.last_ends:
            line += "\n"
        if "\r" in line:
            # Split as the text file would: `\r`, `\n` and `\r\n` each end a line.
            pieces = list(io.StringIO(line, newline=""))
            self.pieces = pieces[:0:-1]
            return pieces[0]
        return line


def _odd_lines(block: str, lines: list[str]):
    """Indices of the block's lines that are not one record split at every `;` (sorted
    numpy array): a quote, a `\r` other than a line's last (CRLF), or a line too long for
    its fields to stay under the tokenizer's limit. Found from the block's text by `find`
    (memchr): a few characters to look at, not every line."""
    lengths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    starts = np.zeros(len(lines), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    positions = _found(block, '"')
    # A `\r` is a line's last when a `\n` follows it, or when it closes the block (the
    # `\n` after it was cut off, or it ends the file).
    if "\r" in block and block.count("\r") > block.count("\r\n") + block.endswith("\r"):
        positions += [
            at for at in _found(block, "\r") if at + 1 < len(block) and block[at + 1] != "\n"
        ]
    odd = np.searchsorted(starts, np.array(positions, dtype=np.int64), side="right") - 1
    return np.union1d(odd, np.flatnonzero(lengths > FIELD_LIMIT))


def _found(text: str, character: str) -> list[int]:
    """Every position of `character` in `text`."""
    positions = []
    at = text.find(character)
    while at >= 0:
        positions.append(at)
        at = text.find(character, at + 1)
    return positions


def _plain_batch(run, numbers, positions, width, columns, result) -> pa.Table:
    """The rows of the plain lines `run`, at physical lines `numbers`:
    blank lines skipped, lines of the wrong width to `result.malformed`."""
    fields = pc.split_pattern(run, ";")
    good = pc.equal(pc.list_value_length(fields), width)
    blank = pc.equal(_trimmed(run), "")
    result.rows_read += len(run) - (pc.sum(blank).as_py() or 0)
    for at in pc.indices_nonzero(pc.invert(pc.or_(good, blank))).to_pylist():
        result.malformed.append(Malformed(int(numbers[at]), REASON_FIELD_COUNT))
    numbers = pa.array(numbers, pa.int64())
    if not pc.all(good).as_py():
        fields, numbers = fields.filter(good), numbers.filter(good)
    picked = {p: pc.list_element(fields, p) for p in positions if p is not None}
    return _table(numbers, picked, positions, columns)


def _table(numbers: pa.Array, picked: dict, positions, columns: tuple[str, ...]) -> pa.Table:
    """`line_number` and every contract column: the picked values trimmed, an absent
    optional column empty."""
    empty = pa.array([""] * len(numbers), pa.string())
    arrays = [numbers]
    arrays += [
        _trimmed(picked[position]) if position is not None else empty for position in positions
    ]
    return pa.table(arrays, names=["line_number", *columns])


# What `str.strip` trims among ASCII characters.
_ASCII_WHITESPACE = "".join(chr(c) for c in range(128) if chr(c).isspace())


def _trimmed(values: pa.Array) -> pa.Array:
    """`values` trimmed as `str.strip` would (tested on every code point): by the ASCII
    kernel when every value is ASCII, four times faster than the UTF-8 one."""
    if pc.all(pc.string_is_ascii(values)).as_py() is not False:
        return pc.ascii_trim(values, characters=_ASCII_WHITESPACE)
    return pc.utf8_trim_whitespace(values)


def read_header(reader, label: str, columns, required):
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
        if not is_blank(record):
            positions = header_positions(record, columns, required, label)
            return positions, len(record), previous_end


# Joins a batch's records into one string per record, for Arrow to split and trim in C++.
# Any separator may occur in a value (the tokenizer accepts every character): a batch
# whose split does not give back the field count is converted value by value instead.
_SEPARATOR = "\x1f"


def records_table(starts, rows, positions, width: int, columns: tuple[str, ...]) -> pa.Table:
    """The tokenizer's records as one batch."""
    count = len(rows)
    joined = pa.array(map(_SEPARATOR.join, rows), pa.string(), size=count)
    fields = pc.split_pattern(joined, _SEPARATOR)
    if pc.all(pc.equal(pc.list_value_length(fields), width)).as_py():
        picked = {p: pc.list_element(fields, p) for p in positions if p is not None}
    else:
        transposed = list(zip(*rows, strict=True))
        picked = {p: pa.array(transposed[p], pa.string()) for p in positions if p is not None}
    return _table(pa.array(starts, pa.int64()), picked, positions, columns)
