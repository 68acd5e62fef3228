"""Demo landing folder: monthly si_pe and imilo files plus objectives, per contract §2–§4.

Prescriptions come from `population`, their rows from `rows`, matched pairs from `pairs`;
this module writes the files in the awkward but valid forms the contract allows (encodings,
headers, column order, gzip, line endings), and one revision. Files are streamed row by row,
so memory does not grow with the number of rows, and the same seed writes the same bytes.

`clean=True` writes what a plain CSV reader can take as it is, for the benchmark's
baseline (bench/baseline.py): every file plain UTF-8 (no BOM, no Windows-1252, no gzip),
no row error, duplicate, blank line or revision, but the same realistic content otherwise
(matched pairs, unfilled prescribers, odd training codes, header and column-order quirks,
quoted line breaks, the valid edge cases of §3–§5).
"""

import csv
import gzip
import io
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from random import Random

from otp_pipeline.lib.demo.pairs import ImiloDraw, Pairing
from otp_pipeline.lib.demo.population import (
    AIS_PER_MONTH,
    DEFAULT_REF_DIR,
    IMILO_PER_MONTH,
    REGION_POPULATION,
    MonthPlan,
    Prescription,
    expected_per_year,
    load_geography,
    monthly_volume,
)
from otp_pipeline.lib.demo.rows import AIS_KIT, IMILO_KIT, Kit, Tally, feed_rows
from otp_pipeline.lib.demo.sectors import SECTORS_COLUMNS, SECTORS_ROWS
from otp_pipeline.lib.months import month_index, parse_month
from otp_pipeline.lib.settings import (
    FIRST_MONTH,
    IMILO,
    OBJECTIVES_COLUMNS,
    SI_PE,
    Feed,
)

REVISED_MONTH_INDEX = 1  # the second month generated also gets an `_r2`
ADVANCE_SHARE = 0.35  # PRESCRITE rows that have become ENTREE by the revision
SPREAD_REGION = "27"  # spreads its 2021 objective over 2021-01 … 2022-12
NAME_PATTERN = re.compile(r"^(ais|imilo)_(\d{4}-\d{2})(_r[1-9][0-9]*)?\.csv(\.gz)?$")


@dataclass(frozen=True)
class FileStyle:
    """How one file is written: what a producer's export tool might do."""

    encoding: str  # "cp1252", "utf-8-sig" (with BOM) or "utf-8"
    header: Callable[[str], str]
    shuffled: bool
    comment: bool  # extra, ignored `commentaire` column
    gzip: bool
    newline: str


_LOWER, _UPPER = str, str.upper
_TITLE_SPACED, _UPPER_SPACED = (
    (lambda name: f" {name.title()} "),
    (lambda name: f"{name.upper()}  "),
)
AIS_STYLES = (
    FileStyle("cp1252", _LOWER, False, True, False, "\r\n"),
    FileStyle("utf-8-sig", _UPPER, True, True, False, "\r\n"),
    FileStyle("cp1252", _TITLE_SPACED, False, True, True, "\r\n"),
    FileStyle("utf-8-sig", _LOWER, True, True, False, "\n"),
)
AIS_REVISION_STYLE = FileStyle("utf-8", _TITLE_SPACED, True, True, False, "\r\n")
IMILO_STYLES = (
    FileStyle("utf-8", _LOWER, False, True, True, "\n"),
    FileStyle("utf-8", _UPPER_SPACED, True, True, False, "\n"),
    FileStyle("utf-8-sig", _LOWER, False, False, False, "\r\n"),
)


