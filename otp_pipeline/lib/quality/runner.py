"""Data quality of one month, or of a range of months at once: the suites of
`expectations/` validated with Great Expectations.

For a suite and a range (one month: the range from it to itself): read the range's rows
from the warehouse with the suite's SQL into one compact frame (`frames`), build
the GX suite (thresholds from `thresholds.yml`, `per` groups per value and month),
validate the frame once in a GX file context rooted beside the warehouse, and return a
plain `SuiteResult`. A range checks exactly what its months validated one by one would (see
`suites`), in one validation instead of one per month. Each validation is stored
and added to the Data Docs site of that context:
`<warehouse dir>/gx/uncommitted/data_docs/local_site/index.html`.

Why pandas: GX through SQLAlchemy on DuckDB does not work (results are fetched after the
connection closes). GX itself (3 to 5 s to import) is imported inside the functions,
never when Dagster loads the definitions.
"""

from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from otp_pipeline.lib.personal_data import private_folder
from otp_pipeline.lib.quality.frames import read_frame, read_frames
from otp_pipeline.lib.quality.memo import configurations_memoised, row_conditions_memoised
from otp_pipeline.lib.quality.results import (
    SAMPLE_SIZE,
    ExpectationResult,
    SuiteResult,
    added_up,
    expectation_result,
    month_quality_summary,
    plain_value,
)
from otp_pipeline.lib.quality.screen import Screened, add_passing, screen
from otp_pipeline.lib.quality.suites import (
    MONTH_COLUMN,
    SuiteError,
    SuiteSpec,
    build_expectations,
    group_label,
    load_suite,
    load_suites,
    query_parameters,
)
from otp_pipeline.lib.quality.validator import (
    DATASOURCE,
    batch_definition,
    in_memory_context,
    release_batch,
)
from otp_pipeline.lib.thresholds import DEFAULT_EXPECTATIONS_DIR, load_thresholds

__all__ = [
    "SuiteError", "SuiteResult", "month_quality_summary", "quality_report_path", "read_frame",
    "update_data_docs", "validate_frame", "validate_month", "validate_suite",
]  # fmt: skip

GX_FOLDER = "gx"
DATA_DOCS_INDEX = Path("uncommitted/data_docs/local_site/index.html")
_CONTEXTS: dict[Path, object] = {}  # GX file contexts opened by this process, by root
_PENDING_DOCS: dict[Path, list] = {}  # validations stored, their Data Docs pages not written
# Above this many rows, a row-by-row suite is validated in parts and the parts' counts are
# added up: GX's pandas engine copies the frame for each expectation. On a month of 14 M
# facts (x100 volume) this step alone peaked at 1,392 MiB in one part, 1,052 MiB in parts
# of 4 M rows and 843 MiB in parts of 2 M (about 50 MB of frame; 5 s more than one part).
# A month at realistic or x10 volume is one part, as before.
FRAME_ROWS_MAX = 2_000_000


def gx_root(warehouse: Path) -> Path:
    """The folder holding the GX file context (`gx/`): the warehouse's own folder."""
    return Path(warehouse).resolve().parent


def quality_report_path(warehouse: Path, period: str | None = None) -> Path:
    """The Data Docs index of the warehouse's validations, rebuilt from every stored result
    (given `period`, `YYYY-MM` or `YYYY-MM..YYYY-MM`: the pages of that period's).

    FileNotFoundError when no validation has run beside this warehouse yet.
    """
    folder = gx_root(warehouse) / GX_FOLDER
    if not (folder / "great_expectations.yml").is_file():
        raise FileNotFoundError(f"no data-quality validation has run beside {warehouse} yet")
    if period is None:
        _context(warehouse).build_data_docs()
        return folder / DATA_DOCS_INDEX
    return update_data_docs(warehouse, period)


