"""Where every month stands: what landed, what the warehouse loaded, what is published, whether
that publication is stale, and the publication deadlines (`otp-pipeline status`).

The same facts the delivery sensor and the deadline sensor use, from the same code: the
winning file of a source and a month (`lib/ingestion/landing.py`), the runs a change asks
for (`lib/operations/watch.py`) and the deadline rules (`lib/operations/deadlines.py`).

A published month M is **stale** when a file its manifest lists no longer matches what
wins in the landing folder now: any source-month up to M (name or SHA-256), a source-month
up to M delivered since, the objectives file, or the sectors file (§9) when the manifest
says which one it used (`"secteurs_avenir"`, null when there was none).

Never waits for a run: the warehouse is read only if its writer lock is free at once, and
otherwise reported busy, the rest coming from the landing and published folders.
"""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.checksums import kept_checksums, kept_sha256
from otp_pipeline.lib.ingestion.decoding import sha256_of
from otp_pipeline.lib.ingestion.landing import (
    SECTORS_STEM,
    objectives_file,
    scan_feed_folder,
    sectors_file,
    winning_delivery,
)
from otp_pipeline.lib.months import month_from_index, month_index, months_between
from otp_pipeline.lib.operations import exit_codes
from otp_pipeline.lib.operations.deadlines import review_deadlines, verdict
from otp_pipeline.lib.operations.watch import runs_for
from otp_pipeline.lib.publication.manifest import MANIFEST_NAME, VINTAGES, read_produced_at
from otp_pipeline.lib.settings import FEEDS, FIRST_MONTH
from otp_pipeline.lib.warehouse import WarehouseBusy, warehouse_lock

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_quiet = logging.getLogger(__name__ + ".landing")  # the scan's "ignored" lines: not ours to say
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


@dataclass
class MonthStatus:
    """One month, from 2021-01 to the last delivery."""

    month: str
    landed: dict[str, dict | None]  # source -> {file, revision} or {error}; None: nothing
    loaded: dict[str, dict | None] | None  # None when the warehouse could not be read
    published: dict | None  # {folder, produced_at, vintages}
    stale_because: list[str] = field(default_factory=list)
    deadline: dict = field(default_factory=dict)  # {due, state, first_published_at}

    @property
    def stale(self) -> bool:
        return bool(self.stale_because)


@dataclass
class StatusReport:
    """Everything `otp-pipeline status` says, and its exit code."""

    now: datetime
    landing_dir: Path
    publish_dir: Path
    warehouse: dict  # {path, state: read | busy | absent | empty}
    objectives: dict | None
    sectors: dict | None
    months: list[MonthStatus]
    last_deadline_due: dict | None
    next_deadline: dict
    pending_runs: list[tuple[str, str]]
    notes: list[str]

    @property
    def exit_code(self) -> int:
        if any(month.stale for month in self.months):
            return exit_codes.STALE
        if self.last_deadline_due and self.last_deadline_due["state"] in ("late", "missed"):
            return exit_codes.DEADLINE_MISSED
        return exit_codes.OK