def _write_csv(path: Path, style: FileStyle, header: list[str], rows) -> None:
    """Stream rows to `path` (via a hidden temporary name, so no half file is ever seen)."""
    temporary = path.with_name(f".{path.name}.part")
    try:
        with open(temporary, "wb") as raw:
            binary = (
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0)
                if style.gzip
                else raw
            )
            with io.TextIOWrapper(binary, encoding=style.encoding, newline="") as text:
                writer = csv.writer(text, delimiter=";", lineterminator=style.newline)
                writer.writerow(header)
                for row in rows:
                    if isinstance(row, str):
                        text.write(row + style.newline)
                    else:
                        writer.writerow(row)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _write_feed(
    out_dir: Path, kit: Kit, plan: MonthPlan, seed: int, index: int, revision: int,
    count: int, draw: Callable, tally: Tally, clean: bool = False, **hooks,
) -> dict:  # fmt: skip
    feed = kit.feed
    styles = AIS_STYLES if feed is SI_PE else IMILO_STYLES
    style = AIS_REVISION_STYLE if revision > 1 else styles[index % len(styles)]
    if clean:
        style = replace(style, encoding="utf-8", gzip=False)
    columns = list(feed.columns)
    style_rng = Random(f"{seed}:style:{feed.name}:{plan.month}:r{revision}")
    if style.shuffled:
        style_rng.shuffle(columns)
    if style.comment:
        columns.insert(
            style_rng.randint(0, len(columns)) if style.shuffled else len(columns), "commentaire"
        )
    suffix = f"_r{revision}" if revision > 1 else ""
    name = f"{feed.file_prefix}_{plan.month}{suffix}.csv" + (".gz" if style.gzip else "")
    rng = Random(f"{seed}:{feed.name}:{plan.month}")  # the same for a month's revisions
    rows = feed_rows(kit, plan, count, draw, columns, rng, tally, clean=clean, **hooks)
    _write_csv(out_dir / feed.name / name, style, [style.header(c) for c in columns], rows)
    quarantined = sum(tally.quarantined.values())
    return {
        "file": f"{feed.name}/{name}", "source": feed.name, "month": plan.month,
        "revision": revision, "encoding": style.encoding, "gzip": style.gzip,
        "rows": tally.rows, "loaded": tally.rows - quarantined - tally.duplicates,
        "quarantined": dict(sorted(tally.quarantined.items())), "duplicates": tally.duplicates,
        "odd_values": dict(sorted(tally.odd_values.items())),
        **dict(sorted(tally.extra.items())),
    }  # fmt: skip


def _objective_rows(months: list[str], scale: float, seed: int) -> list[list[str]]:
    """One row per region and period: a yearly period, and one region over 2021–2022."""
    yearly = expected_per_year()
    population = sum(REGION_POPULATION.values())
    years = sorted({2021, *(parse_month(month)[0] for month in months)})
    rows = []
    for region, weight in sorted(REGION_POPULATION.items()):
        for year in years:
            if region == SPREAD_REGION and year == 2022:
                continue
            span = 2 if region == SPREAD_REGION and year == 2021 else 1
            rng = Random(f"{seed}:objectifs:{region}:{year}")
            base = weight / population * scale * span * (0.95 + 0.2 * rng.random())
            target = round(yearly["entrees_moins_30"] * base)
            rows.append([
                "1" if region == "01" and year == 2021 else region,  # padded like a department
                f"{year}-01", f"{year + span - 1}-12", str(target),
                str(round(target * (0.35 + 0.25 * rng.random()))),
                str(round(yearly["pe_moins_30"] * base)), str(round(yearly["ml_moins_26"] * base)),
            ])  # fmt: skip
    return rows


def _clear_month(out_dir: Path, feed: Feed, month: str) -> list[str]:
    """Remove every delivery of `month` for `feed`, so no stale revision or twin remains."""
    removed = []
    for path in sorted((out_dir / feed.name).iterdir()):
        match = NAME_PATTERN.match(path.name)
        if (
            match
            and match.group(1) == feed.file_prefix
            and match.group(2) == month
            and path.is_file()
        ):
            path.unlink()
            removed.append(f"{feed.name}/{path.name}")
    return removed


