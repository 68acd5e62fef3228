"""Ingestion assets: each month's Pôle emploi AIS and I-Milo extracts, and the objectives."""

import dagster as dg

from otp_pipeline.defs.partitions import (
    ONE_RUN_PER_BACKFILL,
    describe_months,
    monthly_partitions,
    run_months,
)
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.landing import objectives_file, sectors_file
from otp_pipeline.lib.ingestion.loader import DeliveryReport
from otp_pipeline.lib.ingestion.monthly_load import load_month
from otp_pipeline.lib.ingestion.objectives import load_objectives, read_objectives
from otp_pipeline.lib.ingestion.sectors import NATIONAL, load_sectors, read_sectors
from otp_pipeline.lib.months import months_between
from otp_pipeline.lib.settings import IMILO, SI_PE, Feed
from otp_pipeline.lib.warehouse import (
    BULK_WORK_CONFIG,
    connect,
    ensure_raw_schema,
    region_codes,
    rome_domain_codes,
)


def _month_metadata(report: DeliveryReport, earlier: list[DeliveryReport]) -> dict:
    """One month's partition metadata: its winning file and that file's accounting alone."""
    metadata = {
        "file": dg.MetadataValue.text(report.file),
        "revision": dg.MetadataValue.int(report.revision),
        "encoding": dg.MetadataValue.text(report.encoding),
        "sha256": dg.MetadataValue.text(report.sha256),
        "rows_read": dg.MetadataValue.int(report.rows_read),
        "rows_loaded": dg.MetadataValue.int(report.rows_loaded),
        "rows_quarantined": dg.MetadataValue.int(report.rows_quarantined),
        "rows_duplicates": dg.MetadataValue.int(report.rows_duplicates),
        "quarantine_rate": dg.MetadataValue.float(
            report.rows_quarantined / report.rows_read if report.rows_read else 0.0
        ),
        "quarantine_reasons": dg.MetadataValue.json(dict(report.quarantine_reasons)),
        # Stale months before the run's first, reloaded by this run: a fact of the run.
        "earlier_months_loaded": dg.MetadataValue.json([f"{r.month} ({r.file})" for r in earlier]),
        # The partition is the month's slice of the warehouse table: both counts are its rows.
        "dagster/row_count": dg.MetadataValue.int(report.rows_loaded),
        "dagster/partition_row_count": dg.MetadataValue.int(report.rows_loaded),
        "dagster/table_name": dg.MetadataValue.text(f"raw.{report.source}"),
    }
    if report.invalid_type_prescripteur:
        metadata["invalid_type_prescripteur"] = dg.MetadataValue.json(
            dict(report.invalid_type_prescripteur)
        )
    return metadata


def _range_metadata(run: list[DeliveryReport]) -> dict:
    """A range run's totals, on every partition of the range under `range_` names; none for
    a monthly run."""
    if len(run) < 2:
        return {}
    return {
        "range_months": dg.MetadataValue.text(describe_months(run[0].month, run[-1].month)),
        **{
            f"range_{name}": dg.MetadataValue.int(sum(getattr(report, name) for report in run))
            for name in ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicates")
        },
    }


def _ingest(context: dg.AssetExecutionContext, otp: OtpSettings, feed: Feed):
    first, last = run_months(context)
    limit = otp.thresholds()["quarantine_share_max_percent"]
    try:
        with connect(otp.warehouse_path, BULK_WORK_CONFIG) as con:
            reports = load_month(
                con, feed, otp.landing_path, first, limit, context.log, last_month=last
            )
    except StructuralError as error:
        raise dg.Failure(
            description=f"Structural error, month {describe_months(first, last)} not loaded: "
            f"{error}",
            metadata={"file": error.file, "line": error.line or 0, "problem": error.problem},
            allow_retries=False,
        ) from error
    run = [report for report in reports if report.month >= first]
    earlier = [report for report in reports if report.month < first]
    # A range run records one materialization per month; metadata scoped to a partition
    # lands on that month's event only, so each partition shows its own file and counts.
    for report in run:
        context.add_asset_metadata(_month_metadata(report, earlier), partition_key=report.month)
    return dg.MaterializeResult(metadata=_range_metadata(run))


