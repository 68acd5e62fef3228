"""Loading one delivery file into the warehouse: every row loaded, quarantined or a duplicate."""

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.decoding import inspect_file, open_text
from otp_pipeline.lib.ingestion.landing import Delivery
from otp_pipeline.lib.ingestion.odd_values import (
    INVALID_PRESCRIPTEUR_SQL,
    odd_value_parameters,
    odd_values_sql,
)
from otp_pipeline.lib.ingestion.reader import ReadResult, read_batches
from otp_pipeline.lib.ingestion.row_checks import (
    check_parameters,
    checked_rows_sql,
    drop_checked_rows,
    quarantine_insert_sql,
    raw_insert_sql,
)
from otp_pipeline.lib.ingestion.sql_reader import drop_staged, stage_rows
from otp_pipeline.lib.months import month_from_index, month_index, parse_month
from otp_pipeline.lib.settings import Feed


@dataclass
class DeliveryReport:
    """The accounting of one loaded file: read = loaded + quarantined + duplicates."""

    source: str
    month: str
    file: str
    revision: int
    sha256: str
    encoding: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_duplicates: int
    quarantine_reasons: dict[str, int]
    invalid_type_prescripteur: dict[str, int]
    odd_values: dict[str, int]

    def as_dict(self) -> dict:
        return asdict(self)


def _month_bounds(month: str) -> tuple[date, date]:
    year, number = parse_month(month)
    following = month_from_index(month_index(month) + 1)
    next_year, next_number = parse_month(following)
    return date(year, number, 1), date(next_year, next_number, 1)


def _stage_rows(con, feed: Feed, delivery: Delivery, label: str, facts) -> ReadResult:
    """Every record of the file as the view `landing_rows`: over the lines DuckDB's scanner
    read where it may read the file (`sql_reader.py`), else over the table
    `tokenised_rows` that `reader.py` fills in one insert. `drop_staged` drops either.

    DuckDB pulls the batches from the reader as it inserts them: an insert costs about a
    tenth of a second whatever its size, so one insert per batch cost 2.6 s per million
    rows. An error raised while reading is raised again as it was.
    """
    staged = stage_rows(con, delivery.path, label, facts, feed.columns, feed.required)
    if staged is not None:
        return staged
    columns = ", ".join(f'"{column}" varchar' for column in feed.columns)
    con.execute(f"create or replace temp table tokenised_rows (line_number bigint, {columns})")
    con.execute("create or replace temp view landing_rows as select * from tokenised_rows")
    result = ReadResult()
    with open_text(delivery.path, label, facts) as text:
        batches = read_batches(text, label, feed.columns, feed.required, result)
        first = next(batches, None)  # a header error is raised here, before DuckDB runs
        if first is None:
            return result
        failure: list[BaseException] = []

        def record_batches():
            try:
                yield from first.to_batches()
                for batch in batches:
                    yield from batch.to_batches()
            except BaseException as error:
                failure.append(error)
                raise

        stream = pa.RecordBatchReader.from_batches(first.schema, record_batches())
        con.register("landing_batches", stream)
        try:
            con.execute("insert into tokenised_rows select * from landing_batches")
        except duckdb.Error:
            if failure:
                raise failure[0] from None
            raise
        finally:
            con.unregister("landing_batches")
    return result


def _counts(con) -> tuple[int, int, int, dict[str, int]]:
    [(loaded, quarantined, duplicates)] = con.execute(
        """
        select
            count(*) filter (where reason is null and not is_duplicate),
            count(*) filter (where reason is not null),
            count(*) filter (where is_duplicate)
        from checked_rows
        """
    ).fetchall()
    reasons = dict(
        con.execute(
            "select reason, count(*) from checked_rows where reason is not null "
            "group by reason order by reason"
        ).fetchall()
    )
    return loaded, quarantined, duplicates, reasons


