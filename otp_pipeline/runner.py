"""Running the monthly job for a list of months, in this process, as the operator sees it.

Each span of consecutive months is one run (a single-run backfill), recorded on the
instance of DAGSTER_HOME like any other. While it runs, the operator sees its progress
(`otp_pipeline/lib/operations/live.py`) and, at the end, a summary of what was published;
the full Dagster event stream and dbt's log go to a log file under DAGSTER_HOME (the
process's standard output and error point there during the run), whose path the summary
prints. `verbose` streams everything to the terminal instead, as `dagster asset
materialize` does. The exit code says what failed (`lib/operations/exit_codes.py`).
"""

import logging
import os
import sys
import tempfile
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import dagster as dg

from otp_pipeline.defs.partitions import RANGE_END, RANGE_START
from otp_pipeline.lib.months import month_index, months_between
from otp_pipeline.lib.operations import exit_codes
from otp_pipeline.lib.operations.live import PlainDisplay, display_for
from otp_pipeline.lib.operations.progress import WAITING_MARK, RunProgress
from otp_pipeline.lib.operations.summary import run_summary

__all__ = ["RANGE_END", "RANGE_START", "run_months", "run_spans", "spans"]
LOG_FOLDER = "logs"  # under DAGSTER_HOME


def spans(months: list[str]) -> list[tuple[str, str]]:
    """Consecutive months grouped into (first, last) spans, in order."""
    result: list[tuple[str, str]] = []
    for month in sorted(set(months)):
        if result and month_index(month) == month_index(result[-1][1]) + 1:
            result[-1] = (result[-1][0], month)
        else:
            result.append((month, month))
    return result


def run_months(months: list[str], verbose: bool = False, wait: bool = True) -> int:
    """Materialise every asset for the months; the exit code (0 when every run succeeded).

    Consecutive months are one run; a month alone is a partition run. Stops at the first run
    that fails (later months would use its data).
    """
    return run_spans(spans(months), verbose=verbose, wait=wait)


def run_spans(runs: list[tuple[str, str]], verbose: bool = False, wait: bool = True) -> int:
    """Each (first, last) span as one run, in order; the exit code of the first failure."""
    from otp_pipeline.defs.resources import OtpSettings
    from otp_pipeline.lib.operations.status import lock_without_waiting
    from otp_pipeline.lib.warehouse import WarehouseBusy

    if not wait:
        try:
            with lock_without_waiting(OtpSettings().warehouse_path):
                pass
        except WarehouseBusy as error:
            print(f"otp-pipeline run: warehouse busy, not started: {error}", file=sys.stderr)
            return exit_codes.WAREHOUSE_BUSY
    if not runs:
        print("otp-pipeline run: nothing to run")
        return exit_codes.OK
    errors: list[str] = []  # one line each, for standard error once the run is over
    if verbose:
        code = _run_all(runs, PlainDisplay(sys.stdout), None, errors, verbose=True)
    else:
        home = Path(os.environ.get("DAGSTER_HOME") or tempfile.gettempdir())
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        log_file = home / LOG_FOLDER / f"otp-run-{stamp}-{os.getpid()}.log"
        with _output_to(log_file) as terminal:
            code = _run_all(runs, display_for(terminal), log_file, errors, verbose=False)
    for line in errors:
        print(f"otp-pipeline run: {line}", file=sys.stderr)
    return code


def _run_all(runs, display, log_file: Path | None, errors: list[str], verbose: bool) -> int:
    try:
        from otp_pipeline.definitions import defs  # heavy: imported only when running
        from otp_pipeline.defs.transform.assets import otp_dbt_models

        job = defs.resolve_job_def("otp_monthly")
        totals = (
            len(otp_dbt_models.keys),
            len(list(job.asset_layer.asset_graph.asset_check_keys)),
            len([name for name in job.graph.node_names() if name.startswith("raw__")]),
        )
        with dg.DagsterInstance.get() as instance:
            for first, last in runs:
                progress = RunProgress(months_between(first, last), *totals)
                run_id = _execute(job, instance, progress, display)
                for line in run_summary(progress, log_file, [run_id]):
                    display.line(line)
                code = _exit_code(progress)
                if code != exit_codes.OK:
                    errors += [failure.one_line() for failure in progress.failures[:1]]
                    return code
    except Exception as error:  # noqa: BLE001 - said in one line; the traceback is in the log
        if verbose:
            raise
        traceback.print_exc()  # into the log file
        errors.append(f"error: {error} (log: {log_file})")
        return exit_codes.FAILED
    return exit_codes.OK


def _execute(job, instance, progress: RunProgress, display) -> str:
    """One run of `progress.months`, its events shown as they are stored; its run id."""
    run_id = str(uuid.uuid4())
    first, last = progress.months[0], progress.months[-1]

    def show(lines: list[str]) -> None:
        for line in lines:
            display.line(line)
        display.refresh()

    def listen(entry) -> None:
        try:
            show(progress.handle(entry))
        except Exception:  # noqa: BLE001 - the display must never break the run
            logging.getLogger(__name__).exception("progress display failed on an event")

    lock_watch = _LockWatch(lambda message: show([progress.lock_wait(message)]))
    warehouse_log = logging.getLogger("otp_pipeline.lib.warehouse")
    instance.add_event_listener(run_id, listen)
    warehouse_log.addHandler(lock_watch)
    display.start(progress)
    try:
        if first == last:
            job.execute_in_process(
                partition_key=first, instance=instance, raise_on_error=False, run_id=run_id
            )
        else:
            job.execute_in_process(
                tags={RANGE_START: first, RANGE_END: last},
                instance=instance,
                raise_on_error=False,
                run_id=run_id,
            )
    finally:
        warehouse_log.removeHandler(lock_watch)
        display.stop()
    return run_id


class _LockWatch(logging.Handler):
    """Passes on lib/warehouse.py's 'waiting for another run' line to the display."""

    def __init__(self, on_wait):
        super().__init__(logging.WARNING)
        self.on_wait = on_wait

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if WAITING_MARK in message:
            self.on_wait(message)


def _exit_code(progress: RunProgress) -> int:
    """The run's exit code: the first cause found, in the order of exit_codes."""
    if progress.success:
        return exit_codes.OK
    kinds = {failure.kind for failure in progress.failures}
    if "structural" in kinds:
        return exit_codes.STRUCTURAL_ERROR
    if any(check.state == "failed" and check.blocking for check in progress.checks):
        return exit_codes.BLOCKING_CHECK_FAILED
    if "busy" in kinds:
        return exit_codes.WAREHOUSE_BUSY
    return exit_codes.FAILED


@contextmanager
def _output_to(log_file: Path) -> Iterator[TextIO]:
    """Point this process's standard output and error (file descriptors 1 and 2: Dagster's
    console logger, dbt, warnings, child processes) at `log_file` for the block; yield the
    terminal (or pipe) they pointed at before, for the display."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    terminal = os.fdopen(os.dup(saved[1]), "w", encoding="utf-8", errors="replace")
    try:
        with open(log_file, "ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                yield terminal
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                for fd, copy in saved.items():
                    os.dup2(copy, fd)
    finally:
        for copy in saved.values():
            os.close(copy)
        terminal.close()
