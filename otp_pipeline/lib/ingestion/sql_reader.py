"""Reading a `;` CSV delivery (§3) with DuckDB's CSV scanner, line numbers kept.

DuckDB reads every physical line as one value (no quote, no escape, a delimiter the file
does not hold), in parallel, into a temp table whose `rowid` is the line's place in the
file (`preserve_insertion_order` for that insert). A line without `"` is one record whose
fields lie between its `;`: DuckDB splits, counts, picks and trims those in SQL. Lines with
a `"` (and any line too long for the tokenizer's field limit) start records that Python's
`csv` tokenizer reads, pulling the lines a quoted field spans from the same table with the
breaks the decoding pass counted (`line_breaks.py`): the tokenizer alone decides quoting,
as in `reader.py`. The header is read by the tokenizer from the file's text.

A file DuckDB may not read this way (Windows-1252, a lone `\\r`, ...) is left to
`reader.py`; `tests/reliability/test_reader_paths.py` holds both to the same results.
"""

import csv

import duckdb
import pyarrow as pa

from otp_pipeline.lib.ingestion.decoding import FileFacts, open_text
from otp_pipeline.lib.ingestion.line_breaks import SCAN_DELIMITER, LineBreaks
from otp_pipeline.lib.ingestion.reader import (
    FIELD_LIMIT,
    Malformed,
    ReadResult,
    is_blank,
    read_header,
    records_table,
)
from otp_pipeline.lib.settings import REASON_FIELD_COUNT, REASON_UNREADABLE

# Every character `str.isspace` accepts (none lies above U+3000): what the contract trims.
WHITESPACE = "".join(chr(code) for code in range(0x3001) if chr(code).isspace())
# Values are trimmed by taking the whitespace around every `;` and at both ends of the
# line out of it before it is split (`;` is not whitespace), on the lines that hold any.
_SPACE = "[" + "".join(f"\\x{{{ord(character):x}}}" for character in WHITESPACE) + "]"
TRIM_PATTERNS = {
    "padded": f"(^|;){_SPACE}|{_SPACE}(;|$)",
    "around_separator": f"{_SPACE}+;{_SPACE}*|;{_SPACE}+",
    "at_ends": f"^{_SPACE}+|{_SPACE}+$",
}
# `line` with every value trimmed (parameters: TRIM_PATTERNS).
TRIMMED_LINE = """
    case when regexp_matches(line, $padded) then
        regexp_replace(regexp_replace(line, $around_separator, ';', 'g'), $at_ends, '', 'g')
    else line end
"""
# Lines pulled at a time for a record that spans lines.
FOLLOWING_LINES = 256


def stage_rows(con, path, label: str, facts: FileFacts, columns, required) -> ReadResult | None:
    """Every record of the file into the temp table `landing_rows` (`line_number` + every
    contract column, trimmed text), as `reader.read_batches` reads them; None (nothing
    staged) when the file is not one DuckDB's scanner may read line by line."""
    breaks = facts.line_breaks
    if breaks is None:
        return None
    with open_text(path, label, facts) as text:
        reader = csv.reader(text, delimiter=";", quotechar='"', doublequote=True, strict=False)
        positions, width, header_end = read_header(reader, label, columns, required)
    if not _scan_lines(con, path, breaks):
        return None
    try:
        result = ReadResult()
        tokenised, records = _tokenised_records(con, breaks, header_end, width, result)
        _stage(con, header_end, tokenised, records, (positions, width, columns), result)
    finally:
        con.execute("drop table if exists file_lines")
    result.malformed.sort(key=lambda malformed: malformed.line_number)
    return result


def _scan_lines(con, path, breaks: LineBreaks) -> bool:
    """The file's lines into the temp table `file_lines`, in file order; False (nothing
    left) when the scanner fails or does not find the lines the decoding pass counted."""
    [(ordered,)] = con.execute("select current_setting('preserve_insertion_order')").fetchall()
    con.execute("set preserve_insertion_order = true")
    try:
        con.execute(
            """
            create or replace temp table file_lines as
            select line from read_csv(
                $path, columns = {'line': 'VARCHAR'}, delim = $delimiter, quote = '',
                escape = '', header = false, auto_detect = false, strict_mode = false,
                new_line = '\\r\\n', max_line_size = $max_line
            )
            """,
            {
                "path": str(path),
                "delimiter": SCAN_DELIMITER.decode(),
                "max_line": 4 * FIELD_LIMIT,
            },
        )
        [(count,)] = con.execute("select count(*) from file_lines").fetchall()
    except duckdb.Error:
        count = None
    finally:
        con.execute(f"set preserve_insertion_order = {bool(ordered)}")
    if count != breaks.count:
        con.execute("drop table if exists file_lines")
        return False
    return True


