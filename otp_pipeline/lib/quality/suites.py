"""The data-quality suites of `expectations/*.yml`: one file per suite, read as data.

A suite file names the asset it checks, the SQL that reads the rows of a range of months
of that asset from the warehouse (one month: the range from it to itself), and its
expectations, each with its Great Expectations type, kwargs and severity:

    asset: fct_prescriptions
    description: what the suite guarantees, one paragraph
    query: select ... from main.fct_prescriptions where mois between $mois_debut and $mois_fin
    sample_columns: [code_region]     # optional: context shown for each failing row
    figures: {nb_prescriptions: nb_prescriptions}   # optional: key figure -> column summed
    expectations:
      - name: remplissage_prescripteur
        type: expect_column_values_to_be_in_set
        kwargs: {column: prescripteur_renseigne, value_set: [true],
                 mostly: {threshold: prescriber_fill_rate_min}}
        severity: warning             # blocking | warning | info
        per: code_region              # optional: one expectation per value of the column
        where: {source: SI_PE}        # optional: only the rows with these values
        report: regions_sous_seuil    # optional: metadata key listing the failing groups
        counts: {rows: nb, met: nb_ok}  # optional, with `per` on an aggregate frame: a
                                      # group's figures are these columns summed

A `per` expectation costs one pass over the frame per group: over a range of months on
row-level facts (24 months × 18 regions × 1 M rows) that is minutes. On an aggregate frame
(one row per month and region, its counts in columns) it is instant; `counts` then says
which columns hold the rows considered and those meeting the rule, so the figures are
still in rows.

Codes such as `"26_29"` are quoted: YAML reads an unquoted 26_29 as the integer 2629.

Severities: `blocking` stops the publication of the month, `warning` is reported and the
month goes on, `info` is a measure (a fill rate) that never fails.

A range is validated at once, and must check exactly what its months validated one by one
would: the query selects the rows each month would (a row's "files up to M" is up to its
own month, its "previous month" the one before its own), and every expectation over
several rows is per month: `per` groups are per value and month (the frame's `mois`
column; a region's fill rate is a month's figure), uniqueness names `mois` among its
columns.

Values resolved when a suite is built: `{threshold: <name>}` is the number of that name in
`thresholds.yml` (never copied into a suite), `{referential: <name>}` the codes of a
shipped referential (`regions`, `departements`, `domaines_rome`). The query's `$name`
parameters are bound, never formatted into the text: `$mois_debut` and `$mois_fin` (the
range, YYYY-MM), `$premier_mois` (the contract's first month) and every threshold by its
name, bound as its text (`'0.9'`) so that SQL can cast it to an exact DECIMAL as dbt does.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from otp_pipeline.lib.months import month_index
from otp_pipeline.lib.settings import FIRST_MONTH

THRESHOLDS_FILE = "thresholds.yml"
SEVERITIES = ("blocking", "warning", "info")
# Our severities as GX's own `severity` field, so Data Docs show them too.
GX_SEVERITY = {"blocking": "critical", "warning": "warning", "info": "info"}
REFERENTIALS = ("regions", "departements", "domaines_rome")  # the shipped referentials' seeds
# The C parser when PyYAML has it: the suites are read each time the definitions load.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SUITE_KEYS = {"asset", "description", "query", "sample_columns", "figures", "expectations"}
EXPECTATION_KEYS = {
    "name", "type", "kwargs", "severity", "description", "where", "per", "report", "counts",
}  # fmt: skip
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")  # also a valid Dagster check name
PARAMETER_PATTERN = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
MONTH_COLUMN = "mois"  # the frame's column holding each row's month: `per` groups split on it
COLUMN_KWARGS = ("column", "column_A", "column_B")
RANGED = {"expect_column_values_to_be_between"}  # their column must be int64 if integers
# Expectations decided row by row: over rows split in parts, their counts add up and they
# succeed when every part does (or, with `mostly`, when the added-up rate reaches it).
ROW_BY_ROW = {
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_between",
    "expect_column_pair_values_to_be_equal",
    "expect_column_pair_values_a_to_be_greater_than_b",
}


class SuiteError(ValueError):
    """A suite file that cannot be used as written."""


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation as written in a suite file (thresholds not yet resolved)."""

    name: str
    type: str
    kwargs: dict[str, Any]
    severity: str
    description: str = ""
    where: dict[str, Any] = field(default_factory=dict)
    per: str | None = None
    report: str | None = None
    counts: dict[str, str] = field(default_factory=dict)  # {rows: column, met: column}


