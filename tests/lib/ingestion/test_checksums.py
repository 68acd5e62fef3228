"""The checksums of earlier months' files, kept by (path, size, mtime) rather than re-read at
every run (lib/ingestion/checksums.py): what is seen and what is, by design, not."""

import os

from feeds import SI_PE_HEADER, ais_row, query, write_file

from otp_pipeline.lib.ingestion.decoding import sha256_of
from otp_pipeline.lib.ingestion.monthly_load import load_month
from otp_pipeline.lib.settings import SI_PE
from otp_pipeline.lib.warehouse import connect


def _ais(landing, name: str, ids: list[str], day: str) -> os.stat_result:
    path = landing / "si_pe" / name
    write_file(path, [SI_PE_HEADER, *[ais_row(id_ais=i, prescription=day) for i in ids]])
    return path.stat()


def _run_february(landing, warehouse) -> list[str]:
    """The run of February: the months it loaded, January first when stale."""
    with connect(warehouse) as con:
        return [report.month for report in load_month(con, SI_PE, landing, "2021-02", 5)]


def _set_mtime(path, stat: os.stat_result, shift_ns: int = 0) -> None:
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + shift_ns))


def _january_ids(warehouse) -> list[str]:
    return [
        r[0]
        for r in query(warehouse, "select id_ais from raw.si_pe where mois = '2021-01' order by 1")
    ]


def _prepare(landing, warehouse):
    january = landing / "si_pe" / "ais_2021-01.csv"
    stat = _ais(landing, "ais_2021-01.csv", ["A1", "A2"], "05/01/2021")
    _ais(landing, "ais_2021-02.csv", ["F1"], "05/02/2021")
    assert _run_february(landing, warehouse) == ["2021-01", "2021-02"]
    return january, stat


def test_checksum_is_kept_for_the_loaded_file_size_and_mtime(landing, warehouse):
    january, stat = _prepare(landing, warehouse)
    kept = query(
        warehouse,
        "select size, mtime_ns, sha256 from raw.file_checksums where path = $p",
        {"p": str(january.resolve())},
    )
    assert kept == [(stat.st_size, stat.st_mtime_ns, sha256_of(january))]
    assert _run_february(landing, warehouse) == ["2021-02"]


def test_revision_of_same_size_with_a_new_mtime_is_seen(landing, warehouse):
    january, stat = _prepare(landing, warehouse)
    _ais(landing, "ais_2021-01.csv", ["A1", "A3"], "05/01/2021")  # same size, new content
    assert january.stat().st_size == stat.st_size
    _set_mtime(january, stat, shift_ns=1_000_000_000)
    assert _run_february(landing, warehouse) == ["2021-01", "2021-02"]
    assert _january_ids(warehouse) == ["A1", "A3"]


def test_touched_file_with_the_same_content_is_not_loaded_again(landing, warehouse):
    january, stat = _prepare(landing, warehouse)
    _set_mtime(january, stat, shift_ns=1_000_000_000)
    assert _run_february(landing, warehouse) == ["2021-02"]
    # Its checksum, read once more, is now kept for the new mtime.
    assert query(
        warehouse, "select mtime_ns from raw.file_checksums where path = $p",
        {"p": str(january.resolve())},
    ) == [(january.stat().st_mtime_ns,)]  # fmt: skip


def test_rewrite_keeping_size_and_mtime_is_taken_as_unchanged(landing, warehouse):
    """The trade-off (docs/decisions.md): such a file is not read again, so not reloaded."""
    january, stat = _prepare(landing, warehouse)
    _ais(landing, "ais_2021-01.csv", ["A1", "A3"], "05/01/2021")
    _set_mtime(january, stat)
    assert _run_february(landing, warehouse) == ["2021-02"]
    assert _january_ids(warehouse) == ["A1", "A2"]
