"""The published Table Schemas come from the marts' yml, held equal to what else says the same:
the columns and types the publication writes (tables.TABLES), the dbt contract's constraints,
the GX suites' value sets and grains, and the shipped referentials."""

import re

import pytest
import yaml

from otp_pipeline.lib.paths import EXPECTATIONS_DIR
from otp_pipeline.lib.publication.swap import MONTH_PATTERN
from otp_pipeline.lib.publication.table_schema import (
    SchemaError,
    meta,
    model,
    primary_key,
    seed_values,
    table_description,
    table_schema,
)
from otp_pipeline.lib.publication.tables import INT, STR, TABLES, Table
from otp_pipeline.lib.quality.suites import resolve

# Month columns carry the pattern, not an enum; labels follow their code.
MONTH_COLUMNS = {"mois", "periode_debut", "periode_fin"}
# The codes of a month's sectors file (contract §9), none here: the enums every month has.
SECTORS = {"secteurs_avenir": [], "libelles_secteurs_avenir": []}
# Each referential a GX suite names, as the seed column the yml's enum_from names.
REFERENTIAL_SEEDS = {
    "regions": ("ref_regions", "REG"),
    "domaines_rome": ("ref_rome_domaines", "code"),
}


def _columns(table: Table) -> list[dict]:
    return model(table.name)["columns"]


def _fields(table: Table) -> dict[str, dict]:
    return {field["name"]: field for field in table_schema(table, SECTORS)["fields"]}


