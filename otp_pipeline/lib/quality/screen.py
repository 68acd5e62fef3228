"""Row-by-row suites screened in SQL: DuckDB counts the rows that meet every expectation,
Great Expectations validates the others.

A row-by-row expectation (not null, in a set, between, a pair equal, a >= b) decides each
row on its own values. DuckDB states, for each expectation, when a row is *surely* settled:
met (counted, not missing, expected), or missing (a null GX skips: the column's for a set
or a range, the pair's as `ignore_row_if` says). The rows settled for every expectation
(`passing`) are counted in SQL; only the others (a clean month: none) are read into pandas
and validated by GX, with the same expectations. A passing row adds one to each
expectation's `element_count` (when it meets the expectation's `where`), one to its
`missing_count` when missing, nothing to its unexpected count; `add_passing` completes
GX's own result with these counts: the numbers, percents and outcomes (`mostly` included)
are those GX gives on every row, and Data Docs show them.

The conditions need only be sound (a row they settle, GX would settle the same way), never
complete: a row kept by mistake is validated by GX like any other. So an expectation is
screened only where DuckDB and pandas surely agree: text, integer, boolean and date
columns (never floating point: NaN is missing in pandas, a value in DuckDB), values of
the column's own kind, kwargs known here. A suite holding anything else is validated on
all its rows, as before (`screen` gives None).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otp_pipeline.lib.quality.suites import ExpectationSpec, SuiteSpec, resolve

# DuckDB types by the kind of Python value pandas compares them with.
KINDS = {
    "VARCHAR": str, "BOOLEAN": bool, "DATE": "date",
    **{name: int for name in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                              "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")},
}  # fmt: skip
# The kwargs each screened type may carry: any other (a GX option not stated here) and the
# suite is validated on every row.
KWARGS = {
    "expect_column_values_to_not_be_null": {"column", "mostly"},
    "expect_column_values_to_be_null": {"column", "mostly"},
    "expect_column_values_to_be_in_set": {"column", "value_set", "mostly"},
    "expect_column_values_to_be_between": {
        "column", "min_value", "max_value", "strict_min", "strict_max", "mostly",
    },
    "expect_column_pair_values_to_be_equal": {"column_A", "column_B", "ignore_row_if", "mostly"},
    "expect_column_pair_values_a_to_be_greater_than_b": {
        "column_A", "column_B", "or_equal", "ignore_row_if", "mostly",
    },
}  # fmt: skip
PARAMETER_PREFIX = "screen_"
PASSES = "screen_passes"  # the counts query's column: the row is settled for every rule


class Unscreenable(ValueError):
    """An expectation whose condition DuckDB cannot state as pandas would decide it."""


@dataclass(frozen=True)
class Screened:
    """A suite's rows split by DuckDB: the query of the rows GX must see, and the counts of
    the others."""

    query: str  # the suite's rows failing or missing for at least one expectation
    parameters: dict
    passing: int  # rows meeting every expectation
    considered: tuple[int, ...]  # per expectation, in suite order: passing rows its `where` keeps
    missing: tuple[int, ...]  # per expectation: passing rows it considers missing
    kept: int  # rows of `query`


def screen(
    warehouse: Path, spec: SuiteSpec, thresholds: dict[str, float], parameters: dict
) -> Screened | None:
    """The suite's rows screened by DuckDB (None: the suite holds an expectation it cannot
    state, or is not row by row)."""
    from otp_pipeline.lib.warehouse import quality_work

    if not spec.row_by_row or spec.figures:
        return None
    return quality_work(
        warehouse, f"suite {spec.name}", lambda con: _screen(con, spec, thresholds, parameters)
    )


def _screen(con, spec: SuiteSpec, thresholds: dict[str, float], parameters: dict):
    """`screen` on an open connection."""
    relation = con.sql(spec.query, params=parameters)
    kinds = {
        name: KINDS.get(str(kind))
        for name, kind in zip(relation.columns, relation.types, strict=True)
    }
    try:
        conditions = _Conditions(kinds, parameters)
        # Each condition written once: both queries bind the same parameters.
        wheres = [conditions.where(item.where) for item in spec.expectations]
        settled = [conditions.settled(item, thresholds) for item in spec.expectations]
    except Unscreenable:
        return None
    passes = " and ".join(
        f"(not {where} or {met} or {missing})"
        for where, (met, missing) in zip(wheres, settled, strict=True)
    )
    rows = f"with suite_rows as (\n{spec.query}\n)"
    counted = ", ".join(
        [f"count(*) filter (where not {PASSES})", f"count(*) filter (where {PASSES})"]
        + [f"count(*) filter (where {PASSES} and {where})" for where in wheres]
        + [
            f"count(*) filter (where {PASSES} and {where} and {missing})"
            for where, (_, missing) in zip(wheres, settled, strict=True)
        ]
    )
    counts = con.execute(
        f"{rows}, screened as (select *, {passes} as {PASSES} from suite_rows) "
        f"select {counted} from screened",
        conditions.parameters,
    ).fetchone()
    kept, passing, *by_expectation = (int(count) for count in counts)
    # None kept (a clean month): the query still gives the frame's columns, and no row.
    limit = "" if kept else " limit 0"
    return Screened(
        query=f"{rows}\nselect * from suite_rows where not ({passes}){limit}",
        parameters=conditions.parameters,
        passing=passing,
        considered=tuple(by_expectation[: len(wheres)]),
        missing=tuple(by_expectation[len(wheres) :]),
        kept=kept,
    )


class _Conditions:
    """SQL conditions over the suite's rows, their values bound as parameters."""

    def __init__(self, kinds: dict[str, Any], parameters: dict):
        self.kinds = kinds
        self.parameters = dict(parameters)
        if any(name.startswith(PARAMETER_PREFIX) for name in parameters):
            raise Unscreenable(f"a query parameter begins with {PARAMETER_PREFIX!r}")

    def where(self, where: dict[str, Any]) -> str:
        """The row meets the expectation's `where` (GX's row condition): true or false."""
        if not where:
            return "true"
        parts = []
        for column, value in where.items():
            values = value if isinstance(value, list) else [value]
            parts.append(self._in(column, values))
        return "(" + " and ".join(parts) + ")"

    def settled(self, item: ExpectationSpec, thresholds: dict[str, float]) -> tuple[str, str]:
        """When a row is surely met by the expectation (counted, not missing, expected), and
        when it is surely missing for it (a null GX skips): two conditions, true or false."""
        kwargs = resolve(item.kwargs, thresholds)
        if item.type not in KWARGS or set(kwargs) - KWARGS[item.type]:
            raise Unscreenable(f"{item.name}: {item.type} with {sorted(kwargs)}")
        mostly = kwargs.get("mostly", 1.0)
        if type(mostly) not in (int, float):  # a GX suite parameter, say: left to GX
            raise Unscreenable(f"{item.name}: mostly {mostly!r}")
        if "column" in kwargs:
            column = self._column(kwargs["column"])
            self._kind(kwargs["column"], (str, int, bool, "date"))
        if item.type == "expect_column_values_to_not_be_null":
            return f"({column} is not null)", "false"  # never missing: nulls are its failures
        if item.type == "expect_column_values_to_be_null":
            return f"({column} is null)", "false"
        if item.type == "expect_column_values_to_be_in_set":
            values = kwargs["value_set"]
            if not isinstance(values, list | tuple | set | frozenset):
                raise Unscreenable(f"{item.name}: value_set {values!r}")
            return self._in(kwargs["column"], list(values)), f"({column} is null)"
        if item.type == "expect_column_values_to_be_between":
            return self._between(kwargs), f"({column} is null)"
        return self._pair(item.type, kwargs)

    def _in(self, column: str, values: list) -> str:
        kind = self._kind(column, (str, int, bool))
        if not values or any(type(value) is not kind for value in values):
            raise Unscreenable(f"{column}: values {values!r} are not all {kind.__name__}")
        names = [self._bind(value) for value in values]
        return f"coalesce({self._column(column)} in ({', '.join(names)}), false)"

    def _between(self, kwargs: dict) -> str:
        column = kwargs["column"]
        self._kind(column, (int,))
        bounds = []
        for key, operator in (("min_value", ">"), ("max_value", "<")):
            value = kwargs.get(key)
            if value is None:
                continue
            if type(value) not in (int, float):
                raise Unscreenable(f"{column}: bound {value!r} is not a number")
            strict = kwargs.get("strict_min" if key == "min_value" else "strict_max", False)
            if strict not in (True, False):
                raise Unscreenable(f"{column}: strict must be true or false")
            bounds.append(f"{self._column(column)} {operator}{'' if strict else '='} "
                          f"{self._bind(value)}")  # fmt: skip
        if not bounds:
            raise Unscreenable(f"{column}: a range without bounds")
        return f"coalesce({' and '.join(bounds)}, false)"

    def _pair(self, type_: str, kwargs: dict) -> tuple[str, str]:
        a, b = kwargs["column_A"], kwargs["column_B"]
        if type_ == "expect_column_pair_values_to_be_equal":
            kinds = (str, int, bool, "date")
            operator = "="
        else:  # pandas orders dates (ordered categories) and numbers, not text categories
            kinds = (int, "date")
            or_equal = kwargs.get("or_equal", False)
            if or_equal not in (True, False, None):
                raise Unscreenable(f"{a}, {b}: or_equal must be true or false")
            operator = ">=" if or_equal else ">"
        if self._kind(a, kinds) != self._kind(b, kinds):
            raise Unscreenable(f"{a}, {b}: columns of different kinds")
        a, b = self._column(a), self._column(b)
        # GX's default; the rows it drops (pandas' dropna) are its missing ones.
        ignored = kwargs.get("ignore_row_if", "both_values_are_missing")
        missing = {
            "both_values_are_missing": f"({a} is null and {b} is null)",
            "either_value_is_missing": f"({a} is null or {b} is null)",
            "neither": "false",
        }
        if not isinstance(ignored, str) or ignored not in missing:
            raise Unscreenable(f"{a}, {b}: ignore_row_if {ignored!r}")
        # Both values present: GX considers the row under every `ignore_row_if`.
        return f"coalesce({a} {operator} {b}, false)", missing[ignored]

    def _kind(self, column: str, allowed: tuple) -> Any:
        kind = self.kinds.get(column)
        if column not in self.kinds or kind not in allowed:
            raise Unscreenable(f"{column}: a column of a kind not screened")
        return kind

    def _column(self, name: str) -> str:
        if name not in self.kinds:
            raise Unscreenable(f"{name}: not a column of the suite's query")
        return '"' + name.replace('"', '""') + '"'

    def _bind(self, value: Any) -> str:
        name = f"{PARAMETER_PREFIX}{len(self.parameters)}"
        self.parameters[name] = value
        return f"${name}"


