"""The feed reader's two paths (Arrow for plain lines, the tokenizer for the others) read
exactly what the tokenizer alone reads: the same rows with the same line numbers, the same
malformed records, the same count of records read, the same structural errors.

Files are generated from the characters that matter (`;`, `"`, `\\r`, `\\n`, spaces,
Unicode whitespace, NUL) and read in blocks of a few characters too, so that quoted line
breaks, lone `\\r` and CRLF fall across block boundaries.
"""

import io

import pytest
import reference_reader
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion import reader as feed_reader

COLUMNS = ("a", "b", "c")
REQUIRED = ("a", "b")
CHARACTERS = [";", ";", '"', "\r", "\n", "\n", " ", "x", "é", "\u2003", "\x00", "\x1f", "\t"]
CASES = settings(
    derandomize=True,
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _read(module, content: str):
    """(rows, malformed, rows read) of `content`, or the structural error it raised."""
    result = module.ReadResult()
    try:
        batches = list(
            module.read_batches(io.StringIO(content, newline=""), "f", COLUMNS, REQUIRED, result)
        )
    except StructuralError as error:
        return str(error)
    rows = sorted(row for batch in batches for row in zip(*batch.to_pydict().values(), strict=True))
    malformed = [(m.line_number, m.reason) for m in result.malformed]
    return rows, malformed, result.rows_read


def _read_in_blocks(content: str, block: int):
    saved = feed_reader.BLOCK_CHARS
    feed_reader.BLOCK_CHARS = block
    try:
        return _read(feed_reader, content)
    finally:
        feed_reader.BLOCK_CHARS = saved


@CASES
@given(
    header=st.sampled_from(["a;b;c\n", "\n  \nA ; b;c\r\n", '"a";b;c;\n', "b;a\n"]),
    body=st.text(alphabet=st.sampled_from(CHARACTERS), max_size=120),
    block=st.sampled_from([1, 3, 7, 64, feed_reader.BLOCK_CHARS]),
)
def test_both_paths_read_what_the_tokenizer_reads(header, body, block):
    content = header + body
    assert _read_in_blocks(content, block) == _read(reference_reader, content)


@pytest.mark.parametrize("block", [2, 5, 1 << 22])
def test_named_cases_agree_with_the_tokenizer(block):
    content = (
        "a;b;c\r\n"
        "1;2;3\r\n"  # CRLF
        '4;"five\n5";6\n'  # a quoted line break: one record, lines 3-4
        "7;8\r9;10\n"  # a lone \r ends a line: two records of the wrong width
        "   \n"  # blank
        ";;\n"  # three empty fields: a row
        '"";x\n'  # quotes only in a field: a record, not blank
        "11;12;13"  # no final line break
    )
    expected = _read(reference_reader, content)
    assert _read_in_blocks(content, block) == expected
    rows, malformed, rows_read = expected
    assert [row[0] for row in rows] == [2, 3, 8, 10]
    assert [m[0] for m in malformed] == [5, 6, 9]
    assert rows_read == 7
