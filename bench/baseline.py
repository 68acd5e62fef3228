"""Run `baseline.sql` for one month: the three published tables straight from the landing CSVs.

    python bench/baseline.py --landing bench/data/s1 --month 2021-03 --out bench/out/base

The only Python work is what DuckDB cannot do from SQL alone: choosing each month's
winning file (highest revision) and telling UTF-8 from Windows-1252 (read as latin-1).
Every value reaches the SQL as a bound parameter. Prints a JSON summary (timings, rows).
"""

import argparse
import gzip
import json
import re
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
SEEDS = PROJECT_ROOT / "dbt_project" / "seeds"
THRESHOLDS = PROJECT_ROOT / "expectations" / "thresholds.yml"
SQL_FILE = BENCH_DIR / "baseline.sql"
TABLES = ("prescriptions_mensuelles", "suivi_otp", "qualite_prescripteur")
FEEDS = {"si_pe": "ais", "imilo": "imilo"}
FIRST_MONTH = "2021-01"
NAME = re.compile(r"(ais|imilo)_([0-9]{4}-(?:0[1-9]|1[0-2]))(?:_r([2-9]|[1-9][0-9]+))?\.csv(\.gz)?")
# Python's str.strip() set, so that SQL trims exactly what the pipeline trims.
WHITESPACE = "".join(chr(code) for code in range(0x110000) if chr(code).isspace())


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
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)


def winning_files(landing: Path, feed: str, months: list[str]) -> list[tuple[str, Path]]:
    """(month, path) of the highest revision of each month; a month without a file fails."""
    best: dict[str, tuple[int, Path]] = {}
    for entry in (landing / feed).iterdir():
        match = NAME.fullmatch(entry.name)
        if not match or match[1] != FEEDS[feed] or not entry.is_file() or entry.is_symlink():
            continue
        revision = int(match[3] or 1)
        if match[2] not in best or revision > best[match[2]][0]:
            best[match[2]] = (revision, entry)
    missing = [month for month in months if month not in best]
    if missing:
        raise SystemExit(f"baseline: no {feed} file for {', '.join(missing)}")
    return [(month, best[month][1]) for month in months]


def duckdb_encoding(path: Path) -> str:
    """'utf-8' when the file decodes strictly as UTF-8 (BOM allowed), else 'latin-1'."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        data = handle.read()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def fill_rate_threshold() -> str:
    """The threshold as written in thresholds.yml, kept as text for an exact DECIMAL."""
    text = THRESHOLDS.read_text(encoding="utf-8")
    match = re.search(r"^prescriber_fill_rate_min:\s*([0-9.]+)", text, flags=re.MULTILINE)
    return match[1] if match else str(yaml.safe_load(text)["prescriber_fill_rate_min"])


def run_baseline(landing: Path, month: str, out: Path | None = None) -> dict:
    """Compute the month's three tables; write them as Parquet in `out` when given."""
    started = time.perf_counter()
    script = sections(SQL_FILE.read_text(encoding="utf-8"))
    timings: dict[str, float] = {}
    months = months_up_to(month)
    objectives = next(p for p in (landing / "objectifs").iterdir() if p.name.startswith("obj"))
    results = {}
    with duckdb.connect() as con:
        mark = time.perf_counter()
        setup = {
            "departements_csv": str(SEEDS / "ref_departements.csv"),
            "regions_csv": str(SEEDS / "ref_regions.csv"),
            "objectifs_csv": str(objectives),
            "whitespace": WHITESPACE,
        }
        for statement in script["setup"]:
            con.execute(statement, _used(statement, setup))
        timings["setup_s"] = time.perf_counter() - mark
        mark, detect = time.perf_counter(), 0.0
        for feed in FEEDS:
            for file_month, path in winning_files(landing, feed, months):
                detected = time.perf_counter()
                encoding = duckdb_encoding(path)
                detect += time.perf_counter() - detected
                params = {
                    "path": str(path), "encoding": encoding,
                    "mois": file_month, "whitespace": WHITESPACE,
                }  # fmt: skip
                for statement in script[f"stage_{feed}"]:
                    con.execute(statement, _used(statement, params))
        timings["encoding_detection_s"] = detect
        timings["read_csv_s"] = time.perf_counter() - mark - detect
        [(rows_si_pe,)] = con.execute("select count(*) from landing_si_pe").fetchall()
        [(rows_imilo,)] = con.execute("select count(*) from landing_imilo").fetchall()
        mark = time.perf_counter()
        compute = {"mois": month, "seuil": fill_rate_threshold()}
        for statement in script["compute"]:
            con.execute(statement, _used(statement, compute))
        for table in TABLES:
            [statement] = script[table]
            results[table] = con.sql(statement, params=_used(statement, compute)).to_arrow_table()
        timings["compute_s"] = time.perf_counter() - mark
        valid = con.sql(
            "select source, mois_fichier, id_prescription from valid_rows order by all"
        ).to_arrow_table()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for table, data in results.items():
            pq.write_table(data, out / f"{table}.parquet")
        # The rows the baseline keeps, by id: lets a test compare them with raw.<feed>.
        pq.write_table(valid, out / "valid_rows.parquet")
    timings["total_s"] = time.perf_counter() - started
    return {
        "month": month,
        "files_months": len(months),
        "rows_staged": {"si_pe": rows_si_pe, "imilo": rows_imilo},
        "table_rows": {table: data.num_rows for table, data in results.items()},
        "rows_valid": {
            source: valid.filter(pc.equal(valid["source"], source)).num_rows
            for source in ("SI_PE", "IMILO")
        },
        "timings": {name: round(value, 3) for name, value in timings.items()},
    }


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
