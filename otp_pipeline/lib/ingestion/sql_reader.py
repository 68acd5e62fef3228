"""Reading a `;` CSV delivery (§3) with DuckDB's CSV scanner, line numbers kept.

DuckDB reads every physical line as one value (no quote, no escape, a delimiter the file
does not hold), in parallel, into a temp table whose `rowid` is the line's place in the
file (`preserve_insertion_order` for that insert). A line without `"` is one record whose
fields lie between its `;`: DuckDB splits, counts, picks and trims those in SQL. Lines with
a `"` (and any line too long for the tokenizer's field limit) start records that Python's
`csv` tokenizer reads, pulling the lines a quoted field spans from the same table with the
breaks the decoding pass counted (`line_breaks.py`): the tokenizer alone decides quoting,
as in `reader.py`. The header is read by the tokenizer from the file's text.

`landing_rows` is a view over `file_lines` and the tokenizer's records: the row checks
read it once, so the month's text is split as they read it, never written out a second
time. `drop_staged` drops it all once they have.

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
    """Every record of the file as the temp view `landing_rows` (`line_number` + every
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
    except BaseException:
        drop_staged(con)
        raise
    result.malformed.sort(key=lambda malformed: malformed.line_number)
    return result


def _scan_lines(con, path, breaks: LineBreaks, parallel: bool | None = None) -> bool:
    """The file's lines into the temp table `file_lines`, in file order; False (nothing
    left) when the scanner fails or does not find the lines the decoding pass counted.

    `parallel` None: DuckDB's parallel scanner, then its single-threaded one when the
    parallel one gives up ("does not support a full read on this file", DuckDB issue
    24237: a 448 MB I-Milo month of the ×100 bench did), which is a third slower but far
    from the Python reader's cost.
    """
    for attempt in (True, False) if parallel is None else (parallel,):
        count = _read_lines(con, path, attempt)
        if count == breaks.count:
            return True
        con.execute("drop table if exists file_lines")
        if count is not None:
            return False  # read, but not into the lines counted: not DuckDB's to read
    return False


def _read_lines(con, path, parallel: bool) -> int | None:
    """`file_lines` from the file; its line count, or None when the scanner failed."""
    [(ordered,)] = con.execute("select current_setting('preserve_insertion_order')").fetchall()
    con.execute("set preserve_insertion_order = true")
    try:
        con.execute(
            """
            create or replace temp table file_lines as
            select line from read_csv(
                $path, columns = {'line': 'VARCHAR'}, delim = $delimiter, quote = '',
                escape = '', header = false, auto_detect = false, strict_mode = false,
                new_line = '\\r\\n', max_line_size = $max_line, parallel = $parallel
            )
            """,
            {
                "path": str(path),
                "delimiter": SCAN_DELIMITER.decode(),
                "max_line": 4 * FIELD_LIMIT,
                "parallel": parallel,
            },
        )
        [(count,)] = con.execute("select count(*) from file_lines").fetchall()
    except duckdb.Error:
        count = None
    finally:
        con.execute(f"set preserve_insertion_order = {bool(ordered)}")
    return count


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
    """`landing_rows`: a view of the plain lines (split in SQL as it is read) and the
    tokenizer's records; the plain lines of the wrong width counted as malformed here.

    A view, not a table: the row checks read it once (`row_checks.py`), so the month's text
    is not written out a second time before them (at ×100, 14 s of a 77 s AIS load).
    """
    positions, width, columns = header
    if records:
        starts, rows = zip(*records, strict=True)
        table = records_table(list(starts), list(rows), positions, width, columns)
    else:
        names = ["line_number", *columns]
        table = pa.table(
            [pa.array([], pa.int64())] + [pa.array([], pa.string()) for _ in columns], names
        )
    con.register("tokenised_arrow", table)
    con.register("tokenised_arrow_lines", pa.table({"line": pa.array(tokenised, pa.int64())}))
    try:
        con.execute("create or replace temp table tokenised_rows as select * from tokenised_arrow")
        con.execute(
            "create or replace temp table tokenised_lines as "
            "select line - 1 as line_index from tokenised_arrow_lines"
        )
    finally:
        con.unregister("tokenised_arrow")
        con.unregister("tokenised_arrow_lines")
    # Trimming keeps every `;`: a plain line's width is that of its untrimmed split. A lone
    # field of whitespace is a blank line: only a header of one column could take it for a
    # row.
    plain = f"""
        from file_lines
        where rowid >= {int(header_end)} and line is not null
            and rowid not in (select line_index from tokenised_lines)
    """
    width_ok = f"len(string_split(line, ';')) = {int(width)}"
    is_row = width_ok if width > 1 else f"{width_ok} and trim(line, {_literal(WHITESPACE)}) <> ''"
    # `case`, not `and`: the trim (a long character list) runs on the few lines of the
    # wrong width only (an aggregate's filter evaluates both sides on every line).
    [(rows, malformed)] = con.execute(
        f"""
        select
            count(*) filter (where is_row),
            list(rowid + 1 order by rowid) filter (
                where case when width_ok then false
                           else trim(line, {_literal(WHITESPACE)}) <> '' end
            )
        from (select rowid, line, {width_ok} as width_ok, {is_row} as is_row {plain})
        """
    ).fetchall()
    picked = ", ".join(f"fields[{p + 1}]" if p is not None else "''" for p in positions)
    names = ", ".join(f'"{column}"' for column in columns)
    trimmed = TRIMMED_LINE
    for name, pattern in TRIM_PATTERNS.items():
        trimmed = trimmed.replace(f"${name}", _literal(pattern))
    con.execute(
        f"""
        create or replace temp view landing_rows (line_number, {names}) as
        select line_number, {picked} from (
            select rowid + 1 as line_number, string_split({trimmed}, ';') as fields
            {plain} and {is_row}
        )
        union all
        select * from tokenised_rows
        """
    )
    malformed = malformed or []
    result.rows_read += rows + len(malformed)
    result.malformed += [Malformed(number, REASON_FIELD_COUNT) for number in malformed]


def _literal(text: str) -> str:
    """`text` (a constant of this module, never file content) as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def drop_staged(con) -> None:
    """Drop what `stage_rows` (or the Python reader) staged: the month's text, person ids
    and birth dates included, once the row checks have read it."""
    for statement in _DROP_STAGED:
        con.execute(statement)


_DROP_STAGED = (
    "drop view if exists landing_rows",
    "drop table if exists tokenised_rows",
    "drop table if exists tokenised_lines",
    "drop table if exists file_lines",
)
