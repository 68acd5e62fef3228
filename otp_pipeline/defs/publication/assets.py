"""Publication: the month's three aggregate tables, manifest and report, swapped in whole."""

import dagster as dg

from otp_pipeline.defs.partitions import MONTH_BY_MONTH, monthly_partitions
from otp_pipeline.defs.quality.checks import CHECKED_ASSET_KEYS
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.manifest_content import code_version, objectives_file, source_files
from otp_pipeline.lib.publication import TABLES, publish_month
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
    backfill_policy=MONTH_BY_MONTH,
    deps=UPSTREAM_KEYS,
    kinds={"parquet", "csv"},
)
def publication(context: dg.AssetExecutionContext, otp: OtpSettings) -> dg.MaterializeResult:
    """The published month `$OTP_PUBLISH_DIR/YYYY-MM/`: prescriptions_mensuelles, suivi_otp,
    qualite_prescripteur (Parquet and CSV), manifest.json and rapport.html.

    Built in a temporary folder and swapped in whole; the previous publication of the month
    is kept under `_vintages/YYYY-MM/<produced_at>/`. Runs only when every blocking check
    upstream passed in the same run.
    """
    month = context.partition_key
    checks = _check_results(context)
    with connect(otp.warehouse_path) as con:
        manifest = {
            "mois": month,
            "code_version": code_version(),
            "seuil_remplissage": otp.thresholds()["prescriber_fill_rate_min"],
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
    metadata = {
        "folder": dg.MetadataValue.path(str(published.folder)),
        "produced_at": dg.MetadataValue.text(published.produced_at),
        "checks_failed": dg.MetadataValue.int(sum(not c["passed"] for c in checks)),
        # National share of AIS prescriptions with a valid prescriber, and regions flagged.
        "taux_renseignement_national": dg.MetadataValue.float(float(fill_rate or 0.0)),
        "regions_a_examiner": dg.MetadataValue.int(flagged),
        "report": dg.MetadataValue.path(str(published.folder / "rapport.html")),
    }
    for name, count in published.row_counts.items():
        metadata[f"rows_{name}"] = dg.MetadataValue.int(count)
    if published.vintage:
        metadata["previous_publication"] = dg.MetadataValue.path(str(published.vintage))
    return dg.MaterializeResult(metadata=metadata)
