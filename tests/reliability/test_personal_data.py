"""Personal data (person ids, birth dates, raw lines) never leaves ingestion: not in the
warehouse, nor beside it, nor in published files, run logs or run metadata; a purge
deletes the record-level rows of old months and leaves no bytes of them in the file. Also
the security rules: the UI binds to localhost, SQL is never built from file content."""

import re
from pathlib import Path

import duckdb
import pytest
from feeds import query, write_file
from reliability_helpers import (
    MONTH,
    SECRET_BIRTH_DMY,
    SECRET_BIRTH_ISO,
    SECRET_JEUNE,
    SECRET_PERSON,
    ais_lines,
    imilo_lines,
)

from otp_pipeline.cli import main
from otp_pipeline.lib.ingestion.monthly_load import load_month
from otp_pipeline.lib.operations.retention import RetentionError, purge_before, purged_months
from otp_pipeline.lib.settings import IMILO, PERSONAL_COLUMNS, SI_PE
from otp_pipeline.lib.warehouse import connect

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SECRETS = (SECRET_PERSON, SECRET_JEUNE, SECRET_BIRTH_DMY, SECRET_BIRTH_ISO, "31/02/1999")


def _warehouse_values(warehouse: Path) -> list[tuple[str, str, str]]:
    """(table, column, value as text) of every value of every table and view."""
    found = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        relations = con.execute(
            "select schema_name, table_name from duckdb_tables() where not internal union all "
            "select schema_name, view_name from duckdb_views() where not internal"
        ).fetchall()
        for schema, name in relations:
            relation = con.table(f'"{schema}"."{name}"')
            for row in relation.fetchall():
                for column, value in zip(relation.columns, row, strict=True):
                    found.append((f"{schema}.{name}", column, str(value)))
    return found


def test_no_person_data_in_the_warehouse_nor_in_any_file_beside_it(published_month):
    """After a real Dagster run on files with known person ids and birth dates: no table,
    view or column of the warehouse holds one, nor any file the project wrote beside it
    (GX results and Data Docs, dbt's target and log), in DAGSTER_HOME (run storage, event
    logs) or in the published folder."""
    root, _ = published_month
    warehouse = root / "warehouse" / "otp.duckdb"
    # The inputs hold them, and their rows went through, loaded and quarantined (the
    # fixture is shared: other tests may have run more months on it since).
    landing = b"".join(path.read_bytes() for path in (root / "landing").rglob("*.csv"))
    assert SECRET_PERSON.encode() in landing and SECRET_BIRTH_DMY.encode() in landing
    assert query(warehouse, "select count(*) from raw.si_pe")[0][0] >= 38
    assert query(warehouse, "select count(*) from raw.quarantine")[0][0] >= 2
    values = _warehouse_values(warehouse)
    assert len(values) > 1000
    hits = [v for v in values if any(secret in v[2] for secret in SECRETS)]
    assert hits == []
    assert [v[:2] for v in values if v[1] in PERSONAL_COLUMNS] == []
    files = [path for folder in ("warehouse", "dagster_home", "published")
             for path in (root / folder).rglob("*") if path.is_file()]  # fmt: skip
    written = {path.relative_to(root).parts[0:2] for path in files}
    assert {("warehouse", "gx"), ("warehouse", "dbt_target"), ("warehouse", "otp.duckdb"),
            ("dagster_home", "history")} <= written  # fmt: skip
    assert any(path.suffix == ".parquet" for path in files)
    assert any(path.name == "index.html" for path in files), "GX Data Docs"
    assert oct((root / "warehouse").stat().st_mode & 0o777) == oct(0o700)
    for path in files:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret} in {path.relative_to(root)}"


def test_person_data_is_never_in_run_logs_or_metadata(published_month):
    _, instance = published_month
    runs = instance.get_runs()
    assert runs
    for run in runs:
        for record in instance.all_logs(run.run_id):
            # The whole record: message, step, and any event's metadata and error text.
            text = repr(record)
            for secret in SECRETS:
                assert secret not in text, f"{secret} in run {run.run_id} log: {text[:300]}"


def _load(landing, warehouse, month):
    with connect(warehouse) as con:
        for feed in (SI_PE, IMILO):
            load_month(con, feed, landing, month, 100)


def _two_months(landing, warehouse):
    write_file(landing / "si_pe" / "ais_2021-01.csv", ais_lines())
    write_file(landing / "imilo" / "imilo_2021-01.csv", imilo_lines())
    # February's record ids are not January's: what a purge of January leaves is seen.
    write_file(landing / "si_pe" / "ais_2021-02.csv",
               [line.replace("/01/2021", "/02/2021").replace("AIS-", "FEV-")
                for line in ais_lines()])  # fmt: skip
    write_file(landing / "imilo" / "imilo_2021-02.csv",
               [line.replace("2021-01-", "2021-02-").replace("MILO-", "FEVM-")
                for line in imilo_lines()])  # fmt: skip
    _load(landing, warehouse, "2021-02")


def _counts(warehouse, month):
    return [
        query(warehouse, f"select count(*) from {table} where mois = $m", {"m": month})[0][0]
        for table in ("raw.si_pe", "raw.imilo", "raw.quarantine", "raw.deliveries")
    ]


