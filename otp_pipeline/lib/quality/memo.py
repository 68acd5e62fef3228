"""One Great Expectations cost removed: `Expectation.configuration` built again and again.

GX 1.24 computes an expectation's `configuration` property (a pydantic `dict()` of the
expectation, then a new `ExpectationConfiguration`) each time it is read, and reads it
about a hundred times per expectation while it plans and runs a validation: 13,909 reads
for the 142 expectations of a month's suites, a third of the validation's time. Inside
`configurations_memoised()` the property is computed once per expectation object (the
object is kept alive with its configuration, so an id is never reused) and the cache is
dropped on exit. Expectations are not changed while GX validates them; every suite's
results are held by the quality tests with and without the cache alike.
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
