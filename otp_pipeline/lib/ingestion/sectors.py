"""The sectors of the future (§9): an optional file of ROME prefixes per region, read whole,
checked strictly, any fault a structural error naming the file and the line."""

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.codes import simple_upper
from otp_pipeline.lib.ingestion.decoding import inspect_file, open_text
from otp_pipeline.lib.ingestion.reader import header_positions, is_blank
from otp_pipeline.lib.warehouse import replace_table

SECTORS_COLUMNS = ("code_region", "code_secteur", "libelle_secteur", "prefixe_rome")
NATIONAL = "*"
# Codes the classification itself gives: a file may not name a sector so.
RESERVED_CODES = frozenset({"HORS_LISTE", "NON_RENSEIGNE"})
SECTOR_CODE = re.compile(r"[A-Z0-9_]+")  # [A-Z0-9], not \w: ASCII only
PREFIX_DIGITS = re.compile(r"[0-9]{0,4}")


@dataclass(frozen=True)
class SectorRow:
    """One data row of the file, its values as §9 reads them."""

    line: int
    code_region: str  # `*` or a padded REG
    code_secteur: str  # upper-cased
    libelle_secteur: str  # trimmed
    prefixe_rome: str  # upper-cased


@dataclass(frozen=True)
class SectorsFile:
    """The checked file: its rows, name and checksum."""

    name: str
    sha256: str
    rows: tuple[SectorRow, ...]

    def prefixes_per_list(self) -> dict[str, int]:
        """How many prefixes each list holds (`*` the national one), by list."""
        return dict(sorted(Counter(row.code_region for row in self.rows).items()))


@dataclass
class _Seen:
    """What the rows before the current one declared: the duplicate rules of §9."""

    prefixes: set[tuple[str, str]] = field(default_factory=set)
    labels: dict[str, tuple[str, int]] = field(default_factory=dict)


def read_sectors(path: Path, regions: frozenset[str], domains: frozenset[str]) -> SectorsFile:
    """Every row of the sectors file, checked; the first fault in file order raises a
    StructuralError naming the file, the line and the problem."""
    label = f"objectifs/{path.name}"
    facts = inspect_file(path, label, ("utf-8",))
    rows: list[SectorRow] = []
    seen = _Seen()
    with open_text(path, label, facts) as text:
        reader = csv.reader(text, delimiter=";", quotechar='"', strict=True)
        previous_end, positions, width = 0, None, 0
        try:
            for record in reader:
                start, previous_end = previous_end + 1, reader.line_num
                if is_blank(record):
                    continue
                if positions is None:
                    positions = header_positions(record, SECTORS_COLUMNS, SECTORS_COLUMNS, label)
                    width = len(record)
                    continue
                if len(record) != width:
                    raise StructuralError(
                        label, f"{len(record)} fields where the header has {width}", start
                    )
                values = [record[position].strip() for position in positions]
                row = _sector_row(values, label, start, regions, domains)
                _check_unique(row, seen, label)
                rows.append(row)
        except csv.Error as error:
            raise StructuralError(label, f"malformed CSV ({error})", previous_end + 1) from error
    if not rows:
        raise StructuralError(label, "no data row")
    return SectorsFile(path.name, facts.sha256, tuple(rows))


def _sector_row(
    values: list[str], label: str, line: int, regions: frozenset[str], domains: frozenset[str]
) -> SectorRow:
    for column, value in zip(SECTORS_COLUMNS, values, strict=True):
        if not value:
            raise StructuralError(label, f"missing value in column {column}", line)
    region, code, libelle, prefix = values
    if re.fullmatch(r"[1-9]", region):
        region = "0" + region
    if region != NATIONAL and region not in regions:
        raise StructuralError(label, f"unknown region code {values[0]!r}", line)
    code = simple_upper(code)
    if not SECTOR_CODE.fullmatch(code):
        raise StructuralError(
            label, f"code_secteur {values[1]!r} is not made of A-Z, 0-9 and _ only", line
        )
    if code in RESERVED_CODES:
        raise StructuralError(label, f"code_secteur {code} is reserved by the contract", line)
    prefix = simple_upper(prefix)
    if prefix[0] not in domains or not PREFIX_DIGITS.fullmatch(prefix[1:]):
        raise StructuralError(
            label,
            f"prefixe_rome {values[3]!r} is not a ROME grand domaine letter (A-N) "
            "followed by 0 to 4 digits",
            line,
        )
    return SectorRow(line, region, code, libelle, prefix)


def _check_unique(row: SectorRow, seen: _Seen, label: str) -> None:
    key = (row.code_region, row.prefixe_rome)
    if key in seen.prefixes:
        raise StructuralError(
            label, f"prefix {row.prefixe_rome} appears twice in the list {row.code_region}",
            row.line,
        )  # fmt: skip
    seen.prefixes.add(key)
    first = seen.labels.setdefault(row.code_secteur, (row.libelle_secteur, row.line))
    if first[0] != row.libelle_secteur:
        raise StructuralError(
            label,
            f"code_secteur {row.code_secteur} has two labels: {first[0]!r} (line {first[1]}) "
            f"and {row.libelle_secteur!r}",
            row.line,
        )


def load_sectors(con: duckdb.DuckDBPyConnection, sectors: SectorsFile | None) -> None:
    """Replace `raw.secteurs_avenir` with the checked rows (empty without a file), in one
    transaction."""
    rows = sectors.rows if sectors else ()
    now = datetime.now(UTC).replace(tzinfo=None)
    text = {
        **{column: [getattr(row, column) for row in rows] for column in SECTORS_COLUMNS},
        "source_file": [sectors.name for _ in rows],
        "sha256": [sectors.sha256 for _ in rows],
    }
    table = pa.table(
        {
            **{name: pa.array(values, pa.string()) for name, values in text.items()},
            "line_number": pa.array([row.line for row in rows], pa.int64()),
            "loaded_at": pa.array([now] * len(rows), pa.timestamp("us")),
        }
    )
    replace_table(con, "raw.secteurs_avenir", table)