class _Landing:
    """The landing folder as the sensor sees it: each source-month's winner, checksums kept.

    `kept` are the warehouse's checksums by path (raw.file_checksums: size, mtime_ns,
    sha256): a file at the size and mtime kept is not read again, as the ingestion does
    (lib/ingestion/checksums.py), so that status and the run agree on what changed."""

    def __init__(self, landing_dir: Path, kept: dict[str, tuple] | None = None):
        self.dir = Path(landing_dir)
        self.winners: dict[tuple[str, str], object] = {}  # (source, month) -> Delivery or error
        self.notes: list[str] = []
        self._sha: dict[Path, str] = {}
        self._kept = kept or {}
        for feed in FEEDS.values():
            scan = scan_feed_folder(self.dir, feed)
            self.notes += [f"ignored {feed.name}/{name}: not a delivery name"
                           for name in scan.ignored]  # fmt: skip
            for month in scan.deliveries:
                if month_index(month) < month_index(FIRST_MONTH):
                    continue
                try:
                    self.winners[feed.name, month] = winning_delivery(scan, feed, month)
                except StructuralError as error:
                    self.winners[feed.name, month] = str(error)

    def sha(self, path: Path) -> str:
        if path not in self._sha:
            self._sha[path] = kept_sha256(self._kept, path) or sha256_of(path)
        return self._sha[path]

    def last_month(self) -> str | None:
        return max((month for _, month in self.winners), key=month_index, default=None)

    def landed(self, source: str, month: str) -> dict | None:
        winner = self.winners.get((source, month))
        if winner is None or isinstance(winner, str):
            return {"error": winner} if winner else None
        return {"file": winner.name, "revision": winner.revision}

    def differs(self, source: str, month: str, file: str, sha256: str) -> str | None:
        """Why the winner of (source, month) is not `file` / `sha256`; None when it is."""
        winner = self.winners.get((source, month))
        if winner is None:
            return f"{source} {month}: published from {file}, no longer in the landing folder"
        if isinstance(winner, str):
            return f"{source} {month}: published from {file}, now {winner}"
        if winner.name != file:
            return f"{source} {month}: published from {file}, now {winner.name}"
        if self.sha(winner.path) != sha256:
            return f"{source} {month}: {file} changed since it was published (SHA-256)"
        return None


def collect(
    landing_dir: Path, publish_dir: Path, warehouse: Path, now: datetime | None = None
) -> StatusReport:
    """The status of every month as of `now` (default: the current time, UTC)."""
    now = now or datetime.now(UTC)
    loaded, warehouse_state, kept = _loaded(Path(warehouse))
    landing = _Landing(landing_dir, kept)
    objectives = _objectives(landing)
    sectors = _sectors(landing)
    last = landing.last_month()
    months = []
    for month in months_between(FIRST_MONTH, last) if last else []:
        status = MonthStatus(
            month=month,
            landed={source: landing.landed(source, month) for source in FEEDS},
            loaded=None if loaded is None else {s: loaded.get((s, month)) for s in FEEDS},
            published=_published(Path(publish_dir), month),
        )
        if status.published:
            manifest = _manifest(Path(publish_dir) / month)
            status.stale_because = _stale(manifest, month, landing, objectives, sectors)
        status.deadline = _deadline(verdict(Path(publish_dir), month, now))
        months.append(status)
    review = review_deadlines(Path(publish_dir), None, now)
    last_due = review.verdicts[-1] if review.verdicts else None
    upcoming = month_from_index(month_index(last_due.month) + 1) if last_due else FIRST_MONTH
    report = StatusReport(
        now=now, landing_dir=Path(landing_dir), publish_dir=Path(publish_dir),
        warehouse={"path": str(warehouse), "state": warehouse_state},
        objectives=objectives, sectors=sectors, months=months,
        last_deadline_due=_deadline(last_due) if last_due else None,
        next_deadline=_deadline(verdict(Path(publish_dir), upcoming, now)),
        pending_runs=[], notes=landing.notes,
    )  # fmt: skip
    report.pending_runs = pending_runs(report)
    return report


def pending_runs(report: StatusReport) -> list[tuple[str, str]]:
    """What the landing sensor would run, from what is published rather than its cursor:
    each month delivered by both sources and not published is a run of its own, and the
    earliest stale month makes one range run to the last month published (`runs_for`)."""
    published = [m.month for m in report.months if m.published]
    changed, revised = {}, []
    for month in report.months:
        both = all(month.landed[source] for source in FEEDS)
        if both and (month.stale or not month.published):
            changed[month.month] = month.month
            if month.stale:
                revised.append(month.month)
    return [(run.first, run.last) for run in runs_for(changed, revised, published)]


def _objectives(landing: _Landing) -> dict | None:
    try:
        path = objectives_file(landing.dir, _quiet)
    except StructuralError:
        return None
    return {"file": path.name, "sha256": landing.sha(path)}


def _sectors(landing: _Landing) -> dict | None:
    """The sectors file of §9 as it lands now (optional; None when absent), found as the
    ingestion finds it. Both `.csv` and `.csv.gz` is a structural error for the run:
    reported here as a changed file."""
    try:
        path = sectors_file(landing.dir, _quiet)
    except StructuralError:
        return {"file": f"{SECTORS_STEM} and {SECTORS_STEM}.gz", "sha256": "conflict"}
    return {"file": path.name, "sha256": landing.sha(path)} if path else None


