"""The reliability tests' shared fixture: one month published by a real Dagster run."""

import dagster as dg
import pytest
from reliability_helpers import run_month, write_good_landing


@pytest.fixture(scope="session")
def published_month(tmp_path_factory):
    """One good month published by a real Dagster run, shared by the in-process tests.

    (root folder, the ephemeral instance holding every run's event log)
    """
    root = tmp_path_factory.mktemp("reliability")
    write_good_landing(root / "landing")
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_month(root, instance).success
        yield root, instance
