"""Codes upper-cased with Unicode's simple one-to-one case mapping (contract §3, §8), and
the odd values §8 makes of code_rome and type_formation, through a real load."""

import shutil
import subprocess

import duckdb
import pytest
from feeds import IMILO_HEADER, SI_PE_HEADER, ais_row, imilo_row, query, write_file

from otp_pipeline.lib.ingestion.codes import simple_upper, upper_sql
from otp_pipeline.lib.ingestion.monthly_load import load_month
from otp_pipeline.lib.settings import IMILO, SI_PE
from otp_pipeline.lib.warehouse import connect

CODE_POINTS = [cp for cp in range(1, 0x110000) if not 0xD800 <= cp <= 0xDFFF]


def _unicode_simple_upper() -> dict[int, int]:
    """UnicodeData.txt's simple uppercase mapping, as Perl's Unicode::UCD gives it (the
    same Unicode 14 as Python 3.11): an independent source of the contract's rule."""
    perl = shutil.which("perl")
    assert perl, "perl (Debian's perl, with Unicode::UCD) gives the reference mapping"
    # The whole property at once as an inversion map (charinfo per code point took 3 to
    # 4 minutes). Format "a": a range's first code point maps to its value, each next one
    # to the value plus its offset in the range; 0 maps a code point to itself.
    script = (
        "use Unicode::UCD qw(prop_invmap);"
        ' my ($starts, $maps, $format, $default) = prop_invmap("Simple_Uppercase_Mapping");'
        ' die "unexpected format $format" unless $format eq "a" && $default eq "0";'
        " for my $i (0..$#$starts) { next if $maps->[$i] eq '0';"
        " my $end = $i < $#$starts ? $starts->[$i + 1] - 1 : 0x10FFFF;"
        " for my $cp ($starts->[$i]..$end) { next if $cp >= 0xD800 && $cp <= 0xDFFF;"
        ' printf "%X;%X\\n", $cp, $maps->[$i] + ($cp - $starts->[$i]) } }'
    )
    lines = subprocess.run([perl, "-e", script], capture_output=True, text=True, check=True)
    return {int(a, 16): int(b, 16) for a, b in (line.split(";") for line in lines.stdout.split())}


@pytest.fixture(scope="module")
def reference() -> dict[int, int]:
    return _unicode_simple_upper()


def test_simple_upper_is_unicodes_simple_mapping_on_every_code_point(reference):
    wrong = [hex(cp) for cp in CODE_POINTS if simple_upper(chr(cp)) != chr(reference.get(cp, cp))]
    assert wrong == []


def test_duckdb_upper_sql_is_unicodes_simple_mapping_on_every_code_point(reference):
    with duckdb.connect() as con:
        [(upper,)] = con.execute(
            f"select list_transform(?, lambda c: {upper_sql('c')})",
            [[chr(cp) for cp in CODE_POINTS]],
        ).fetchall()
    wrong = [hex(cp) for cp, got in zip(CODE_POINTS, upper, strict=True)
             if got != chr(reference.get(cp, cp))]  # fmt: skip
    assert wrong == []


def test_sharp_s_and_ypogegrammeni_keep_one_code_point():
    """Full mapping gives `SS` and `ἈΙ`; DuckDB's own upper gives `ẞ`; the simple one keeps
    `ß` and maps `ᾀ` to `ᾈ`; `ı` (dotless i) becomes `I`."""
    assert [simple_upper(text) for text in ("ß", "ᾀ", "ı1501", "pe", "Straße")] == [
        "ß", "ᾈ", "I1501", "PE", "STRAßE",
    ]  # fmt: skip
    with duckdb.connect() as con:
        [row] = con.execute(
            f"select {upper_sql('$a')}, {upper_sql('$b')}, {upper_sql('$c')}",
            {"a": "ß", "b": "straße", "c": None},
        ).fetchall()
    assert row == ("ß", "STRAßE", None)


def _load(landing, warehouse, feed, name, lines):
    write_file(landing / feed.name / name, lines)
    with connect(warehouse) as con:
        return load_month(con, feed, landing, "2021-01", 100)[-1]


def test_invalid_prescriber_values_are_listed_upper_cased_by_the_simple_mapping(landing, warehouse):
    """§3: the manifest lists each invalid type_prescripteur trimmed and upper-cased; `ß`
    has no simple upper case: listed as `STRAßE`, not `STRASSE` nor `STRAẞE`."""
    lines = [SI_PE_HEADER, ais_row(id_ais="A1", prescripteur=" straße ", prescription="10/01/2021")]
    report = _load(landing, warehouse, SI_PE, "ais_2021-01.csv", lines)
    assert report.invalid_type_prescripteur == {"STRAßE": 1}
    assert query(warehouse, "select type_prescripteur from raw.si_pe") == [("STRAßE",)]


def test_code_rome_and_type_formation_odd_values_follow_section_8(landing, warehouse):
    """§8: `j1501` and ` ı1304 ` are read (upper-cased: J1501, I1304); `J15`, `Z1234`,
    `J 1501` are NON_RENSEIGNE and odd; an empty value is not odd; `qualifiante` is read,
    `CERTIFIANTE` is odd. No row is quarantined for any of them."""
    forms = [("j1501", "qualifiante"), (" ı1304 ", " Pre_qualifiante "), ("J15", "AUTRE"),
             ("Z1234", "CERTIFIANTE"), ("J 1501", ""), ("", "QUALIFIANTE")]  # fmt: skip
    lines = [SI_PE_HEADER] + [
        ais_row(id_ais=f"A{n}", rome=rome, type_formation=kind, prescription="10/01/2021")
        for n, (rome, kind) in enumerate(forms, start=1)
    ]
    report = _load(landing, warehouse, SI_PE, "ais_2021-01.csv", lines)
    assert (report.rows_loaded, report.rows_quarantined) == (6, 0)
    assert (report.odd_values["code_rome"], report.odd_values["type_formation"]) == (3, 1)
    assert query(warehouse, "select code_rome, type_formation from raw.si_pe order by id_ais") == [
        ("J1501", "QUALIFIANTE"), ("I1304", "PRE_QUALIFIANTE"), ("J15", "AUTRE"),
        ("Z1234", "CERTIFIANTE"), ("J 1501", None), (None, "QUALIFIANTE"),
    ]  # fmt: skip


def test_imilo_code_rome_is_upper_cased_and_checked_alike(landing, warehouse):
    lines = [IMILO_HEADER] + [
        imilo_row(id_prescription=f"M{n}", rome=rome, prescription="2021-01-10")
        for n, rome in enumerate(("n1103", "Z1234", "J１501"), start=1)
    ]
    report = _load(landing, warehouse, IMILO, "imilo_2021-01.csv", lines)
    assert report.rows_quarantined == 0 and report.odd_values["code_rome"] == 2
    assert query(warehouse, "select code_rome from raw.imilo order by id_prescription") == [
        ("N1103",), ("Z1234",), ("J１501",),
    ]  # fmt: skip
