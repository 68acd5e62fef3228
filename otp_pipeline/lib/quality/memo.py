"""Two Great Expectations costs removed: work GX does again and again, the same each time.

`Expectation.configuration` built again and again:

GX 1.24 computes an expectation's `configuration` property (a pydantic `dict()` of the
expectation, then a new `ExpectationConfiguration`) each time it is read, and reads it
about a hundred times per expectation while it plans and runs a validation: 13,909 reads
for the 142 expectations of a month's suites, a third of the validation's time. Inside
`configurations_memoised()` the property is computed once per expectation object (the
object is kept alive with its configuration, so an id is never reused) and the cache is
dropped on exit. Expectations are not changed while GX validates them; every suite's
results are held by the quality tests with and without the cache alike.

A row condition applied again and again: GX's pandas engine filters the batch with
`DataFrame.query` (parsed anew each time) for every metric of an expectation with a
`where`, four or five times per expectation: 106 filters of a few hundred rows in a small
month's suites, about a tenth of their validation. Inside `row_conditions_memoised()` each
(frame, condition) is filtered once; the frame is kept alive with its filtered rows, so an
id is never reused, and the cache is dropped on exit. GX derives new frames from the
filtered rows (null rows dropped, columns taken), never changes them in place.
"""

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def configurations_memoised() -> Iterator[None]:
    from great_expectations.expectations.expectation import Expectation

    original = Expectation.__dict__["configuration"]
    cache: dict[int, tuple[object, object]] = {}

    def configuration(self):
        entry = cache.get(id(self))
        if entry is None or entry[0] is not self:
            entry = cache[id(self)] = (self, original.fget(self))
        return entry[1]

    Expectation.configuration = property(configuration, doc=original.__doc__)
    try:
        yield
    finally:
        Expectation.configuration = original
        cache.clear()


@contextmanager
def row_conditions_memoised() -> Iterator[None]:
    from great_expectations.execution_engine import PandasExecutionEngine

    original = PandasExecutionEngine.__dict__["_apply_row_condition_filter"]
    cache: dict[tuple[int, str], tuple[object, object]] = {}

    def _apply_row_condition_filter(self, data, row_condition, domain_kwargs):
        key = (id(data), repr(row_condition), repr(domain_kwargs.get("condition_parser")))
        entry = cache.get(key)
        if entry is None or entry[0] is not data:
            entry = cache[key] = (data, original(self, data, row_condition, domain_kwargs))
        return entry[1]

    PandasExecutionEngine._apply_row_condition_filter = _apply_row_condition_filter
    try:
        yield
    finally:
        PandasExecutionEngine._apply_row_condition_filter = original
        cache.clear()
