"""What an operator sees at the terminal (issue 24), on real runs of two small months:
`otp-pipeline run` piped (plain lines, summary, log file), `otp-pipeline status` before and
after a revision lands, `run --pending` in a real pseudo-terminal (the live display, read
off the screen with pyte), a structural error's one line and exit code, and a run that
waits for another's warehouse lock.

Each month (tests/ops/terminal_session.py): 20 AIS rows, 1 quarantined (unknown department),
18 in Paris with prescriber PE and 1 in Bouches-du-Rhône with none, so region 93 has a fill
rate of 0/1 (A_EXAMINER) and region 11 18/18; 1 I-Milo row in Paris.
"""

import json
import re
from pathlib import Path

import pytest
from terminal_session import (
    command,
    environment,
    in_terminal,
    start,
    wait_for,
    write_month,
    write_objectives,
)

from otp_pipeline.lib.operations import exit_codes
from otp_pipeline.lib.warehouse import warehouse_lock

MONTHS = ("2021-01", "2021-02")
BEFORE_FIRST_DEADLINE = "2021-02-01T00:00+01:00"  # no deadline due yet
AFTER_FIRST_DEADLINE = "2021-02-15T00:00+01:00"  # 2021-01 was due 2021-02-10 09:00 Paris
PLAIN_LINE = re.compile(r"\[ *[0-9]+\.[0-9] s\] \S.*")
ESCAPE = "\x1b"
# The dbt nodes a run builds: 17 models (4 staging, 5 intermediate, 2 facts, 6 marts) and 3
# seeds.
DBT_NODES = 20


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """The whole session, in order; each step's outcome, for the tests to read."""
    root = tmp_path_factory.mktemp("terminal")
    landing = root / "landing"
    for month in MONTHS:
        write_month(landing, month)
    write_objectives(landing)
    env = environment(root)
    steps = {"root": root, "env": env}
    steps["run"] = command(env, "run", "--months", f"{MONTHS[0]}:{MONTHS[1]}")
    steps["status"] = command(env, "status", "--json", "--now", BEFORE_FIRST_DEADLINE)
    steps["status_late"] = command(env, "status", "--json", "--now", AFTER_FIRST_DEADLINE)
    steps["status_table"] = command(env, "status", "--now", BEFORE_FIRST_DEADLINE)
    # A revision of January lands, without the bad row: both months are stale.
    write_month(landing, MONTHS[0], revision=2, bad_row=False)
    steps["status_revised"] = command(env, "status", "--json", "--now", BEFORE_FIRST_DEADLINE)
    steps["pending"] = in_terminal(env, "run", "--pending")
    steps["status_after"] = command(env, "status", "--json", "--now", BEFORE_FIRST_DEADLINE)
    # March lands broken: its AIS file lacks the required column `statut`.
    broken = landing / "si_pe" / "ais_2021-03.csv"
    write_month(landing, "2021-03")
    lines = broken.read_text(encoding="utf-8").splitlines()
    broken.write_text("\n".join(";".join(line.split(";")[:9]) for line in lines) + "\n")
    warehouse = root / "warehouse" / "otp.duckdb"
    with warehouse_lock(warehouse):  # another run holds the warehouse
        steps["no_wait"] = command(env, "run", "--months", "2021-03", "--no-wait")
        steps["status_busy"] = command(env, "status", "--json", "--now", BEFORE_FIRST_DEADLINE)
        out = root / "waiting.out"
        waiting = start(env, out, "run", "--months", "2021-03")
        wait_for(waiting, out, "waiting for the warehouse")
    steps["waiting"] = (waiting.wait(timeout=600), out.read_text("utf-8"),
                        (root / "waiting.out.err").read_text("utf-8"))  # fmt: skip
    # March again, readable, but one AIS id was delivered in February's file already: the
    # key (source, id) of fct_prescriptions is no longer unique, a blocking check.
    write_month(landing, "2021-03", bad_row=False)
    text = broken.read_text(encoding="utf-8").replace("A2021-03-0;", "A2021-02-0;")
    broken.write_text(text, encoding="utf-8")
    steps["blocking"] = command(env, "run", "--months", "2021-03")
    return steps


def _json(done) -> dict:
    return json.loads(done.stdout)