def _suite(table: Table) -> dict:
    return yaml.safe_load((EXPECTATIONS_DIR / f"{table.name}.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("table", TABLES.values(), ids=lambda table: table.name)
def test_fields_are_the_published_columns_in_contract_order_with_their_types(table):
    kinds = {"string": STR, "integer": INT, "number": "double"}
    fields = table_schema(table, SECTORS)["fields"]
    assert [(field["name"], kinds[field["type"]]) for field in fields] == list(table.columns)


@pytest.mark.parametrize("table", TABLES.values(), ids=lambda table: table.name)
def test_every_field_and_table_has_a_french_description(table):
    assert all(field.get("description") for field in table_schema(table, SECTORS)["fields"])
    assert table_description(table)


@pytest.mark.parametrize("table", TABLES.values(), ids=lambda table: table.name)
def test_empty_field_is_the_missing_value_and_the_grain_is_the_primary_key(table):
    schema = table_schema(table, SECTORS)
    assert schema["missingValues"] == [""]
    grain = [name for name in table.grain if name != "periode_debut"]
    # suivi_otp and projection_otp: periods of a region never overlap, so the contract's
    # grain (§7) is (mois, code_region, indicateur) where the sort adds periode_debut.
    assert schema["primaryKey"] == grain == list(primary_key(table))


@pytest.mark.parametrize("table", TABLES.values(), ids=lambda table: table.name)
def test_primary_key_is_the_grain_the_gx_suite_holds_unique(table):
    [unique] = [e for e in _suite(table)["expectations"]
                if e["type"] == "expect_compound_columns_to_be_unique"]  # fmt: skip
    assert set(unique["kwargs"]["column_list"]) - set(primary_key(table)) <= {"periode_debut"}
    assert set(primary_key(table)) <= set(unique["kwargs"]["column_list"])


@pytest.mark.parametrize("table", TABLES.values(), ids=lambda table: table.name)
def test_required_fields_are_the_dbt_not_null_columns(table):
    not_null = {c["name"] for c in _columns(table)
                if {"type": "not_null"} in (c.get("constraints") or [])}  # fmt: skip
    fields = _fields(table)
    assert {n for n, f in fields.items() if f.get("constraints", {}).get("required")} == not_null


@pytest.mark.parametrize("table", TABLES.values(), ids=lambda table: table.name)
def test_enums_equal_the_dbt_check_constraints(table):
    fields = _fields(table)
    checked = 0
    for column in _columns(table):
        for constraint in column.get("constraints") or []:
            found = re.fullmatch(r"(\w+) in \((.*)\)", constraint.get("expression", ""))
            if constraint["type"] == "check" and found:
                assert found.group(1) == column["name"]
                values = re.findall(r"'([^']*)'", found.group(2))
                assert sorted(values) == fields[column["name"]]["constraints"]["enum"]
                checked += 1
    # Every `in (...)` check of the yml was compared (7 over the tables of §7).
    checks = [c for column in _columns(table) for c in column.get("constraints") or []
              if c["type"] == "check" and " in (" in c.get("expression", "")]  # fmt: skip
    assert checked == len(checks)
    if table.name == "prescriptions_mensuelles":
        assert checked == 4  # source, reseau_prescripteur, tranche_age, fiabilite


@pytest.mark.parametrize("table", TABLES.values(), ids=lambda table: table.name)
def test_enums_equal_the_gx_value_sets(table):
    """A value set over the whole table equals the enum; one under a `where`, a part of it."""
    fields = _fields(table)
    compared = 0
    for expectation in _suite(table)["expectations"]:
        column = expectation["kwargs"].get("column")
        if expectation["type"] != "expect_column_values_to_be_in_set" or column not in fields:
            continue
        value_set = set(resolve(expectation["kwargs"]["value_set"], {}))
        enum = set(fields[column]["constraints"]["enum"])
        assert value_set <= enum if "where" in expectation else value_set == enum
        compared += 1
    assert compared >= 1


@pytest.mark.parametrize("table", TABLES.values(), ids=lambda table: table.name)
def test_codes_have_an_enum_months_the_pattern_counts_a_minimum_of_0(table):
    for name, field in _fields(table).items():
        constraints = field.get("constraints", {})
        if name in MONTH_COLUMNS:
            assert constraints["pattern"] == MONTH_PATTERN.pattern
        elif field["type"] == "string" and not name.startswith("libelle_"):
            assert constraints.get("enum"), f"{table.name}.{name} is a code without enum"
        if field["type"] == "integer":
            assert constraints["minimum"] == 0


def test_code_region_takes_the_18_regions_of_the_seed_and_domains_add_non_renseigne():
    region = _fields(TABLES["prescriptions_mensuelles"])["code_region"]
    assert region == {
        "name": "code_region", "type": "string",
        "description": "Code INSEE de la région (COG 2024).",
        "constraints": {"enum": ["01", "02", "03", "04", "06", "11", "24", "27", "28", "32",
                                 "44", "52", "53", "75", "76", "84", "93", "94"],
                        "required": True},
    }  # fmt: skip
    domaine = _fields(TABLES["prescriptions_par_formation"])["domaine_professionnel"]
    assert domaine["constraints"]["enum"] == [*"ABCDEFGHIJKLMN", "NON_RENSEIGNE"]


def test_every_referential_a_gx_suite_names_is_the_seed_column_the_yml_names():
    """The seeds are read with their own delimiter (`;` for the ROME domains)."""
    for referential, (seed, column) in REFERENTIAL_SEEDS.items():
        assert set(resolve({"referential": referential}, {})) == seed_values(seed, column)
    columns = {c["name"]: c for c in _columns(TABLES["prescriptions_par_formation"])}
    for name, referential in (
        ("code_region", "regions"),
        ("domaine_professionnel", "domaines_rome"),
    ):
        source = meta(columns[name])["enum_from"]
        assert (source["seed"], source["column"]) == REFERENTIAL_SEEDS[referential]


SECTEURS_YML = """
models:
  - name: secteurs
    config:
      meta: {description_fr: "Une table.", primary_key: [mois, code_secteur]}
    columns:
      - name: mois
        data_type: varchar
      - name: code_secteur
        data_type: varchar
        config:
          meta: {enum_from: secteurs_avenir, enum: [HORS_LISTE, NON_RENSEIGNE]}
"""


def test_an_enum_named_by_the_publication_adds_the_months_codes(tmp_path):
    (tmp_path / "secteurs.yml").write_text(SECTEURS_YML, encoding="utf-8")
    table = Table("secteurs", (("mois", STR), ("code_secteur", STR)), ("mois", "code_secteur"))
    schema = table_schema(table, {"secteurs_avenir": ["NUM", "AGRI"]}, models_dir=tmp_path)
    assert schema["fields"][1]["constraints"] == {
        "enum": ["AGRI", "HORS_LISTE", "NON_RENSEIGNE", "NUM"]
    }
    # No sectors file this month: only the two codes every month has.
    without = table_schema(table, {"secteurs_avenir": []}, models_dir=tmp_path)
    assert without["fields"][1]["constraints"] == {"enum": ["HORS_LISTE", "NON_RENSEIGNE"]}
    with pytest.raises(SchemaError, match="secteurs_avenir"):
        table_schema(table, {}, models_dir=tmp_path)


def test_a_yml_that_disagrees_with_the_published_columns_is_refused(tmp_path):
    (tmp_path / "secteurs.yml").write_text(SECTEURS_YML, encoding="utf-8")
    table = Table("secteurs", (("mois", STR), ("code_secteur", INT)), ("mois",))
    with pytest.raises(SchemaError, match="describes"):
        table_schema(table, {"secteurs_avenir": []}, models_dir=tmp_path)


def test_meta_of_an_entry_without_config_is_empty():
    assert meta({"name": "x"}) == {}
