"""What a run published, month by month, read back from the published folders.

The summary an operator reads when `otp-pipeline run` ends: for each month the folder, rows
per table, the checks passed / warned / failed by name, the rows quarantined by reason, the
regions `A_EXAMINER` and the report. Read from what consumers get (the month's
`manifest.json` and `qualite_prescripteur.csv`), so the summary cannot say more than was
published.
"""

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from otp_pipeline.lib.operations.progress import CheckOutcome, RunProgress, shown_path

MANIFEST = "manifest.json"
REGIONS_TABLE = "qualite_prescripteur.csv"
REPORT = "rapport.html"


@dataclass
class MonthSummary:
    """One published month, as its folder says."""

    month: str
    folder: Path
    produced_at: str
    rows: dict[str, int]
    checks: dict[str, list[str]]  # passed / warned / failed -> check names
    quarantined: dict[str, int]  # reason -> rows, both sources added up
    regions_a_examiner: list[str] = field(default_factory=list)  # `code libellé`

    @property
    def report(self) -> Path:
        return self.folder / REPORT


def read_month(folder: Path) -> MonthSummary:
    """The summary of the publication in `folder` (`$OTP_PUBLISH_DIR/YYYY-MM`)."""
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    month = manifest["mois"]
    checks: dict[str, list[str]] = {"passed": [], "warned": [], "failed": []}
    for result in manifest.get("controles_qualite", []):
        outcome = CheckOutcome(result["asset"], result["check"], result["passed"],
                               result["severity"], result.get("blocking", False))  # fmt: skip
        checks[outcome.state].append(outcome.name)
    quarantined: Counter = Counter()
    for source in manifest.get("fichiers_sources", []):
        if source.get("mois") == month:
            quarantined.update(source.get("quarantine_reasons") or {})
    return MonthSummary(
        month=month,
        folder=folder,
        produced_at=manifest.get("produced_at", ""),
        rows=dict(manifest.get("tables", {})),
        checks=checks,
        quarantined=dict(sorted(quarantined.items(), key=lambda item: (-item[1], item[0]))),
        regions_a_examiner=_regions_a_examiner(folder / REGIONS_TABLE),
    )


def _regions_a_examiner(path: Path) -> list[str]:
    if not path.is_file():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter=";")
        return [f"{row['code_region']} {row['libelle_region']}" for row in rows
                if row.get("fiabilite") == "A_EXAMINER"]  # fmt: skip


def month_lines(summary: MonthSummary) -> list[str]:
    """The month's summary as plain lines (the terminal's summary is the same text)."""
    checks = summary.checks
    names = {state: f" ({', '.join(checks[state])})" if checks[state] else ""
             for state in ("warned", "failed")}  # fmt: skip
    quarantined = sum(summary.quarantined.values())
    reasons = ", ".join(f"{reason} {count:,}" for reason, count in summary.quarantined.items())
    return [
        f"{summary.month}  published {shown_path(summary.folder)} "
        f"(produced_at {summary.produced_at})",
        "  rows:        " + ", ".join(f"{name} {count:,}" for name, count in summary.rows.items()),
        f"  checks:      {len(checks['passed'])} passed, {len(checks['warned'])} warned"
        f"{names['warned']}, {len(checks['failed'])} failed{names['failed']}",
        f"  quarantined: {quarantined:,} rows" + (f" ({reasons})" if reasons else ""),
        "  A_EXAMINER:  " + (", ".join(summary.regions_a_examiner) or "none"),
        f"  report:      {shown_path(summary.report)}",
    ]


def run_summary(progress: RunProgress, log_file: Path | None, run_ids: list[str]) -> list[str]:
    """The closing lines of a run: each published month, what failed, where the log is."""
    lines = [f"Summary of the run {progress.label} ({progress.elapsed():.1f} s, "
             f"{progress.rows_read:,} rows read)"]  # fmt: skip
    for month in progress.months:
        published = progress.published.get(month)
        if published and published.get("folder"):
            lines += month_lines(read_month(Path(published["folder"])))
        else:
            lines.append(f"{month}  not published")
    failed = [check for check in progress.checks if check.state == "failed"]
    if failed:
        lines.append("Checks failed: " + ", ".join(f"{c.name} on {c.asset}"
                                                   + (" (blocking)" if c.blocking else "")
                                                   for c in failed))  # fmt: skip
    lines += [failure.one_line() for failure in progress.failures]
    if run_ids:
        lines.append(f"Dagster run(s): {', '.join(run_ids)} (the UI's Runs page)")
    if log_file is not None:
        lines.append(f"Full log: {shown_path(log_file)}")
    return lines
