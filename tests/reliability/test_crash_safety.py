"""A month's run killed with SIGKILL (in ingestion, dbt or publication), then run again:
the published tables are byte for byte those of an uninterrupted run, the warehouse opens
with its accounting whole, and no half-built folder is ever taken for a month.

Every run is a real process in its own process group, killed whole (dbt included) with
SIGKILL: no `except`, no `finally`, no `atexit` runs. Where a phase is too short to hit by
watching the log, a small preamble makes the process stop for good at an exact point
(inside the AIS load's transaction, after the first table of the build) and tells us so.

Cost: dbt dominates a run (30-50 s), so the kills in one root are chained, and the
reference is the first publication of the shared `published_month` fixture (an
uninterrupted run of the same landing folder; later tests may republish it, its first
publication then being its oldest vintage). A crash between the two renames of the swap is
covered at library level by tests/lib/publication/test_publication.py::
test_crash_between_the_two_renames_is_repaired_by_next_publish.
"""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
from reliability_helpers import (
    MONTH,
    ais_lines,
    assert_warehouse_consistent,
    fingerprint,
    first_publication,
    kill_group,
    start_cli_run,
    start_logged,
    start_materialize,
    table_fingerprint,
    wait_for_output,
    write_good_landing,
)

from otp_pipeline.lib.publication.swap import current_month_dirs
from otp_pipeline.lib.publication.tables import TABLES

RUN_TIMEOUT = 600.0
FIRST_MART_BUILT = "OK created sql incremental model main.prescriptions_mensuelles"
MONTH_FILES = sorted(
    [f"{name}{suffix}" for name in TABLES for suffix in (".csv", ".parquet")]
    + ["datapackage.json", "manifest.json", "rapport.html"]
)

# Preamble: the AIS load stops for good inside its transaction, once the month's rows and
# quarantine are replaced and its raw.deliveries row deleted, before the new one is written
# (json.dumps is first called there), and writes "in transaction" to the file argv[1].
HANG_IN_AIS_TRANSACTION = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from otp_pipeline.lib.ingestion import loader

    replace_month = loader._replace_month

    class HangingJson:
        @staticmethod
        def dumps(*args, **kwargs):
            Path(sys.argv[1]).write_text("in transaction")
            time.sleep(3600)

    def replace_month_then_hang(con, feed, *args):
        loader.json = HangingJson if feed.name == "si_pe" else json
        return replace_month(con, feed, *args)

    loader._replace_month = replace_month_then_hang
    """
)
# The operator's command, `otp-pipeline run --months M` (argv[2]), after the preamble.
RUN_CLI = "from otp_pipeline.cli import main\nsys.exit(main(['run', '--months', sys.argv[2]]))\n"
# The load alone, from the landing folder argv[2] into the warehouse argv[3].
LOAD_AIS = textwrap.dedent(
    """
    from otp_pipeline.lib.ingestion.monthly_load import load_month
    from otp_pipeline.lib.settings import SI_PE
    from otp_pipeline.lib.warehouse import connect
    with connect(Path(sys.argv[3])) as con:
        load_month(con, SI_PE, Path(sys.argv[2]), "2021-01", 5)
    """
)
# Publishes the month like the publication asset, holding both locks, and stops for good
# once the first table's two files are written in the hidden build folder.
PUBLISH_AND_HANG = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from otp_pipeline.lib.publication import swap as publication
    from otp_pipeline.lib.warehouse import connect

    warehouse, publish_dir, month = sys.argv[1:]
    write_csv = publication.write_csv

    def write_csv_then_hang(data, path):
        write_csv(data, path)
        print("first table written", flush=True)
        time.sleep(3600)

    publication.write_csv = write_csv_then_hang
    with connect(Path(warehouse)) as con:
        publication.publish_month(con, month, Path(publish_dir), {"mois": month},
                                  enums={"secteurs_avenir": [], "libelles_secteurs_avenir": []})
    """
)


def _python(script: str, *args: object) -> list[str]:
    return [sys.executable, "-c", script, *map(str, args)]


