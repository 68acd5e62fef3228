"""The memoised `Expectation.configuration` gives GX's own results (lib/quality/memo.py)."""

import great_expectations as gx
import pandas as pd
from great_expectations.expectations.expectation import Expectation

from otp_pipeline.lib.quality.memo import configurations_memoised


def _results(validation) -> list:
    return [
        (item.expectation_config.type, item.success, item.result)
        for item in sorted(validation.results, key=lambda r: r.expectation_config.type)
    ]


def test_memoised_configurations_validate_like_gx_and_are_put_back():
    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("memo").add_dataframe_asset("frame")
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
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame}
    )
    result_format = {"result_format": "COMPLETE"}
    plain = batch.validate(suite, result_format=result_format)
    original = Expectation.__dict__["configuration"]
    with configurations_memoised():
        assert Expectation.__dict__["configuration"] is not original
        memoised = batch.validate(suite, result_format=result_format)
    assert Expectation.__dict__["configuration"] is original
    assert _results(memoised) == _results(plain)
    # between, in_set code, in_set mois (mostly), not_null, compound unique
    assert [success for _, success, _ in _results(plain)] == [False, False, True, False, False]
