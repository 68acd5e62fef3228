"""Run `baseline.sql` for one month: the published tables straight from the landing CSVs.

    python bench/baseline.py --landing bench/data/s1 --month 2021-03 --out bench/out/base

One DuckDB process: `read_csv` in parallel on every month's winning file up to M (every
column VARCHAR), the contract's row checks and counting rules in SQL (see baseline.sql),
the three tables of §7, the two of §8 and the one of §9 written as Parquet by DuckDB. On clean data
(`otp-pipeline demo-data --clean`) its tables equal the pipeline's cell for cell
(tests/bench/test_bench_smoke.py). It assumes clean UTF-8 input, yet applies every row
check: a row the pipeline would quarantine is left out, duplicates are loaded once. What
it cannot follow on other input: a record with one extra, empty, trailing field, which
DuckDB's reader takes and the contract quarantines; Windows-1252, which DuckDB does not
read (such a file is read again as latin-1, and named in the summary). Records the reader
skips (wrong field count) are counted in the summary.

The only Python work is what SQL cannot do: choosing each month's winning file (highest
revision) and reading each file's header line (names trimmed and lower-cased, §3). Every
value reaches the SQL as a bound parameter. Prints a JSON summary (timings, rows).
"""

import argparse
import csv
import datetime as dt
import gzip
import json
import re
import sys
import time
from pathlib import Path

import duckdb

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
SEEDS = PROJECT_ROOT / "dbt_project" / "seeds"
THRESHOLDS = PROJECT_ROOT / "expectations" / "thresholds.yml"
SQL_FILE = BENCH_DIR / "baseline.sql"
TABLES = (
    "prescriptions_mensuelles", "suivi_otp", "qualite_prescripteur",
    "prescriptions_par_formation", "projection_otp", "prescriptions_secteurs_avenir",
)  # fmt: skip
FEEDS = {"si_pe": "ais", "imilo": "imilo"}
SOURCES = {"si_pe": "SI_PE", "imilo": "IMILO"}
REQUIRED = {
    "si_pe": ("id_ais", "id_individu", "date_naissance", "code_departement",
              "date_prescription", "statut"),
    "imilo": ("id_prescription", "id_jeune", "date_naissance", "code_mission_locale",
              "code_departement", "date_prescription", "statut"),
}  # fmt: skip
FIRST_MONTH = "2021-01"
SECTORS_NAMES = ("secteurs_avenir.csv", "secteurs_avenir.csv.gz")
NAME = re.compile(r"(ais|imilo)_([0-9]{4}-(?:0[1-9]|1[0-2]))(?:_r([2-9]|[1-9][0-9]+))?\.csv(\.gz)?")


def sections(text: str) -> dict[str, list[str]]:
    """`-- section: name` blocks of the script, each split into its statements."""
    found: dict[str, list[str]] = {}
    for block in re.split(r"^-- section: ", text, flags=re.MULTILINE)[1:]:
        name, _, body = block.partition("\n")
        statements = [s.strip() for s in body.split(";\n") if _has_sql(s)]
        found[name.strip()] = statements
    return found


def _has_sql(statement: str) -> bool:
    lines = [line for line in statement.strip().splitlines() if not line.startswith("--")]
    return bool("".join(lines).strip())


def months_up_to(month: str) -> list[str]:
    year, number = int(FIRST_MONTH[:4]), 1
    months = []
    while True:
        current = f"{year:04d}-{number:02d}"
        months.append(current)
        if current == month:
            return months
        if current > month:
            raise SystemExit(f"baseline: month {month!r} is not YYYY-MM from {FIRST_MONTH}")
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)


