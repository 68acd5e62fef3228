"""How a delivery's physical lines end, counted in the decoding pass (the bytes after gzip).

DuckDB's CSV scanner reads a file line by line for `sql_reader.py`, but drops each line's
break and knows no line numbers. What it needs from here: whether it may read the file at
all (no lone `\\r`, which Python counts as a line break and DuckDB does not split alike; no
`SCAN_DELIMITER` byte, the one that stands for "no delimiter"), how many lines it must
find, and each line's break (`\\n` or `\\r\\n`), which a quoted field spanning lines keeps
in its value. Breaks are kept as runs of one kind: one run for most files.
"""

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

# The delimiter given to DuckDB's scanner so that a whole line is one value.
SCAN_DELIMITER = b"\x1e"
# Beyond this many changes between `\n` and `\r\n`, the file is read by Python alone.
MAX_RUNS = 100_000


@dataclass(frozen=True)
class LineBreaks:
    """The physical lines of a file: how many, and how each ends."""

    count: int
    ends_with_break: bool  # whether the last line has its break
    run_starts: tuple[int, ...]  # first line number of each run of one kind of break
    run_crlf: tuple[bool, ...]  # whether the lines of that run end with `\r\n`

    def terminator(self, line_number: int) -> str:
        """The break that ends `line_number` as written in the file (empty for a last line
        without one)."""
        if line_number >= self.count and not self.ends_with_break:
            return ""
        run = bisect_right(self.run_starts, line_number) - 1
        return "\r\n" if run >= 0 and self.run_crlf[run] else "\n"


class LineBreakScan:
    """Fed the decompressed bytes chunk by chunk, in order (a BOM may be left out)."""

    def __init__(self):
        self.newlines = 0
        self.carriage_returns = 0
        self.crlf = 0
        self.previous = b""  # the last byte fed
        self.delimiter_seen = False
        self.starts: list[int] = []
        self.kinds: list[bool] = []

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.delimiter_seen = self.delimiter_seen or SCAN_DELIMITER in chunk
        newlines = chunk.count(b"\n")
        pairs = chunk.count(b"\r\n")
        across = self.previous == b"\r" and chunk[:1] == b"\n"
        self.carriage_returns += chunk.count(b"\r")
        self.crlf += pairs + across
        if newlines and len(self.starts) <= MAX_RUNS:
            if pairs + across == newlines:
                self._run(self.newlines + 1, True)
            elif pairs + across == 0:
                self._run(self.newlines + 1, False)
            else:
                self._mixed(chunk)
        self.newlines += newlines
        self.previous = chunk[-1:]

    def _run(self, line_number: int, crlf: bool) -> None:
        if not self.kinds or self.kinds[-1] != crlf:
            self.starts.append(line_number)
            self.kinds.append(crlf)

    def _mixed(self, chunk: bytes) -> None:
        data = np.frombuffer(chunk, dtype=np.uint8)
        positions = np.flatnonzero(data == 10)
        before = np.where(positions > 0, data[np.maximum(positions - 1, 0)], 0)
        flags = before == 13
        if positions[0] == 0:
            flags[0] = self.previous == b"\r"
        changes = np.flatnonzero(flags[1:] != flags[:-1]) + 1
        for index in (0, *changes.tolist()):
            self._run(self.newlines + index + 1, bool(flags[index]))

    def result(self) -> LineBreaks | None:
        """The file's line breaks, or None when DuckDB's scanner may not read it."""
        if self.carriage_returns != self.crlf or self.delimiter_seen or len(self.starts) > MAX_RUNS:
            return None
        ends = self.previous == b"\n"
        count = self.newlines + (0 if ends or not self.previous else 1)
        return LineBreaks(count, ends, tuple(self.starts), tuple(self.kinds))