def load_delivery(
    con: duckdb.DuckDBPyConnection,
    feed: Feed,
    delivery: Delivery,
    departements: frozenset[str],
    quarantine_max_percent: float,
) -> DeliveryReport:
    """Check and load `delivery`, replacing its month and source in one transaction.

    Raises StructuralError (nothing written) when the file breaks §6.
    """
    label = f"{feed.name}/{delivery.name}"
    facts = inspect_file(delivery.path, label, feed.encodings)
    try:
        result = _stage_rows(con, feed, delivery, label, facts)
        if result.rows_read == 0:
            raise StructuralError(label, "no data row (header only)")
        first_day, next_month = _month_bounds(delivery.month)
        faults, *statements = checked_rows_sql(feed)
        con.execute(faults, check_parameters(feed, first_day, next_month, departements))
        for statement in statements:
            con.execute(statement)
    finally:
        # The delivered text, person ids and birth dates included, is not needed any more.
        drop_staged(con)
    loaded, quarantined, duplicates, reasons = _counts(con)
    for malformed in result.malformed:
        reasons[malformed.reason] = reasons.get(malformed.reason, 0) + 1
    quarantined += len(result.malformed)
    if quarantined * 100 > result.rows_read * quarantine_max_percent:
        share = 100 * quarantined / result.rows_read
        raise StructuralError(
            label,
            f"{quarantined} of {result.rows_read} data rows quarantined ({share:.2f} %), "
            f"above the {quarantine_max_percent:g} % limit; reasons: {reasons}",
        )
    optional = feed.optional_code_columns
    params = odd_value_parameters(optional)
    odd = dict(
        zip(optional, con.execute(odd_values_sql(optional), params).fetchall()[0], strict=True)
    )
    invalid = {}
    if "type_prescripteur" in feed.columns:
        invalid = dict(
            con.execute(
                INVALID_PRESCRIPTEUR_SQL, odd_value_parameters(("type_prescripteur",))
            ).fetchall()
        )
    report = DeliveryReport(
        source=feed.name, month=delivery.month, file=delivery.name,
        revision=delivery.revision, sha256=facts.sha256, encoding=facts.encoding,
        rows_read=result.rows_read, rows_loaded=loaded, rows_quarantined=quarantined,
        rows_duplicates=duplicates, quarantine_reasons=reasons,
        invalid_type_prescripteur=invalid, odd_values=odd,
    )  # fmt: skip
    _replace_month(con, feed, delivery, report, result)
    return report


def _replace_month(con, feed: Feed, delivery: Delivery, report: DeliveryReport, result) -> None:
    """Swap the month's rows, quarantine and accounting for the new file, all or nothing."""
    now = datetime.now(UTC).replace(tzinfo=None)
    lineage = {
        "source_file": delivery.name, "revision": delivery.revision,
        "sha256": report.sha256, "loaded_at": now,
    }  # fmt: skip
    key = {"source": feed.name, "mois": delivery.month}
    malformed = pa.table(
        {
            "line_number": pa.array([m.line_number for m in result.malformed], pa.int64()),
            "reason": pa.array([m.reason for m in result.malformed], pa.string()),
        }
    )
    con.execute("begin transaction")
    try:
        con.execute(f'delete from raw."{feed.name}" where mois = $mois', {"mois": delivery.month})
        con.execute(raw_insert_sql(feed), {"mois": delivery.month, **lineage})
        con.execute("delete from raw.quarantine where source = $source and mois = $mois", key)
        con.execute(quarantine_insert_sql(feed), {**key, **lineage})
        # A line that could not be split into columns keeps its file, line and reason only.
        con.register("malformed_rows", malformed)
        con.execute(
            """
            insert into raw.quarantine by name
            select $source as source, $mois as mois, $source_file as source_file,
                   $revision as revision, $sha256 as sha256, line_number, reason,
                   $loaded_at as loaded_at
            from malformed_rows
            """,
            {**key, **lineage},
        )
        con.unregister("malformed_rows")
        con.execute("delete from raw.deliveries where source = $source and mois = $mois", key)
        con.execute(
            """
            insert into raw.deliveries values (
                $source, $mois, $source_file, $revision, $sha256, $encoding, $rows_read,
                $rows_loaded, $rows_quarantined, $rows_duplicates, $quarantine_reasons,
                $invalid_type_prescripteur, $odd_values, $loaded_at)
            """,
            {
                **key, **lineage, "encoding": report.encoding,
                "rows_read": report.rows_read, "rows_loaded": report.rows_loaded,
                "rows_quarantined": report.rows_quarantined,
                "rows_duplicates": report.rows_duplicates,
                "quarantine_reasons": json.dumps(report.quarantine_reasons, sort_keys=True),
                "invalid_type_prescripteur": json.dumps(
                    report.invalid_type_prescripteur, sort_keys=True
                ),
                "odd_values": json.dumps(report.odd_values, sort_keys=True),
            },
        )  # fmt: skip
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    drop_checked_rows(con)


def loaded_delivery(con, source: str, month: str) -> tuple[str, str] | None:
    """(file name, SHA-256) of what is loaded now for a source and month, if anything."""
    rows = con.execute(
        "select source_file, sha256 from raw.deliveries where source = $source and mois = $mois",
        {"source": source, "mois": month},
    ).fetchall()
    return tuple(rows[0]) if rows else None
