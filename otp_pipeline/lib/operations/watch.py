"""What the landing-folder sensor should run: one run per month whose deliveries changed.

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


@dataclass
class WatchPlan:
    """Runs to request (month, run key) and facts to report, with the cursor to keep."""

    runs: list[tuple[str, str]] = field(default_factory=list)
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
    """Months to run now: a month whose winning files (name + SHA-256) changed since the
    last tick, once both feeds have a delivery for it; for a month seen before (a revision
    or a replaced file), also every later month already published, since their entries and
    cumulative figures change. Run keys hold file names and checksums: Dagster never runs
    the same key twice, so the same file never runs twice."""
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
    for month in sorted(winners):
        files = winners[month]
        missing = [name for name in FEEDS if name not in files]
        if missing:
            plan.reports.append(f"month {month} waits for {', '.join(missing)}")
            continue
        key = f"{month}|" + "|".join(files[name] for name in sorted(files))
        previous = state["months"].get(month)
        if previous == key:
            continue
        plan.runs.append((month, key))
        if previous is not None:
            later = [m for m in published_months if month_index(m) > month_index(month)]
            plan.runs += [(m, f"{m}|after|{key}") for m in later]
        state["months"][month] = key
    plan.cursor = json.dumps(state, sort_keys=True)
    return plan
