"""`dg check defs` loads every definition as the code server would, from the project root
with the project's venv active (dg warns otherwise), as a developer runs it."""

import os
import subprocess
import sys
from pathlib import Path

from otp_pipeline.defs.transform.project import manifest_is_stale

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_dg_check_defs_loads_every_definition():
    # `make setup` parses the dbt project whenever one of its files changed: dg, which
    # would parse it again, must not write the dbt target while other tests read it.
    assert not manifest_is_stale(), "run `make setup`: the dbt manifest is older than its files"
    env = {**os.environ, "VIRTUAL_ENV": str(BIN.parent),
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip
    done = subprocess.run(
        [str(BIN / "dg"), "check", "defs"], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "All definitions loaded successfully." in output
    assert "does not match the virtual environment" not in output
