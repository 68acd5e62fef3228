"""Contract §6 end to end: each structural error fails the month's real Dagster run with a
message naming the file and the problem, leaves the month's previous publication byte for
byte, and a corrected delivery then publishes.

Cheapest real way: one good month is published once (session fixture `published_month`, ~30 s); each bad
case then runs the *whole* `otp_monthly` job again. A failed ingestion step makes Dagster
skip dbt and publication, so a bad case costs only the ingestion steps (a few seconds) and
proves on the real job graph that nothing downstream runs.
"""

import json

import pytest
from feeds import SI_PE_HEADER, ais_row, query, write_file
from reliability_helpers import (
    MONTH,
    OBJECTIVES,
    ais_lines,
    fingerprint,
    imilo_lines,
    run_month,
    write_good_landing,
)

from otp_pipeline.lib.publication.tables import TABLES


def _ais_path(root):
    return root / "landing" / "si_pe" / f"ais_{MONTH}.csv"


def _header_without_id_individu(root):
    lines = ais_lines()
    write_file(_ais_path(root), [lines[0].replace("id_individu;", ""), *lines[1:]])


def _undecodable_bytes(root):
    _ais_path(root).write_bytes(_ais_path(root).read_bytes() + b"\x81\x8d\n")


def _not_gzip(root):
    _ais_path(root).unlink()
    (root / "landing" / "si_pe" / f"ais_{MONTH}.csv.gz").write_bytes(b"plain text, not gzip")


def _empty(root):
    _ais_path(root).write_bytes(b"")


def _header_only(root):
    write_file(_ais_path(root), [SI_PE_HEADER])


def _no_imilo_delivery(root):
    (root / "landing" / "imilo" / f"imilo_{MONTH}.csv").unlink()


def _too_many_quarantined(root):
    write_file(_ais_path(root), ais_lines(rows=40, bad=3))  # 3 of 40: 7.5 %


def _imilo_just_above_limit(root):
    write_file(root / "landing" / "imilo" / f"imilo_{MONTH}.csv", imilo_lines(rows=19, bad=1))


def _no_objectives(root):
    (root / "landing" / "objectifs" / "objectifs_otp.csv").unlink()


def _overlapping_objectives(root):
    write_file(root / "landing" / "objectifs" / "objectifs_otp.csv",
               [*OBJECTIVES, "11;2021-06;2022-06;10;1;5;4"])  # fmt: skip


def _revision_both_plain_and_gzip(root):
    write_file(root / "landing" / "si_pe" / f"ais_{MONTH}_r2.csv", ais_lines())
    write_file(root / "landing" / "si_pe" / f"ais_{MONTH}_r2.csv.gz", ais_lines(), gz=True)


CASES = {
    "missing_column": (_header_without_id_individu, "raw__si_pe", f"ais_{MONTH}.csv, line 1: missing required column(s): id_individu"),
    "undecodable_bytes": (_undecodable_bytes, "raw__si_pe", f"ais_{MONTH}.csv: cannot be decoded as UTF-8 nor Windows-1252"),
    "not_gzip": (_not_gzip, "raw__si_pe", f"ais_{MONTH}.csv.gz: cannot be decompressed as gzip"),
    "empty_file": (_empty, "raw__si_pe", f"ais_{MONTH}.csv: empty file (0 bytes)"),
    "header_only": (_header_only, "raw__si_pe", f"ais_{MONTH}.csv: no data row (header only)"),
    "no_delivery": (_no_imilo_delivery, "raw__imilo", f"no delivery of source imilo for month {MONTH}"),
    "over_5_percent_quarantined": (_too_many_quarantined, "raw__si_pe", f"ais_{MONTH}.csv: 3 of 40 data rows quarantined (7.50 %)"),
    "5_26_percent_quarantined": (_imilo_just_above_limit, "raw__imilo", f"imilo_{MONTH}.csv: 1 of 19 data rows quarantined"),
    "missing_objectives": (_no_objectives, "raw__objectifs_otp", "objectifs/objectifs_otp.csv: objectives file missing"),
    "overlapping_objectives": (_overlapping_objectives, "raw__objectifs_otp", "objectifs_otp.csv"),
    "same_revision_twice": (_revision_both_plain_and_gzip, "raw__si_pe", f"two files for month {MONTH} revision 2"),
}  # fmt: skip


