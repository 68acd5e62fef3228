"""Row-by-row suites screened in SQL: DuckDB counts the rows met or missing for every
expectation, GX validates the others; the results must be those of GX on every row.

On the hand-written warehouse of `test_quality` (March 2021), with real GX validations of
real DuckDB files.
"""

import json
from dataclasses import replace
from datetime import date

import pytest
from test_quality import (
    MONTH,
    baseline_prescriptions,
    build_warehouse,
    execute,
    failed_names,
    prescription,
)

from otp_pipeline.lib.quality.runner import validate_suite
from otp_pipeline.lib.quality.screen import screen
from otp_pipeline.lib.quality.suites import load_suite, load_suites, query_parameters
from otp_pipeline.lib.thresholds import DEFAULT_EXPECTATIONS_DIR, load_thresholds

ROW_BY_ROW = ("champs_souvent_vides", "fct_entrees", "fct_prescriptions")


@pytest.fixture
def built(warehouse):
    return build_warehouse(warehouse)


def broken_rows() -> list[dict]:
    """Every row-by-row rule of the fact suites broken at least once, nulls included."""
    rows = baseline_prescriptions()
    rows[14].update(statut="SUSPENDUE", age=100, tranche_age="30_PLUS")
    rows[15].update(code_region="98", code_departement="2C", libelle_region=None)
    rows[16].update(date_entree=date(2021, 3, 2), date_prescription=date(2021, 3, 8))
    rows[17].update(reseau_prescripteur="PE_AGENCE", prescripteur_renseigne=None)
    rows[18].update(code_region=None, age=None, statut=None)
    rows[10].update(source=None, code_departement=None, age=13)
    rows[11]["type_prescripteur"] = "INCONNU"
    rows[12]["mois_fichier"] = "2021-02"  # a prescription of March in February's file
    rows.append(prescription("P11-05"))  # a repeated key
    return rows


def comparable(result):
    """The result without its samples (the first failing rows GX meets: their order is
    DuckDB's), and whether each failure has some."""
    return (
        result.row_count,
        result.figures,
        [replace(item, samples=()) for item in result.expectations],
        [bool(item.samples) for item in result.expectations],
    )


@pytest.mark.parametrize("broken", [False, True], ids=["valid month", "every rule broken"])
def test_screened_suites_give_the_results_of_gx_on_every_row(warehouse, broken):
    build_warehouse(warehouse, broken_rows() if broken else None)
    for name in ROW_BY_ROW:
        screened = validate_suite(warehouse, name, MONTH)
        whole = validate_suite(warehouse, name, MONTH, screened=False)
        assert comparable(screened) == comparable(whole), name
        for item, reference in zip(screened.expectations, whole.expectations, strict=True):
            # Samples: failing values GX met, among the same few when fewer than five differ.
            assert len(reference.samples) == 5 or all(
                sample in reference.samples for sample in item.samples
            ), (name, item.name)
    if broken:
        result = validate_suite(warehouse, "fct_prescriptions", MONTH)
        assert "prescription_dans_le_mois_du_fichier" in failed_names(result)
        assert len(failed_names(result)) >= 15


def test_a_valid_month_hands_gx_no_row(built):
    thresholds = load_thresholds(DEFAULT_EXPECTATIONS_DIR)
    for name in ("fct_entrees", "fct_prescriptions"):
        spec = load_suite(DEFAULT_EXPECTATIONS_DIR / f"{name}.yml")
        parameters = query_parameters(spec.query, MONTH, thresholds)
        screened = screen(built, spec, thresholds, parameters)
        assert screened.kept == 0 and screened.passing >= 3, name
        # date_entree is missing (not failing) for the prescriptions not entered.
        pair = [item.name for item in spec.expectations].index("date_entree_pas_avant_prescription")
        if name == "fct_prescriptions":
            assert 0 < screened.missing[pair] < screened.passing


