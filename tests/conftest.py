"""Shared fixtures: an empty landing folder and a warehouse path in a temporary folder.

Order: the test files that take longest run first (`make test` runs the files on
pytest-xdist workers, one whole file at a time, in collection order with
`--no-loadscope-reorder`). Started last, a one-minute file kept one worker busy while the
others had nothing left to do.
"""

from pathlib import Path

import pytest

# Seconds of setup and calls per file in one `make test` (2026-12-01), longest first.
LONGEST_FIRST = (
    "ops/test_operator_terminal.py",  # 180 s: six `otp-pipeline` runs, one in a pty
    "ops/test_cli.py",  # 63 s: two CLI runs of a month in subprocesses
    "ops/test_postgres_deployment.py",  # 63 s
    "lib/quality/test_quality.py",  # 61 s
    "reliability/test_crash_safety.py",  # 56 s
    "defs/quality/test_quality_checks.py",  # 55 s
    "ops/test_dagster_ui.py",  # 50 s
    "lib/quality/test_steering_suites.py",  # 49 s
    "defs/publication/test_pipeline_end_to_end.py",  # 30 s
    "dbt/test_dbt_marts.py",  # 23 s
    "reliability/test_bad_input_end_to_end.py",  # 23 s
)
TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items) -> None:
    """The files of LONGEST_FIRST first, in that order; the others after, as collected."""
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}

    def file_rank(item) -> int:
        relative = Path(item.fspath).resolve().relative_to(TESTS).as_posix()
        return rank.get(relative, len(rank))

    items.sort(key=file_rank)  # stable: tests keep their order within a file


@pytest.fixture
def landing(tmp_path) -> Path:
    folder = tmp_path / "landing"
    for name in ("si_pe", "imilo", "objectifs"):
        (folder / name).mkdir(parents=True)
    return folder


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return tmp_path / "warehouse" / "otp.duckdb"
