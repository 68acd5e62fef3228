"""The `otp-pipeline` command: one subcommand per task (`otp-pipeline demo-data …`).

A subcommand is a function adding its parser to `SUBCOMMANDS`; its handler takes the
parsed arguments and returns the exit code. Handlers import their work lazily so that
`otp-pipeline --help` stays fast whatever heavy libraries a command needs.
"""

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from otp_pipeline.lib.months import months_between

DEFAULT_LANDING_DIR = "data/landing"  # contract §1, when OTP_LANDING_DIR is not set


def parse_months(text: str) -> list[str]:
    """`2021-01:2021-12` (both ends included), `2021-03`, or a comma list of those."""
    months: list[str] = []
    for part in text.split(","):
        first, _, last = part.strip().partition(":")
        try:
            span = months_between(first, last or first)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        if not span:
            raise argparse.ArgumentTypeError(f"empty month range: {part.strip()!r}")
        months += span
    return sorted(set(months))


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0: {text}")
    return value


def _add_demo_data(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "demo-data",
        help="write a realistic demo landing folder (si_pe, imilo, objectifs)",
        description="Write demo monthly feeds and objectives, with the quirks and about 1 %% "
        "row errors the contract allows; files of the given months are replaced.",
    )
    parser.add_argument(
        "--out", type=Path, default=None,
        help=f"landing folder (default: $OTP_LANDING_DIR, else {DEFAULT_LANDING_DIR})",
    )  # fmt: skip
    parser.add_argument(
        "--months", type=parse_months, default="2021-01:2021-12",
        help="months to write: 2021-01:2021-12, 2021-03 or a comma list (default: 2021)",
    )  # fmt: skip
    parser.add_argument(
        "--scale", type=_positive_float, default=1.0,
        help="volume factor: 1.0 ≈ 100,000 AIS and 40,000 I-Milo rows a month",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=7, help="same seed, same bytes")
    parser.add_argument("--ref-dir", type=Path, default=None, help="INSEE referential folder")
    parser.add_argument(
        "--clean", action="store_true",
        help="plain UTF-8 files, no row error, duplicate, blank line or revision (the "
        "benchmark baseline's input); the content is otherwise as realistic",
    )  # fmt: skip
    parser.set_defaults(handler=_demo_data)


def _demo_data(args: argparse.Namespace) -> int:
    from otp_pipeline.lib.demo.landing import generate_landing

    out = args.out or Path(os.environ.get("OTP_LANDING_DIR") or DEFAULT_LANDING_DIR)
    options = {"ref_dir": args.ref_dir} if args.ref_dir else {}
    started = time.monotonic()
    try:
        summary = generate_landing(
            out, args.months, args.scale, args.seed, clean=args.clean, **options
        )
    except (ValueError, OSError) as error:
        print(f"otp-pipeline demo-data: error: {error}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    print(
        f"Wrote {len(summary['files']) + 1} files to {out} in {elapsed:.1f} s "
        f"(months {args.months[0]}..{args.months[-1]}, scale {args.scale}, seed {args.seed}"
        f"{', clean' if args.clean else ''})"
    )
    for file in summary["files"]:
        errors = sum(file["quarantined"].values())
        print(
            f"  {file['file']:<30} {file['encoding']:<9} {file['rows']:>10,} rows "
            f"{errors:>7,} to quarantine {file['duplicates']:>4} duplicates"
        )
    print(f"  {summary['objectives']['file']:<30} {summary['objectives']['rows']:>20,} rows")
    reasons = ", ".join(f"{reason} {count}" for reason, count in summary["row_errors"].items())
    print(f"Rows to quarantine, by reason: {reasons}")
    if summary["removed"]:
        print(f"Replaced earlier files: {', '.join(summary['removed'])}")
    return 0


