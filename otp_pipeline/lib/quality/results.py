"""Results of the data-quality suites as plain objects: what the checks, the manifest and the
tests read, without Great Expectations' own classes.

Nothing here holds a person id or a birth date: the suites' frames never select one
(`quality.read_frame` refuses them), so neither can a sample value.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from otp_pipeline.lib.months import months_between
from otp_pipeline.lib.quality.suites import SuiteError, resolve

SAMPLE_SIZE = 5  # "a few" unexpected values per expectation


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation (one group of it, for a `per` expectation) on the frame of a month or
    of a range of months."""

    name: str
    type: str
    severity: str  # blocking | warning | info
    success: bool
    description: str = ""
    group: str | None = None  # the value of the `per` column, e.g. a code_region
    month: str | None = None  # the group's month, when the frame held a range of months
    element_count: int | None = None  # rows the expectation looked at
    unexpected_count: int | None = None
    missing_count: int = 0  # nulls skipped by the expectation
    observed_value: Any = None  # for expectations on a whole column or table
    samples: tuple = ()  # a few unexpected values (or failing rows of an aggregate frame)
    error: str | None = None  # the exception GX caught, if the expectation could not run

    @property
    def failed(self) -> bool:
        """A failure that counts: an `info` measure never fails its check."""
        return not self.success and self.severity != "info"

    @property
    def rows_considered(self) -> int | None:
        if self.element_count is None:
            return None
        return self.element_count - self.missing_count

    @property
    def rate(self) -> float | None:
        """Share of the rows considered that met the expectation (a fill rate, for `info`)."""
        considered = self.rows_considered
        if not considered or self.unexpected_count is None:
            return None
        return (considered - self.unexpected_count) / considered

    def figures(self) -> dict:
        """Counts and rate, JSON-ready."""
        figures = {"lignes": self.rows_considered, "non_conformes": self.unexpected_count}
        if self.rate is not None:
            figures["taux"] = round(self.rate, 4)
        return figures


@dataclass(frozen=True)
class SuiteResult:
    """One suite validated on one month, or on the range `month`..`last_month` at once:
    every expectation's result, key figures, docs."""

    suite: str
    asset: str
    month: str  # the month validated, the first of the range
    description: str
    row_count: int
    expectations: tuple[ExpectationResult, ...]
    figures: dict = field(default_factory=dict)
    thresholds: dict = field(default_factory=dict)  # the thresholds the suite used
    reports: dict = field(default_factory=dict)  # `per` expectation name -> report key
    data_docs: Path | None = None
    last_month: str | None = None  # the last month of the range; None: `month` alone

    @property
    def months(self) -> list[str]:
        """Every month validated, in order."""
        return months_between(self.month, self.last_month or self.month)

    @property
    def period(self) -> str:
        """`2021-03`, or `2021-01..2021-03` for a range."""
        return f"{self.month}..{self.last_month}" if self.last_month else self.month

    @property
    def check_name(self) -> str:
        return f"gx_{self.suite}"

    @property
    def declared_severity(self) -> str:
        held = {result.severity for result in self.expectations}
        return "blocking" if "blocking" in held else "warning"

    def failures(self, severity: str | None = None) -> list[ExpectationResult]:
        return [r for r in self.expectations if r.failed and severity in (None, r.severity)]

    @property
    def blocking_failed(self) -> bool:
        return bool(self.failures("blocking"))

    @property
    def success(self) -> bool:
        """No blocking and no warning expectation failed."""
        return not self.failures()

    def failing_groups(self, name: str) -> dict[str, dict]:
        """Each group (region) where the `per` expectation `name` failed, with its figures;
        over a range, by month first: `{month: {group: figures}}`."""
        return self._by_group(name, lambda r: r.failed, lambda r: r.figures())

    def group_rates(self, name: str) -> dict:
        """The rate of every group of the `per` expectation `name` (by month over a range)."""
        return self._by_group(
            name,
            lambda r: r.group is not None,
            lambda r: None if r.rate is None else round(r.rate, 4),
        )

    def _by_group(self, name: str, keep, value) -> dict:
        grouped: dict = {}
        for result in self.expectations:
            if result.name == name and keep(result):
                if self.last_month:
                    grouped.setdefault(result.month, {})[result.group] = value(result)
                else:
                    grouped[result.group] = value(result)
        return grouped

    def key_figures(self) -> dict:
        """The suite's figures, the failing groups of each report and every `info` measure."""
        figures = {"lignes": self.row_count, **self.figures}
        for name, report in self.reports.items():
            figures[report] = self.failing_groups(name)
        for result in self.expectations:
            if result.severity == "info":
                figures[result.name] = result.figures()
        return figures

    def summary(self) -> dict:
        """What the manifest says of this check: JSON-ready, aggregates only."""
        return {
            "check": self.check_name,
            "asset": self.asset,
            "suite": self.suite,
            "mois": self.month,
            **({"mois_fin": self.last_month} if self.last_month else {}),
            "severity": self.declared_severity,
            "success": self.success,
            "blocking_failed": self.blocking_failed,
            "expectations": len(self.expectations),
            "failed": [
                {
                    "expectation": r.name,
                    "severity": r.severity,
                    "group": r.group,
                    **({"mois": r.month} if r.month else {}),
                    **r.figures(),
                }
                for r in self.failures()
            ],
            "figures": self.key_figures(),
            "thresholds": dict(self.thresholds),
        }


