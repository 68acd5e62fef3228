"""Publication: each month's three aggregate tables, manifest and report, swapped in whole."""

from pathlib import Path

import dagster as dg

from otp_pipeline.defs.partitions import (
    ONE_RUN_PER_BACKFILL,
    describe_months,
    monthly_partitions,
    run_months,
)
from otp_pipeline.defs.quality.checks import CHECKED_ASSET_KEYS
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.months import months_between
from otp_pipeline.lib.publication.manifest import (
    code_version,
    objectives_file,
    sector_enums,
    sector_lists,
    sectors_file,
    source_files,
)
from otp_pipeline.lib.publication.swap import publish_month
from otp_pipeline.lib.publication.tables import TABLES, Table
from otp_pipeline.lib.warehouse import connect

# The marts it publishes, and the facts the blocking GX checks are on: a failed blocking
# check holds back only the assets that depend on the checked asset directly.
UPSTREAM_KEYS = sorted(
    {dg.AssetKey([name]) for name in TABLES} | set(CHECKED_ASSET_KEYS),
    key=lambda key: key.to_user_string(),
)


def _check_results(context: dg.AssetExecutionContext) -> list[dict]:
    """Every asset check evaluated in this run (GX checks and dbt tests), for the manifest."""
    records = context.instance.all_logs(
        context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    )
    results = []
    for record in records:
        evaluation = record.dagster_event.event_specific_data
        results.append(
            {
                "asset": evaluation.asset_key.to_user_string(),
                "check": evaluation.check_name,
                "passed": evaluation.passed,
                "severity": evaluation.severity.value,
                "blocking": bool(evaluation.blocking),
            }
        )
    return sorted(results, key=lambda result: (result["asset"], result["check"]))


def _table_schema(table: Table, prefix: str = "") -> list[dg.TableColumn]:
    """A published table's columns in contract order with their types, grain marked."""
    return [
        dg.TableColumn(
            f"{prefix}{name}",
            kind,
            description=f"grain of {table.name}" if name in table.grain else None,
        )
        for name, kind in table.columns
    ]


# The publication is one asset holding six tables, and `dagster/column_schema` takes one
# schema: it holds every column of the six, named `<table>.<column>` so that the six
# `mois` stay apart and each column says its table. Each table's own schema, with its
# columns' plain names, is under `schema_<table>`.
SCHEMAS = {
    "dagster/column_schema": dg.MetadataValue.table_schema(
        dg.TableSchema(
            [
                column
                for table in TABLES.values()
                for column in _table_schema(table, f"{table.name}.")
            ]
        )
    ),
    **{
        f"schema_{name}": dg.MetadataValue.table_schema(dg.TableSchema(_table_schema(table)))
        for name, table in TABLES.items()
    },
}


def _month_metadata(month: dict, checks: list[dict]) -> dict:
    """One month's partition metadata: its folder, rows per table, checks and vintage."""
    failed = [f"{c['asset']}:{c['check']}" for c in checks if not c["passed"]]
    metadata = {
        "folder": dg.MetadataValue.path(month["folder"]),
        "produced_at": dg.MetadataValue.text(month["produced_at"]),
        # The checks of the run that published the month: those its manifest records.
        "checks_evaluated": dg.MetadataValue.int(len(checks)),
        "checks_failed": dg.MetadataValue.int(len(failed)),
        "failed_checks": dg.MetadataValue.json(failed),
        # National share of AIS prescriptions with a valid prescriber, and regions flagged.
        "taux_renseignement_national": dg.MetadataValue.float(month["taux"]),
        "regions_a_examiner": dg.MetadataValue.int(month["regions_a_examiner"]),
        "report": dg.MetadataValue.path(str(Path(month["folder"]) / "rapport.html")),
        **{f"rows_{name}": dg.MetadataValue.int(count) for name, count in month["rows"].items()},
        "dagster/row_count": dg.MetadataValue.int(sum(month["rows"].values())),
        **SCHEMAS,
    }
    if month["previous_publication"]:
        metadata["previous_publication"] = dg.MetadataValue.path(month["previous_publication"])
    return metadata


