"""The frames the data-quality suites validate: a suite query's rows as a compact DataFrame.

Compact because Great Expectations' pandas engine holds the whole frame and, for every
column expectation, copies it filtered on the column's non-null rows (every column of
it): at x100 volume a month of fct_prescriptions is 14 M rows: 24 bytes a row here
against 190 with Arrow-backed text. Each column is stored the narrowest way GX's
pandas metrics still vectorise:
- text and dates as pandas categoricals (one byte a row below 127 distinct values, two
  below 32767), dictionary-encoded batch by batch as DuckDB streams the rows, never a full
  table of strings. Dates are ordered (sorted categories), so that `>=` compares them. The
  two columns of a pair expectation share their categories: pandas refuses to compare
  categoricals with different ones;
- booleans as numpy bool, or pandas' nullable `boolean` when a value is missing (Arrow
  would give an object column, 8 bytes a row);
- integers as int64 where an expectation checks a range (GX's vectorised range check
  takes int64 or float64 only, any other dtype falls back to one Python call per value),
  else in the narrowest integer dtype that holds them; integers with nulls as float64 and
  NaN. Arrow-backed numbers would make GX call Python once per value too (3.5 s per
  expectation on 1 M rows);
- only the columns the suite's expectations, groups, samples and figures name.
DuckDB runs the query under a memory limit and spills past it, so the query's own
aggregates never grow the process either.
"""

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path

from otp_pipeline.lib.publication.manifest import FORBIDDEN_COLUMNS
from otp_pipeline.lib.quality.suites import SuiteError
from otp_pipeline.lib.warehouse import QUALITY_WORK_CONFIGS, connect, out_of_memory_retry

# Rows DuckDB hands over at a time: 128 Ki rows keep its own peak at x100 volume at 430 MB
# (650 MB with 512 Ki), for the same time.
BATCH_ROWS = 1 << 17


def read_frame(
    warehouse: Path,
    query: str,
    parameters: dict,
    columns: Iterable[str] | None = None,
    paired: Iterable[tuple[str, str]] = (),
    ranged: Iterable[str] = (),
):
    """The rows of `query` as a compact pandas DataFrame; the connection is closed on return.

    `columns`: keep only these (None: every column of the query); `paired`: the column
    pairs an expectation compares, given the same categories; `ranged`: the columns a
    range expectation checks, int64 if integers. Refuses a frame naming a
    person-level or row-id column: what GX sees can end up in Data Docs, in Dagster
    metadata and in the manifest.
    """
    [frame] = read_frames(warehouse, query, parameters, columns, paired, ranged)
    return frame


def read_frames(
    warehouse: Path,
    query: str,
    parameters: dict,
    columns: Iterable[str] | None = None,
    paired: Iterable[tuple[str, str]] = (),
    ranged: Iterable[str] = (),
    max_rows: int | None = None,
) -> Iterator:
    """The rows of `query` as compact frames of `max_rows` rows at most (None: one frame);
    at least one, empty when the query finds nothing. Arguments as for `read_frame`.

    The query runs once: its rows stream from DuckDB and each frame is handed over as soon
    as it is full, so only one frame is held at a time (with what the caller keeps of it).
    The connection (and the warehouse lock) stays open while a full frame is handed over,
    not while the last one is: close the generator (`contextlib.closing`) when stopping
    early.
    """
    import duckdb
    import pandas as pd

    builders: list[_Column] = []

    def frame():
        built = pd.DataFrame({b.name: b.build() for b in builders}, copy=False)
        _share_categories(built, paired)
        return built

    rows, handed_over = 0, 0
    for attempt, config in enumerate(QUALITY_WORK_CONFIGS):
        with connect(warehouse, config) as con:
            try:
                # DuckDB runs the query up to its first rows here (a join's hash table
                # built): out of memory, it runs again within a larger limit (warehouse.py).
                reader = _reader(con, query, parameters, columns)
                first = next(iter(reader), None)
            except duckdb.OutOfMemoryException as error:
                if not out_of_memory_retry("a quality frame", attempt, error):
                    raise
                continue
            ranged = set(ranged)
            builders = [_Column(field, field.name in ranged) for field in reader.schema]
            for batch in itertools.chain([] if first is None else [first], reader):
                while batch.num_rows:
                    taken = batch.num_rows
                    if max_rows is not None:
                        taken = min(taken, max_rows - rows)
                    columns_taken = batch.slice(0, taken).columns
                    for builder, values in zip(builders, columns_taken, strict=True):
                        builder.add(values)
                    rows, batch = rows + taken, batch.slice(taken)
                    if rows == max_rows:
                        yield frame()
                        rows, handed_over = 0, handed_over + 1
        break
    # Built once the connection is closed: the last (for most suites the only) frame is
    # validated without holding the warehouse.
    if rows or not handed_over:
        yield frame()