@dataclass(frozen=True)
class SuiteSpec:
    """One suite file: the asset it checks, the SQL of the month's rows, its expectations."""

    name: str
    asset: str
    description: str
    query: str
    expectations: tuple[ExpectationSpec, ...]
    sample_columns: tuple[str, ...] = ()
    figures: dict[str, str] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        """The strongest severity the suite can fail with: what its check is declared as."""
        held = {spec.severity for spec in self.expectations}
        return "blocking" if "blocking" in held else "warning"

    def used_thresholds(self) -> tuple[str, ...]:
        """Names of the thresholds the suite refers to, in its kwargs or its query."""
        names = set(PARAMETER_PATTERN.findall(self.query))
        for spec in self.expectations:
            names |= set(_threshold_names(spec.kwargs))
        return tuple(sorted(names - set(_month_parameters(FIRST_MONTH, FIRST_MONTH))))

    def frame_columns(self) -> tuple[str, ...]:
        """The columns of the query the suite reads: the frame holds no other."""
        names = set(self.sample_columns) | set(self.figures.values())
        for spec in self.expectations:
            names |= {spec.kwargs[key] for key in COLUMN_KWARGS if key in spec.kwargs}
            names |= set(spec.kwargs.get("column_list") or ()) | set(spec.where)
            if spec.per:
                names |= {spec.per, MONTH_COLUMN}
            names |= set(spec.counts.values())
        return tuple(sorted(names))

    @property
    def row_by_row(self) -> bool:
        """Whether the suite can be validated on its rows in parts and the results added up:
        only row-by-row expectations, none per group (a uniqueness or a group needs every
        row at once)."""
        return all(spec.type in ROW_BY_ROW and not spec.per for spec in self.expectations)

    def ranged_columns(self) -> tuple[str, ...]:
        """The columns a range expectation checks (GX vectorises those on int64 only)."""
        return tuple(
            sorted({spec.kwargs["column"] for spec in self.expectations if spec.type in RANGED})
        )

    def paired_columns(self) -> tuple[tuple[str, str], ...]:
        """The (column_A, column_B) of every pair expectation."""
        return tuple(
            (spec.kwargs["column_A"], spec.kwargs["column_B"])
            for spec in self.expectations
            if "column_A" in spec.kwargs and "column_B" in spec.kwargs
        )


def suite_files(expectations_dir: Path) -> list[Path]:
    """Every suite file of the folder, sorted; `thresholds.yml` is not a suite."""
    return sorted(p for p in Path(expectations_dir).glob("*.yml") if p.name != THRESHOLDS_FILE)


def load_suites(expectations_dir: Path) -> dict[str, SuiteSpec]:
    """Every suite of the folder by name (the file name without `.yml`)."""
    return {path.stem: load_suite(path) for path in suite_files(expectations_dir)}