@dg.asset(
    key=["publication"],
    group_name="publication",
    partitions_def=monthly_partitions,
    backfill_policy=ONE_RUN_PER_BACKFILL,
    deps=UPSTREAM_KEYS,
    kinds={"parquet", "csv"},
    metadata=SCHEMAS,
)
def publication(context: dg.AssetExecutionContext, otp: OtpSettings) -> dg.MaterializeResult:
    """The published month `$OTP_PUBLISH_DIR/YYYY-MM/`: prescriptions_mensuelles, suivi_otp,
    qualite_prescripteur, the steering tables prescriptions_par_formation and projection_otp
    and prescriptions_secteurs_avenir (Parquet and CSV), manifest.json and rapport.html.

    Built in a temporary folder and swapped in whole; the previous publication of the month
    is kept under `_vintages/YYYY-MM/<produced_at>/`. Runs only when every blocking check
    upstream passed in the same run. A range run (a backfill) publishes each of its months
    in turn, each swapped in whole.

    Each partition's metadata is its own month's, whether the month ran alone or in a range:
    `folder`, `produced_at`, `report`, `previous_publication` (the vintage it replaced, if
    any), `rows_<table>` for each of the six tables, `dagster/row_count` (the six tables'
    rows added up: the month's published rows), `checks_evaluated` / `checks_failed` /
    `failed_checks` (the run's checks, as in the manifest), `taux_renseignement_national`,
    `regions_a_examiner`, and the contract's columns: `dagster/column_schema` (every
    table's, named `<table>.<column>`) and `schema_<table>`. A range run adds
    `range_months`, `range_months_published` and `range_rows_published`.
    """
    first, last = run_months(context)
    checks = _check_results(context)
    thresholds = otp.thresholds()
    with connect(otp.warehouse_path) as con:
        months = [
            _publish(con, month, otp, checks, thresholds["prescriber_fill_rate_min"])
            for month in months_between(first, last)
        ]
    for month in months:
        context.log.info(f"Published {month['mois']}: {month['folder']}")
        # Scoped to the month's partition: a range run's events each keep their own month.
        context.add_asset_metadata(_month_metadata(month, checks), partition_key=month["mois"])
    if len(months) == 1:
        return dg.MaterializeResult()
    return dg.MaterializeResult(
        metadata={
            "range_months": dg.MetadataValue.text(describe_months(first, last)),
            "range_months_published": dg.MetadataValue.int(len(months)),
            "range_rows_published": dg.MetadataValue.int(
                sum(sum(month["rows"].values()) for month in months)
            ),
        }
    )


def _publish(con, month: str, otp: OtpSettings, checks: list[dict], threshold: float) -> dict:
    """Publish one month; its figures for the materialization's metadata."""
    manifest = {
        "mois": month,
        "code_version": code_version(),
        "seuil_remplissage": threshold,
        "fichiers_sources": source_files(con, month),
        "fichier_objectifs": objectives_file(con),
        "secteurs_avenir": sectors_file(con),
        "listes_secteurs_avenir": sector_lists(con, month),
        "controles_qualite": checks,
    }
    published = publish_month(con, month, otp.publish_path, manifest, enums=sector_enums(con))
    [(fill_rate, flagged)] = con.execute(
        """
        select sum(nb_prescripteur_renseigne) / nullif(sum(nb_prescriptions_si_pe), 0),
               count(*) filter (where fiabilite = 'A_EXAMINER')
        from qualite_prescripteur where mois = $month
        """,
        {"month": month},
    ).fetchall()
    return {
        "mois": month,
        "folder": str(published.folder),
        "produced_at": published.produced_at,
        "taux": float(fill_rate or 0.0),
        "regions_a_examiner": flagged,
        "rows": dict(published.row_counts),
        "previous_publication": str(published.vintage) if published.vintage else None,
    }