def _reader(con, query: str, parameters: dict, columns: Iterable[str] | None):
    """The rows of `query` (only `columns`, when given) as Arrow batches, refused when a
    column is person-level or missing."""
    import duckdb

    relation = con.sql(query, params=parameters)
    names = list(relation.columns if columns is None else columns)
    _refuse_person_level(names)
    missing = sorted(set(names) - set(relation.columns))
    if missing:
        raise SuiteError(f"columns missing from the suite's query: {missing}")
    relation = relation.select(*(duckdb.ColumnExpression(name) for name in names))
    return relation.to_arrow_reader(BATCH_ROWS)


def _refuse_person_level(names: list[str]) -> None:
    forbidden = sorted(name for name in names if name.lower() in FORBIDDEN_COLUMNS)
    if forbidden:
        raise SuiteError(f"a quality frame must not hold person-level columns: {forbidden}")


class _Column:
    """One column of the frame, gathered batch by batch in its compact form."""

    def __init__(self, field, ranged: bool = False):
        import pyarrow as pa

        self.name = field.name
        self.date = pa.types.is_date(field.type)
        self.encoded = self.date or pa.types.is_string(field.type)
        self.encoded = self.encoded or pa.types.is_large_string(field.type)
        self.ranged = ranged
        self.codes: dict = {}  # encoded: category -> code, in order of appearance
        self.pieces: list = []

    def add(self, values) -> None:
        import pandas as pd

        if self.encoded:
            self.pieces.append(self._encoded(values))
        else:
            # A copy: a zero-copy view (int64) would keep the whole batch DuckDB handed over
            # alive, its text included.
            piece = values.to_pandas(date_as_object=False, types_mapper=_nullable)
            if piece.dtype.kind in "iu" and not self.ranged:
                piece = pd.to_numeric(piece, downcast="integer")  # widened again if need be
            self.pieces.append(piece.copy(deep=True))

    def _encoded(self, values):
        """The batch's values as category codes: its own dictionary mapped onto the column's."""
        import numpy as np
        import pyarrow.compute as pc

        encoded = pc.dictionary_encode(values)
        mapping = [self.codes.setdefault(value, len(self.codes)) for value in
                   encoded.dictionary.to_pylist()] + [-1]  # fmt: skip
        width = np.min_scalar_type(-len(self.codes) - 1)  # int8 below 127 categories
        indices = pc.fill_null(encoded.indices, -1).to_numpy()  # -1: the null, last above
        return np.asarray(mapping, dtype=width)[indices]

    def build(self):
        import numpy as np
        import pandas as pd

        pieces, self.pieces = self.pieces, []
        if self.encoded:
            codes = np.concatenate(pieces) if pieces else np.array([], dtype=np.int8)
            del pieces
            if not self.date:
                return pd.Categorical.from_codes(codes, pd.Index(list(self.codes), dtype="str"))
            dates = pd.DatetimeIndex(list(self.codes))
            column = pd.Categorical.from_codes(codes, dates)
            return column.reorder_categories(sorted(dates), ordered=True)
        if not pieces:
            return pd.Series([], dtype=float)
        column = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
        del pieces
        if isinstance(column.dtype, pd.BooleanDtype) and not column.isna().any():
            return column.to_numpy(dtype=bool)
        if column.dtype.kind in "iu":
            if self.ranged:
                return column.to_numpy(dtype="int64")
            return pd.to_numeric(column, downcast="integer").to_numpy()
        return column.reset_index(drop=True)


def _nullable(arrow_type):
    """Booleans as pandas' nullable `boolean` (Arrow gives an object column when one is
    missing); made numpy bool again when none is."""
    import pandas as pd
    import pyarrow as pa

    return pd.BooleanDtype() if pa.types.is_boolean(arrow_type) else None


def _share_categories(frame, paired: Iterable[tuple[str, str]]) -> None:
    """Give the categorical columns compared by a pair expectation one set of categories."""
    import pandas as pd

    linked: dict[str, set[str]] = {}
    for pair in paired:
        if all(isinstance(frame[name].dtype, pd.CategoricalDtype) for name in pair):
            group = set(pair).union(*(linked.get(name, set()) for name in pair))
            for name in group:
                linked[name] = group
    for group in {frozenset(group) for group in linked.values()}:
        categories = sorted(set().union(*(frame[name].cat.categories for name in group)))
        ordered = any(frame[name].cat.ordered for name in group)  # dates
        for name in group:
            frame[name] = frame[name].cat.set_categories(categories, ordered=ordered)