def test_run_piped_prints_one_plain_line_per_step_and_no_control_character(session):
    done = session["run"]
    assert done.returncode == exit_codes.OK, done.stdout[-3000:] + done.stderr[-3000:]
    assert ESCAPE not in done.stdout and "\r" not in done.stdout
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0] == "run 2021-01..2021-02 started (2 month(s))"
    steps = [line for line in lines if PLAIN_LINE.fullmatch(line)]
    text = "\n".join(steps)
    for month in MONTHS:
        # 20 rows read, 1 quarantined (the unknown department), no duplicate.
        assert f"ingestion raw/si_pe {month}: 20 rows read, 1 quarantined, 0 duplicates" in text
        assert f"ingestion raw/imilo {month}: 1 rows read, 0 quarantined, 0 duplicates" in text
        assert f"publication {month}: {session['root'] / 'published' / month}" in text
    assert f"dbt {DBT_NODES}/{DBT_NODES} " in text and f"dbt {DBT_NODES + 1}/" not in text
    assert steps[-1].endswith("run 2021-01..2021-02 succeeded in " + steps[-1].split(" in ")[-1])
    assert not [line for line in lines if "Warning" in line or "DEBUG" in line]


def test_run_summary_gives_each_month_folder_rows_checks_quarantine_regions_and_report(session):
    root, lines = session["root"], session["run"].stdout.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("Summary of the run")))
    assert lines[start].startswith("Summary of the run 2021-01..2021-02 (")
    assert "42 rows read)" in lines[start]  # 2 months x (20 AIS + 1 I-Milo)
    warned = {re.search(r"check (\S+) on", line).group(1) for line in lines
              if line.endswith(": warned")}  # fmt: skip
    # The fill rate of region 93 (0 of 1) is below 0.90: the prescriber check warns.
    assert warned == {"gx_si_pe_prescripteur"}
    for month in MONTHS:
        folder = root / "published" / month
        at = lines.index(next(line for line in lines if line.startswith(f"{month}  published")))
        block = lines[at : at + 6]
        assert block[0].startswith(f"{month}  published {folder} (produced_at ")
        # qualite_prescripteur: a row per region with a prescription (11 and 93).
        assert "qualite_prescripteur 2," in block[1]
        assert block[2].endswith(" failed") and ", 0 failed" in block[2]
        names = block[2].split(" warned")[1].split(", 0 failed")[0].strip(" ()")
        assert set(names.split(", ")) == warned  # a range run: the same checks each month
        assert block[3] == "  quarantined: 1 rows (DEPARTEMENT_INCONNU 1)"
        assert block[4] == "  A_EXAMINER:  93 Provence-Alpes-Côte d'Azur"
        assert block[5] == f"  report:      {folder / 'rapport.html'}"


def test_run_log_file_holds_the_dagster_event_stream_and_dbt_log_without_colours(session):
    lines = session["run"].stdout.splitlines()
    [log_line] = [line for line in lines if line.startswith("Full log: ")]
    log = session["root"] / "dagster_home" / "logs"
    path = log_line.removeprefix("Full log: ")
    assert path.startswith(str(log))
    text = Path(path).read_text(encoding="utf-8")
    assert "RUN_SUCCESS" in text and "STEP_START" in text  # Dagster's stream
    assert "OK created sql" in text  # dbt's own log
    assert ESCAPE not in text
    assert "BetaWarning" not in text


def test_status_json_before_a_revision_says_what_landed_loaded_and_was_published(session):
    done = session["status"]
    assert done.returncode == exit_codes.OK, done.stdout + done.stderr
    report = _json(done)
    assert report["warehouse"]["state"] == "read"
    assert [month["month"] for month in report["months"]] == list(MONTHS)
    for month in report["months"]:
        name = f"ais_{month['month']}.csv"
        assert month["landed"]["si_pe"] == {"file": name, "revision": 1}
        assert month["loaded"]["si_pe"]["file"] == name
        assert month["published"]["vintages"] == []
        assert (month["stale"], month["stale_because"]) == (False, [])
        assert month["deadline"]["state"] == "open"
    assert report["last_deadline_due"] is None
    assert report["next_deadline"]["month"] == "2021-01"
    assert report["next_deadline"]["due_local"] == "2021-02-10 09:00 Europe/Paris"
    assert report["pending_runs"] == []


def test_status_exits_7_once_the_last_deadline_due_was_missed(session):
    done = session["status_late"]
    assert done.returncode == exit_codes.DEADLINE_MISSED
    due = _json(done)["last_deadline_due"]
    assert (due["month"], due["state"]) == ("2021-01", "late")  # published in 2026


def test_status_table_is_plain_text_when_piped(session):
    done = session["status_table"]
    assert done.returncode == exit_codes.OK
    assert ESCAPE not in done.stdout
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["month", "landed", "loaded", "published", "stale", "deadline"]
    assert lines[1].startswith("2021-01  ais_2021-01.csv, imilo_2021-01.csv  ais_2021-01.csv")
    assert "pending (otp-pipeline run --pending): nothing" in lines