def _tokenised_records(con, breaks: LineBreaks, header_end: int, width: int, result):
    """(line numbers the tokenizer read, its (start line, record) rows of the header's
    width): the records that start on a line with a `"` or a line too long to split."""
    odd = con.execute(
        """
        select rowid + 1, line from file_lines
        where rowid >= $header_end and (contains(line, '"') or strlen(line) > $limit)
        order by rowid
        """,
        {"header_end": header_end, "limit": FIELD_LIMIT},
    ).fetchall()
    consumed, tokenised, records = header_end, [], []
    for number, line in odd:
        if number <= consumed:
            continue  # inside a record that started on an earlier line
        lines = _LinesFrom(con, breaks, number, line)
        reader = csv.reader(lines, delimiter=";", quotechar='"', doublequote=True, strict=False)
        try:
            record = next(reader)
        except csv.Error:
            result.rows_read += 1
            result.malformed.append(Malformed(number, REASON_UNREADABLE))
            record = None
        consumed = number + reader.line_num - 1
        tokenised.extend(range(number, consumed + 1))
        if record is None:
            continue
        if len(record) == width:
            result.rows_read += 1
            records.append((number, record))
        elif not is_blank(record):
            result.rows_read += 1
            result.malformed.append(Malformed(number, REASON_FIELD_COUNT))
    return tokenised, records


class _LinesFrom:
    """The file's physical lines from `number` on, each with its break, as the tokenizer
    reads a text file; the lines after the first are pulled from `file_lines` as needed."""

    def __init__(self, con, breaks: LineBreaks, number: int, line: str):
        self.con, self.breaks = con, breaks
        self.next_number = number
        self.pending = [line]

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if not self.pending:
            if self.next_number > self.breaks.count:
                raise StopIteration
            self.pending = [
                line or ""
                for (line,) in self.con.execute(
                    "select line from file_lines where rowid between $first and $last "
                    "order by rowid",
                    {"first": self.next_number - 1, "last": self.next_number + FOLLOWING_LINES},
                ).fetchall()
            ][::-1]
        number, self.next_number = self.next_number, self.next_number + 1
        return self.pending.pop() + self.breaks.terminator(number)


def _stage(con, header_end: int, tokenised, records, header, result: ReadResult) -> None:
    """`landing_rows` from the plain lines (split in SQL) and the tokenizer's records."""
    positions, width, columns = header
    if records:
        starts, rows = zip(*records, strict=True)
        table = records_table(list(starts), list(rows), positions, width, columns)
    else:
        names = ["line_number", *columns]
        table = pa.table(
            [pa.array([], pa.int64())] + [pa.array([], pa.string()) for _ in columns], names
        )
    picked = ", ".join(f"fields[{p + 1}]" if p is not None else "''" for p in positions)
    names = ", ".join(f'"{column}"' for column in columns)
    # A column the header has: null on a row only where its line has the wrong width.
    marker = next(f'"{c}"' for c, p in zip(columns, positions, strict=True) if p is not None)
    con.register("tokenised_lines", pa.table({"line_number": pa.array(tokenised, pa.int64())}))
    con.register("tokenised_rows", table)
    try:
        # One pass over the lines: the rows, and the lines of the wrong width (not blank)
        # with null values, taken out after.
        con.execute(
            f"""
            create or replace temp table landing_rows (line_number, {names}) as
            with plain as (
                select
                    rowid + 1 as line_number,
                    line,
                    string_split({TRIMMED_LINE}, ';') as split
                from file_lines
                where rowid >= $header_end and line is not null
                    and rowid + 1 not in (select line_number from tokenised_lines)
            ),
            sized as (
                select line_number, case when len(split) = $width then split end as fields
                from plain
                -- a lone field of whitespace is a blank line, only a header of one
                -- column could take it for a row
                where (len(split) = $width and $width > 1) or trim(line, $whitespace) <> ''
            )
            select line_number, {picked} from sized
            union all
            select * from tokenised_rows
            """,
            {"header_end": header_end, "width": width, "whitespace": WHITESPACE} | TRIM_PATTERNS,
        )
        malformed = con.execute(
            f"select line_number from landing_rows where {marker} is null"
        ).fetchall()
        if malformed:
            con.execute(f"delete from landing_rows where {marker} is null")
        [(staged,)] = con.execute("select count(*) from landing_rows").fetchall()
    finally:
        con.unregister("tokenised_lines")
        con.unregister("tokenised_rows")
    result.rows_read += staged - len(records) + len(malformed)
    result.malformed += [Malformed(number, REASON_FIELD_COUNT) for (number,) in malformed]
