"""Publication: each month's three aggregate tables, manifest and report, swapped in whole."""

from pathlib import Path

import dagster as dg

from otp_pipeline.defs.partitions import (
    ONE_RUN_PER_BACKFILL,
    monthly_partitions,
    run_months,
)
from otp_pipeline.defs.quality.checks import CHECKED_ASSET_KEYS
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.months import months_between
from otp_pipeline.lib.publication.manifest import code_version, objectives_file, source_files
from otp_pipeline.lib.publication.swap import publish_month
from otp_pipeline.lib.publication.tables import TABLES
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


@dg.asset(
    key=["publication"],
    group_name="publication",
    partitions_def=monthly_partitions,
    backfill_policy=ONE_RUN_PER_BACKFILL,
    deps=UPSTREAM_KEYS,
    kinds={"parquet", "csv"},
)
def publication(context: dg.AssetExecutionContext, otp: OtpSettings) -> dg.MaterializeResult:
    """The published month `$OTP_PUBLISH_DIR/YYYY-MM/`: prescriptions_mensuelles, suivi_otp,
    qualite_prescripteur and the steering tables prescriptions_par_formation and
    projection_otp (Parquet and CSV), manifest.json and rapport.html.

    Built in a temporary folder and swapped in whole; the previous publication of the month
    is kept under `_vintages/YYYY-MM/<produced_at>/`. Runs only when every blocking check
    upstream passed in the same run. A range run (a backfill) publishes each of its months
    in turn, each swapped in whole.
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
    checks_failed = dg.MetadataValue.int(sum(not c["passed"] for c in checks))
    if len(months) == 1:
        [month] = months
        metadata = {
            "folder": dg.MetadataValue.path(month["folder"]),
            "produced_at": dg.MetadataValue.text(month["produced_at"]),
            "checks_failed": checks_failed,
            # National share of AIS prescriptions with a valid prescriber, and regions flagged.
            "taux_renseignement_national": dg.MetadataValue.float(month["taux"]),
            "regions_a_examiner": dg.MetadataValue.int(month["regions_a_examiner"]),
            "report": dg.MetadataValue.path(str(Path(month["folder"]) / "rapport.html")),
        }
        for name, count in month["rows"].items():
            metadata[f"rows_{name}"] = dg.MetadataValue.int(count)
        if month["previous_publication"]:
            metadata["previous_publication"] = dg.MetadataValue.path(month["previous_publication"])
        return dg.MaterializeResult(metadata=metadata)
    metadata = {
        "folder": dg.MetadataValue.path(str(otp.publish_path)),
        "months_published": dg.MetadataValue.int(len(months)),
        "checks_failed": checks_failed,
        "months": dg.MetadataValue.json(months),
    }
    for name in TABLES:
        metadata[f"rows_{name}"] = dg.MetadataValue.int(sum(m["rows"][name] for m in months))
    return dg.MaterializeResult(metadata=metadata)


def _publish(con, month: str, otp: OtpSettings, checks: list[dict], threshold: float) -> dict:
    """Publish one month; its figures for the materialization's metadata."""
    manifest = {
        "mois": month,
        "code_version": code_version(),
        "seuil_remplissage": threshold,
        "fichiers_sources": source_files(con, month),
        "fichier_objectifs": objectives_file(con),
        "controles_qualite": checks,
    }
    published = publish_month(con, month, otp.publish_path, manifest)
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
