"""What a republished month changed against the publication it replaces (contract §7).

The manifest's `"changes"`: for every published table, the rows added, removed and changed,
rows matched on the table's grain (its primary key, table_schema.py) and compared as the
text written in the CSV, null being the empty field. The previous publication is the
`YYYY-MM/` folder about to become a vintage; none means `"changes": null`.
"""

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from otp_pipeline.lib.publication.manifest import MANIFEST_NAME
from otp_pipeline.lib.publication.table_schema import MARTS_DIR, primary_key
from otp_pipeline.lib.publication.tables import Table


def month_changes(
    previous: Path | None, current: Path, tables: Iterable[Table], models_dir: Path = MARTS_DIR
) -> dict | None:
    """`"changes"` of the publication written in `current` against the one in `previous`."""
    if previous is None or not Path(previous).is_dir():
        return None
    return {
        "previous_produced_at": previous_manifest(previous).get("produced_at"),
        "tables": {
            table.name: table_changes(
                Path(previous) / f"{table.name}.csv",
                Path(current) / f"{table.name}.csv",
                primary_key(table, models_dir),
            )
            for table in tables
        },
    }


def table_changes(previous_csv: Path, current_csv: Path, key: tuple[str, ...]) -> dict:
    """Rows added, removed and changed from `previous_csv` to `current_csv`, matched on `key`.

    A previous file that does not exist (a table new since then) counts every row as added.
    """
    before = _rows_by_key(previous_csv, key) if Path(previous_csv).is_file() else {}
    after = _rows_by_key(current_csv, key)
    common = before.keys() & after.keys()
    return {
        "rows_added": len(after.keys() - before.keys()),
        "rows_removed": len(before.keys() - after.keys()),
        "rows_changed": sum(before[k] != after[k] for k in common),
    }


def previous_manifest(folder: Path) -> dict:
    """The manifest of the publication in `folder`; empty when it cannot be read (a folder
    made by hand or by an older version still has its tables compared)."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _rows_by_key(path: Path, key: tuple[str, ...]) -> dict[tuple[str, ...], dict[str, str]]:
    """Each row of a published CSV by its key, the other columns as written (text)."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        rows = {}
        for row in reader:
            values = {name: row[name] for name in reader.fieldnames or [] if name not in key}
            rows[tuple(row[name] for name in key)] = values
    return rows
