"""`otp-pipeline status`'s facts on hand-made landing and published folders: what makes a
published month stale (objectives, the sectors file), what is pending, the deadlines and the
exit code. Real runs: tests/ops/test_operator_terminal.py."""

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from feeds import IMILO_HEADER, OBJECTIVES_HEADER, SI_PE_HEADER, ais_row, imilo_row, write_file

from otp_pipeline.lib.ingestion.decoding import sha256_of
from otp_pipeline.lib.operations import exit_codes
from otp_pipeline.lib.operations.status import collect

PARIS = ZoneInfo("Europe/Paris")
# 2021-01 was due 2021-02-10 09:00 Paris, 2021-02 is due 2021-03-10 09:00.
AFTER_JANUARY_DEADLINE = datetime(2021, 2, 20, 12, 0, tzinfo=PARIS)
SECTORS_HEADER = "code_region;code_secteur;libelle_secteur;prefixe_rome"


def _land(landing: Path, month: str, sources=("si_pe", "imilo")) -> None:
    if "si_pe" in sources:
        write_file(landing / "si_pe" / f"ais_{month}.csv", [SI_PE_HEADER, ais_row()])
    if "imilo" in sources:
        write_file(landing / "imilo" / f"imilo_{month}.csv", [IMILO_HEADER, imilo_row()])


def _objectives(landing: Path, objective: int = 12) -> Path:
    return write_file(landing / "objectifs" / "objectifs_otp.csv",
                      [OBJECTIVES_HEADER, f"11;2021-01;2021-12;{objective};1;6;6"])  # fmt: skip


def _publish(publish: Path, landing: Path, month: str, produced_at: str, **extra) -> None:
    """A month folder whose manifest lists the landing folder's files up to `month` as they
    are now (a manifest lists every source-month from 2021-01 to its month)."""
    sources = [
        {"source": source, "mois": path.stem.split("_")[1], "file": path.name,
         "sha256": sha256_of(path)}
        for source in ("si_pe", "imilo") for path in sorted((landing / source).glob("*.csv"))
        if path.stem.split("_")[1] <= month
    ]  # fmt: skip
    objectives = landing / "objectifs" / "objectifs_otp.csv"
    manifest = {
        "mois": month, "produced_at": produced_at, "fichiers_sources": sources,
        "fichier_objectifs": {"file": objectives.name, "sha256": sha256_of(objectives)},
        **extra,
    }  # fmt: skip
    (publish / month).mkdir(parents=True)
    (publish / month / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _status(landing, tmp_path, now=AFTER_JANUARY_DEADLINE):
    return collect(landing, tmp_path / "published", tmp_path / "warehouse" / "otp.duckdb", now)


def test_a_month_published_from_the_files_that_land_now_is_fresh_and_on_time(landing, tmp_path):
    _land(landing, "2021-01")
    _objectives(landing)
    _publish(tmp_path / "published", landing, "2021-01", "2021-02-05T06:00:00Z")
    report = _status(landing, tmp_path)
    [january] = report.months
    assert january.stale_because == []
    assert january.deadline["state"] == "in_time"
    assert report.last_deadline_due["month"] == "2021-01"
    assert (report.next_deadline["month"], report.next_deadline["state"]) == ("2021-02", "open")
    assert report.warehouse["state"] == "absent" and january.loaded is None
    assert report.pending_runs == []
    assert report.exit_code == exit_codes.OK


def test_new_objectives_make_every_published_month_stale(landing, tmp_path):
    for month in ("2021-01", "2021-02"):
        _land(landing, month)
    _objectives(landing)
    for month in ("2021-01", "2021-02"):
        _publish(tmp_path / "published", landing, month, "2021-02-05T06:00:00Z")
    _objectives(landing, objective=13)
    report = _status(landing, tmp_path)
    why = "objectives: published from objectifs_otp.csv, now objectifs_otp.csv (SHA-256)"
    assert [month.stale_because for month in report.months] == [[why], [why]]
    assert report.pending_runs == [("2021-01", "2021-02")]  # one range run
    assert report.exit_code == exit_codes.STALE


def test_the_sectors_file_is_judged_only_when_the_manifest_names_it(landing, tmp_path):
    _land(landing, "2021-01")
    _objectives(landing)
    sectors = write_file(landing / "objectifs" / "secteurs_avenir.csv",
                         [SECTORS_HEADER, "*;NUM;Numérique;M18"])  # fmt: skip
    published = tmp_path / "published"
    _publish(published, landing, "2021-01", "2021-02-05T06:00:00Z")  # no "secteurs_avenir"
    assert _status(landing, tmp_path).months[0].stale_because == []

    used = {"file": sectors.name, "sha256": sha256_of(sectors), "rows": 1}
    for recorded, expected in (
        (None, ["sectors: published with no sectors file, now secteurs_avenir.csv"]),
        (used, []),
    ):
        manifest = json.loads((published / "2021-01" / "manifest.json").read_text())
        manifest["secteurs_avenir"] = recorded
        (published / "2021-01" / "manifest.json").write_text(json.dumps(manifest))
        assert _status(landing, tmp_path).months[0].stale_because == expected
    sectors.unlink()
    assert _status(landing, tmp_path).months[0].stale_because == [
        "sectors: published with secteurs_avenir.csv, now no sectors file"
    ]


def test_a_delivery_for_an_earlier_month_since_the_publication_makes_it_stale(landing, tmp_path):
    _land(landing, "2021-02")
    _objectives(landing)
    _publish(tmp_path / "published", landing, "2021-02", "2021-03-05T06:00:00Z")
    _land(landing, "2021-01")
    report = _status(landing, tmp_path)
    assert report.months[1].stale_because == [
        "imilo 2021-01: imilo_2021-01.csv landed after the publication",
        "si_pe 2021-01: ais_2021-01.csv landed after the publication",
    ]
    # January is new (a run alone), and February, stale, is a range of itself.
    assert report.pending_runs == [("2021-01", "2021-01"), ("2021-02", "2021-02")]


def test_pending_months_wait_for_both_sources(landing, tmp_path):
    _land(landing, "2021-01")
    _land(landing, "2021-02", sources=("si_pe",))
    _land(landing, "2021-03")
    _objectives(landing)
    report = _status(landing, tmp_path, now=datetime(2021, 1, 20, tzinfo=PARIS))
    assert report.months[1].landed == {"si_pe": {"file": "ais_2021-02.csv", "revision": 1},
                                       "imilo": None}  # fmt: skip
    assert report.pending_runs == [("2021-01", "2021-01"), ("2021-03", "2021-03")]
    assert report.last_deadline_due is None  # no deadline passed yet
    assert report.exit_code == exit_codes.OK


def test_the_last_deadline_due_missed_gives_exit_7(landing, tmp_path):
    _land(landing, "2021-01")
    _objectives(landing)
    report = _status(landing, tmp_path)
    assert report.months[0].deadline["state"] == "missed"
    assert report.last_deadline_due["state"] == "missed"
    assert report.exit_code == exit_codes.DEADLINE_MISSED
