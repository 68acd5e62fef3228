"""The reliability tests' shared fixture: one month published by a real Dagster run."""

import dagster as dg
import pytest
from reliability_helpers import run_month, write_good_landing


@pytest.fixture(scope="session")
def published_month(tmp_path_factory):
    """One good month published by a real Dagster run, shared by the in-process tests.

    (root folder, the instance holding every run's event log, in `root/dagster_home`)
    """
    root = tmp_path_factory.mktemp("reliability")
    write_good_landing(root / "landing")
    # A real instance folder (DAGSTER_HOME), for the personal data scan of its files.
    (root / "dagster_home").mkdir()
    with dg.DagsterInstance.local_temp(str(root / "dagster_home")) as instance:
        assert run_month(root, instance).success
        yield root, instance