def winning_files(landing: Path, feed: str, months: list[str]) -> list[tuple[str, Path]]:
    """(month, path) of the highest revision of each month; a month without a file fails."""
    best: dict[str, tuple[int, Path]] = {}
    for entry in (landing / feed).iterdir():
        match = NAME.fullmatch(entry.name)
        if not match or match[1] != FEEDS[feed] or not entry.is_file() or entry.is_symlink():
            continue
        revision = int(match[3] or 1)
        if match[2] in best and revision == best[match[2]][0]:
            raise SystemExit(f"baseline: two files for {feed} {match[2]} revision {revision}")
        if match[2] not in best or revision > best[match[2]][0]:
            best[match[2]] = (revision, entry)
    missing = [month for month in months if month not in best]
    if missing:
        raise SystemExit(f"baseline: no {feed} file for {', '.join(missing)}")
    return [(month, best[month][1]) for month in months]


def header_columns(path: Path, feed: str) -> dict[str, str]:
    """The file's columns for `read_csv` (name → VARCHAR, in file order), from line 1:
    names trimmed and lower-cased as §3 says; a missing or doubled required column fails."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        line = handle.readline().decode("utf-8-sig", errors="replace")  # names are ASCII
    header = next(csv.reader([line.rstrip("\r\n")], delimiter=";", quotechar='"'))
    names = [name.strip().lower() for name in header]
    # Unnamed or doubled extra columns still need a name of their own for DuckDB.
    columns: dict[str, str] = {}
    for position, name in enumerate(names):
        if name in columns and name in REQUIRED[feed]:
            raise SystemExit(f"baseline: {path.name}: column {name!r} appears twice")
        columns[name if name and name not in columns else f"_extra_{position}"] = "VARCHAR"
    missing = [column for column in REQUIRED[feed] if column not in columns]
    if missing:
        raise SystemExit(f"baseline: {path.name}: missing required column(s) {missing}")
    return columns


def sectors_file(landing: Path) -> Path | None:
    """The sectors file of §9 (`.csv` or `.csv.gz`; a link or folder is no file), or None."""
    found = [
        path
        for path in (landing / "objectifs" / name for name in SECTORS_NAMES)
        if path.is_file() and not path.is_symlink()
    ]
    if len(found) > 1:
        raise SystemExit("baseline: secteurs_avenir.csv and secteurs_avenir.csv.gz both present")
    return found[0] if found else None


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    year, number = int(month[:4]), int(month[5:7])
    following = dt.date(year + number // 12, number % 12 + 1, 1)
    return dt.date(year, number, 1), following


def fill_rate_threshold() -> str:
    """The threshold as written in thresholds.yml, kept as text for an exact DECIMAL."""
    text = THRESHOLDS.read_text(encoding="utf-8")
    match = re.search(r"^prescriber_fill_rate_min:\s*([0-9.]+)\s*(#.*)?$", text, re.MULTILINE)
    if match:
        return match[1]
    import yaml  # only when the value is not written plainly

    return str(yaml.safe_load(text)["prescriber_fill_rate_min"])


def run_baseline(landing: Path, month: str, out: Path | None = None) -> dict:
    """Compute the month's tables; write them as Parquet in `out` when given."""
    started = time.perf_counter()
    script = sections(SQL_FILE.read_text(encoding="utf-8"))
    timings: dict[str, float] = {}
    months = months_up_to(month)
    landing = Path(landing)
    objectives = next(
        p for p in sorted((landing / "objectifs").iterdir()) if p.name.startswith("objectifs_otp")
    )
    table_rows = {}
    with duckdb.connect() as con:
        mark = time.perf_counter()
        setup = {
            "departements_csv": str(SEEDS / "ref_departements.csv"),
            "regions_csv": str(SEEDS / "ref_regions.csv"),
            "domaines_csv": str(SEEDS / "ref_rome_domaines.csv"),
            "objectifs_csv": str(objectives),
        }
        for statement in script["setup"]:
            con.execute(statement, _used(statement, setup))
        sectors = sectors_file(landing)
        if sectors is not None:
            [statement] = script["secteurs"]
            con.execute(statement, {"secteurs_csv": str(sectors)})
        timings["setup_s"] = time.perf_counter() - mark
        mark, fallbacks = time.perf_counter(), []
        for feed in FEEDS:
            for file_month, path in winning_files(landing, feed, months):
                first_day, next_month = month_bounds(file_month)
                params = {
                    "path": str(path), "columns": header_columns(path, feed),
                    "mois": file_month, "premier_jour": first_day, "mois_suivant": next_month,
                }  # fmt: skip
                if not _stage(con, script, feed, {**params, "encoding": "utf-8"}):
                    unstage = {"source": SOURCES[feed], "mois": file_month}
                    con.execute(script["unstage"][0], unstage)
                    _stage(con, script, feed, {**params, "encoding": "latin-1"})
                    fallbacks.append(f"{feed}/{path.name}")
        timings["read_and_check_s"] = time.perf_counter() - mark
        rejected = _rejected(con)
        mark = time.perf_counter()
        compute = {"mois": month, "seuil": fill_rate_threshold()}
        for statement in script["compute"]:
            con.execute(statement, _used(statement, compute))
        counts = con.execute(
            "select source, count(*), count(*) filter (where valide) from lignes_lues "
            "group by source order by source desc"
        ).fetchall()
        feeds = {source: feed for feed, source in SOURCES.items()}
        rows_read = {feeds[source]: read for source, read, _ in counts}
        rows_checked = {source: passed for source, _, passed in counts}
        rows_valid = dict(
            con.execute(
                "select source, count(*) from faits group by source order by source desc"
            ).fetchall()
        )
        if out is not None:
            Path(out).mkdir(parents=True, exist_ok=True)
        for table in TABLES:
            [statement] = script[table]
            params = _used(statement, compute)
            if out is None:
                table_rows[table] = len(con.execute(statement, params).fetchall())
                continue
            target = {"fichier": str(Path(out) / f"{table}.parquet")}
            con.execute(f"copy ({statement}) to $fichier (format parquet)", {**params, **target})
            [(table_rows[table],)] = con.execute(
                "select count(*) from read_parquet($fichier)", target
            ).fetchall()
        timings["compute_and_write_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - started
    return {
        "month": month,
        "files_months": len(months),
        "rows_staged": rows_read,
        "rows_passing_checks": rows_checked,
        "rows_valid": rows_valid,
        "records_skipped_by_reader": rejected,
        "read_as_latin_1": fallbacks,
        "sectors_file": sectors.name if sectors is not None else None,
        "table_rows": table_rows,
        "timings": {name: round(value, 3) for name, value in timings.items()},
    }


def _stage(con, script: dict, feed: str, params: dict) -> bool:
    """Read one file into `lignes_lues`; False (and its rejects forgotten) when DuckDB found
    bytes that are not UTF-8 in it."""
    [statement] = script[f"stage_{feed}"]
    con.execute(statement, _used(statement, params))
    [(scan, bad)] = con.execute(
        "select max(scan_id), count(*) filter (where error_type = 'INVALID ENCODING') "
        "from reject_errors where scan_id = (select max(scan_id) from reject_scans)"
    ).fetchall()
    if bad:
        con.execute("delete from reject_errors where scan_id = $scan", {"scan": scan})
    return not bad


def _rejected(con) -> dict[str, dict[str, int]]:
    """Records DuckDB's reader skipped, per file and error (a record may have several)."""
    rows = con.execute(
        "select s.file_path, e.error_type, count(distinct e.line) from reject_errors as e "
        "inner join reject_scans as s on e.scan_id = s.scan_id and e.file_id = s.file_id "
        "group by all order by all"
    ).fetchall()
    rejected: dict[str, dict[str, int]] = {}
    for path, error, count in rows:
        rejected.setdefault(Path(path).name, {})[error] = count
    return rejected


def _used(statement: str, params: dict) -> dict:
    """Only the parameters a statement names: DuckDB refuses unused named parameters."""
    return {name: value for name, value in params.items() if f"${name}" in statement}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--month", required=True)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    print(json.dumps(run_baseline(args.landing, args.month, args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
