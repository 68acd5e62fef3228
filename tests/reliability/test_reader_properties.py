"""Property: whatever bytes arrive, the feed reader ends in a clean StructuralError or in
an accounting that adds up — never another exception, never a silently dropped row.

Files start as a valid `si_pe` delivery (some rows with row errors) and are mutated: cut
lines, stray quotes, wrong separators, random bytes, huge fields, mixed encodings, NUL
bytes, `\\r` alone, gzip. An independent tokenizer (`count_records`, a small RFC 4180
state machine written from the contract, not from the reader) says how many non-blank
records the file holds; the warehouse must then hold exactly that many rows, loaded or
quarantined or counted as duplicates. Fixed seed in CI; `make fuzz` runs longer
(OTP_FUZZ_EXAMPLES).
"""

import gzip
import os
import re
import tempfile
import zlib
from pathlib import Path

import pytest
from feeds import SI_PE_HEADER, ais_row
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.monthly_load import load_month
from otp_pipeline.lib.ingestion.reader import FIELD_LIMIT
from otp_pipeline.lib.settings import SI_PE
from otp_pipeline.lib.warehouse import connect

MONTH = "2021-01"
FILE_LABEL = "si_pe/ais_2021-01.csv"
EXAMPLES = int(os.environ.get("OTP_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    derandomize=EXAMPLES <= 100,  # CI: the same examples every run
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Rows as a producer writes them: valid ones and each kind of row error.
ROW_KINDS = {
    "valid": {},
    "bad_date": {"naissance": "31/02/2000"},
    "unknown_departement": {"departement": "96"},
    "missing_value": {"individu": ""},
    "outside_month": {"prescription": "01/02/2021"},
    "quoted_separator": {"agence": '"Agence; ""Nord"""'},
    "quoted_line_break": {"agence": '"two\nlines"'},
    "accented": {"agence": "Orléans"},
}


def _row(index: int, kind: str, same_id: bool) -> str:
    fields = {"prescription": "10/01/2021", **ROW_KINDS[kind]}
    return ais_row(id_ais="A0" if same_id else f"A{index}", **fields)


@st.composite
def deliveries(draw) -> bytes:
    """A valid-looking delivery, then a few mutations of its text or bytes."""
    kinds = draw(st.lists(st.sampled_from(sorted(ROW_KINDS)), min_size=0, max_size=12))
    same_id = draw(st.lists(st.booleans(), min_size=len(kinds), max_size=len(kinds)))
    lines = [SI_PE_HEADER] + [
        _row(i, k, s) for i, (k, s) in enumerate(zip(kinds, same_id, strict=True))
    ]
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(lines) + draw(st.sampled_from(["", newline, newline * 3]))
    for _ in range(draw(st.integers(0, 4))):
        text = draw(TEXT_MUTATIONS)(draw, text)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    for _ in range(draw(st.integers(0, 2))):
        data = draw(BYTE_MUTATIONS)(draw, data)
    return data


def _at(draw, text: str) -> int:
    return draw(st.integers(0, len(text)))


def _insert(draw, text: str, piece: str) -> str:
    where = _at(draw, text)
    return text[:where] + piece + text[where:]


def _cut_line(draw, text):
    start = _at(draw, text)
    return text[:start] + text[start + draw(st.integers(1, 80)) :]


def _stray_quote(draw, text):
    return _insert(draw, text, draw(st.sampled_from(['"', '""', '"""', ';"', '";'])))


def _wrong_separator(draw, text):
    return text.replace(
        ";", draw(st.sampled_from([",", "\t", "|", ";;"])), draw(st.integers(1, 20))
    )


def _odd_characters(draw, text):
    piece = draw(st.sampled_from(["\x00", "\r", "\n", "\r\n", "\x1c", "\u2028", "\x85", "\ufeff"]))
    return _insert(draw, text, piece * draw(st.integers(1, 3)))


def _random_text(draw, text):
    return _insert(draw, text, draw(st.text(max_size=30)))


def _huge_field(draw, text):
    size = draw(st.sampled_from([FIELD_LIMIT - 1, FIELD_LIMIT + 1, 2 * FIELD_LIMIT]))
    return _insert(draw, text, draw(st.sampled_from(["x", '"x'])) + "x" * size)


def _blank_and_quoted_empty_lines(draw, text):
    return _insert(draw, text, draw(st.sampled_from(["\n\n", "\n   \n", '\n""\n', '\n" "\n'])))


TEXT_MUTATIONS = st.sampled_from([
    _cut_line, _stray_quote, _wrong_separator, _odd_characters, _random_text, _huge_field,
    _blank_and_quoted_empty_lines,
])  # fmt: skip


def _random_bytes(draw, data):
    where = draw(st.integers(0, len(data)))
    return data[:where] + draw(st.binary(min_size=1, max_size=8)) + data[where:]


def _windows_1252_bytes_in_utf8(draw, data):
    where = draw(st.integers(0, len(data)))
    return data[:where] + draw(st.sampled_from([b"\xe9", b"\x80", b"\x81", b"\xc3"])) + data[where:]


def _truncate(draw, data):
    return data[: draw(st.integers(0, len(data)))]


def _gzip(draw, data):
    packed = gzip.compress(data)
    return packed[: draw(st.sampled_from([len(packed), len(packed) // 2, 0]))]


BYTE_MUTATIONS = st.sampled_from([_random_bytes, _windows_1252_bytes_in_utf8, _truncate, _gzip])


def decode(data: bytes) -> str | None:
    """The contract's decoding (§3): BOM dropped, strict UTF-8, then strict Windows-1252."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    for encoding in ("utf-8", "cp1252"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


UNQUOTED_RUN = re.compile(r"[^;\r\n]+")  # in an unquoted field a quote is text
QUOTED_RUN = re.compile(r'[^"]+')
LINE_REST = re.compile(r"[^\r\n]*(\r\n|\r|\n)?")


def count_records(text: str) -> tuple[list[str] | None, int]:
    """(header fields, non-blank data records) of `text`, by RFC 4180 with `;`.

    Written from the contract, not from the reader: a record is blank when its text is
    only whitespace; a quote inside an unquoted field is text; a field longer than the
    reader's limit makes the rest of its physical line one unreadable record.
    """
    records: list[tuple[bool, list[str]]] = []  # (blank, fields)
    fields: list[str] = []
    field = ""
    raw_start, state, i, n = 0, "start", 0, len(text)
    while i < n:
        char = text[i]
        if state == "quoted":
            run = QUOTED_RUN.match(text, i)
            if run:
                field += run.group()
                i = run.end()
            else:
                state, i = "quote_in_quoted", i + 1
        elif char in "\r\n":
            i += 2 if text.startswith("\r\n", i) else 1
            records.append((not text[raw_start:i].strip(), [*fields, field]))
            fields, field, raw_start, state = [], "", i, "start"
        elif char == ";":
            fields, field, state, i = [*fields, field], "", "start", i + 1
        elif char == '"' and state == "start":
            state, i = "quoted", i + 1
        elif char == '"' and state == "quote_in_quoted":
            field, state, i = field + '"', "quoted", i + 1
        else:
            run = UNQUOTED_RUN.match(text, i)
            field, state, i = field + run.group(), "field", run.end()
        if len(field) > FIELD_LIMIT:
            # The reader gives up on the record; the rest of the physical line goes with it.
            overflow_at = i - (len(field) - FIELD_LIMIT)
            i = LINE_REST.match(text, overflow_at).end()
            records.append((False, []))
            fields, field, raw_start, state = [], "", i, "start"
    if raw_start < n:
        records.append((not text[raw_start:].strip(), [*fields, field]))
    non_blank = [row for blank, row in records if not blank]
    if not non_blank:
        return None, 0
    return non_blank[0], len(non_blank) - 1


def expected_structural(data: bytes, gz: bool) -> str | None:
    """Why the file must be a structural error, or None when it must load."""
    if gz:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return "gzip"
    if not data:
        return "empty"
    text = decode(data)
    if text is None:
        return "decoding"
    header, count = count_records(text)
    if header is None:
        return "no header"
    names = [name.strip().lower() for name in header]
    named = [name for name in names if name]
    if len(named) != len(set(named)) or set(SI_PE.required) - set(names):
        return "header"
    if count == 0:
        return "no data row"
    return None


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="otp-fuzz-") as folder:
        root = Path(folder)
        (root / "landing" / "si_pe").mkdir(parents=True)
        yield root


def _state(con) -> list[tuple]:
    return con.execute(
        "select source_file, sha256, rows_read, rows_loaded, rows_quarantined, rows_duplicates "
        "from raw.deliveries where source = 'si_pe' and mois = $m",
        {"m": MONTH},
    ).fetchall()


@FUZZ
@given(data=deliveries(), gz=st.booleans())
def test_any_delivery_ends_structural_or_fully_accounted(workdir, data, gz):
    folder = workdir / "landing" / "si_pe"
    for old in folder.iterdir():
        old.unlink()
    if gz and data[:2] != b"\x1f\x8b":
        data = gzip.compress(data)
    (folder / ("ais_2021-01.csv.gz" if gz else "ais_2021-01.csv")).write_bytes(data)
    expected = expected_structural(data, gz)
    with connect(workdir / "otp.duckdb") as con:
        con.execute("create schema if not exists raw")
        before = (
            _state(con)
            if con.execute(
                "select count(*) from information_schema.tables where table_schema = 'raw'"
            ).fetchone()[0]
            else []
        )
        try:
            report = load_month(con, SI_PE, workdir / "landing", MONTH, 100)[-1]
        except StructuralError as error:
            assert expected is not None, f"unexpected structural error: {error}"
            assert str(error).startswith(FILE_LABEL)
            assert _state(con) == before, "a structural error wrote nothing"
            return
        assert expected is None, f"should have failed ({expected})"
        _, records = count_records(decode(gzip.decompress(data) if gz else data))
        assert report.rows_read == records, "every non-blank record is read"
        assert report.rows_read == (
            report.rows_loaded + report.rows_quarantined + report.rows_duplicates
        )
        [(loaded,)] = con.execute(
            "select count(*) from raw.si_pe where mois = $m", {"m": MONTH}
        ).fetchall()
        [(quarantined,)] = con.execute(
            "select count(*) from raw.quarantine where source = 'si_pe' and mois = $m",
            {"m": MONTH},
        ).fetchall()
        assert (loaded, quarantined) == (report.rows_loaded, report.rows_quarantined)
        assert _state(con)[0][2:] == (
            report.rows_read,
            report.rows_loaded,
            report.rows_quarantined,
            report.rows_duplicates,
        )


@pytest.mark.parametrize(
    "line, records",
    [
        ("a;b\n1;2\n", 1), ("a;b\r1;2\r\r", 1), ('a;b\n"x\n;y";2\n', 1), ('a;b\n""\n  \n', 1),
        ("a;b\n\n1;2", 1), ('a;b\n1;"open\n2;3\n', 1), ('a;b\nx"y;2\n', 1),
    ],
)  # fmt: skip
def test_the_oracle_counts_records_as_the_contract_says(line, records):
    assert count_records(line)[1] == records
