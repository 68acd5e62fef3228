"""The memoised `Expectation.configuration` gives GX's own results (lib/quality/memo.py)."""

import great_expectations as gx
import pandas as pd
from great_expectations.expectations.expectation import Expectation

from otp_pipeline.lib.quality.memo import configurations_memoised, row_conditions_memoised


def _results(validation) -> list:
    return [
        (item.expectation_config.type, item.success, item.result)
        for item in sorted(validation.results, key=lambda r: r.expectation_config.type)
    ]


def _validated_plain_and_memoised(context_name, frame, suite, memoised, owner, attribute):
    """GX's results on `frame`, plain; the same results inside `memoised()`, which replaces
    `owner.attribute` while it lasts and puts the original back."""
    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas(context_name).add_dataframe_asset("frame")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame}
    )
    result_format = {"result_format": "COMPLETE"}
    plain = batch.validate(suite, result_format=result_format)
    original = owner.__dict__[attribute]
    with memoised():
        assert owner.__dict__[attribute] is not original
        with_memo = batch.validate(suite, result_format=result_format)
    assert owner.__dict__[attribute] is original
    assert _results(with_memo) == _results(plain)
    return plain


def test_memoised_configurations_validate_like_gx_and_are_put_back():
    frame = pd.DataFrame(
        {"code": ["11", "84", None, "99", "84"], "age": [20, 31, 14, 120, 26],
         "mois": ["2021-01", "2021-01", "2021-02", "2021-01", "2021-01"]}
    )  # fmt: skip
    suite = gx.ExpectationSuite(
        name="memo",
        expectations=[
            gx.expectations.ExpectColumnValuesToNotBeNull(column="code"),
            gx.expectations.ExpectColumnValuesToBeInSet(column="code", value_set=["11", "84"]),
            gx.expectations.ExpectColumnValuesToBeBetween(column="age", min_value=14, max_value=99),
            gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["code", "mois"]),
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="mois", value_set=["2021-01"], mostly=0.5
            ),
        ],
    )
    plain = _validated_plain_and_memoised(
        "memo", frame, suite, configurations_memoised, Expectation, "configuration"
    )
    # between, in_set code, in_set mois (mostly), not_null, compound unique
    assert [success for _, success, _ in _results(plain)] == [False, False, True, False, False]


def test_memoised_row_conditions_validate_like_gx_and_are_put_back():
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations.row_conditions import Column

    frame = pd.DataFrame(
        {"source": ["SI_PE", "SI_PE", "IMILO", "SI_PE", None],
         "code": ["11", None, "84", "99", "84"], "age": [20, 31, 120, 12, 26]}
    )  # fmt: skip
    si_pe, imilo = Column("source") == "SI_PE", Column("source").is_in(["IMILO"])
    suite = gx.ExpectationSuite(
        name="memo_rows",
        expectations=[
            gx.expectations.ExpectColumnValuesToNotBeNull(column="code", row_condition=si_pe),
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="code", value_set=["11", "84"], row_condition=si_pe
            ),
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="age", min_value=14, max_value=99, row_condition=imilo
            ),
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="age", min_value=14, max_value=99, row_condition=si_pe, mostly=0.6
            ),
        ],
    )
    plain = _validated_plain_and_memoised(
        "memo_rows", frame, suite, row_conditions_memoised, PandasExecutionEngine,
        "_apply_row_condition_filter",
    )  # fmt: skip
    # between IMILO (120), between SI_PE (2 of 3 valid, mostly 0.6), in_set, not_null
    assert [success for _, success, _ in _results(plain)] == [False, True, False, False]
    counts = [item["element_count"] for _, _, item in _results(plain)]
    assert counts == [1, 3, 3, 3]
