"""`datapackage.json`: every published month describes itself for its consumers' own tool,
`frictionless`, which accepts the month as published and refuses a broken copy."""

import hashlib
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from frictionless import Package
from published_marts import ENUMS, create_marts, publish

from otp_pipeline.lib.publication.manifest import PersonalDataError, assert_no_personal_data
from otp_pipeline.lib.publication.table_schema import table_schema
from otp_pipeline.lib.publication.tables import TABLES

MONTH = "2021-03"
NOW = datetime(2021, 4, 15, 12, 0, 0, tzinfo=UTC)
# A few rows of March in each table (nulls where the contract allows them), one of February.
ROWS = """
insert into main.prescriptions_mensuelles values
    ('2021-03', '84', 'Auvergne-Rhône-Alpes', 'SI_PE', 'PE', 'MOINS_26', 4, 1, 'FIABLE'),
    ('2021-03', '11', 'Île-de-France', 'IMILO', 'ML', '26_29', 3, 0, 'FIABLE'),
    ('2021-02', '11', 'Île-de-France', 'IMILO', 'ML', 'MOINS_26', 9, 9, 'FIABLE');
insert into main.suivi_otp values
    ('2021-03', '11', 'Île-de-France', 'ENTREES_MOINS_30', '2021-01', '2021-12',
     0, 2, 5, null, 0.0, 5.0, 'FIABLE');
insert into main.qualite_prescripteur values
    ('2021-03', '93', 'Provence-Alpes-Côte d''Azur', 0, 0, null, 0, 5, 'FIABLE');
insert into main.prescriptions_par_formation values
    ('2021-03', '84', 'Auvergne-Rhône-Alpes', 'SI_PE', 'NON_RENSEIGNE', 'NON_RENSEIGNE', null,
     'MOINS_26', 1, 0);
insert into main.projection_otp values
    ('2021-03', '11', 'Île-de-France', 'ENTREES_MOINS_30', '2021-01', '2021-12',
     0, 5, 3, 12, 5 / 3, 5 * 12 / 3, 0, 0 / 9, 'ATTEINT', 5, 'FIABLE');
"""
MANIFEST = {
    "mois": MONTH,
    "code_version": "0.1.0",
    "fichiers_sources": [
        {"source": "imilo", "mois": "2021-03", "file": "imilo_2021-03.csv", "sha256": "b" * 64},
        {"source": "si_pe", "mois": "2021-03", "file": "ais_2021-03_r2.csv", "sha256": "a" * 64},
    ],
    "fichier_objectifs": {"file": "objectifs_otp.csv", "sha256": "c" * 64, "periods": 2},
}


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """March published from marts of every table of TABLES (the lead's sixth table empty)."""
    root = tmp_path_factory.mktemp("datapackage")
    warehouse = create_marts(root / "otp.duckdb", ROWS)
    return publish(warehouse, MONTH, root / "published", MANIFEST, NOW).folder


