"""What a month's manifest says about its inputs: the files used and the code version."""

import json
import subprocess
from functools import cache

import duckdb

from otp_pipeline import __version__
from otp_pipeline.lib.paths import PROJECT_ROOT


@cache
def code_version() -> str:
    """The package version, and the git commit when the code runs from a clone."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
            text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{commit}"


def source_files(con: duckdb.DuckDBPyConnection, month: str) -> list[dict]:
    """Every delivery file a month's figures are computed from: both sources, 2021-01 to M."""
    rows = con.execute(
        """
        select source, mois, source_file, revision, sha256, encoding, rows_read, rows_loaded,
               rows_quarantined, rows_duplicates, quarantine_reasons,
               invalid_type_prescripteur, odd_values
        from raw.deliveries
        where mois <= $month
        order by source, mois
        """,
        {"month": month},
    ).fetchall()
    files = []
    for row in rows:
        (source, mois, name, revision, sha256, encoding, read, loaded, quarantined,
         duplicates, reasons, invalid, odd) = row  # fmt: skip
        files.append(
            {
                "source": source, "mois": mois, "file": name, "revision": revision,
                "sha256": sha256, "encoding": encoding, "rows_read": read,
                "rows_loaded": loaded, "rows_quarantined": quarantined,
                "rows_duplicates": duplicates, "quarantine_reasons": json.loads(reasons),
                "invalid_type_prescripteur": json.loads(invalid),
                "odd_values": json.loads(odd),
            }
        )  # fmt: skip
    return files


def objectives_file(con: duckdb.DuckDBPyConnection) -> dict | None:
    [row] = con.execute(
        "select any_value(source_file), any_value(sha256), count(*) from raw.objectifs_otp"
    ).fetchall()
    return {"file": row[0], "sha256": row[1], "periods": row[2]} if row[2] else None
