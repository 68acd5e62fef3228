"""Contract §2: which file wins for a month, what is ignored, what is a structural error."""

import logging
import os

import pytest
from feeds import SI_PE_HEADER, ais_row, query, write_file

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.landing import scan_feed_folder, winning_delivery
from otp_pipeline.lib.ingestion.monthly_load import load_month
from otp_pipeline.lib.settings import SI_PE
from otp_pipeline.lib.warehouse import connect


def _load(landing, warehouse, month="2021-01"):
    with connect(warehouse) as con:
        return load_month(con, SI_PE, landing, month, 5)


def _ais(landing, name, ids, month_day="10/01/2021", **kwargs):
    rows = [ais_row(id_ais=i, prescription=month_day) for i in ids]
    return write_file(landing / "si_pe" / name, [SI_PE_HEADER, *rows], **kwargs)


def test_highest_revision_wins_and_revisions_compare_as_numbers(landing):
    for name in ("ais_2021-01.csv", "ais_2021-01_r2.csv", "ais_2021-01_r9.csv",
                 "ais_2021-01_r10.csv"):  # fmt: skip
        _ais(landing, name, ["A1"])
    winner = winning_delivery(scan_feed_folder(landing, SI_PE), SI_PE, "2021-01")
    assert (winner.name, winner.revision) == ("ais_2021-01_r10.csv", 10)


def test_unsuffixed_file_is_revision_one(landing):
    _ais(landing, "ais_2021-01.csv", ["A1"])
    assert winning_delivery(scan_feed_folder(landing, SI_PE), SI_PE, "2021-01").revision == 1


def test_gzip_delivery_is_read(landing, warehouse):
    _ais(landing, "ais_2021-01.csv.gz", ["A1", "A2"], gz=True)
    [report] = _load(landing, warehouse)
    assert (report.file, report.rows_loaded) == ("ais_2021-01.csv.gz", 2)


def test_same_month_and_revision_twice_is_structural(landing, warehouse):
    _ais(landing, "ais_2021-01_r2.csv", ["A1"])
    _ais(landing, "ais_2021-01_r2.csv.gz", ["A1"], gz=True)
    with pytest.raises(StructuralError, match="two files for month 2021-01 revision 2"):
        _load(landing, warehouse)


def test_no_delivery_for_the_month_is_structural(landing, warehouse):
    with pytest.raises(StructuralError, match="no delivery of source si_pe for month 2021-01"):
        _load(landing, warehouse, "2021-01")


def test_stray_entries_are_ignored_and_logged(landing, warehouse, caplog):
    _ais(landing, "ais_2021-01.csv", ["A1"], month_day="10/01/2021")
    stray = ["AIS_2021-01.csv", "ais_2021-01_r1.csv", "ais_2021-01_r02.csv", "ais_2021-1.csv",
             "ais_2021-01.csv.bak", "notes.txt", "ais_2021-13.csv"]  # fmt: skip
    for name in stray:
        _ais(landing, name, ["X9"], month_day="10/01/2021")
    (landing / "si_pe" / "ais_2021-01_r3.csv").mkdir()  # a folder with a winning name
    os.symlink(landing / "si_pe" / "ais_2021-01.csv", landing / "si_pe" / "ais_2021-01_r4.csv")
    with caplog.at_level(logging.WARNING):
        [report] = _load(landing, warehouse, "2021-01")
    assert report.file == "ais_2021-01.csv"
    logged = " ".join(record.getMessage() for record in caplog.records)
    for name in [*stray, "ais_2021-01_r3.csv", "ais_2021-01_r4.csv"]:
        assert name in logged


def test_broken_winning_revision_fails_the_month(landing, warehouse):
    _ais(landing, "ais_2021-01.csv", ["A1"])
    write_file(landing / "si_pe" / "ais_2021-01_r2.csv", ["id_ais;statut"])
    with pytest.raises(StructuralError, match="ais_2021-01_r2.csv.*missing required column"):
        _load(landing, warehouse)


def test_revision_replaces_the_month_and_rerun_leaves_one_copy(landing, warehouse):
    _ais(landing, "ais_2021-01.csv", ["A1", "A2", "A3"])
    _load(landing, warehouse)
    _load(landing, warehouse)
    assert query(warehouse, "select count(*) from raw.si_pe")[0][0] == 3
    _ais(landing, "ais_2021-01_r2.csv", ["A1", "A2"])
    _load(landing, warehouse)
    rows = query(warehouse, "select id_ais, source_file, revision from raw.si_pe order by 1")
    assert rows == [("A1", "ais_2021-01_r2.csv", 2), ("A2", "ais_2021-01_r2.csv", 2)]
    assert query(warehouse, "select count(*) from raw.deliveries")[0][0] == 1


def test_earlier_month_not_loaded_is_loaded_first(landing, warehouse):
    _ais(landing, "ais_2021-01.csv", ["J1"], month_day="05/01/2021")
    _ais(landing, "ais_2021-02.csv", ["F1"], month_day="05/02/2021")
    reports = _load(landing, warehouse, "2021-02")
    assert [r.month for r in reports] == ["2021-01", "2021-02"]
    # A revision of January arrives: the run of February reloads January first.
    _ais(landing, "ais_2021-01_r2.csv", ["J1", "J2"], month_day="05/01/2021")
    reports = _load(landing, warehouse, "2021-02")
    assert [(r.month, r.file) for r in reports] == [
        ("2021-01", "ais_2021-01_r2.csv"), ("2021-02", "ais_2021-02.csv"),
    ]  # fmt: skip
    assert query(warehouse, "select count(*) from raw.si_pe where mois = '2021-01'") == [(2,)]
    # Up to date: only the run's own month is loaded again.
    assert [r.month for r in _load(landing, warehouse, "2021-02")] == ["2021-02"]


def test_broken_earlier_month_fails_the_run_naming_it(landing, warehouse):
    write_file(landing / "si_pe" / "ais_2021-01.csv", [SI_PE_HEADER])
    _ais(landing, "ais_2021-02.csv", ["F1"], month_day="05/02/2021")
    with pytest.raises(StructuralError, match="ais_2021-01.csv.*month 2021-01 is needed"):
        _load(landing, warehouse, "2021-02")


def test_names_with_non_ascii_digits_or_a_trailing_newline_are_not_deliveries(landing):
    _ais(landing, "ais_2021-01_r9.csv", ["A1"])
    _ais(landing, "ais_2021-01_r1\u0660.csv", ["A2"])  # Arabic-Indic zero: not "_r10"
    _ais(landing, "ais_2021-01.csv\n", ["A3"])
    _ais(landing, "ais_\u0662\u0660\u0662\u0661-01.csv", ["A4"])
    scan = scan_feed_folder(landing, SI_PE)
    assert winning_delivery(scan, SI_PE, "2021-01").name == "ais_2021-01_r9.csv"
    assert len(scan.ignored) == 3 and list(scan.deliveries) == ["2021-01"]