def test_purge_deletes_person_rows_and_keeps_the_accounting(landing, warehouse):
    _two_months(landing, warehouse)
    deliveries = query(warehouse, "select * from raw.deliveries order by all")
    assert _counts(warehouse, MONTH) == [38, 19, 2, 2]
    assert b"AIS-00" in warehouse.read_bytes() and b"MILO-00" in warehouse.read_bytes()
    with connect(warehouse) as con:
        purged = purge_before(con, "2021-02", min_months_kept=1)
        assert purged_months(con) == [("imilo", MONTH), ("si_pe", MONTH)]
    # DuckDB would keep the deleted rows in free blocks: the file was written anew.
    data = warehouse.read_bytes()
    assert (b"AIS-00" in data, b"MILO-00" in data, b"FEV-00" in data) == (False, False, True)
    assert oct(warehouse.stat().st_mode & 0o777) == oct(0o600)
    assert {(p.source, p.rows, p.quarantine_rows) for p in purged} == {("si_pe", 38, 1),
                                                                       ("imilo", 19, 1)}  # fmt: skip
    assert _counts(warehouse, MONTH) == [0, 0, 0, 2]
    assert _counts(warehouse, "2021-02") == [38, 19, 2, 2], "the horizon month is kept"
    assert query(warehouse, "select * from raw.deliveries order by all") == deliveries
    # The staleness check sees the purged month as loaded: a rerun of 2021-02 does not
    # bring the purged rows back, and purging again deletes nothing.
    _load(landing, warehouse, "2021-02")
    assert _counts(warehouse, MONTH) == [0, 0, 0, 2]
    with connect(warehouse) as con:
        assert purge_before(con, "2021-02", min_months_kept=1) == []


def test_purge_refuses_a_horizon_inside_the_kept_window(landing, warehouse):
    _two_months(landing, warehouse)
    with connect(warehouse) as con, pytest.raises(RetentionError, match="at least 24"):
        purge_before(con, "2021-02")
    assert _counts(warehouse, MONTH) == [38, 19, 2, 2]


def test_purge_command(landing, warehouse, capsys):
    _two_months(landing, warehouse)
    assert main(["purge", "--before", "2021-02", "--warehouse", str(warehouse)]) == 1
    assert "refused" in capsys.readouterr().err
    assert main(["purge", "--before", "2021-02", "--warehouse", str(warehouse),
                 "--keep-months", "1"]) == 0  # fmt: skip
    assert "2 source-month(s) purged before 2021-02" in capsys.readouterr().out
    assert _counts(warehouse, MONTH) == [0, 0, 0, 2]


def test_dagster_ui_binds_to_localhost_only():
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    [dev] = re.findall(r"^dev:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert "dagster dev" in dev and "-h 127.0.0.1" in dev


# Every f-string of the package that builds SQL, and why its `{}` is safe: each formats
# only constant identifiers (the contract's column and table names of settings.py /
# publication/tables.py) or fixed SQL fragments; values are always bound parameters.
SQL_FSTRING_WHITELIST = {
    "lib/ingestion/loader.py": 3,  # feed.columns / feed.name: constants of settings.py
    # _q(<contract column>), reason constants, AGE_MIN/MAX in the row checks (row_faults,
    # repeated_ids, the checked_rows view) and the raw and quarantine inserts.
    "lib/ingestion/row_checks.py": 5,
    # Contract columns (settings.py), the header's column positions, width and end
    # (integers), the module's constants (TRIMMED_LINE, TRIM_PATTERNS, WHITESPACE) as
    # literals in the staging view; every value read from the file is a bound parameter.
    "lib/ingestion/sql_reader.py": 3,
    # Contract columns and reasons (settings.py); in the migration, also the names of the
    # warehouse's own tables and views (its catalog, never file content), quoted by _q.
    "lib/personal_data.py": 5,
    "lib/ingestion/odd_values.py": 2,  # ODD_VALUE_RULES: fixed SQL per contract column; upper_sql(<constant column>)
    "lib/publication/tables.py": 1,  # _quote(<TABLES column>), fixed order clause
    "lib/operations/retention.py": 2,  # FEED_TABLES: two constant table names
    "lib/warehouse.py": 2,  # WHOLE_FILE_TABLES: two constant table names
    "lib/transform/row_counts.py": 1,  # _quote(<a model's relation and month_column, dbt manifest>)
    "lib/transform/fact_shape.py": 1,  # a fact model's schema and table, dbt manifest
    # The suite's own query (expectations/*.yml) and conditions on its columns, quoted by
    # _Conditions._column; every value bound as a $screen_<n> parameter.
    "lib/quality/screen.py": 2,
}
SQL_WORDS = re.compile(
    r"\b(select|insert\s+into|delete\s+from|update\s+\S+\s+set|drop\s+table"
    r"|create\s+(or\s+replace\s+)?(temp\s+)?(table|view|schema))\b",
    re.IGNORECASE,
)


def _sql_fstrings(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    found = 0
    for match in re.finditer(r'\bf("""|\'\'\'|"|\')(.*?)\1', text, re.DOTALL):
        if "{" in match.group(2) and SQL_WORDS.search(match.group(2)):
            found += 1
    return found


def test_sql_is_never_formatted_from_file_content_or_names():
    package = PROJECT_ROOT / "otp_pipeline"
    found = {}
    for path in sorted(package.rglob("*.py")):
        count = _sql_fstrings(path)
        if count:
            found[path.relative_to(package).as_posix()] = count
    unexpected = {k: v for k, v in found.items() if v > SQL_FSTRING_WHITELIST.get(k, 0)}
    assert not unexpected, f"new SQL f-strings to review and whitelist: {unexpected}"


# Landing entries that are symbolic links or folders are ignored and reported: see
# tests/lib/ingestion/test_landing_rules.py::test_stray_entries_are_ignored_and_logged.
