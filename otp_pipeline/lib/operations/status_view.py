"""`otp-pipeline status` as an operator reads it (a table) or a program does (JSON).

The JSON is documented in docs/operations.md (*otp-pipeline status*); its keys are stable.
The table is Rich's on a terminal and plain aligned text elsewhere (no control character).
"""

import json
from datetime import UTC
from typing import TextIO

from rich.console import Console
from rich.table import Table

from otp_pipeline.lib.operations import exit_codes
from otp_pipeline.lib.operations.status import TIME_FORMAT, MonthStatus, StatusReport
from otp_pipeline.lib.settings import FEEDS

COLUMNS = ("month", "landed", "loaded", "published", "stale", "deadline")


def as_dict(report: StatusReport) -> dict:
    """The documented JSON object."""
    return {
        "now": report.now.astimezone(UTC).strftime(TIME_FORMAT),
        "landing_dir": str(report.landing_dir),
        "publish_dir": str(report.publish_dir),
        "warehouse": report.warehouse,
        "objectives": report.objectives,
        "sectors": report.sectors,
        "months": [
            {
                "month": month.month,
                "landed": month.landed,
                "loaded": month.loaded,
                "published": month.published,
                "stale": month.stale,
                "stale_because": month.stale_because,
                "deadline": month.deadline,
            }
            for month in report.months
        ],
        "last_deadline_due": report.last_deadline_due,
        "next_deadline": report.next_deadline,
        "pending_runs": [{"first": first, "last": last} for first, last in report.pending_runs],
        "notes": report.notes,
        "exit_code": report.exit_code,
        "exit_meaning": exit_codes.MEANINGS[report.exit_code],
    }


def as_json(report: StatusReport) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False)


def _files(files: dict | None) -> str:
    if files is None:
        return "?"
    parts = []
    for source in FEEDS:
        entry = files.get(source)
        if not entry:
            parts.append(f"{source}: -")
        elif "error" in entry:
            parts.append(f"{source}: {entry['error']}")
        else:
            parts.append(entry["file"])
    return ", ".join(parts)


def _row(month: MonthStatus) -> tuple[str, ...]:
    published = month.published
    when = "-"
    if published:
        when = published["produced_at"] or "yes"
        if published["vintages"]:
            when += f" (+{len(published['vintages'])} vintage(s))"
    deadline = month.deadline
    return (
        month.month,
        _files(month.landed),
        _files(month.loaded),
        when,
        "STALE" if month.stale else ("no" if published else "-"),
        f"{deadline['state']} ({deadline['due_local']})",
    )


def as_table(report: StatusReport, out: TextIO) -> None:
    """The table, then what is stale and why, the deadlines and what is pending."""
    terminal = out.isatty()
    console = Console(file=out, force_terminal=terminal, width=None if terminal else 200,
                      no_color=not terminal, highlight=False)  # fmt: skip
    rows = [_row(month) for month in report.months]
    if terminal:
        table = Table(*COLUMNS, title="otp-pipeline status")
        for row in rows:
            table.add_row(*row, style="bold red" if row[4] == "STALE" else None)
        console.print(table)
    else:
        widths = [max([len(name)] + [len(row[i]) for row in rows])
                  for i, name in enumerate(COLUMNS)]  # fmt: skip
        for row in [COLUMNS, *rows]:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            out.write("  ".join(cells).rstrip() + "\n")
    for line in summary_lines(report):
        console.print(line, markup=False) if terminal else out.write(line + "\n")


def summary_lines(report: StatusReport) -> list[str]:
    """What follows the table: why months are stale, the warehouse, deadlines, pending."""
    lines = []
    for month in report.months:
        lines += [f"stale {month.month}: {why}" for why in month.stale_because]
    state = report.warehouse["state"]
    if state == "busy":
        lines.append(f"warehouse {report.warehouse['path']}: busy (a run holds it): 'loaded' "
                     "not read, the rest is from the landing and published folders")  # fmt: skip
    elif state != "read":
        lines.append(f"warehouse {report.warehouse['path']}: {state}")
    due = report.last_deadline_due
    if due:
        lines.append(f"last deadline due: month {due['month']}, {due['due_local']}: {due['state']}")
    upcoming = report.next_deadline
    lines.append(f"next deadline: month {upcoming['month']}, {upcoming['due_local']}: "
                 f"{upcoming['state']}")  # fmt: skip
    pending = ", ".join(first if first == last else f"{first}..{last}"
                        for first, last in report.pending_runs)  # fmt: skip
    lines.append(f"pending (otp-pipeline run --pending): {pending or 'nothing'}")
    lines += report.notes
    lines.append(f"exit {report.exit_code}: {exit_codes.MEANINGS[report.exit_code]}")
    return lines