@dg.asset(
    key=["raw", "si_pe"],
    group_name="ingestion",
    partitions_def=monthly_partitions,
    backfill_policy=ONE_RUN_PER_BACKFILL,
    kinds={"duckdb", "csv"},
    metadata={"dagster/table_name": "raw.si_pe"},
)
def si_pe(context: dg.AssetExecutionContext, otp: OtpSettings) -> dg.MaterializeResult:
    """Pôle emploi AIS extract of the run's month(s) (one row per AIS), loaded to raw.si_pe.

    Picks the month's winning file (highest revision), detects its encoding (UTF-8 or
    Windows-1252), quarantines bad rows with their line and reason, counts exact duplicates,
    and replaces the month in one transaction. Stores the age at prescription, never the
    person id or the birth date (docs/personal-data.md). Earlier months whose loaded file
    is stale are loaded first. A structural error (contract §6) fails the run.

    Each partition's metadata is its own month's, whether the month ran alone or in a range:
    `file`, `revision`, `encoding`, `sha256`, `rows_read` / `rows_loaded` /
    `rows_quarantined` / `rows_duplicates`, `quarantine_rate` and `quarantine_reasons`,
    `invalid_type_prescripteur` (when any), `earlier_months_loaded` (stale earlier months
    this run reloaded first), `dagster/row_count` and `dagster/partition_row_count` (rows
    loaded for the month) and `dagster/table_name`. A range run adds its totals under
    `range_` names.
    """
    return _ingest(context, otp, SI_PE)


@dg.asset(
    key=["raw", "imilo"],
    group_name="ingestion",
    partitions_def=monthly_partitions,
    backfill_policy=ONE_RUN_PER_BACKFILL,
    kinds={"duckdb", "csv"},
    metadata={"dagster/table_name": "raw.imilo"},
)
def imilo(context: dg.AssetExecutionContext, otp: OtpSettings) -> dg.MaterializeResult:
    """I-Milo extract of the run's month(s) (one row per Mission locale prescription), to raw.imilo.

    Same rules as the AIS extract: winning revision, row checks, quarantine, duplicates,
    one transaction per month; UTF-8 only. Same per-month metadata as raw/si_pe.
    """
    return _ingest(context, otp, IMILO)


def _periods_of(rows: list[dict], month: str) -> list[dict]:
    """The objective periods that contain `month`, region by region."""
    return [
        {key: row[key] for key in ("code_region", "periode_debut", "periode_fin")}
        for row in sorted(rows, key=lambda row: (row["code_region"], row["periode_debut"]))
        if row["periode_debut"] <= month <= row["periode_fin"]  # checked YYYY-MM: text order
    ]