def load_suite(path: Path) -> SuiteSpec:
    """Read and check one suite file; SuiteError names the file and what is wrong."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=YAML_LOADER)
        return _suite(path.stem, data)
    except (OSError, yaml.YAMLError, SuiteError, TypeError, AttributeError) as error:
        raise SuiteError(f"{path}: {error}") from error


def _suite(name: str, data: dict) -> SuiteSpec:
    if not NAME_PATTERN.match(name):
        raise SuiteError(f"suite name {name!r}: lower case letters, digits and _ only")
    _no_unknown_keys(data, SUITE_KEYS, "suite")
    for key in ("asset", "query", "expectations"):
        if not data.get(key):
            raise SuiteError(f"missing {key!r}")
    expectations = tuple(_expectation(item) for item in data["expectations"])
    names = [spec.name for spec in expectations]
    if len(set(names)) != len(names):
        raise SuiteError(f"expectation names must be unique: {names}")
    return SuiteSpec(
        name=name,
        asset=str(data["asset"]),
        description=" ".join(str(data.get("description", "")).split()),
        query=str(data["query"]),
        expectations=expectations,
        sample_columns=tuple(data.get("sample_columns") or ()),
        figures=dict(data.get("figures") or {}),
    )


def _expectation(item: dict) -> ExpectationSpec:
    _no_unknown_keys(item, EXPECTATION_KEYS, f"expectation {item.get('name')!r}")
    name, severity = item.get("name"), item.get("severity")
    if not name or not NAME_PATTERN.match(str(name)):
        raise SuiteError(f"expectation name {name!r}: lower case letters, digits and _ only")
    if severity not in SEVERITIES:
        raise SuiteError(f"expectation {name!r}: severity must be one of {SEVERITIES}")
    if not str(item.get("type", "")).startswith("expect_"):
        raise SuiteError(f"expectation {name!r}: type must be a GX expectation type")
    return ExpectationSpec(
        name=str(name),
        type=str(item["type"]),
        kwargs=dict(item.get("kwargs") or {}),
        severity=severity,
        description=" ".join(str(item.get("description", "")).split()),
        where=dict(item.get("where") or {}),
        per=item.get("per"),
        report=item.get("report"),
        counts=_counts(item),
    )


def _counts(item: dict) -> dict[str, str]:
    counts = item.get("counts") or {}
    if counts and (set(counts) != {"rows", "met"} or not item.get("per")):
        raise SuiteError(
            f"expectation {item.get('name')!r}: counts needs `per` and exactly rows and met"
        )
    return {key: str(value) for key, value in counts.items()}


def _no_unknown_keys(data: Any, allowed: set[str], what: str) -> None:
    if not isinstance(data, dict):
        raise SuiteError(f"{what}: expected a mapping, got {type(data).__name__}")
    unknown = set(data) - allowed
    if unknown:
        raise SuiteError(f"{what}: unknown keys {sorted(unknown)}")


def _threshold_names(value: Any):
    if isinstance(value, dict):
        if set(value) == {"threshold"}:
            yield value["threshold"]
        else:
            for item in value.values():
                yield from _threshold_names(item)
    elif isinstance(value, list):
        for item in value:
            yield from _threshold_names(item)


def resolve(value: Any, thresholds: dict[str, float]) -> Any:
    """`value` with every `{threshold: name}` and `{referential: name}` replaced."""
    if isinstance(value, dict):
        if set(value) == {"threshold"}:
            name = value["threshold"]
            if name not in thresholds:
                raise SuiteError(f"unknown threshold {name!r} (not in {THRESHOLDS_FILE})")
            return thresholds[name]
        if set(value) == {"referential"}:
            return _referential(value["referential"])
        return {key: resolve(item, thresholds) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, thresholds) for item in value]
    return value


def _referential(name: str) -> list[str]:
    from otp_pipeline.lib.warehouse import department_codes, region_codes, rome_domain_codes

    codes = {"regions": region_codes, "departements": department_codes,
             "domaines_rome": rome_domain_codes}  # fmt: skip
    if name not in REFERENTIALS:
        raise SuiteError(f"unknown referential {name!r}, expected one of {REFERENTIALS}")
    return sorted(codes[name]())


def _month_parameters(first: str, last: str) -> dict[str, str]:
    if month_index(last) < month_index(first):
        raise ValueError(f"a range of months ends after it starts: {first}..{last}")
    return {"mois_debut": first, "mois_fin": last, "premier_mois": FIRST_MONTH}


def query_parameters(
    query: str, month: str, thresholds: dict[str, float], last_month: str | None = None
) -> dict[str, str]:
    """The named parameters the query uses, with their values for `month`..`last_month`
    (None: `month` alone).

    Thresholds are bound as text (`repr` of the float: `0.9`, never `0.900000000000000022`):
    the SQL casts them to DECIMAL and compares exactly, as dbt does with its literal.
    """
    available = {**{name: repr(value) for name, value in thresholds.items()},
                 **_month_parameters(month, last_month or month)}  # fmt: skip
    used = set(PARAMETER_PATTERN.findall(query))
    unknown = used - set(available)
    if unknown:
        raise SuiteError(f"query parameters without a value: {sorted(unknown)}")
    return {name: available[name] for name in sorted(used)}


def build_expectations(
    suite: SuiteSpec, thresholds: dict[str, float], groups: dict[str, list[tuple]]
) -> list:
    """The GX expectations of the suite; `groups[column]` lists the (month, value) pairs a
    `per` expands to, month None when the frame holds one month (no condition on it).

    Each expectation carries its name, severity, group and month in `meta`, which the
    results keep.
    """
    from great_expectations.expectations.registry import get_expectation_impl

    built = []
    for spec in suite.expectations:
        try:
            expectation_class = get_expectation_impl(spec.type)
        except Exception as error:  # GX raises its own ExpectationNotFoundError
            raise SuiteError(f"{suite.name}.{spec.name}: unknown type {spec.type!r}") from error
        kwargs = resolve(spec.kwargs, thresholds)
        # On an aggregate frame (`counts`) one expectation checks every group's row at
        # once; the groups are told apart afterwards from its failing rows.
        expanded = spec.per and not spec.counts
        for month, group in groups.get(spec.per, []) if expanded else [(None, None)]:
            where = dict(spec.where)
            label = group_label(spec, month, group) if expanded else group_label(spec)
            if month is not None:
                where[MONTH_COLUMN] = month
            if expanded:
                where[spec.per] = group
            meta = {"name": spec.name, "severity": spec.severity, "group": group, "mois": month}
            built.append(
                expectation_class(
                    **kwargs,
                    row_condition=_row_condition(where),
                    meta=meta,
                    severity=GX_SEVERITY[spec.severity],
                    description=label,
                )
            )
    return built


def group_label(spec: ExpectationSpec, month: str | None = None, group: Any = None) -> str:
    """The description of an expectation, or of one group of a `per` expectation."""
    label = f"[{spec.severity}] {spec.description or spec.name}"
    if month is not None:
        return f"{label} ({MONTH_COLUMN} {month}, {spec.per} {group})"
    if group is not None:
        return f"{label} ({spec.per} {group})"
    return label


def _row_condition(where: dict[str, Any]):
    """`where` as a GX condition: every column equal to its value (or in its list)."""
    if not where:
        return None
    from great_expectations.expectations.row_conditions import AndCondition, Column

    conditions = [
        Column(column).is_in(value) if isinstance(value, list) else Column(column) == value
        for column, value in where.items()
    ]
    return conditions[0] if len(conditions) == 1 else AndCondition(conditions=conditions)
