"""Two writers at once: they take turns on the warehouse, and the result equals one run."""

import subprocess
import sys
import textwrap

import pytest
from feeds import SI_PE_HEADER, ais_row, query, write_file

from otp_pipeline.lib.warehouse import WarehouseBusy, warehouse_lock

LOAD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from otp_pipeline.lib.ingestion.monthly_load import load_month
    from otp_pipeline.lib.settings import SI_PE
    from otp_pipeline.lib.warehouse import connect
    with connect(Path(sys.argv[2])) as con:
        [report] = load_month(con, SI_PE, Path(sys.argv[1]), "2021-01", 5)
    print(report.rows_loaded)
    """
)


def test_two_loads_of_one_month_at_once_take_turns_and_leave_one_copy(landing, warehouse):
    rows = [ais_row(id_ais=f"A{i}", prescription="04/01/2021") for i in range(20_000)]
    write_file(landing / "si_pe" / "ais_2021-01.csv", [SI_PE_HEADER, *rows])
    command = [sys.executable, "-c", LOAD, str(landing), str(warehouse)]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    assert [process.returncode for process in (first, second)] == [0, 0], outputs
    assert [out.strip() for out, _ in outputs] == ["20000", "20000"]
    assert query(warehouse, "select count(*), count(distinct id_ais) from raw.si_pe") == [
        (20000, 20000)
    ]
    assert query(warehouse, "select count(*) from raw.deliveries") == [(1,)]


def test_a_writer_that_waits_too_long_is_refused_cleanly(warehouse):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from otp_pipeline.lib.warehouse import warehouse_lock
            with warehouse_lock({str(warehouse)!r}):
                print("held", flush=True)
                time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseBusy, match="another run has held the warehouse"):  # noqa: SIM117
            with warehouse_lock(warehouse, wait_seconds=1):
                pass
    finally:
        holder.kill()
        holder.wait()
    with warehouse_lock(warehouse, wait_seconds=5):  # released by the kernel when it died
        pass
