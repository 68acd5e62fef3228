"""The DuckDB path of the feed reader (`sql_reader.py`) reads exactly what the tokenizer
alone reads: the same rows with the same line numbers, the same malformed records, the
same count of records read, the same structural errors; files it may not read (a lone
`\\r`, the scanner's delimiter byte, Windows-1252) are left to the Python reader.

Files are generated from the characters that matter (`;`, `"`, `\\r`, `\\n`, CRLF, spaces,
Unicode whitespace, NUL), written as UTF-8 with or without BOM, plain or gzip, and read
by a real DuckDB.
"""

import gzip
import io
from dataclasses import replace

import duckdb
import pyarrow as pa
import pytest
import reference_reader
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reader_properties import FUZZ, deliveries

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion import loader, sql_reader
from otp_pipeline.lib.ingestion.decoding import inspect_file
from otp_pipeline.lib.ingestion.landing import Delivery
from otp_pipeline.lib.ingestion.line_breaks import LineBreakScan
from otp_pipeline.lib.ingestion.reader import FIELD_LIMIT
from otp_pipeline.lib.settings import SI_PE

COLUMNS = ("a", "b", "c")
REQUIRED = ("a", "b")
CHARACTERS = [
    ";", ";", '"', "\r\n", "\r\n", "\n", "\n", " ", "x", "é", "\u2003", "\x00",
    "\x1f", "\t", "\x85", "\u3000",
]  # fmt: skip
CASES = settings(
    derandomize=True,
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _reference(content: str):
    """(rows, malformed, rows read) as the tokenizer alone reads them, or its error."""
    result = reference_reader.ReadResult()
    text = io.StringIO(content, newline="")
    try:
        batches = list(reference_reader.read_batches(text, "f", COLUMNS, REQUIRED, result))
    except StructuralError as error:
        return str(error)
    rows = sorted(row for batch in batches for row in zip(*batch.to_pydict().values(), strict=True))
    return rows, [(m.line_number, m.reason) for m in result.malformed], result.rows_read


def _read_with_duckdb(tmp_path, content: str, bom: bool, gz: bool):
    """The same from the DuckDB path, or None when it leaves the file to Python."""
    data = ("\ufeff" if bom else "").encode() + content.encode("utf-8")
    path = tmp_path / ("f.csv.gz" if gz else "f.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    con = duckdb.connect()
    try:
        facts = inspect_file(path, "f", ("utf-8",))
        result = sql_reader.stage_rows(con, path, "f", facts, COLUMNS, REQUIRED)
        if result is None:
            return None
        rows = sorted(con.execute("select * from landing_rows").fetchall())
        sql_reader.drop_staged(con)
        left = (
            "select table_name from duckdb_tables() union all select view_name from duckdb_views()"
        )
        assert not {"file_lines", "landing_rows", "tokenised_rows"} & {
            name for (name,) in con.execute(left).fetchall()
        }, "the file's text (personal data) is dropped once the row checks have read it"
    except StructuralError as error:
        return str(error)
    finally:
        con.close()
    return rows, [(m.line_number, m.reason) for m in result.malformed], result.rows_read


def _declined(content: str) -> bool:
    """Whether the DuckDB path must leave `content` to the Python reader."""
    return content.count("\r") != content.count("\r\n") or "\x1e" in content


@CASES
@given(
    header=st.sampled_from(["a;b;c\n", "\n  \nA ; b;c\r\n", '"a";b;c;\n', "b;a\n", '"a\nb";b;a\n']),
    body=st.lists(st.sampled_from(CHARACTERS), max_size=120).map("".join),
    bom=st.booleans(),
    gz=st.booleans(),
)
def test_duckdb_path_reads_what_the_tokenizer_reads(tmp_path, header, body, bom, gz):
    content = header + body
    assert not _declined(content)  # a lone `\r` is tested below: it would decline them all
    assert _read_with_duckdb(tmp_path, content, bom, gz) == _reference(content)


@pytest.mark.parametrize("gz", [False, True])
def test_named_cases_agree_with_the_tokenizer(tmp_path, gz):
    content = (
        "\n"  # blank before the header
        "a;b;c\r\n"
        "1;2;3\r\n"  # CRLF
        '4;"five\n5";6\r\n'  # a quoted LF inside a CRLF file: one record, lines 4-5
        '7;"eight\r\n8\r\n";9\n'  # quoted CRLF kept in the value
        "   \r\n"  # blank
        "\r\n"  # empty
        ";;\n"  # three empty fields: a row
        '"";x\n'  # quotes only in a field: a record, not blank
        "10;11;12;\n"  # a trailing empty field: four fields
        " \u3000 13 ;\t14\x85; 15 \n"  # Unicode whitespace trimmed
        "16;17;18"  # no final line break
    )
    expected = _reference(content)
    assert _read_with_duckdb(tmp_path, content, bom=True, gz=gz) == expected
    rows, malformed, rows_read = expected
    assert [row[0] for row in rows] == [3, 4, 6, 11, 14, 15]
    assert rows[2][2] == "eight\r\n8"
    assert rows[4][1:] == ("13", "14", "15")
    assert [m[0] for m in malformed] == [12, 13]
    assert rows_read == 8


def test_the_single_threaded_scanner_reads_the_lines_the_parallel_one_reads(tmp_path):
    """The fallback when DuckDB's parallel scanner gives up on a file (it did on a 448 MB
    I-Milo month): the same lines, in the same order, as the parallel scanner reads, and as
    many as the decoding pass counted."""
    lines = [f'{n};{"é" * (n % 7)};"q{n}"' for n in range(200_000)]
    path = tmp_path / "f.csv"
    path.write_text("a;b;c\r\n" + "\n".join(lines) + "\r\n", encoding="utf-8")
    breaks = inspect_file(path, "f", ("utf-8",)).line_breaks
    read = []
    for parallel in (True, False):
        con = duckdb.connect(config={"threads": 2})
        assert sql_reader._scan_lines(con, path, breaks, parallel=parallel)
        read.append(con.execute("select line from file_lines order by rowid").fetchall())
        con.close()
    assert read[0] == read[1]
    assert [line for (line,) in read[1]] == ["a;b;c", *lines]


def test_long_lines_go_through_the_tokenizer(tmp_path):
    content = "a;b;c\n" + "1;" + "x" * (FIELD_LIMIT + 1) + ";3\n" + '2;"' + "y" * FIELD_LIMIT
    assert _read_with_duckdb(tmp_path, content, bom=False, gz=False) == _reference(content)


@pytest.mark.parametrize("content", ["a;b;c\r1;2;3\r\n", "a;b;c\n1;2;3\r", "a;b;c\n1;\x1e;3\n"])
def test_files_the_scanner_cannot_split_alike_are_left_to_python(tmp_path, content):
    assert _declined(content)
    assert _read_with_duckdb(tmp_path, content, bom=False, gz=False) is None


def test_values_are_trimmed_as_python_strips_them_on_every_code_point():
    """The SQL trim (whitespace taken out around each `;` and at the line's ends) against
    `str.strip` of each value, for every code point around and inside two values."""
    excluded = {";", "\n", "\r"}
    characters = [
        chr(code) for code in range(0x110000)
        if not 0xD800 <= code < 0xE000 and chr(code) not in excluded
    ]  # fmt: skip
    lines = [f"{c}x{c}{c};{c} {c}y{c};{c}" for c in characters]
    con = duckdb.connect()
    con.register("lines", pa.table({"line": lines}))
    trimmed = con.execute(
        f"select {sql_reader.TRIMMED_LINE} from lines", sql_reader.TRIM_PATTERNS
    ).fetchall()
    expected = [";".join(value.strip() for value in line.split(";")) for line in lines]
    assert [line for (line,) in trimmed] == expected
    everything = (chr(code) for code in range(0x110000))
    assert "".join(c for c in everything if c.isspace()) == sql_reader.WHITESPACE


@settings(
    FUZZ, suppress_health_check=[*FUZZ.suppress_health_check, HealthCheck.function_scoped_fixture]
)
@given(data=deliveries(), gz=st.booleans())
def test_mutated_deliveries_stage_the_same_rows_on_both_paths(tmp_path, data, gz):
    """The property test's deliveries (quotes, line breaks, BOM, Windows-1252, NUL, huge
    fields, gzip), staged by the loader as it would (DuckDB's scanner where it may) and by
    the Python reader alone (`line_breaks` unknown): the same rows, line numbers, malformed
    lines and reasons, or the same structural error."""
    path = tmp_path / ("ais_2021-01.csv.gz" if gz else "ais_2021-01.csv")
    path.write_bytes(gzip.compress(data) if gz and data[:2] != b"\x1f\x8b" else data)
    delivery = Delivery(path, SI_PE.name, "2021-01", 1)
    staged = []
    try:
        facts = inspect_file(path, "f", SI_PE.encodings)
    except StructuralError:
        return  # decoding is the same pass for both paths
    for read_facts in (facts, replace(facts, line_breaks=None)):
        con = duckdb.connect()
        try:
            result = loader._stage_rows(con, SI_PE, delivery, "f", read_facts)
            rows = sorted(con.execute("select * from landing_rows").fetchall())
            malformed = [(m.line_number, m.reason) for m in result.malformed]
            staged.append((rows, malformed, result.rows_read))
        except StructuralError as error:
            staged.append(str(error))
        finally:
            con.close()
    assert staged[0] == staged[1]


def test_windows_1252_files_are_left_to_python(tmp_path):
    path = tmp_path / "ais.csv"
    path.write_bytes("a;b;c\n1;Orléans;3\n".encode("cp1252"))
    facts = inspect_file(path, "f", ("utf-8", "cp1252"))
    assert facts.encoding == "cp1252"
    assert facts.line_breaks is None
    assert sql_reader.stage_rows(duckdb.connect(), path, "f", facts, COLUMNS, REQUIRED) is None


def test_line_breaks_are_counted_across_chunks():
    """A CRLF split between two chunks, and runs of `\\n` and `\\r\\n` breaks."""
    scan = LineBreakScan()
    for chunk in [b"a\r", b"\nb\n", b"c\r\nd\r\n", b"e\n", b"f"]:
        scan.feed(chunk)
    breaks = scan.result()
    assert (breaks.count, breaks.ends_with_break) == (6, False)
    assert [breaks.terminator(n) for n in range(1, 7)] == ["\r\n", "\n", "\r\n", "\r\n", "\n", ""]
    lone = LineBreakScan()
    lone.feed(b"a\rb\n")
    assert lone.result() is None


def test_line_numbers_hold_when_duckdb_reads_the_file_in_parallel(tmp_path):
    """A file of several of DuckDB's CSV buffers (16 × the 4 MiB line limit: 64 MiB), read
    by both of its threads: each line keeps its own number (§6 names the line). Every
    record's id is its line number; a few lines of the wrong width and quoted records sit
    far apart, in different buffers."""
    lines, odd = 1_400_000, {2_000: "x;y", 700_001: "x;y;z;w", 1_399_999: "y"}
    quoted = {10: '"a;1";b;c', 900_000: '"a;2";b;c'}
    pad = "p" * 60
    with open(tmp_path / "f.csv", "w", encoding="utf-8", newline="") as handle:
        handle.write("a;b;c\n")
        for number in range(2, lines + 1):
            text = odd.get(number) or quoted.get(number) or f"L{number};{pad};c"
            handle.write(text + "\n")
    assert (tmp_path / "f.csv").stat().st_size > 90 * 2**20
    con = duckdb.connect(config={"threads": 2})
    path = tmp_path / "f.csv"
    facts = inspect_file(path, "f", ("utf-8",))
    result = sql_reader.stage_rows(con, path, "f", facts, COLUMNS, REQUIRED)
    assert result is not None, "a plain UTF-8 file is read by DuckDB"
    misplaced = con.execute(
        "select count(*) from landing_rows "
        "where a like 'L%' and cast(substr(a, 2) as bigint) <> line_number"
    ).fetchone()[0]
    assert misplaced == 0
    assert con.execute("select line_number, a from landing_rows where a like '%;%' order by 1").fetchall() == [
        (10, "a;1"), (900_000, "a;2")
    ]  # fmt: skip
    assert [(m.line_number, m.reason) for m in result.malformed] == [
        (n, "NOMBRE_DE_CHAMPS") for n in sorted(odd)
    ]
    assert result.rows_read == lines - 1