def test_one_failing_row_is_the_only_row_gx_sees(warehouse):
    rows = baseline_prescriptions()
    rows[2]["age"] = 101
    build_warehouse(warehouse, rows)
    thresholds = load_thresholds(DEFAULT_EXPECTATIONS_DIR)
    spec = load_suite(DEFAULT_EXPECTATIONS_DIR / "fct_prescriptions.yml")
    screened = screen(warehouse, spec, thresholds, query_parameters(spec.query, MONTH, thresholds))
    assert screened.kept == 1
    result = validate_suite(warehouse, spec, MONTH)
    assert failed_names(result) == ["age_entre_14_et_99", "tranche_age_selon_age"]
    [ages] = [item for item in result.failures() if item.name == "age_entre_14_et_99"]
    assert (ages.unexpected_count, ages.element_count, ages.samples) == (
        1,
        result.row_count,
        (101,),
    )


MOSTLY_SUITE = """
asset: fct_prescriptions
description: ages and regions, most of them
query: |
  select cast(age as bigint) as age, code_region, tranche_age, source, date_entree,
         date_prescription
  from main.fct_prescriptions where mois between $mois_debut and $mois_fin
expectations:
  - name: age_le_plus_souvent_valide
    type: expect_column_values_to_be_between
    kwargs: {column: age, min_value: 14, max_value: 99, mostly: 0.9}
    severity: warning
  - name: region_le_plus_souvent_connue
    type: expect_column_values_to_be_in_set
    kwargs: {column: code_region, value_set: {referential: regions}, mostly: 0.95}
    severity: warning
  - name: bande_si_pe
    type: expect_column_values_to_be_in_set
    kwargs: {column: tranche_age, value_set: [MOINS_26], mostly: 0.5}
    where: {source: [SI_PE]}
    severity: warning
  - name: entree_apres_prescription
    type: expect_column_pair_values_a_to_be_greater_than_b
    kwargs: {column_A: date_entree, column_B: date_prescription, or_equal: true, mostly: 0.5}
    severity: warning
"""


def test_mostly_is_decided_on_every_row_not_on_the_rows_gx_sees(warehouse, tmp_path):
    """GX alone on the failing rows would find 0 % of them valid: the counts of the passing
    rows make the rate that of every row, as `mostly` reads it."""
    rows = baseline_prescriptions()
    for row in rows[:3]:
        row["age"] = 101  # 3 of 66 rows: 95 % valid, mostly 0.9 met
    for row in rows[3:7]:
        row["code_region"] = "99"  # 4 of 66: 94 % known, mostly 0.95 not met
    build_warehouse(warehouse, rows)
    folder = tmp_path / "expectations"
    folder.mkdir()
    (folder / "thresholds.yml").write_text(
        (DEFAULT_EXPECTATIONS_DIR / "thresholds.yml").read_text(encoding="utf-8")
    )
    (folder / "la_plupart.yml").write_text(MOSTLY_SUITE, encoding="utf-8")
    screened = validate_suite(warehouse, "la_plupart", MONTH, folder)
    whole = validate_suite(warehouse, "la_plupart", MONTH, folder, screened=False)
    assert comparable(screened) == comparable(whole)
    # GX's default ignore_row_if (both values missing) compares a missing date_entree, and
    # fails it: most prescriptions have not entered.
    assert failed_names(screened) == ["entree_apres_prescription", "region_le_plus_souvent_connue"]
    ages = screened.expectations[0]
    assert ages.success and ages.unexpected_count == 3 and ages.rate > 0.9


