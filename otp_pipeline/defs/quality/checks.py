"""Data-quality checks: each suite of `expectations/` as a Dagster asset check (GX inside).

One check `gx_<suite>` per suite file, on the asset the suite names (the dbt models
`fct_prescriptions`, `fct_entrees` and the published marts), all in one step. It validates the run's
month (its partition key), or every month of a single-run backfill (its partition key
range) in one validation, and reports:
- failed blocking expectation -> the check fails with severity ERROR: the publication of
  the month, downstream, does not run;
- only warnings failed -> severity WARN: reported, the month is published;
- metadata: counts, failing expectations with a few sample values or failing aggregate
  rows (never a person id), the regions below the fill-rate threshold with their rates
  (by month over a range), the fill rates measured, the thresholds used and the Data Docs
  path.

Every check is declared `blocking=True`, the warning-only ones too: a blocking check runs
before the assets downstream of its asset, so its result is known (and in the manifest)
when the publication runs; a WARN result never stops anything.

Caution: Dagster holds back only the assets that depend on the checked asset itself (or
wait for the step holding its check). The checks run in one step, which the publication
waits for through the marts; it also depends on fct_prescriptions and fct_entrees
(`deps=CHECKED_ASSET_KEYS`), so that a failed check on a fact stops it even if the checks
were ever split into steps again.

The suites are read when the definitions load (YAML only, a few milliseconds); Great
Expectations, pandas and pyarrow are imported when a check runs.
"""

from typing import TYPE_CHECKING

import dagster as dg

from otp_pipeline.defs.partitions import run_months
from otp_pipeline.defs.resources import OtpSettings
from otp_pipeline.lib.quality.suites import SuiteSpec, load_suites
from otp_pipeline.lib.thresholds import DEFAULT_EXPECTATIONS_DIR

if TYPE_CHECKING:
    from otp_pipeline.lib.quality.results import SuiteResult


def check_result(
    result: "SuiteResult", asset_key: dg.AssetKey | None = None, check_name: str | None = None
) -> dg.AssetCheckResult:
    """The Dagster result of one validated suite (on `asset_key`, named `check_name`, when
    the step runs several checks)."""
    severity = (
        dg.AssetCheckSeverity.ERROR
        if result.blocking_failed or (result.success and result.declared_severity == "blocking")
        else dg.AssetCheckSeverity.WARN
    )
    metadata = {
        "mois": dg.MetadataValue.text(result.period),
        "lignes": dg.MetadataValue.int(result.row_count),
        "expectations": dg.MetadataValue.int(len(result.expectations)),
        "echecs_bloquants": dg.MetadataValue.int(len(result.failures("blocking"))),
        "echecs_avertissements": dg.MetadataValue.int(len(result.failures("warning"))),
        "echecs": dg.MetadataValue.json([_failure(f) for f in result.failures()]),
        "seuils": dg.MetadataValue.json(result.thresholds),
        "resume": dg.MetadataValue.json(result.summary()),
    }
    for name, value in result.key_figures().items():
        metadata.setdefault(name, _metadata_value(value))
    if result.data_docs is not None:
        metadata["data_docs"] = dg.MetadataValue.path(str(result.data_docs))
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=result.success,
        severity=severity,
        metadata=metadata,
        description=_description(result),
    )


def _failure(failure) -> dict:
    return {
        "expectation": failure.name,
        "severity": failure.severity,
        "description": failure.description,
        "group": failure.group,
        **({"mois": failure.month} if failure.month else {}),
        **failure.figures(),
        "exemples": list(failure.samples),
        **({"erreur": failure.error} if failure.error else {}),
    }


def _description(result: "SuiteResult") -> str:
    if result.success:
        return f"{result.period}: {len(result.expectations)} expectations met"
    listed = ", ".join(
        f"{f.name}{_group_label(f)}: {f.unexpected_count} rows" for f in result.failures()
    )
    return f"{result.period}: {'blocking' if result.blocking_failed else 'warning'}: {listed}"


def _group_label(failure) -> str:
    named = " ".join(part for part in (failure.month, failure.group) if part)
    return f" ({named})" if named else ""


def _metadata_value(value) -> dg.MetadataValue:
    if isinstance(value, bool):
        return dg.MetadataValue.bool(value)
    if isinstance(value, int):
        return dg.MetadataValue.int(value)
    if isinstance(value, float):
        return dg.MetadataValue.float(value)
    if value is None:
        return dg.MetadataValue.null()
    if isinstance(value, dict | list):
        return dg.MetadataValue.json(value)
    return dg.MetadataValue.text(str(value))


def check_spec(spec: SuiteSpec) -> dg.AssetCheckSpec:
    """The Dagster check of one suite, on the asset the suite names."""
    return dg.AssetCheckSpec(
        name=f"gx_{spec.name}",
        asset=dg.AssetKey([spec.asset]),
        description=f"[{spec.severity}] {spec.description} (expectations/{spec.name}.yml)",
        blocking=True,
        metadata={"suite": f"expectations/{spec.name}.yml", "severity": spec.severity},
    )


def build_checks(suites: dict[str, SuiteSpec]) -> dg.AssetChecksDefinition:
    """Every suite's check, run in one step: Great Expectations is imported and its file
    context opened once for the run (about 1.5 s a check when each was its own step), and
    a subset (one check picked in the UI) validates only its suites. Their Data Docs pages
    are written by the asset `quality_report`, downstream."""
    by_check = {f"gx_{name}": spec for name, spec in suites.items()}

    @dg.multi_asset_check(
        name="gx_suites",
        specs=[check_spec(spec) for spec in suites.values()],
        can_subset=True,
        description="The Great Expectations suites of expectations/, one check each.",
    )
    def _checks(context: dg.AssetCheckExecutionContext, otp: OtpSettings):
        month, last_month = run_months(context)  # equal for a monthly run
        # GX and pandas: imported at run time, never when the definitions load.
        from otp_pipeline.lib.quality.runner import validate_suite

        selected = sorted(key.name for key in context.selected_asset_check_keys)
        errors = []
        for name in selected:
            spec = by_check[name]
            try:
                result = validate_suite(
                    otp.warehouse_path, spec, month, otp.expectations_path,
                    last_month=last_month,
                )  # fmt: skip
            except Exception as error:  # the other suites still report; raised below
                context.log.error(f"{name}: could not validate: {error}")
                errors.append((name, error))
                continue
            context.log.info(f"{name} {_description(result)}")
            yield check_result(result, dg.AssetKey([spec.asset]), name)
        if errors:
            listed = "; ".join(f"{name}: {error}" for name, error in errors)
            raise dg.Failure(f"{len(errors)} suite(s) could not be validated: {listed}") from (
                errors[0][1]
            )

    return _checks


SUITES = load_suites(DEFAULT_EXPECTATIONS_DIR)
QUALITY_CHECKS = [build_checks(SUITES)]
# The assets the checks are on: what the publication must depend on to be held back.
CHECKED_ASSET_KEYS = sorted({dg.AssetKey([spec.asset]) for spec in SUITES.values()},
                            key=lambda key: key.to_user_string())  # fmt: skip