def month_quality_summary(results) -> list[dict]:
    """Every check of a month (or a range) for the manifest: name, severity, success and key
    figures."""
    return [result.summary() for result in sorted(results, key=lambda r: r.check_name)]


def expectation_result(item, order: dict[str, int]) -> tuple[tuple, ExpectationResult]:
    """One GX ExpectationValidationResult as a plain result, with its sort key."""
    config = item.expectation_config
    meta = config.meta or {}
    result = item.result or {}
    exception = item.exception_info or {}
    if "raised_exception" not in exception and exception:
        # One entry per metric when the failure came from a metric computation.
        exception = next(iter(exception.values()), {})
    # With sample columns, GX lists each failing row's context (dicts); else row numbers,
    # which say nothing: the values themselves are the sample then.
    rows = result.get("partial_unexpected_index_list") or []
    samples = rows if rows and isinstance(rows[0], dict) else result.get("partial_unexpected_list")
    plain = ExpectationResult(
        name=meta.get("name", config.type),
        type=config.type,
        severity=meta.get("severity", "blocking"),
        success=bool(item.success),
        description=config.description or "",
        group=meta.get("group"),
        month=meta.get("mois"),
        element_count=_int(result.get("element_count")),
        unexpected_count=_int(result.get("unexpected_count")),
        missing_count=_int(result.get("missing_count")) or 0,
        observed_value=plain_value(result.get("observed_value")),
        samples=_samples(samples or []),
        error=exception.get("exception_message") if exception.get("raised_exception") else None,
    )
    return (order.get(plain.name, len(order)), plain.month or "", plain.group or ""), plain


def _samples(values: list) -> tuple:
    if all(isinstance(plain_value(value), bool) for value in values):
        return ()  # `false` where `true` was expected says nothing the count does not
    distinct = []
    for value in values:
        value = plain_value(value)
        if value not in distinct:
            distinct.append(value)
        if len(distinct) == SAMPLE_SIZE:
            break
    return tuple(distinct)


def _int(value) -> int | None:
    return None if value is None else int(value)


def plain_value(value: Any) -> Any:
    """`value` as JSON-ready Python: numpy and pandas scalars, dates, NaN/NA/NaT as None."""
    if isinstance(value, dict):
        return {str(key): plain_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain_value(item) for item in value]
    if value is None or isinstance(value, bool | str):
        return value
    import pandas as pd

    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    if isinstance(value, datetime):  # also pandas' Timestamp
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalar
        return plain_value(value.item())
    return str(value)


def added_up(spec, thresholds: dict[str, float], parts: list["SuiteResult"]) -> "SuiteResult":
    """One suite's result from its row-by-row parts: counts added, success from them."""
    mostly = {
        item.name: resolve(item.kwargs, thresholds).get("mostly") for item in spec.expectations
    }
    expectations = []
    for results in zip(*(part.expectations for part in parts), strict=True):
        if len({result.name for result in results}) != 1:
            raise SuiteError(f"{spec.name}: the parts' results do not line up")
        expectations.append(_added_up_expectation(results, mostly[results[0].name]))
    figures = {name: _total([part.figures[name] for part in parts]) for name in parts[0].figures}
    return replace(
        parts[0],
        row_count=sum(part.row_count for part in parts),
        expectations=tuple(expectations),
        figures=figures,
    )


def _added_up_expectation(results, mostly: float | None) -> ExpectationResult:
    element = _total([result.element_count for result in results])
    unexpected = _total([result.unexpected_count for result in results])
    missing = sum(result.missing_count for result in results)
    errors = [result.error for result in results if result.error]
    success = all(result.success for result in results)
    considered = None if element is None else element - missing
    if mostly is not None and not errors and considered and unexpected is not None:
        success = (considered - unexpected) / considered >= mostly
    samples = []
    for value in (value for result in results for value in result.samples):
        if value not in samples and len(samples) < SAMPLE_SIZE:
            samples.append(value)
    return replace(
        results[0],
        success=success,
        element_count=element,
        unexpected_count=unexpected,
        missing_count=missing,
        samples=tuple(samples),
        error=errors[0] if errors else None,
    )


def _total(values):
    """The sum, or None when a part has no figure."""
    return None if any(value is None for value in values) else sum(values)