def _add_run(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "run",
        help="run the whole pipeline for the months, in order, on the DAGSTER_HOME instance",
        description="Materialise every asset (ingestion, dbt, checks, publication) for the "
        "months, in this process: consecutive months in one run (a single-run backfill, "
        "each month computed as of itself); stops at the first run that fails. Shows the "
        "progress (live on a terminal, one line per step otherwise) and a summary; the full "
        "log goes to a file under $DAGSTER_HOME/logs/. Exit codes: 0 done, 1 failed, "
        "3 structural error in the input, 4 blocking check failed, 5 warehouse busy.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--months", type=parse_months,
                       help="2021-01:2021-06, 2021-03 or a comma list")  # fmt: skip
    which.add_argument(
        "--pending", action="store_true",
        help="run what is waiting, as the landing sensor would: months delivered and not "
        "published, and one range from the earliest stale month to the last published",
    )  # fmt: skip
    parser.add_argument("--verbose", action="store_true",
                        help="stream Dagster's events and dbt's log here as they come")  # fmt: skip
    parser.add_argument(
        "--no-wait", dest="wait", action="store_false",
        help="exit at once (code 5) when another run holds the warehouse, instead of waiting",
    )  # fmt: skip
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from otp_pipeline.runner import run_months, run_spans

    if args.pending:
        from otp_pipeline.lib.operations.status import pending_runs

        return run_spans(pending_runs(_status_report()), verbose=args.verbose, wait=args.wait)
    return run_months(args.months, verbose=args.verbose, wait=args.wait)


def _add_status(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "status",
        help="what landed, what the warehouse loaded, what is published, stale, due",
        description="For every month from 2021-01 to the last delivery: the winning file of "
        "each source, what the warehouse loaded, when the month was published (and its "
        "vintages), whether it is stale, and its publication deadline; then the next "
        "deadline and what `run --pending` would run. Never waits for a run: when one holds "
        "the warehouse, says so and reports from the landing and published folders. Exit "
        "codes: 0 all well, 6 a month is stale, 7 the last deadline due was missed.",
    )
    parser.add_argument("--json", action="store_true", help="the same facts as JSON")
    parser.add_argument(
        "--now", type=_aware_time, default=None,
        help="judge deadlines as of this time (ISO 8601 with its offset; default: now)",
    )  # fmt: skip
    parser.set_defaults(handler=_status)


def _aware_time(text: str):
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give the offset (2021-04-10T09:00+02:00): {text}")
    return moment


def _status_report(now=None):
    """Where every month stands, for the paths a run would use (OTP_* variables)."""
    from otp_pipeline.defs.resources import OtpSettings
    from otp_pipeline.lib.operations.status import collect

    otp = OtpSettings()
    return collect(otp.landing_path, otp.publish_path, otp.warehouse_path, now)


def _status(args: argparse.Namespace) -> int:
    from otp_pipeline.lib.operations.status_view import as_json, as_table

    report = _status_report(args.now)
    if args.json:
        print(as_json(report))
    else:
        as_table(report, sys.stdout)
    return report.exit_code


def _add_purge(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "purge",
        help="delete the person-level rows (raw and quarantine) of months before a horizon",
        description="Delete raw.si_pe, raw.imilo and raw.quarantine rows of every month "
        "before --before, keeping raw.deliveries (accounting) and recording raw.purges. "
        "Published tables are untouched. Purged months can no longer be recomputed.",
    )
    parser.add_argument("--before", required=True, help="horizon YYYY-MM (kept: this month on)")
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="DuckDB file (default: $OTP_WAREHOUSE)")  # fmt: skip
    parser.add_argument("--keep-months", type=int, default=24,
                        help="refuse unless this many months keep their rows")  # fmt: skip
    parser.set_defaults(handler=_purge)


def _purge(args: argparse.Namespace) -> int:
    from otp_pipeline.lib.operations.retention import RetentionError, purge_before
    from otp_pipeline.lib.warehouse import connect

    warehouse = args.warehouse or Path(
        os.environ.get("OTP_WAREHOUSE") or "data/warehouse/otp.duckdb"
    )
    try:
        with connect(warehouse) as con:
            purged = purge_before(con, args.before, args.keep_months)
    except (RetentionError, ValueError) as error:
        print(f"otp-pipeline purge: error: {error}", file=sys.stderr)
        return 1
    for item in purged:
        print(f"purged {item.source} {item.month}: {item.rows} rows, "
              f"{item.quarantine_rows} quarantined rows")  # fmt: skip
    print(f"{len(purged)} source-month(s) purged before {args.before}")
    return 0


SUBCOMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_demo_data,
    _add_run,
    _add_status,
    _add_purge,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otp-pipeline", description="OTP pipeline: monthly training targets by region."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `otp-pipeline` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