def add_passing(
    validation, spec: SuiteSpec, thresholds: dict[str, float], screened: Screened
) -> None:
    """Complete GX's results on the kept rows with the passing rows DuckDB counted: counts,
    percents and outcomes as GX computes them on every row (its `_format_map_output` and
    `_mostly_success`), and the validation's statistics."""
    by_name = {item.name: index for index, item in enumerate(spec.expectations)}
    mostly = {
        item.name: resolve(item.kwargs, thresholds).get("mostly", 1.0) for item in spec.expectations
    }
    for item in validation.results:
        name = (item.expectation_config.meta or {}).get("name")
        if (
            name not in by_name
            or item.exception_info
            and item.exception_info.get("raised_exception")
        ):
            continue
        index = by_name[name]
        item.success = _completed(
            item.result, screened.considered[index], screened.missing[index], mostly[name]
        )
    successes = [bool(item.success) for item in validation.results]
    validation.success = all(successes)
    if successes:
        validation.statistics.update(
            successful_expectations=sum(successes),
            unsuccessful_expectations=len(successes) - sum(successes),
            success_percent=sum(successes) / len(successes) * 100,
        )


def _completed(result: dict, passing: int, missing: int, mostly: float) -> bool:
    """`result` (GX's, on the kept rows) with `passing` rows more, `missing` of them
    missing, none unexpected; its outcome."""
    if missing and "missing_count" not in result:
        raise ValueError("rows counted missing for an expectation that skips none")
    element = result["element_count"] + passing
    unexpected = result["unexpected_count"]
    result["element_count"] = element
    if "missing_count" in result:
        result["missing_count"] += missing
    considered = element - result.get("missing_count", 0)
    if "missing_count" in result:
        total = nonmissing = missing_percent = None
        if unexpected is not None and element > 0:
            total = unexpected / element * 100
            missing_percent = result["missing_count"] / element * 100
            nonmissing = unexpected / considered * 100 if considered > 0 else None
        result.update(
            missing_percent=missing_percent,
            unexpected_percent_total=total,
            unexpected_percent_nonmissing=nonmissing,
            unexpected_percent=nonmissing,
        )
    elif unexpected is not None and element > 0:
        result["unexpected_percent"] = unexpected / element * 100
    if unexpected is None or considered <= 0:
        return True  # vacuously, as GX decides
    return (float(considered) - float(unexpected)) / float(considered) >= mostly
