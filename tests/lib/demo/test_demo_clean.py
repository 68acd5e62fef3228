"""The demo generator's clean mode (`--clean`): what the benchmark baseline reads.

Plain UTF-8 files, every record a loaded row (no row error, duplicate, blank line or
revision), and otherwise the same realistic content as the default mode. Files are read
back here with the standard library only.
"""

import csv
import io
from collections import Counter

import pytest

from otp_pipeline.cli import main
from otp_pipeline.lib.demo.landing import generate_landing
from otp_pipeline.lib.settings import ENTRY_STATUTS, FEEDS, REASON_CONFLICTING_ID

MONTHS = ["2021-01", "2021-02", "2021-03"]
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean") / "landing"
    return out, generate_landing(out, MONTHS, scale=0.02, seed=7, clean=True)


def _records(data: bytes) -> tuple[list[str], list[list[str]]]:
    """Header (trimmed, lower case) and every record after it, blank lines included."""
    records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=";"))
    return [name.strip().lower() for name in records[0]], records[1:]


def test_every_file_is_plain_utf8_one_delivery_a_month(clean):
    out, summary = clean
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == sorted(
        [f"si_pe/ais_{m}.csv" for m in MONTHS] + [f"imilo/imilo_{m}.csv" for m in MONTHS]
        + ["objectifs/objectifs_otp.csv", "objectifs/secteurs_avenir.csv"]
    )  # fmt: skip
    for name in names:
        data = (out / name).read_bytes()
        assert not data.startswith(BOM), name
        data.decode("utf-8")  # strict
    assert {(f["encoding"], f["gzip"], f["revision"]) for f in summary["files"]} == {
        ("utf-8", False, 1)
    }


def test_every_record_is_a_row_the_pipeline_loads(clean):
    """No row error, duplicate or blank line: the summary says so and so do the bytes."""
    out, summary = clean
    assert summary["row_errors"] == {}
    for file in summary["files"]:
        assert (file["quarantined"], file["duplicates"]) == ({}, 0), file["file"]
        assert file["loaded"] == file["rows"]
        header, records = _records((out / file["file"]).read_bytes())
        assert len(records) == file["rows"], file["file"]
        assert all(len(record) == len(header) for record in records), file["file"]
        feed = FEEDS[file["source"]]
        ids = Counter(record[header.index(feed.id_column)].strip() for record in records)
        assert ids.most_common(1)[0][1] == 1, file["file"]


def test_clean_data_keeps_the_realistic_content(clean):
    """Matched pairs, unfilled prescribers, odd training codes, the valid edge cases."""
    out, summary = clean
    assert sum(f.get("numero_ais_matched", 0) for f in summary["files"]) > 0
    assert sum(f["odd_values"]["code_rome"] for f in summary["files"]) > 0
    text = "".join((out / f["file"]).read_text(encoding="utf-8") for f in summary["files"])
    assert '"Rappel :\nprévoir un entretien"' in text and "\u00a0" in text
    header, records = _records((out / "si_pe" / "ais_2021-01.csv").read_bytes())
    rows = [dict(zip(header, (v.strip() for v in r), strict=True)) for r in records]
    assert any(r["type_prescripteur"] == "" for r in rows)
    assert any(r["statut"].upper() in ENTRY_STATUTS and not r["date_entree"] for r in rows)
    assert len({r["code_departement"].upper().zfill(2) for r in rows}) > 50


def test_clean_mode_writes_one_row_per_prescription_of_the_default_mode(tmp_path):
    """As many prescriptions: the default mode's extra records are its duplicates and the
    second row of each conflicting id."""
    default = generate_landing(tmp_path / "default", MONTHS[:1], scale=0.01, seed=7)
    clean = generate_landing(tmp_path / "clean", MONTHS[:1], scale=0.01, seed=7, clean=True)
    for before, after in zip(default["files"], clean["files"], strict=True):
        conflicting = before["quarantined"].get(REASON_CONFLICTING_ID, 0) // 2
        assert before["rows"] - before["duplicates"] - conflicting == after["rows"]


def test_cli_demo_data_clean(tmp_path, capsys):
    args = ["demo-data", "--out", str(tmp_path), "--months", "2021-02", "--scale", "0.005"]
    assert main([*args, "--clean"]) == 0
    assert "clean" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "si_pe").iterdir()) == ["ais_2021-02.csv"]
    assert sorted(p.name for p in (tmp_path / "imilo").iterdir()) == ["imilo_2021-02.csv"]