def _failure_message(result, step: str) -> str:
    [failure] = [e for e in result.all_events if e.is_step_failure and e.step_key == step]
    return failure.event_specific_data.error.to_string()


@pytest.mark.parametrize("case", sorted(CASES))
def test_structural_error_fails_the_month_and_keeps_the_publication(published_month, case):
    root, instance = published_month
    breaks, step, message = CASES[case]
    before = fingerprint(root / "published")
    write_good_landing(root / "landing")
    breaks(root)
    result = run_month(root, instance)
    assert not result.success
    assert message in _failure_message(result, step)
    if case == "overlapping_objectives":
        assert "overlap" in _failure_message(result, step)
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert not {"otp_dbt_models", "publication"} & started, "nothing downstream ran"
    assert fingerprint(root / "published") == before, "the published month did not change"


def test_corrected_delivery_publishes_and_every_row_is_accounted(published_month):
    root, instance = published_month
    write_good_landing(root / "landing")
    lines = ais_lines()
    write_file(root / "landing" / "si_pe" / f"ais_{MONTH}_r2.csv",
               [*lines, ais_row(id_ais="AIS-NEW", prescription="11/01/2021")])  # fmt: skip
    before = fingerprint(root / "published" / MONTH)
    assert run_month(root, instance).success
    assert fingerprint(root / "published" / MONTH) != before
    [vintage] = (root / "published" / "_vintages" / MONTH).iterdir()
    assert fingerprint(vintage) == before, "the replaced publication is kept whole"
    manifest = json.loads((root / "published" / MONTH / "manifest.json").read_text("utf-8"))
    files = {entry["file"]: entry for entry in manifest["fichiers_sources"]}
    assert sorted(files) == [f"ais_{MONTH}_r2.csv", f"imilo_{MONTH}.csv"]
    warehouse = root / "warehouse" / "otp.duckdb"
    for name, entry in files.items():
        assert entry["rows_read"] == (
            entry["rows_loaded"] + entry["rows_quarantined"] + entry["rows_duplicates"]
        )
        reasons = dict(query(warehouse, "select reason, count(*) from raw.quarantine "
                                        "where source_file = $f group by 1", {"f": name}))  # fmt: skip
        assert reasons == entry["quarantine_reasons"]
        assert sum(reasons.values()) == entry["rows_quarantined"]
    assert (
        files[f"ais_{MONTH}_r2.csv"]["rows_read"],
        files[f"ais_{MONTH}_r2.csv"]["rows_duplicates"],
    ) == (41, 1)
    assert files[f"ais_{MONTH}_r2.csv"]["quarantine_reasons"] == {"DATE_INVALIDE:date_naissance": 1}
    assert files[f"imilo_{MONTH}.csv"]["quarantine_reasons"] == {"DEPARTEMENT_INCONNU": 1}
    # Where to find and fix each row, never its birth date: the bad date's value is not kept.
    assert query(warehouse, "select record_id, fault_column, fault_value from raw.quarantine "
                            "where reason like 'DATE_INVALIDE%'") == [
        ("AIS-BAD-0", "date_naissance", None)]  # fmt: skip
    # What changed (contract §7), by hand: AIS-NEW is one more PE prescription of an
    # under-26 in region 11 (75), like AIS-000, -003, … -036 (13): one row of each table
    # moves (region 11's counts, its PE indicator 13 -> 14), none is added or removed; no
    # sectors file, so its row of prescriptions_secteurs_avenir (HORS_LISTE) moves too.
    changes = manifest["changes"]
    assert (
        changes["previous_produced_at"]
        == json.loads((vintage / "manifest.json").read_text("utf-8"))["produced_at"]
    )
    moved = {"rows_added": 0, "rows_removed": 0, "rows_changed": 1}
    assert changes["tables"] == dict.fromkeys(TABLES, moved)
    report = (root / "published" / MONTH / "rapport.html").read_text("utf-8")
    assert f"SI Pôle emploi, {MONTH} : ais_{MONTH}.csv → ais_{MONTH}_r2.csv (révision 2)" in report
    assert (
        '<tr><td>11 — Île-de-France</td><td>Prescriptions PE &lt; 30 ans</td><td class="n">13</td>'
        '<td class="n">14</td></tr>'
    ) in report
