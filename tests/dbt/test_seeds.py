"""The seeds (INSEE regions and departments, ROME grands domaines) are files of the
repository: their keys are checked here, once per change, not by dbt tests at every
monthly run (what `data_tests` on the seeds used to do, ten dbt nodes a month)."""

import csv

import pytest

from otp_pipeline.lib.paths import DBT_PROJECT_DIR

SEEDS = DBT_PROJECT_DIR / "seeds"


def _rows(name: str, delimiter: str = ",") -> list[dict[str, str]]:
    with open(SEEDS / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


@pytest.mark.parametrize(
    ("seed", "delimiter", "key", "required"),
    [
        ("ref_regions", ",", "REG", ("REG", "LIBELLE")),
        ("ref_departements", ",", "DEP", ("DEP", "REG")),
        ("ref_rome_domaines", ";", "code", ("code", "libelle")),
    ],
)
def test_seed_key_is_unique_and_required_values_are_filled(seed, delimiter, key, required):
    rows = _rows(seed, delimiter)
    assert rows, f"{seed} is empty"
    keys = [row[key] for row in rows]
    assert len(keys) == len(set(keys)), f"{seed}: {key} repeated"
    for column in required:
        assert all(row[column] for row in rows), f"{seed}: {column} empty on some row"


def test_every_department_is_in_a_known_region():
    regions = {row["REG"] for row in _rows("ref_regions")}
    departments = _rows("ref_departements")
    assert {row["REG"] for row in departments} <= regions
    assert len(regions) == 18 and len(departments) == 101
    assert {"2A", "2B"} <= {row["DEP"] for row in departments}


def test_rome_domains_are_the_fourteen_letters():
    assert [row["code"] for row in _rows("ref_rome_domaines", ";")] == list("ABCDEFGHIJKLMN")