def validate_suite(
    warehouse: Path,
    suite: str | SuiteSpec,
    month: str,
    expectations_dir: Path = DEFAULT_EXPECTATIONS_DIR,
    *,
    last_month: str | None = None,
    max_rows: int | None = FRAME_ROWS_MAX,
    screened: bool = True,
) -> SuiteResult:
    """Validate one suite (its name in `expectations_dir`, or a loaded spec) on month `month`,
    or on every month from `month` to `last_month` (YYYY-MM, both included) at once.

    A row-by-row suite whose rows outnumber `max_rows` is validated in parts of that many
    rows, each stored in Data Docs as `<period> part <n>`; the result adds them up, the same
    as one validation of every row would give (tested). Other suites read their rows at
    once: their frames are aggregates or marts, small by construction.

    A row-by-row suite is screened first (`screened`, see `screen`): DuckDB counts the rows
    meeting every expectation, GX validates the others and its results are completed with
    those counts (the first part's, when in parts): the same results as GX on every row.

    The validations are stored beside the warehouse; their Data Docs pages are written by
    `update_data_docs` (by the asset `quality_report` in a run), once for every suite.
    """
    if isinstance(suite, SuiteSpec):
        spec = suite
    else:
        spec = load_suite(Path(expectations_dir) / f"{suite}.yml")
    last_month = None if last_month in (None, month) else last_month
    thresholds = load_thresholds(Path(expectations_dir))
    parameters = query_parameters(spec.query, month, thresholds, last_month)
    max_rows = max_rows if spec.row_by_row else None
    passing = screen(warehouse, spec, thresholds, parameters) if screened else None
    frames = read_frames(
        warehouse,
        passing.query if passing else spec.query,
        passing.parameters if passing else parameters,
        spec.frame_columns(),
        spec.paired_columns(),
        spec.ranged_columns(),
        max_rows,
    )
    parts = []
    # Closed even when a part's validation raises: the warehouse is let go at once.
    with closing(frames):
        for index, frame in enumerate(frames):
            in_parts = max_rows is not None and (index > 0 or len(frame) == max_rows)
            part = index + 1 if in_parts else None
            first = passing if index == 0 else None
            parts.append(
                validate_frame(warehouse, spec, frame, thresholds, month, last_month, part, first)
            )
            del frame  # before the next part is built: one frame held at a time
    if passing and sum(part.row_count for part in parts) != passing.kept + passing.passing:
        raise SuiteError(f"{spec.name}: the warehouse changed while the suite was validated")
    return parts[0] if len(parts) == 1 else added_up(spec, thresholds, parts)


def validate_frame(
    warehouse: Path,
    spec: SuiteSpec,
    frame,
    thresholds: dict[str, float],
    month: str,
    last_month: str | None = None,
    part: int | None = None,
    passing: Screened | None = None,
) -> SuiteResult:
    """Validate the suite on `frame`, the rows its query read for `month`..`last_month`
    (part `part` of them, when they are validated in parts), and the rows `passing` counted
    as meeting every expectation, when the suite was screened."""
    groups = {
        item.per: _groups(frame, item.per, by_month=last_month is not None)
        for item in spec.expectations
        if item.per
    }
    expectations = build_expectations(spec, thresholds, groups)
    period = f"{month}..{last_month}" if last_month else month
    period += f" part {part}" if part else ""
    completed = None
    if passing is not None:

        def completed(validation):
            add_passing(validation, spec, thresholds, passing)

    validation = _run_checkpoint(warehouse, spec, expectations, frame, period, completed)
    order = {item.name: index for index, item in enumerate(spec.expectations)}
    counted = {item.name: item for item in spec.expectations if item.counts}
    results = []
    for item in validation.results:
        key, plain = expectation_result(item, order)
        if plain.name in counted:
            spec_item = counted[plain.name]
            failing = _failing_groups(item, spec_item, by_month=last_month is not None)
            results += [
                (
                    (key[0], month or "", group),
                    _group_result(plain, spec_item, frame, month, group, failing),
                )
                for month, group in groups[spec_item.per]
            ]
        else:
            results.append((key, plain))
    results.sort(key=lambda pair: pair[0])
    return SuiteResult(
        suite=spec.name,
        asset=spec.asset,
        month=month,
        last_month=last_month,
        description=spec.description,
        row_count=len(frame) + (passing.passing if passing else 0),
        expectations=tuple(result for _, result in results),
        figures={name: _sum(frame[column]) for name, column in spec.figures.items()},
        thresholds={name: thresholds[name] for name in spec.used_thresholds()},
        reports={
            item.name: item.report or f"{item.name}_en_echec"
            for item in spec.expectations
            if item.per
        },
        data_docs=gx_root(warehouse) / GX_FOLDER / DATA_DOCS_INDEX,
    )


def validate_month(
    warehouse: Path,
    month: str,
    expectations_dir: Path = DEFAULT_EXPECTATIONS_DIR,
    *,
    last_month: str | None = None,
) -> list[SuiteResult]:
    """Every suite of `expectations_dir` on month `month` (or `month`..`last_month`), in
    suite-name order."""
    suites = load_suites(Path(expectations_dir))
    results = [
        validate_suite(warehouse, spec, month, expectations_dir, last_month=last_month)
        for spec in suites.values()
    ]
    update_data_docs(warehouse)
    return results


def update_data_docs(warehouse: Path, period: str | None = None) -> Path:
    """Write the Data Docs pages of the validations stored since the last call (or, given
    `period`, of every stored validation of that period, parts included, whichever
    process ran them) and the site's index; the index's path.

    One build for every suite of a run: a page costs about 0.3 s to render, and a full
    rebuild grows with every month stored."""
    pending = _PENDING_DOCS.pop(gx_root(warehouse), [])
    context = _context(warehouse)
    if period is not None:
        pending = [
            key
            for key in context.validation_results_store.list_keys()
            if key.run_id.run_name == period or key.run_id.run_name.startswith(f"{period} part ")
        ]
    if pending:
        context.build_data_docs(resource_identifiers=pending)
    return gx_root(warehouse) / GX_FOLDER / DATA_DOCS_INDEX


