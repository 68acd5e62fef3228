"""Where a run of the monthly job stands, step by step, from its Dagster events.

`RunProgress.handle` is given every event of the run as the instance stores it
(`DagsterInstance.add_event_listener`): it keeps the figures the operator's display shows
(months ingested and published, rows read, dbt models done out of the total, checks passed,
warned and failed, the failure that stopped the run) and returns the plain lines that say
what just ended, one line per step or month, for a log or a pipe.
"""

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from otp_pipeline.lib.months import MONTH_PATTERN

INGESTION, DBT, CHECKS, PUBLICATION = "ingestion", "dbt", "checks", "publication"
PUBLICATION_KEY = dg.AssetKey(["publication"])
WAITING_MARK = "in use by another run: waiting"  # lib/warehouse.py's log line
_MONTH_IN_NAME = re.compile(r"[0-9]{4}-[0-9]{2}")


def shown_path(path: str | Path) -> str:
    """A path as the operator reads it: relative to the current folder when under it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class CheckOutcome:
    """One asset check of the run, as it ended."""

    asset: str
    name: str
    passed: bool
    severity: str  # ERROR or WARN
    blocking: bool

    @property
    def state(self) -> str:
        """`passed`; `warned` for a failed WARN check (the month is published); `failed`."""
        if self.passed:
            return "passed"
        return "warned" if self.severity == "WARN" else "failed"


@dataclass(frozen=True)
class StepFailure:
    """The failure of a step; `kind` is `structural`, `busy` or `step` (anything else)."""

    step: str
    kind: str
    message: str
    month: str | None = None
    file: str | None = None
    line: int | None = None
    problem: str | None = None

    def one_line(self) -> str:
        """What the operator reads: month, file, line and problem for a structural error."""
        if self.kind == "structural":
            where = f"file {self.file}" + (f", line {self.line}" if self.line else "")
            month = f"month {self.month}, " if self.month else ""
            return f"structural error: {month}{where}: {self.problem}"
        if self.kind == "busy":
            return f"warehouse busy: {self.message}"
        return f"step {self.step} failed: {self.message}"


@dataclass
class RunProgress:
    """The state of one run over `months` (a range is one run): `dbt_total` dbt models and
    seeds, `checks_total` asset checks in the job."""

    months: list[str]
    dbt_total: int
    checks_total: int = 0
    ingestion_steps: int = 0  # the job's ingestion assets (raw/...), 0 when unknown
    started: float = field(default_factory=time.monotonic)
    rows_read: int = 0
    ingested: dict[str, set[str]] = field(default_factory=dict)  # asset -> months done
    dbt_done: list[str] = field(default_factory=list)
    checks: list[CheckOutcome] = field(default_factory=list)
    published: dict[str, dict] = field(default_factory=dict)  # month -> its metadata
    running: list[str] = field(default_factory=list)  # steps started, not ended
    failures: list[StepFailure] = field(default_factory=list)
    waiting: str | None = None
    ended: bool = False
    success: bool = False

    @property
    def label(self) -> str:
        first, last = self.months[0], self.months[-1]
        return first if first == last else f"{first}..{last}"

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def stage_of(self, step: str) -> str:
        if step.startswith("raw__"):
            return INGESTION
        if step == "publication":
            return PUBLICATION
        if step.startswith("gx") or step.startswith("quality"):
            return CHECKS
        return DBT

    def months_ingested(self) -> int:
        """Months every ingestion asset has loaded (`ingestion_steps` of them, when known)."""
        if not self.ingested or len(self.ingested) < self.ingestion_steps:
            return 0
        return min(len(done) for done in self.ingested.values())

    def count(self, state: str) -> int:
        return sum(1 for check in self.checks if check.state == state)

    def lock_wait(self, message: str) -> str:
        """The run waits for another's warehouse lock: shown until the next step event."""
        self.waiting = "waiting for the warehouse: another run holds it"
        return self._line(f"{self.waiting} ({message})")

    def handle(self, entry) -> list[str]:
        """Take one stored event (an `EventLogEntry`); the plain lines it ends, if any."""
        event = entry.dagster_event
        if event is None:
            return []
        self.waiting = None
        kind, step = event.event_type, event.step_key or ""
        if kind == dg.DagsterEventType.STEP_START:
            self.running.append(step)
        elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_SKIPPED):
            if step in self.running:
                self.running.remove(step)
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            return self._materialized(event.event_specific_data.materialization, step)
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            return self._checked(event.event_specific_data)
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            if step in self.running:
                self.running.remove(step)
            failure = _step_failure(step, event.event_specific_data, self.months)
            self.failures.append(failure)
            return [self._line(f"FAILED {failure.one_line()}")]
        elif kind in (dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_FAILURE):
            self.ended, self.success = True, kind == dg.DagsterEventType.RUN_SUCCESS
            verdict = "succeeded" if self.success else "FAILED"
            return [self._line(f"run {self.label} {verdict} in {self.elapsed():.1f} s")]
        return []

    def _materialized(self, materialization, step: str) -> list[str]:
        key = materialization.asset_key.to_user_string()
        month = materialization.partition
        metadata = {name: value.value for name, value in materialization.metadata.items()}
        stage = self.stage_of(step)
        if stage == INGESTION and month:
            self.ingested.setdefault(key, set()).add(month)
            read = int(metadata.get("rows_read") or 0)
            self.rows_read += read
            if "rows_read" not in metadata:  # the objectives: read whole, no row counts
                return [self._line(f"ingestion {key} {month}: loaded")]
            return [
                self._line(
                    f"ingestion {key} {month}: {read:,} rows read, "
                    f"{int(metadata.get('rows_quarantined') or 0):,} quarantined, "
                    f"{int(metadata.get('rows_duplicates') or 0):,} duplicates"
                )
            ]
        if materialization.asset_key == PUBLICATION_KEY and month:
            self.published[month] = metadata
            rows = int(metadata.get("dagster/row_count") or 0)
            folder = shown_path(metadata.get("folder", ""))
            return [self._line(f"publication {month}: {folder} ({rows:,} rows)")]
        if stage == DBT and key not in self.dbt_done:
            self.dbt_done.append(key)
            return [self._line(f"dbt {len(self.dbt_done)}/{self.dbt_total} {key}")]
        return []

    def _checked(self, evaluation) -> list[str]:
        check = CheckOutcome(
            asset=evaluation.asset_key.to_user_string(),
            name=evaluation.check_name,
            passed=evaluation.passed,
            severity=evaluation.severity.value,
            blocking=bool(evaluation.blocking),
        )
        self.checks.append(check)
        return [self._line(f"check {check.name} on {check.asset}: {check.state}")]

    def _line(self, text: str) -> str:
        return f"[{self.elapsed():7.1f} s] {text}"