def test_status_after_a_revision_lands_says_both_months_are_stale_and_why(session):
    done = session["status_revised"]
    assert done.returncode == exit_codes.STALE
    report = _json(done)
    january, february = report["months"]
    assert january["landed"]["si_pe"] == {"file": "ais_2021-01_r2.csv", "revision": 2}
    assert january["loaded"]["si_pe"]["file"] == "ais_2021-01.csv"  # not loaded yet
    why = "si_pe 2021-01: published from ais_2021-01.csv, now ais_2021-01_r2.csv"
    assert january["stale_because"] == [why]
    assert february["stale_because"] == [why]  # February counts January's file too
    assert report["pending_runs"] == [{"first": "2021-01", "last": "2021-02"}]


def test_run_pending_in_a_terminal_shows_the_live_display_then_the_summary(session):
    code, frames, raw = session["pending"]
    final = frames[-1]
    assert code == exit_codes.OK, final
    assert b"\x1b[" in raw  # drawn with cursor moves, in place
    # The display was seen moving: dbt part way, then the publication part way.
    assert any(
        re.search(rf"dbt +\S+ +([1-9]|1[0-9])/{DBT_NODES} models", frame) for frame in frames
    )
    assert any("publication" in frame and "1/2 months" in frame for frame in frames)
    # One display left on screen, finished; the summary below it.
    assert final.count("otp-pipeline run 2021-01..2021-02") == 1
    assert re.search(r"ingestion +\S+ +2/2 months", final)
    assert re.search(rf"dbt +\S+ +{DBT_NODES}/{DBT_NODES} models", final)
    assert re.search(r"publication +\S+ +2/2 months", final)
    assert "  quarantined: 0 rows" in final  # January's revision has no bad row
    assert "  quarantined: 1 rows (DEPARTEMENT_INCONNU 1)" in final  # February unchanged
    assert "Full log: " in final
    # Dagster's event stream and dbt's log went to the log file, never to the screen.
    assert not [frame for frame in frames if "DEBUG" in frame or "OK created" in frame]


def test_status_after_run_pending_is_fresh_with_the_old_publications_as_vintages(session):
    done = session["status_after"]
    assert done.returncode == exit_codes.OK, done.stdout
    report = _json(done)
    for month in report["months"]:
        assert month["stale"] is False
        assert len(month["published"]["vintages"]) == 1
    assert report["months"][0]["loaded"]["si_pe"]["file"] == "ais_2021-01_r2.csv"
    assert report["pending_runs"] == []


def test_no_wait_exits_5_at_once_when_another_run_holds_the_warehouse(session):
    done = session["no_wait"]
    assert done.returncode == exit_codes.WAREHOUSE_BUSY
    assert done.stderr.startswith("otp-pipeline run: warehouse busy, not started: ")
    assert len(done.stderr.splitlines()) == 1


def test_status_never_waits_for_the_warehouse_and_says_it_is_busy(session):
    report = _json(session["status_busy"])
    assert report["warehouse"]["state"] == "busy"
    assert [month["loaded"] for month in report["months"]] == [None, None, None]
    assert report["months"][2]["landed"]["si_pe"] == {"file": "ais_2021-03.csv", "revision": 1}
    assert report["pending_runs"] == [{"first": "2021-03", "last": "2021-03"}]


def test_a_waiting_run_says_so_then_a_structural_error_is_one_line_and_exit_3(session):
    code, out, err = session["waiting"]
    assert "waiting for the warehouse: another run holds it" in out
    assert code == exit_codes.STRUCTURAL_ERROR
    [line] = err.splitlines()
    assert re.fullmatch(
        r"otp-pipeline run: structural error: month 2021-03, file si_pe/ais_2021-03\.csv, "
        r"line 1: missing required column\(s\): statut",
        line,
    ), line
    assert "Traceback" not in out + err


def test_a_blocking_check_failed_exits_4_and_the_month_is_not_published(session):
    done = session["blocking"]
    assert done.returncode == exit_codes.BLOCKING_CHECK_FAILED, done.stdout[-3000:]
    assert "check gx_fct_prescriptions on fct_prescriptions: failed" in done.stdout
    assert "2021-03  not published" in done.stdout.splitlines()
    assert "Checks failed: gx_fct_prescriptions on fct_prescriptions (blocking)" in done.stdout
    assert not (session["root"] / "published" / "2021-03").exists()
    [line] = done.stderr.splitlines()
    assert line.startswith("otp-pipeline run: ")