def test_an_expectation_duckdb_cannot_state_leaves_the_suite_to_gx(warehouse, tmp_path):
    build_warehouse(warehouse)
    execute(
        warehouse, "update main.fct_prescriptions set age = 120 where id_prescription = 'P11-01'"
    )
    thresholds = load_thresholds(DEFAULT_EXPECTATIONS_DIR)
    for suite in (
        # a floating-point column: NaN is missing for pandas, a value for DuckDB
        "query: select cast(age as double) as age from main.fct_prescriptions",
        # a GX option not stated in SQL
        "query: select cast(age as bigint) as age from main.fct_prescriptions",
    ):
        spec_text = suite + (
            "\nasset: fct_prescriptions\nexpectations:\n  - name: age_valide\n"
            "    type: expect_column_values_to_be_between\n"
            "    kwargs: {column: age, min_value: 14, max_value: 99"
            + (", parse_strings_as_datetimes: false" if "bigint" in suite else "")
            + "}\n    severity: blocking\n"
        )
        path = tmp_path / "age_valide.yml"
        path.write_text(spec_text, encoding="utf-8")
        spec = load_suite(path)
        assert screen(warehouse, spec, thresholds, {}) is None
    # a value of another kind than the column's: pandas and DuckDB compare them differently
    spec = load_suite(DEFAULT_EXPECTATIONS_DIR / "fct_prescriptions.yml")
    mixed = replace(
        spec,
        expectations=tuple(
            replace(item, kwargs={**item.kwargs, "value_set": ["1"]})
            if item.name == "cle_unique"
            else item
            for item in spec.expectations
        ),
    )
    parameters = query_parameters(spec.query, MONTH, thresholds)
    assert screen(warehouse, mixed, thresholds, parameters) is None
    # a GX suite parameter (a dict) where a list or a number is stated
    for key, value in (("value_set", {"$PARAMETER": "codes"}), ("mostly", {"$PARAMETER": "m"})):
        parameterised = replace(
            spec,
            expectations=tuple(
                replace(item, kwargs={**item.kwargs, key: value})
                if item.name == "source_valide"
                else item
                for item in spec.expectations
            ),
        )
        assert screen(warehouse, parameterised, thresholds, parameters) is None, key
    assert screen(warehouse, spec, thresholds, parameters) is not None


def test_every_row_by_row_suite_of_the_project_is_screened(built):
    """The fact suites are the volume: none may fall back to GX on every row unnoticed."""
    thresholds = load_thresholds(DEFAULT_EXPECTATIONS_DIR)
    suites = load_suites(DEFAULT_EXPECTATIONS_DIR)
    assert sorted(name for name, spec in suites.items() if spec.row_by_row) == list(ROW_BY_ROW)
    for name in ROW_BY_ROW:
        spec = suites[name]
        assert screen(built, spec, thresholds, query_parameters(spec.query, MONTH, thresholds))


def test_screened_parts_add_up_to_one_validation(warehouse):
    """The kept rows validated in parts (a bad month at x100 volume): the passing rows are
    counted once, with the first part."""
    build_warehouse(warehouse, broken_rows())
    for name in ROW_BY_ROW:
        whole = validate_suite(warehouse, name, MONTH, max_rows=None, screened=False)
        parts = validate_suite(warehouse, name, MONTH, max_rows=2)
        assert comparable(parts)[:3] == comparable(whole)[:3], name


def test_the_stored_validation_holds_the_counts_of_every_row(warehouse):
    """Data Docs render the stored validation: its counts are those of every row."""
    build_warehouse(warehouse, broken_rows())
    result = validate_suite(warehouse, "fct_prescriptions", MONTH)
    [stored] = (warehouse.parent / "gx").rglob("validations/fct_prescriptions/**/*.json")
    validation = json.loads(stored.read_text(encoding="utf-8"))
    by_name = {item["expectation_config"]["meta"]["name"]: item for item in validation["results"]}
    for expected in result.expectations:
        counts = by_name[expected.name]["result"]
        assert counts["element_count"] == expected.element_count == result.row_count
        assert counts["unexpected_count"] == expected.unexpected_count
        assert counts.get("missing_count", 0) == expected.missing_count
        assert by_name[expected.name]["success"] == expected.success
    assert validation["statistics"]["unsuccessful_expectations"] == len(result.failures())