def _step_failure(step: str, data, months: list[str]) -> StepFailure:
    """A step failure as the operator reads it: a structural error by its file and line."""
    error = data.error if data else None
    user = data.user_failure_data if data else None
    metadata = {name: value.value for name, value in (user.metadata if user else {}).items()}
    causes = []
    while error is not None:
        causes.append(error)
        error = error.cause
    names = {cause.cls_name for cause in causes}
    if "problem" in metadata and "file" in metadata:
        file, line = str(metadata["file"]), int(metadata.get("line") or 0) or None
        found = _MONTH_IN_NAME.search(file)
        month = found.group(0) if found and MONTH_PATTERN.match(found.group(0)) else None
        if month is None and len(months) == 1:  # the objectives: the run's month
            month = months[0]
        return StepFailure(step, "structural", str(metadata["problem"]), month, file, line,
                           str(metadata["problem"]))  # fmt: skip
    messages = [cause.message.strip() for cause in causes if cause.message.strip()]
    description = user.description if user and user.description else None
    text = description or (messages[-1] if messages else "")
    lines = [line.strip() for line in text.splitlines() if line.strip()] or ["see the log"]
    # "dbt build of 2021-03 failed:" says what failed, the next line why.
    first = f"{lines[0]} {lines[1]}" if lines[0].endswith(":") and len(lines) > 1 else lines[0]
    kind = "busy" if "WarehouseBusy" in names else "step"
    return StepFailure(step, kind, first)
