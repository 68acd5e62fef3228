"""The landing folder (§2): which delivery file wins for a source and a month."""

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.months import MONTH_PATTERN
from otp_pipeline.lib.settings import Feed

logger = logging.getLogger(__name__)

OBJECTIVES_FOLDER = "objectifs"
OBJECTIVES_STEM = "objectifs_otp.csv"
SECTORS_STEM = "secteurs_avenir.csv"
# The files `objectifs/` may hold, plain or compressed: none of them is logged as ignored.
OBJECTIVES_FOLDER_FILES = frozenset(
    name for stem in (OBJECTIVES_STEM, SECTORS_STEM) for name in (stem, stem + ".gz")
)


def delivery_pattern(feed: Feed) -> re.Pattern:
    """The exact name of a delivery file of `feed` (lower case, `_rN` with N ≥ 2)."""
    return re.compile(
        rf"{feed.file_prefix}_([0-9]{{4}}-[0-9]{{2}})(?:_r([2-9]|[1-9][0-9]+))?\.csv(\.gz)?"
    )


@dataclass(frozen=True)
class Delivery:
    """One delivery file of a source for a month, at a revision (1 when unsuffixed)."""

    path: Path
    source: str
    month: str
    revision: int

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class LandingScan:
    """What a source's landing folder holds: deliveries by month, and ignored entries."""

    deliveries: dict[str, list[Delivery]]
    ignored: list[str]


def scan_feed_folder(landing_dir: Path, feed: Feed) -> LandingScan:
    """Every delivery of `feed` in the landing folder; other entries listed as ignored."""
    folder = Path(landing_dir) / feed.name
    pattern = delivery_pattern(feed)
    deliveries: dict[str, list[Delivery]] = {}
    ignored: list[str] = []
    if not folder.is_dir():
        return LandingScan(deliveries, ignored)
    for entry in sorted(folder.iterdir()):
        match = pattern.fullmatch(entry.name)
        # Symbolic links are refused even when they point at a file: a producer drops
        # files, and a link could make the pipeline read outside the landing folder.
        if entry.is_symlink() or not entry.is_file() or not match:
            ignored.append(entry.name)
            continue
        month = match.group(1)
        if not MONTH_PATTERN.match(month):
            ignored.append(entry.name)
            continue
        revision = int(match.group(2) or 1)
        deliveries.setdefault(month, []).append(Delivery(entry, feed.name, month, revision))
    return LandingScan(deliveries, ignored)


def winning_delivery(scan: LandingScan, feed: Feed, month: str) -> Delivery:
    """The file that wins for `month`: the highest revision, even when it is broken."""
    candidates = scan.deliveries.get(month, [])
    if not candidates:
        raise StructuralError(
            f"{feed.name}/{feed.file_prefix}_{month}.csv",
            f"no delivery of source {feed.name} for month {month}",
        )
    top = max(candidate.revision for candidate in candidates)
    winners = [candidate for candidate in candidates if candidate.revision == top]
    if len(winners) > 1:
        names = " and ".join(winner.name for winner in winners)
        raise StructuralError(
            f"{feed.name}/{winners[0].name}",
            f"two files for month {month} revision {top}: {names}",
        )
    return winners[0]


def log_ignored(scan: LandingScan, feed: Feed, log: logging.Logger = logger) -> None:
    for name in scan.ignored:
        log.warning("ignored in landing folder %s/: %s", feed.name, name)


def _objectifs_entries(landing_dir: Path, stem: str, log: logging.Logger) -> list[Path]:
    """The files of `objectifs/` named `stem` or `stem.gz`; the entries no file of that
    folder is named after (§2, §9: other names, folders, symbolic links) logged as ignored."""
    folder = Path(landing_dir) / OBJECTIVES_FOLDER
    found = []
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        is_file = entry.is_file() and not entry.is_symlink()
        if entry.name in (stem, stem + ".gz") and is_file:
            found.append(entry)
        elif not (is_file and entry.name in OBJECTIVES_FOLDER_FILES):
            log.warning("ignored in landing folder %s/: %s", OBJECTIVES_FOLDER, entry.name)
    if len(found) > 1:
        raise StructuralError(
            f"{OBJECTIVES_FOLDER}/{stem}", f"{stem} delivered twice (.csv and .csv.gz)"
        )
    return found


def objectives_file(landing_dir: Path, log: logging.Logger = logger) -> Path:
    """The objectives file, plain or gzip-compressed; a StructuralError when absent or twice.

    Every other entry of the folder (other names, folders, symbolic links) is logged as
    ignored, as for the feeds.
    """
    found = _objectifs_entries(landing_dir, OBJECTIVES_STEM, log)
    if not found:
        raise StructuralError(f"{OBJECTIVES_FOLDER}/{OBJECTIVES_STEM}", "objectives file missing")
    return found[0]


def sectors_file(landing_dir: Path, log: logging.Logger = logger) -> Path | None:
    """The sectors of the future file (§9), plain or gzip-compressed; None when there is
    none (a folder or a symbolic link of that name is no file); a StructuralError when both
    forms are present."""
    found = _objectifs_entries(landing_dir, SECTORS_STEM, log)
    return found[0] if found else None
