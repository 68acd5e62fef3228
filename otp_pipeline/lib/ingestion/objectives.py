"""The objectives file (§4): read whole, checked strictly, any fault a structural error."""

import csv
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.codes import simple_upper
from otp_pipeline.lib.ingestion.decoding import inspect_file, open_text
from otp_pipeline.lib.ingestion.reader import header_positions
from otp_pipeline.lib.months import MONTH_PATTERN, month_index
from otp_pipeline.lib.settings import OBJECTIVES_COLUMNS
from otp_pipeline.lib.warehouse import replace_table

NUMBER_COLUMNS = OBJECTIVES_COLUMNS[3:]
WHOLE_NUMBER = re.compile(r"^[0-9]+$")


@dataclass(frozen=True)
class ObjectivesReport:
    file: str
    sha256: str
    periods: int
    regions: int


def _period_row(values: list[str], label: str, line: int, regions: frozenset[str]) -> dict:
    row = dict(zip(OBJECTIVES_COLUMNS, values, strict=True))
    for column, value in row.items():
        if not value:
            raise StructuralError(label, f"missing value in column {column}", line)
    region = simple_upper(row["code_region"])
    if re.fullmatch(r"[1-9]", region):
        region = "0" + region
    if region not in regions:
        raise StructuralError(label, f"unknown region code {row['code_region']!r}", line)
    row["code_region"] = region
    for column in ("periode_debut", "periode_fin"):
        if not MONTH_PATTERN.match(row[column]):
            raise StructuralError(label, f"{column} {row[column]!r} is not a month YYYY-MM", line)
    if month_index(row["periode_debut"]) > month_index(row["periode_fin"]):
        raise StructuralError(label, "periode_debut is after periode_fin", line)
    for column in NUMBER_COLUMNS:
        if not WHOLE_NUMBER.match(row[column]):
            raise StructuralError(
                label, f"{column} {row[column]!r} is not a whole number >= 0", line
            )
        row[column] = int(row[column])
    return row


def read_objectives(path: Path, regions: frozenset[str]) -> list[dict]:
    """Every period of the file, checked; StructuralError naming file and line otherwise."""
    label = f"objectifs/{path.name}"
    facts = inspect_file(path, label, ("utf-8",))
    rows: list[dict] = []
    lines: dict[str, list[tuple[int, int, int]]] = {}
    with open_text(path, label, facts) as text:
        reader = csv.reader(text, delimiter=";", quotechar='"', strict=True)
        previous_end, positions = 0, None
        try:
            for record in reader:
                start, previous_end = previous_end + 1, reader.line_num
                values = [value.strip() for value in record]
                if len(values) <= 1 and not any(values):
                    continue
                if positions is None:
                    positions, width = (
                        header_positions(record, OBJECTIVES_COLUMNS, OBJECTIVES_COLUMNS, label),
                        len(record),
                    )
                    continue
                if len(values) != width:
                    raise StructuralError(
                        label, f"{len(values)} fields where the header has {width}", start
                    )
                row = _period_row([values[p] for p in positions], label, start, regions)
                span = (month_index(row["periode_debut"]), month_index(row["periode_fin"]), start)
                lines.setdefault(row["code_region"], []).append(span)
                rows.append(row)
        except csv.Error as error:
            raise StructuralError(label, f"malformed CSV ({error})", previous_end + 1) from error
    if not rows:
        raise StructuralError(label, "no data row (header only)")
    _check_overlaps(lines, label)
    for row in rows:
        row["sha256"] = facts.sha256
    return rows


def _check_overlaps(spans_by_region: dict, label: str) -> None:
    for region, spans in spans_by_region.items():
        ordered = sorted(spans)
        for (_, end, line_a), (start, _, line_b) in zip(ordered, ordered[1:], strict=False):
            if start <= end:
                raise StructuralError(
                    label,
                    f"periods of region {region} overlap (lines {line_a} and {line_b})",
                    line_b,
                )


def load_objectives(
    con: duckdb.DuckDBPyConnection, path: Path, rows: list[dict]
) -> ObjectivesReport:
    """Replace `raw.objectifs_otp` with the checked periods, in one transaction."""
    now = datetime.now(UTC).replace(tzinfo=None)
    table = pa.table(
        {
            **{c: [row[c] for row in rows] for c in OBJECTIVES_COLUMNS},
            "source_file": [path.name] * len(rows),
            "sha256": [row["sha256"] for row in rows],
            "loaded_at": pa.array([now] * len(rows), pa.timestamp("us")),
        }
    )
    replace_table(con, "raw.objectifs_otp", table)
    return ObjectivesReport(
        path.name, rows[0]["sha256"], len(rows), len({row["code_region"] for row in rows})
    )