@dg.asset(
    key=["raw", "objectifs_otp"],
    group_name="ingestion",
    partitions_def=monthly_partitions,
    backfill_policy=ONE_RUN_PER_BACKFILL,
    kinds={"duckdb", "csv"},
    metadata={"dagster/table_name": "raw.objectifs_otp"},
)
def objectifs_otp(context: dg.AssetExecutionContext, otp: OtpSettings) -> dg.MaterializeResult:
    """The regional OTP objectives (one row per region and period), to raw.objectifs_otp.

    Read whole at every run: any fault (missing file or column, bad region, number or
    period, overlapping periods of a region) is a structural error naming file and line.

    Each partition's metadata: `file` and `sha256` of the objectives file, `periods` and
    `regions` in it, `periods_of_month` (the periods containing that month),
    `dagster/row_count` (periods loaded: the table is replaced whole) and
    `dagster/table_name`.
    """
    first, last = run_months(context)
    try:
        path = objectives_file(otp.landing_path, context.log)
        rows = read_objectives(path, region_codes())
        with connect(otp.warehouse_path) as con:
            ensure_raw_schema(con)
            report = load_objectives(con, path, rows)
    except StructuralError as error:
        raise _structural_failure("the objectives", error) from error
    for month in months_between(first, last):
        context.add_asset_metadata(
            {
                "file": dg.MetadataValue.text(report.file),
                "sha256": dg.MetadataValue.text(report.sha256),
                "periods": dg.MetadataValue.int(report.periods),
                "regions": dg.MetadataValue.int(report.regions),
                "periods_of_month": dg.MetadataValue.json(_periods_of(rows, month)),
                "dagster/row_count": dg.MetadataValue.int(report.periods),
                "dagster/table_name": dg.MetadataValue.text("raw.objectifs_otp"),
            },
            partition_key=month,
        )
    return dg.MaterializeResult()


def _structural_failure(what: str, error: StructuralError) -> dg.Failure:
    return dg.Failure(
        description=f"Structural error in {what}: {error}",
        metadata={"file": error.file, "line": error.line or 0, "problem": error.problem},
        allow_retries=False,
    )


@dg.asset(
    key=["raw", "secteurs_avenir"],
    group_name="ingestion",
    partitions_def=monthly_partitions,
    backfill_policy=ONE_RUN_PER_BACKFILL,
    kinds={"duckdb", "csv"},
    metadata={"dagster/table_name": "raw.secteurs_avenir"},
)
def secteurs_avenir(context: dg.AssetExecutionContext, otp: OtpSettings) -> dg.MaterializeResult:
    """The sectors of the future (contract §9: one row per list and ROME prefix), to
    raw.secteurs_avenir; the file is optional, the table empty without it.

    Read whole at every run, as it stands when the run starts: it classifies every row
    counted in the run's months. Any fault (a prefix twice in a list, a code with two
    labels, an unknown region, a bad prefix or code, no data row, both `.csv` and `.gz`)
    is a structural error naming file and line: the run fails, nothing is published.

    Each partition's metadata: `file` and `sha256` (`none` without a file), `rows`,
    `prefixes_per_list` (by list, `*` the national one), `regions_with_own_list`,
    `regions_on_national_list`, `regions_without_list`, `dagster/row_count`.
    """
    first, last = run_months(context)
    regions = region_codes()
    try:
        path = sectors_file(otp.landing_path, context.log)
        sectors = read_sectors(path, regions, rome_domain_codes()) if path else None
    except StructuralError as error:
        raise _structural_failure("the sectors of the future", error) from error
    with connect(otp.warehouse_path) as con:
        ensure_raw_schema(con)
        load_sectors(con, sectors)
    lists = sectors.prefixes_per_list() if sectors else {}
    own = sorted(region for region in lists if region != NATIONAL)
    national = sorted(regions - set(own)) if NATIONAL in lists else []
    metadata = {
        "file": dg.MetadataValue.text(sectors.name if sectors else "none"),
        "sha256": dg.MetadataValue.text(sectors.sha256 if sectors else "none"),
        "rows": dg.MetadataValue.int(len(sectors.rows) if sectors else 0),
        "prefixes_per_list": dg.MetadataValue.json(lists),
        "regions_with_own_list": dg.MetadataValue.json(own),
        "regions_on_national_list": dg.MetadataValue.json(national),
        "regions_without_list": dg.MetadataValue.json(sorted(regions - set(own) - set(national))),
        "dagster/row_count": dg.MetadataValue.int(len(sectors.rows) if sectors else 0),
        "dagster/table_name": dg.MetadataValue.text("raw.secteurs_avenir"),
    }
    for month in months_between(first, last):
        context.add_asset_metadata(metadata, partition_key=month)
    return dg.MaterializeResult()
