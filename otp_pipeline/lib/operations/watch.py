"""What the landing-folder sensor should run: a run per new month, one range run per revision.

Pure logic over the landing folder and a cursor, so it is tested without a Dagster daemon.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.decoding import sha256_of
from otp_pipeline.lib.ingestion.landing import scan_feed_folder, winning_delivery
from otp_pipeline.lib.months import month_index
from otp_pipeline.lib.settings import FEEDS, FIRST_MONTH


@dataclass(frozen=True)
class PlannedRun:
    """One run to request: the months `first` to `last` (equal for one month), its run key."""

    first: str
    last: str
    key: str


@dataclass
class WatchPlan:
    """Runs to request, in month order, and facts to report, with the cursor to keep."""

    runs: list[PlannedRun] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    cursor: str = ""


def _fingerprint(path: Path, files: dict) -> str:
    """SHA-256 of a file, recomputed only when its size or modification time changed."""
    stat = path.stat()
    known = files.get(str(path))
    if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
        return known[2]
    sha = sha256_of(path)
    files[str(path)] = [stat.st_size, stat.st_mtime_ns, sha]
    return sha


def plan_runs(landing_dir: Path, published_months: list[str], cursor: str | None) -> WatchPlan:
    """Runs to request now, for the months whose winning files (name + SHA-256) changed since
    the last tick, once both feeds have a delivery for them.

    A month seen before (a revision, or a replaced file) changes the entries and cumulative
    figures of every later month already published: the earliest such month M makes ONE
    range run, from M to the last published month, covering any other changed month in
    between. Each other changed month (a new delivery) is a run of its own. A run key holds
    the file names and checksums of the changed months it covers (a revision's range run
    has the key a run of that month alone would have): Dagster never runs the same key
    twice, so the same file never runs twice, even if the cursor is lost."""
    state = json.loads(cursor) if cursor else {"months": {}, "files": {}}
    plan = WatchPlan()
    winners: dict[str, dict[str, str]] = {}
    for feed in FEEDS.values():
        scan = scan_feed_folder(landing_dir, feed)
        plan.reports += [
            f"ignored {feed.name}/{name}: not a delivery name" for name in scan.ignored
        ]
        for month in sorted(scan.deliveries):
            if month_index(month) < month_index(FIRST_MONTH):
                plan.reports += [f"ignored {feed.name}/{d.name}: month before {FIRST_MONTH}"
                                 for d in scan.deliveries[month]]  # fmt: skip
                continue
            try:
                delivery = winning_delivery(scan, feed, month)
                name = delivery.name
                sha = _fingerprint(delivery.path, state["files"])
            except StructuralError as error:  # two files for one revision: let the run say it
                name, sha = error.file, "conflict"
            winners.setdefault(month, {})[feed.name] = f"{name}@{sha[:16]}"
    changed: dict[str, str] = {}  # month -> its key, in month order
    revised: list[str] = []
    for month in sorted(winners, key=month_index):
        files = winners[month]
        missing = [name for name in FEEDS if name not in files]
        if missing:
            plan.reports.append(f"month {month} waits for {', '.join(missing)}")
            continue
        key = f"{month}|" + "|".join(files[name] for name in sorted(files))
        previous = state["months"].get(month)
        if previous == key:
            continue
        changed[month] = key
        if previous is not None:
            revised.append(month)
        state["months"][month] = key
    plan.runs = runs_for(changed, revised, published_months)
    plan.cursor = json.dumps(state, sort_keys=True)
    return plan


def runs_for(changed: dict[str, str], revised: list[str], published: list[str]) -> list[PlannedRun]:
    """One range run from the earliest revised month to the last published month, and one
    run per changed month outside it, in month order."""
    runs, alone = [], list(changed)
    if revised:
        first = revised[0]
        last = max([first, *published], key=month_index)
        covered = [m for m in changed if month_index(first) <= month_index(m) <= month_index(last)]
        runs.append(PlannedRun(first, last, "|".join(changed[m] for m in covered)))
        alone = [m for m in changed if m not in covered]
    runs += [PlannedRun(month, month, changed[month]) for month in alone]
    return sorted(runs, key=lambda run: month_index(run.first))