def _package(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def _errors(folder: Path) -> list[tuple]:
    report = Package(str(folder / "datapackage.json")).validate()
    return [tuple(error) for error in report.flatten(["type", "fieldName"])]


def test_package_names_the_month_when_and_from_which_files(published):
    package = _package(published)
    assert package["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert (package["mois"], package["produced_at"], package["created"]) == (
        MONTH, "2021-04-15T12:00:00Z", "2021-04-15T12:00:00Z",
    )  # fmt: skip
    assert package["sources"] == [
        {"title": "imilo_2021-03.csv", "sha256": "b" * 64},
        {"title": "ais_2021-03_r2.csv", "sha256": "a" * 64},
        {"title": "objectifs_otp.csv", "sha256": "c" * 64},
    ]


def test_one_resource_per_table_and_format_with_its_size_hash_and_schema(published):
    resources = _package(published)["resources"]
    assert [r["name"] for r in resources] == [
        f"{name}-{fmt}" for name in TABLES for fmt in ("csv", "parquet")
    ]
    for resource in resources:
        data = (published / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        table = TABLES[resource["name"].rsplit("-", 1)[0]]
        assert resource["schema"] == table_schema(table, ENUMS)
        if resource["format"] == "csv":
            assert resource["bytes"] == len(data)
            assert resource["dialect"] == {"delimiter": ";", "header": True}
            assert resource["encoding"] == "utf-8"
        else:
            # frictionless cannot count a Parquet file's bytes (docs/decisions.md).
            assert "bytes" not in resource


def test_frictionless_validates_every_row_of_every_resource(published):
    report = Package(str(published / "datapackage.json")).validate()
    assert report.valid, report.flatten(["type", "note"])
    # An empty resource (no sectors row in this month) has no row count in its stats.
    rows = {task.name: task.stats.get("rows", 0) for task in report.tasks}
    assert rows["prescriptions_mensuelles-csv"] == rows["prescriptions_mensuelles-parquet"] == 2
    assert rows["suivi_otp-csv"] == rows["projection_otp-parquet"] == 1
    assert len(rows) == 2 * len(TABLES)


def test_the_readme_command_validates_the_month(published):
    frictionless = Path(sys.executable).parent / "frictionless"
    done = subprocess.run(
        [str(frictionless), "validate", "datapackage.json"], cwd=published,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _broken_copy(published: Path, tmp_path: Path, table: str, edit) -> Path:
    """A copy of the month whose `table` CSV went through `edit(text) -> text`, its size and
    hash updated so that only the broken cell or row can be what frictionless refuses."""
    copy = tmp_path / MONTH
    shutil.copytree(published, copy)
    path = copy / f"{table}.csv"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    package = _package(copy)
    data = path.read_bytes()
    for resource in package["resources"]:
        if resource["path"] == path.name:
            resource["bytes"], resource["hash"] = (
                len(data),
                f"sha256:{hashlib.sha256(data).hexdigest()}",
            )
    (copy / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    return copy


BROKEN = {
    "count_not_a_whole_number": (
        lambda text: text.replace(";SI_PE;PE;MOINS_26;4;1;", ";SI_PE;PE;MOINS_26;4.5;1;"),
        [("type-error", "nb_prescriptions")],
    ),
    "duplicated_key": (
        lambda text: text + text.splitlines()[-1] + "\n",
        [("primary-key", None)],
    ),
    "code_outside_its_enum": (
        lambda text: text.replace("2021-03;84;", "2021-03;99;"),
        [("constraint-error", "code_region")],
    ),
    "month_not_yyyy_mm": (
        lambda text: text.replace("2021-03;84;", "2021-3;84;"),
        [("constraint-error", "mois")],
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_schema_refuses_a_broken_copy(published, tmp_path, case):
    edit, expected = BROKEN[case]
    copy = _broken_copy(published, tmp_path, "prescriptions_mensuelles", edit)
    assert _errors(copy) == expected


def test_schema_refuses_a_parquet_copy_with_a_negative_count(published, tmp_path):
    copy = tmp_path / MONTH
    shutil.copytree(published, copy)
    data = pq.read_table(copy / "qualite_prescripteur.parquet").to_pydict()
    data["nb_ml_imilo_moins_26"] = [-5]
    table = pq.read_table(copy / "qualite_prescripteur.parquet")
    pq.write_table(
        table.from_pydict(data, schema=table.schema), copy / "qualite_prescripteur.parquet"
    )
    assert _errors(copy) == [("constraint-error", "nb_ml_imilo_moins_26")]


def test_personal_data_guard_reads_the_package(published, tmp_path):
    assert_no_personal_data(published)
    copy = tmp_path / MONTH
    shutil.copytree(published, copy)
    package = _package(copy)
    package["resources"][0]["schema"]["fields"][0]["name"] = "id_individu"
    (copy / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    with pytest.raises(PersonalDataError, match="id_individu in datapackage.json"):
        assert_no_personal_data(copy)