def _finish(process: subprocess.Popen, log: Path) -> None:
    try:
        returncode = process.wait(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        kill_group(process)
        raise
    assert returncode == 0, log.read_text(encoding="utf-8", errors="replace")[-4000:]


def _leftovers(publish_dir: Path) -> list[str]:
    return sorted(p.name for p in publish_dir.iterdir() if p.name.startswith((".tmp-", ".swap-")))


def _assert_nothing_published(publish_dir: Path) -> None:
    assert current_month_dirs(publish_dir) == []
    assert not (publish_dir / MONTH).exists()


def _assert_month_whole(folder: Path, tables: dict[str, str]) -> None:
    assert sorted(fingerprint(folder)) == MONTH_FILES
    assert table_fingerprint(folder) == tables


def test_run_killed_in_ingestion_then_in_dbt_then_rerun_publishes_the_same_tables(
    published_month, tmp_path
):
    reference = table_fingerprint(first_publication(published_month[0] / "published", MONTH))
    root = tmp_path / "run"
    write_good_landing(root / "landing")
    publish_dir, warehouse = root / "published", root / "warehouse" / "otp.duckdb"

    # 1. `otp-pipeline run`, killed inside the AIS load's transaction.
    log, marker = tmp_path / "ingestion.log", tmp_path / "ingestion.marker"
    run = start_logged(_python(HANG_IN_AIS_TRANSACTION + RUN_CLI, marker, MONTH), root, log)
    wait_for_output(run, log, "in transaction", timeout=RUN_TIMEOUT, watch=marker)
    kill_group(run)
    assert ("si_pe", MONTH) not in assert_warehouse_consistent(warehouse)  # rolled back
    _assert_nothing_published(publish_dir)

    # 2. Rerun, killed inside `dbt build` once the first mart is rebuilt for the month (the
    # other two usually not yet: either way the next run rebuilds them).
    run = start_cli_run(root, tmp_path / "dbt.log")
    wait_for_output(run, tmp_path / "dbt.log", FIRST_MART_BUILT, timeout=RUN_TIMEOUT)
    kill_group(run)  # dbt is in the run's process group: it dies too
    accounting = assert_warehouse_consistent(warehouse)
    assert sorted(accounting) == [("imilo", MONTH), ("si_pe", MONTH)]  # both loaded
    _assert_nothing_published(publish_dir)

    # 3. Rerun to the end: no lock in the way, and the uninterrupted run's tables.
    _finish(start_cli_run(root, tmp_path / "rerun.log"), tmp_path / "rerun.log")
    assert current_month_dirs(publish_dir) == [publish_dir / MONTH]
    _assert_month_whole(publish_dir / MONTH, reference)
    assert _leftovers(publish_dir) == []
    assert not (publish_dir / "_vintages").exists()
    assert assert_warehouse_consistent(warehouse) == {
        ("si_pe", MONTH): {"deliveries": (38, 1), "held": (38, 1)},
        ("imilo", MONTH): {"deliveries": (19, 1), "held": (19, 1)},
    }


def test_publication_killed_mid_build_then_rerun_keeps_whole_months_and_no_leftovers(
    published_month, tmp_path
):
    # A copy of the shared fixture's folders, whatever earlier tests did to them: a month
    # published from this very warehouse, which publishing again reproduces byte for byte.
    root = tmp_path / "run"
    for part in ("landing", "warehouse", "published"):
        shutil.copytree(published_month[0] / part, root / part)
    publish_dir, warehouse = root / "published", root / "warehouse" / "otp.duckdb"
    before, reference = fingerprint(publish_dir / MONTH), table_fingerprint(publish_dir / MONTH)
    vintages = publish_dir / "_vintages" / MONTH
    vintages_before = set(vintages.iterdir()) if vintages.exists() else set()

    # 1. Killed in the middle of the build, holding the warehouse and publish locks.
    log = tmp_path / "mid_build.log"
    run = start_logged(_python(PUBLISH_AND_HANG, warehouse, publish_dir, MONTH), root, log)
    wait_for_output(run, log, "first table written")
    kill_group(run)
    assert fingerprint(publish_dir / MONTH) == before  # the old month, whole
    [scratch] = [p for p in publish_dir.iterdir() if p.name.startswith(".tmp-")]
    assert sorted(p.name for p in (scratch / MONTH).iterdir()) == [
        "prescriptions_mensuelles.csv", "prescriptions_mensuelles.parquet",
    ]  # fmt: skip
    # Consumers see the current month only: the half-built copy is a hidden level down.
    assert current_month_dirs(publish_dir) == [publish_dir / MONTH]
    table = "prescriptions_mensuelles.parquet"
    assert list(publish_dir.glob(f"*/{table}")) == [publish_dir / MONTH / table]
    count = "select count(*) from read_parquet(?)"
    with duckdb.connect() as con:
        globbed = con.sql(count, params=[f"{publish_dir}/*/{table}"]).fetchall()
        assert globbed == con.sql(count, params=[str(publish_dir / MONTH / table)]).fetchall()
    assert_warehouse_consistent(warehouse)  # its lock died with the process

    # 2. The publication step rerun by Dagster (as a re-execution from failure does): not
    # blocked by either lock, it removes the leftover and keeps the old month whole.
    log = tmp_path / "republication.log"
    _finish(start_materialize(root, log, "publication"), log)
    assert current_month_dirs(publish_dir) == [publish_dir / MONTH]
    _assert_month_whole(publish_dir / MONTH, reference)
    assert _leftovers(publish_dir) == []
    [replaced] = set(vintages.iterdir()) - vintages_before
    assert fingerprint(replaced) == before


def test_load_killed_inside_its_transaction_leaves_the_previous_delivery_whole(tmp_path):
    from otp_pipeline.lib.ingestion.monthly_load import load_month
    from otp_pipeline.lib.settings import SI_PE
    from otp_pipeline.lib.warehouse import connect

    root = tmp_path / "run"
    landing, warehouse = root / "landing", root / "warehouse" / "otp.duckdb"
    write_good_landing(landing)
    with connect(warehouse) as con:
        load_month(con, SI_PE, landing, MONTH, 5)
    loaded = assert_warehouse_consistent(warehouse)
    assert loaded[("si_pe", MONTH)]["held"] == (38, 1)

    # The producer re-delivers the month with other rows; the load replacing it is killed.
    (landing / "si_pe" / f"ais_{MONTH}.csv").write_text(
        "\n".join(ais_lines(rows=30, bad=0)) + "\n", encoding="utf-8"
    )
    log, marker = tmp_path / "load.log", tmp_path / "load.marker"
    run = start_logged(
        _python(HANG_IN_AIS_TRANSACTION + LOAD_AIS, marker, landing, warehouse), root, log
    )
    wait_for_output(run, log, "in transaction", watch=marker)
    kill_group(run)
    assert assert_warehouse_consistent(warehouse) == loaded  # the old delivery, whole

    with connect(warehouse) as con:  # its lock died with the process
        load_month(con, SI_PE, landing, MONTH, 5)
    assert assert_warehouse_consistent(warehouse)[("si_pe", MONTH)]["held"] == (29, 0)