def generate_landing(
    out_dir: Path, months: list[str], scale: float = 1.0, seed: int = 7,
    ref_dir: Path = DEFAULT_REF_DIR, clean: bool = False,
) -> dict:  # fmt: skip
    """Write a demo landing folder for `months`; a summary of what was written and injected.

    Files of those months already in `out_dir` are replaced (other months are left alone).
    Each entry of `files` says what the pipeline should find in that file (contract §6):
    `rows` read, `loaded`, `duplicates`, `quarantined` (reason → rows, conflicting ids
    counting both rows), `odd_values` (loaded rows whose non-empty `code_rome` /
    `type_formation` §8 reads as `NON_RENSEIGNE`), and for I-Milo the `numero_ais_*` pairs
    drawn (an I-Milo row that later gets a row error stays counted there). `clean`: plain
    UTF-8 files, every row loaded, no revision (see the module's docstring).
    """
    months = sorted(set(months))
    for month in months:
        parse_month(month)
        if month_index(month) < month_index(FIRST_MONTH):
            raise ValueError(f"month {month} is before the contract's first month {FIRST_MONTH}")
    if not months or scale <= 0:
        raise ValueError("need at least one month and a scale above 0")
    out_dir, geography = Path(out_dir), load_geography(Path(ref_dir))
    for folder in (SI_PE.name, IMILO.name, "objectifs"):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    files, removed = [], []
    for index, month in enumerate(months):
        plan = MonthPlan(geography, month)
        removed += _clear_month(out_dir, SI_PE, month) + _clear_month(out_dir, IMILO, month)
        count = monthly_volume(AIS_PER_MONTH, month, scale)
        pairing = Pairing(plan, collect=True)
        files.append(_write_feed(
            out_dir, AIS_KIT, plan, seed, index, 1, count, plan.ais, Tally(), clean,
            on_clean=pairing,
        ))  # fmt: skip
        if index == REVISED_MONTH_INDEX and not clean:
            advance_rng = Random(f"{seed}:{SI_PE.name}:{month}:r2")

            def advance(p: Prescription, rng=advance_rng, plan=plan) -> None:
                if p.statut == "PRESCRITE" and rng.random() < ADVANCE_SHARE:
                    p.statut, p.entered = "ENTREE", plan.entry(rng, p.prescribed)

            files.append(_write_feed(
                out_dir, AIS_KIT, plan, seed, index, 2, count, plan.ais, Tally(),
                on_clean=Pairing(plan, collect=False), advance=advance,
            ))  # fmt: skip
        pairs = pairing.pairs
        count = max(monthly_volume(IMILO_PER_MONTH, month, scale), len(pairs))
        tally = Tally()
        draw = ImiloDraw(plan, pairs, count, tally)
        files.append(
            _write_feed(out_dir, IMILO_KIT, plan, seed, index, 1, count, draw, tally, clean)
        )
    objectives = out_dir / "objectifs" / "objectifs_otp.csv"
    objectives.with_name("objectifs_otp.csv.gz").unlink(missing_ok=True)
    rows = _objective_rows(months, scale, seed)
    _write_csv(
        objectives,
        FileStyle("utf-8" if clean else "utf-8-sig", _LOWER, False, False, False, "\n"),
        list(OBJECTIVES_COLUMNS),
        rows,
    )
    sectors = out_dir / "objectifs" / "secteurs_avenir.csv"
    sectors.with_name("secteurs_avenir.csv.gz").unlink(missing_ok=True)
    _write_csv(sectors, FileStyle("utf-8", _LOWER, False, False, False, "\n"),
               SECTORS_COLUMNS, SECTORS_ROWS)  # fmt: skip
    row_errors, totals = Counter(), Counter()
    for summary in files:
        row_errors.update(summary["quarantined"])
        totals[summary["source"]] += summary["rows"]
    return {
        "out_dir": str(out_dir), "months": months, "scale": scale, "seed": seed,
        "files": files, "objectives": {"file": "objectifs/objectifs_otp.csv", "rows": len(rows)},
        "sectors": {"file": "objectifs/secteurs_avenir.csv", "rows": len(SECTORS_ROWS)},
        "rows": dict(totals), "row_errors": dict(sorted(row_errors.items())), "removed": removed,
    }  # fmt: skip