@contextmanager
def lock_without_waiting(warehouse: Path) -> Iterator[None]:
    """Hold the warehouse's writer lock if it is free now; WarehouseBusy at once otherwise
    (without the "waiting" line `warehouse_lock` logs for a run that waits)."""
    lock_log = logging.getLogger("otp_pipeline.lib.warehouse")
    lock_log.disabled = True
    try:
        with warehouse_lock(warehouse, wait_seconds=0):
            lock_log.disabled = False
            yield
    finally:
        lock_log.disabled = False


def _loaded(warehouse: Path) -> tuple[dict | None, str, dict]:
    """What raw.deliveries says was loaded, by (source, month); None when not read, and why;
    and the checksums the ingestion kept, by path."""
    if not warehouse.is_file():
        return None, "absent", {}
    try:
        with (
            lock_without_waiting(warehouse),
            duckdb.connect(str(warehouse), read_only=True) as con,
        ):
            rows = con.execute(
                "select source, mois, source_file, revision, sha256, loaded_at"
                " from raw.deliveries order by source, mois"
            ).fetchall()
            kept = kept_checksums(con)
    except (WarehouseBusy, duckdb.IOException):
        return None, "busy", {}
    except duckdb.CatalogException:
        return {}, "empty", {}
    loaded = {
        (source, month): {"file": file, "revision": revision, "sha256": sha,
                          "loaded_at": loaded_at.strftime(TIME_FORMAT)}
        for source, month, file, revision, sha, loaded_at in rows
    }  # fmt: skip
    return loaded, "read", kept


def _published(publish_dir: Path, month: str) -> dict | None:
    folder = publish_dir / month
    if not folder.is_dir():
        return None
    vintages = publish_dir / VINTAGES / month
    older = sorted(p for p in vintages.iterdir() if p.is_dir()) if vintages.is_dir() else []
    return {
        "folder": str(folder),
        "produced_at": _text(read_produced_at(folder)),
        "vintages": [_text(read_produced_at(path)) or path.name for path in older],
    }


def _manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _stale(manifest: dict, month: str, landing: _Landing, objectives, sectors) -> list[str]:
    """Why the publication of `month` no longer matches the landing folder ([] if it does)."""
    if not manifest:
        return [f"{month}: no readable {MANIFEST_NAME}"]
    reasons, listed = [], set()
    for entry in manifest.get("fichiers_sources") or []:
        source, of = entry.get("source"), entry.get("mois")
        listed.add((source, of))
        if why := landing.differs(source, of, entry.get("file"), entry.get("sha256")):
            reasons.append(why)
    for (source, of), winner in sorted(landing.winners.items()):
        if (source, of) not in listed and month_index(of) <= month_index(month):
            name = winner if isinstance(winner, str) else winner.name
            reasons.append(f"{source} {of}: {name} landed after the publication")
    used = manifest.get("fichier_objectifs")
    if used and (not objectives or objectives["sha256"] != used.get("sha256")):
        now = objectives["file"] if objectives else "no objectives file"
        reasons.append(f"objectives: published from {used.get('file')}, now {now} (SHA-256)")
    if "secteurs_avenir" in manifest:  # older manifests do not say: not judged
        used = manifest["secteurs_avenir"]
        if (used or {}).get("sha256") != (sectors or {}).get("sha256"):
            was = used.get("file") if used else "no sectors file"
            reasons.append(f"sectors: published with {was}, now "
                           f"{sectors['file'] if sectors else 'no sectors file'}")  # fmt: skip
    return reasons


def _deadline(judged) -> dict:
    state = "in_time" if judged.in_time else ("late" if judged.published_at else "missed")
    return {
        "month": judged.month,
        "due": _text(judged.deadline),
        "due_local": judged.rule.shown(judged.deadline),
        "state": state if judged.final else "open",
        "first_published_at": _text(judged.published_at),
    }


def _text(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime(TIME_FORMAT) if moment else None
