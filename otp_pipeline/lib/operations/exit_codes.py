"""The exit codes of `otp-pipeline run` and `otp-pipeline status` (docs/operations.md).

Distinct, so that a cron job or a CI step tells what went wrong without reading the output.
2 is left to argparse (a command line it cannot parse).
"""

OK = 0
FAILED = 1  # a run failed for another reason than the ones below: the log file says why
STRUCTURAL_ERROR = 3  # a delivery or the objectives break the contract (§6): fix the file
BLOCKING_CHECK_FAILED = 4  # a blocking data-quality check failed: the month is not published
WAREHOUSE_BUSY = 5  # another run holds the warehouse (`--no-wait`, or after the wait)
STALE = 6  # status: a published month no longer matches the files that land now
DEADLINE_MISSED = 7  # status: the last month due missed its publication deadline

MEANINGS = {
    OK: "ok",
    FAILED: "run failed",
    STRUCTURAL_ERROR: "structural error in the input",
    BLOCKING_CHECK_FAILED: "blocking check failed",
    WAREHOUSE_BUSY: "warehouse busy",
    STALE: "a published month is stale",
    DEADLINE_MISSED: "publication deadline missed",
}
