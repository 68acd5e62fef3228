"""The operator's command line on a real small month: the contract's `dagster asset
materialize` and `dg launch` (dagster-dg-cli, configured by `[tool.dg]`), with the OTP_*
variables and a DAGSTER_HOME holding deploy/dagster.yaml, which loads without deprecation.

Both commands run the same month, one after the other (one fixture, about a minute): the
second republishes it, the first publication becoming its vintage.
"""

import json
import logging
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import dagster as dg
import pytest
import yaml
from feeds import IMILO_HEADER, OBJECTIVES_HEADER, SI_PE_HEADER, ais_row, imilo_row, write_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MONTH = "2021-03"
COMMANDS = {
    "dagster": ["dagster", "asset", "materialize", "-m", "otp_pipeline.definitions",
                "--select", "*", "--partition", MONTH],
    "dg": ["dg", "launch", "--assets", "*", "--partition", MONTH],
}  # fmt: skip


def _write_landing(landing: Path) -> None:
    """Three tiny months (a month is computed from every month since 2021-01)."""
    for month in ("2021-01", "2021-02", MONTH):
        year, number = month.split("-")
        ais = [
            ais_row(id_ais=f"A{month}-{i}", prescription=f"04/{number}/{year}") for i in range(3)
        ]
        write_file(landing / "si_pe" / f"ais_{month}.csv", [SI_PE_HEADER, *ais])
        write_file(landing / "imilo" / f"imilo_{month}.csv",
                   [IMILO_HEADER, imilo_row(id_prescription=f"M{month}", prescription=f"{month}-04")])  # fmt: skip
    write_file(landing / "objectifs" / "objectifs_otp.csv",
               [OBJECTIVES_HEADER, "11;2021-01;2021-12;12;1;6;6"])  # fmt: skip


def _home(root: Path) -> Path:
    home = root / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    return home


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """Both commands, in order, from the project root; their exit codes and output."""
    root = tmp_path_factory.mktemp("cli")
    _write_landing(root / "landing")
    env = {
        **os.environ, "DAGSTER_HOME": str(_home(root)), "OTP_LANDING_DIR": str(root / "landing"),
        "OTP_PUBLISH_DIR": str(root / "published"),
        "OTP_WAREHOUSE": str(root / "warehouse" / "otp.duckdb"),
        # As after `source .venv/bin/activate`: dg warns when the active venv is not the
        # project's.
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(BIN.parent),
    }  # fmt: skip
    runs = {}
    for name, command in COMMANDS.items():
        done = subprocess.run(
            [str(BIN / command[0]), *command[1:]], cwd=PROJECT_ROOT, env=env,
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        runs[name] = (done.returncode, done.stdout + done.stderr)
    return root, runs


def _ok(runs, name) -> str:
    code, output = runs[name]
    assert code == 0, output[-4000:]
    return output


def test_dagster_asset_materialize_runs_and_publishes_the_month(cli_runs):
    root, runs = cli_runs
    output = _ok(runs, "dagster")
    assert "RUN_SUCCESS" in output
    manifest = json.loads((root / "published" / MONTH / "manifest.json").read_text("utf-8"))
    assert manifest["mois"] == MONTH


def test_dg_launch_runs_the_same_month_again(cli_runs):
    root, runs = cli_runs
    output = _ok(runs, "dg")
    assert "RUN_SUCCESS" in output
    assert "does not match the virtual environment" not in output
    # The dg run republished the month: the first publication is now its vintage.
    assert len(list((root / "published" / "_vintages" / MONTH).iterdir())) == 1


def test_both_runs_are_on_the_instance_of_dagster_home(cli_runs):
    root, _ = cli_runs
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        runs = instance.get_runs()
    assert [(run.status, run.tags.get("dagster/partition")) for run in runs] == [
        (dg.DagsterRunStatus.SUCCESS, MONTH)
    ] * 2


def test_no_command_output_holds_colour_codes_or_the_backfill_policy_beta_warning(cli_runs):
    # Piped: dbt's log and Dagster's are plain text; the deliberate single-run backfill
    # policy is not announced as beta by every command (filtered in defs/partitions.py).
    # (`dagster asset materialize` itself still passes a beta parameter of its own to
    # AssetSelection.all: not ours to silence.)
    _, runs = cli_runs
    for name, (_, output) in runs.items():
        assert "\x1b[" not in output, name
        assert "backfill_policy" not in output, name


def test_no_command_output_mentions_a_deprecation(cli_runs):
    _, runs = cli_runs
    for name, (_, output) in runs.items():
        assert "deprecat" not in output.lower(), name


def test_dg_project_config_names_the_definitions_module():
    from dagster_dg_core.config import validate_dg_file_config

    result = validate_dg_file_config(PROJECT_ROOT / "pyproject.toml")
    assert not result.has_errors, result.message
    project = result.config["project"]
    assert project["root_module"] == "otp_pipeline"
    assert project["code_location_target_module"] == "otp_pipeline.definitions"


def test_instance_file_loads_without_deprecation_and_keeps_one_run_at_a_time(
    tmp_path, monkeypatch, caplog
):
    home = _home(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG):
        warnings.simplefilter("always")
        with dg.DagsterInstance.get() as instance:
            queue = instance.get_concurrency_config().run_queue_config
            coordinator = type(instance.run_coordinator).__name__
    assert (coordinator, queue.max_concurrent_runs) == ("QueuedRunCoordinator", 1)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert deprecations == [] and not [w for w in caught if "deprecat" in str(w.message).lower()]
    assert "deprecat" not in caplog.text.lower()
    config = yaml.safe_load((home / "dagster.yaml").read_text(encoding="utf-8"))
    assert "run_queue" not in config  # superseded by concurrency.runs in Dagster's docs
