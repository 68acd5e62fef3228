"""Shared fixtures: an empty landing folder and a warehouse path in a temporary folder."""

from pathlib import Path

import pytest


@pytest.fixture
def landing(tmp_path) -> Path:
    folder = tmp_path / "landing"
    for name in ("si_pe", "imilo", "objectifs"):
        (folder / name).mkdir(parents=True)
    return folder


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return tmp_path / "warehouse" / "otp.duckdb"