def _groups(frame, column: str, by_month: bool) -> list[tuple[str | None, str]]:
    """The (month, value) pairs of a `per` column: month None when the frame holds one."""
    if not by_month:
        return [(None, str(value)) for value in sorted(frame[column].dropna().unique())]
    if MONTH_COLUMN not in frame:
        raise SuiteError(f"a `per` expectation over a range needs the rows' {MONTH_COLUMN!r}")
    pairs = frame.groupby([MONTH_COLUMN, column], observed=True, dropna=True).size().index
    return sorted((str(month), str(value)) for month, value in pairs)


def _failing_groups(item, spec_item, by_month: bool) -> set[tuple]:
    """The (month, group) of every row GX found unexpected on an aggregate frame."""
    rows = (item.result or {}).get("partial_unexpected_index_list") or []
    return {(str(row[MONTH_COLUMN]) if by_month else None, str(row[spec_item.per])) for row in rows}


def _group_result(result, spec_item, frame, month, group, failing) -> ExpectationResult:
    """One group's result from the expectation GX ran on the aggregate frame: its outcome
    is whether GX listed the group's row, its figures the `counts` columns, in rows."""
    rows = frame[spec_item.per].astype(str) == group
    if month is not None:
        rows &= frame[MONTH_COLUMN].astype(str) == month
    total = int(frame.loc[rows, spec_item.counts["rows"]].sum())
    met = int(frame.loc[rows, spec_item.counts["met"]].sum())
    return replace(
        result,
        success=(month, group) not in failing,
        description=group_label(spec_item, month, group),
        group=group,
        month=month,
        element_count=total,
        unexpected_count=total - met,
        missing_count=0,
        samples=(),
    )


def _sum(column) -> int | float | None:
    total = plain_value(column.sum(skipna=True))
    return int(total) if isinstance(total, float) and total.is_integer() else total


def _context(warehouse: Path):
    """The GX file context beside the warehouse, created on first use (progress bars off).

    Kept for the process: it stores every validation of a run, and opening it again costs a
    third of a second every time.
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root = gx_root(warehouse)
    config = root / GX_FOLDER / "great_expectations.yml"
    first_time = not config.is_file()
    if not first_time and root in _CONTEXTS:
        return _CONTEXTS[root]
    # Validation results and Data Docs show values of the warehouse's rows: owner only.
    private_folder(root / GX_FOLDER)
    context = gx.get_context(mode="file", project_root_dir=str(root))
    _CONTEXTS[root] = context
    if first_time:
        # Progress bars would flood the Dagster logs; no usage statistics leave the machine.
        context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        context.variables.analytics_enabled = False
        context.variables.save()
    return context


def _run_checkpoint(
    warehouse: Path, spec: SuiteSpec, expectations: list, frame, period: str, completed=None
):
    """Validate `frame` against the suite (the result completed by `completed`, when given);
    the result is stored in the file context beside the warehouse, its Data Docs page left
    for `update_data_docs`."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    suite = gx.ExpectationSuite(
        name=spec.name,
        expectations=expectations,
        # Notes as GX's {format, content}: a plain string holding "format" (as in
        # prescriptions_par_formation) is indexed like a dict by the Data Docs renderer.
        meta={
            "notes": {"format": "string", "content": [f"{spec.description} (asset {spec.asset})"]}
        },
    )
    result_format = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
    aggregated = [item for item in spec.expectations if item.counts]
    if aggregated:
        # Every failing row of an aggregate frame, with its month and group: they say which
        # groups failed (one row per month and group, a few hundred at most).
        result_format["partial_unexpected_count"] = max(SAMPLE_SIZE, len(frame))
        result_format["unexpected_index_column_names"] = sorted(
            {MONTH_COLUMN, *(item.per for item in aggregated), *spec.sample_columns}
        )
    elif spec.sample_columns:
        # Context columns of each failing row, costly per failing row (GX reads each cell
        # on its own): for aggregate frames only (a few hundred rows).
        result_format["unexpected_index_column_names"] = list(spec.sample_columns)
    else:  # samples: the failing values, in BASIC too (SUMMARY's row index would go unread)
        result_format["result_format"] = "BASIC"
    validator = in_memory_context()
    batch = batch_definition(validator, spec.name).get_batch(batch_parameters={"dataframe": frame})
    try:
        with configurations_memoised(), row_conditions_memoised():
            validation = batch.validate(suite, result_format=result_format)
    finally:
        del batch
        release_batch(validator)
    if completed is not None:
        completed(validation)
    run_id = RunIdentifier(run_name=period, run_time=datetime.now(UTC))
    validation.meta["run_id"] = run_id
    identifier = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=spec.name),
        run_id=run_id,
        batch_identifier=f"{DATASOURCE}-{spec.name}",
    )
    _context(warehouse).validation_results_store.set(identifier, validation)
    _PENDING_DOCS.setdefault(gx_root(warehouse), []).append(identifier)
    return validation
