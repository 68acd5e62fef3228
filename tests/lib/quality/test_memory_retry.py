"""Quality work that DuckDB cannot run within the first memory limit runs once more within
the next (`warehouse.QUALITY_WORK_CONFIGS`): the fact suites' key count on a 14 M-row month
needs 1 GB, a ×10 month's run must stay under 1 GiB with 256 MB. Real DuckDB runs, the
limits made small enough for a million keys to exceed the first."""

import logging

import duckdb
import pytest

from otp_pipeline.lib import warehouse
from otp_pipeline.lib.quality import frames
from otp_pipeline.lib.quality.frames import read_frames

SMALL = {"memory_limit": "8MB", "preserve_insertion_order": False}
LARGE = {"memory_limit": "256MB", "preserve_insertion_order": False}
# A semi join of a million keys on themselves: its hash table is not spilled.
KEYS_FOUND = "select count(*) as found from k as a semi join k as b on a.id = b.id"


@pytest.fixture
def keys_warehouse(tmp_path):
    path = tmp_path / "otp.duckdb"
    with warehouse.connect(path) as con:
        con.execute("create table k as select 'key-' || range::varchar as id from range(1000000)")
    return path


@pytest.fixture
def small_then_large(monkeypatch):
    monkeypatch.setattr(warehouse, "QUALITY_WORK_CONFIGS", (SMALL, LARGE))
    monkeypatch.setattr(frames, "QUALITY_WORK_CONFIGS", (SMALL, LARGE))


def _found(con):
    return con.execute(KEYS_FOUND).fetchone()[0]


def test_the_first_limit_is_too_small_for_this_query(keys_warehouse):
    with (
        warehouse.connect(keys_warehouse, SMALL) as con,
        pytest.raises(duckdb.OutOfMemoryException),
    ):
        _found(con)


def test_quality_work_runs_again_within_the_larger_limit(keys_warehouse, small_then_large, caplog):
    with caplog.at_level(logging.WARNING, logger="otp_pipeline.lib.warehouse"):
        assert warehouse.quality_work(keys_warehouse, "suite k", _found) == 1_000_000
    [record] = caplog.records
    assert "suite k: DuckDB ran out of memory within 8MB" in record.getMessage()
    assert "run again within 256MB" in record.getMessage()


def test_out_of_memory_within_the_last_limit_stands(keys_warehouse, monkeypatch):
    monkeypatch.setattr(warehouse, "QUALITY_WORK_CONFIGS", (SMALL,))
    with pytest.raises(duckdb.OutOfMemoryException):
        warehouse.quality_work(keys_warehouse, "suite k", _found)


def test_a_quality_frame_is_read_again_within_the_larger_limit(
    keys_warehouse, small_then_large, caplog
):
    with caplog.at_level(logging.WARNING, logger="otp_pipeline.lib.warehouse"):
        [frame] = list(read_frames(keys_warehouse, KEYS_FOUND, {}))
    assert frame["found"].tolist() == [1_000_000]
    assert ["a quality frame" in record.getMessage() for record in caplog.records] == [True]
