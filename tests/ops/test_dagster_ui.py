"""The real Dagster UI: `dagster dev` on 127.0.0.1 with the project's dagster.yaml loads the
code location; its GraphQL API lists assets, checks, schedule and sensor; two runs of one
month wait in the queue instead of interleaving; the asset graph renders in Chromium."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from dagster_services import stop
from feeds import IMILO_HEADER, OBJECTIVES_HEADER, SI_PE_HEADER, ais_row, imilo_row, write_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", body, {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise AssertionError(error.read().decode(errors="replace")[:2000]) from error
    assert "errors" not in payload, payload
    return payload["data"]


LOCATION_QUERY = """
{ workspaceOrError { ... on Workspace { locationEntries {
    name locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    landing = root / "landing"
    write_file(landing / "si_pe" / "ais_2021-01.csv",
               [SI_PE_HEADER, *(ais_row(id_ais=f"A{i}", prescription="04/01/2021") for i in range(30))])  # fmt: skip
    write_file(
        landing / "imilo" / "imilo_2021-01.csv",
        [IMILO_HEADER, imilo_row(prescription="2021-01-04")],
    )
    write_file(
        landing / "objectifs" / "objectifs_otp.csv",
        [OBJECTIVES_HEADER, "11;2021-01;2021-12;1;1;1;1"],
    )
    port = _free_port()
    env = {
        **os.environ, "DAGSTER_HOME": str(home), "OTP_LANDING_DIR": str(landing),
        "OTP_WAREHOUSE": str(root / "warehouse" / "otp.duckdb"),
        "OTP_PUBLISH_DIR": str(root / "published"), "PATH": f"{BIN}:{os.environ['PATH']}",
    }  # fmt: skip
    log = open(root / "dagster_dev.log", "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [str(BIN / "dagster"), "dev", "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, stopped whole at teardown
        # `dagster dev` started from a non-interactive parent inherits SIG_IGN for SIGINT.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                entries = graphql(port, LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
                state = entries[0]["locationOrLoadError"] if entries else None
                if state and state["__typename"] == "RepositoryLocation":
                    break
                assert not state or state["__typename"] != "PythonError", state
            except OSError:
                pass
            assert process.poll() is None, (root / "dagster_dev.log").read_text()
            assert time.monotonic() < deadline, "dagster dev did not load the code location"
            time.sleep(1)
        yield port, root
    finally:
        stop(process)
        log.close()


ASSETS_QUERY = """
{ assetNodes { assetKey { path } description groupName
    assetChecksOrError { ... on AssetChecks { checks { name } } } }
  repositoriesOrError { ... on RepositoryConnection { nodes {
    name schedules { name cronSchedule executionTimezone } sensors { name } } } } }
"""


def test_ui_lists_assets_with_descriptions_checks_schedule_and_sensors(dagster_dev):
    port, _ = dagster_dev
    data = graphql(port, ASSETS_QUERY)
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    groups = {n["groupName"] for n in nodes.values()}
    assert groups == {"ingestion", "transform", "quality", "publication"}
    for key in ("raw/si_pe", "raw/imilo", "raw/objectifs_otp", "fct_prescriptions",
                "suivi_otp", "quality_report", "publication"):  # fmt: skip
        assert key in nodes and nodes[key]["description"], key
    checks = sum(len(n["assetChecksOrError"].get("checks", [])) for n in nodes.values())
    assert checks > 0
    [repository] = data["repositoriesOrError"]["nodes"]
    assert [
        (s["name"], s["cronSchedule"], s["executionTimezone"]) for s in repository["schedules"]
    ] == [("monthly_schedule", "0 7 5 * *", "Europe/Paris")]
    assert {s["name"] for s in repository["sensors"]} >= {"landing_sensor", "failure_alert"}


LAUNCH = """
mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }
"""
RUN_QUERY = """
query($id: ID!) { runOrError(runId: $id) { ... on Run { status startTime endTime } } }
"""


def test_two_runs_of_one_month_wait_in_the_queue_instead_of_interleaving(dagster_dev):
    port, _ = dagster_dev
    params = {
        "selector": {"repositoryLocationName": "otp_pipeline", "repositoryName": "__repository__",
                     "jobName": "otp_monthly", "assetSelection": [{"path": ["raw", "si_pe"]}]},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "2021-01"}]},
    }  # fmt: skip
    run_ids = []
    for _ in range(2):
        launched = graphql(port, LAUNCH, {"params": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_ids.append(launched["run"]["runId"])
    deadline = time.monotonic() + 240
    while True:
        runs = [graphql(port, RUN_QUERY, {"id": run_id})["runOrError"] for run_id in run_ids]
        statuses = [run["status"] for run in runs]
        if all(status in ("SUCCESS", "FAILURE", "CANCELED") for status in statuses):
            break
        assert time.monotonic() < deadline, statuses
        time.sleep(2)
    assert statuses == ["SUCCESS", "SUCCESS"]
    first, second = sorted(runs, key=lambda run: run["startTime"])
    assert second["startTime"] >= first["endTime"], "runs interleaved"


def test_asset_graph_renders_in_headless_chromium(dagster_dev):
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: `make setup` installs it (deploy/ensure-chromium.sh)")
    port, root = dagster_dev
    graphql(
        port, "mutation { setNuxSeen }"
    )  # the first-visit community dialog would cover the graph
    shot = root / "asset_graph.png"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={root / 'chromium'}", "--window-size=1400,900",
         "--virtual-time-budget=20000", f"--screenshot={shot}",
         f"http://127.0.0.1:{port}/asset-groups"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3].reshape(-1, 3)
    colours = {tuple(p) for p in (pixels * 255).astype(int)[::97]}
    assert len(colours) > 20, "the screenshot is blank"
