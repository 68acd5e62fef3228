"""Contract §7, `"changes"`: a republished month says, per table, the rows added, removed and
changed against the publication it replaces, rows matched on the grain; null for a first one.

Every count below is worked out by hand from the rows and the revision of published_marts."""

import json
from datetime import UTC, datetime

from published_marts import REVISION, ROWS, create_marts, publish, run_sql

from otp_pipeline.lib.publication.changes import table_changes
from otp_pipeline.lib.publication.tables import TABLES

MONTH = "2021-03"
FIRST = datetime(2021, 4, 15, 12, 0, 0, tzinfo=UTC)
SECOND = datetime(2021, 4, 16, 8, 30, 0, tzinfo=UTC)
NONE = {"rows_added": 0, "rows_removed": 0, "rows_changed": 0}


def _manifest(folder) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _counts(added: int, removed: int, changed: int) -> dict:
    return {"rows_added": added, "rows_removed": removed, "rows_changed": changed}


def test_a_first_publication_says_changes_null(tmp_path):
    warehouse = create_marts(tmp_path / "otp.duckdb", ROWS)
    first = publish(warehouse, MONTH, tmp_path / "published", {"mois": MONTH}, FIRST)
    assert _manifest(first.folder)["changes"] is None


def test_a_revision_counts_rows_added_removed_and_changed_on_the_grain(tmp_path):
    warehouse = create_marts(tmp_path / "otp.duckdb", ROWS)
    publish(warehouse, MONTH, tmp_path / "published", {"mois": MONTH}, FIRST)
    run_sql(warehouse, REVISION)
    second = publish(warehouse, MONTH, tmp_path / "published", {"mois": MONTH}, SECOND)
    assert _manifest(second.folder)["changes"] == {
        "previous_produced_at": "2021-04-15T12:00:00Z",
        "tables": {
            **{name: NONE for name in TABLES},
            "prescriptions_mensuelles": _counts(1, 1, 1),
            "suivi_otp": _counts(1, 0, 1),
            "qualite_prescripteur": _counts(0, 0, 1),
            "projection_otp": _counts(0, 1, 0),
        },
    }
    # The vintage keeps the replaced manifest as it was: a first publication.
    assert _manifest(second.vintage)["changes"] is None


def test_previous_produced_at_is_the_replaced_manifests_verbatim(tmp_path):
    warehouse = create_marts(tmp_path / "otp.duckdb", ROWS)
    first = publish(warehouse, MONTH, tmp_path / "published", {"mois": MONTH}, FIRST)
    manifest = _manifest(first.folder) | {"produced_at": "2021-04-15T14:00:00+02:00"}
    (first.folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    second = publish(warehouse, MONTH, tmp_path / "published", {"mois": MONTH}, SECOND)
    changes = _manifest(second.folder)["changes"]
    assert changes["previous_produced_at"] == "2021-04-15T14:00:00+02:00"
    assert changes["tables"] == {name: NONE for name in TABLES}


def test_a_table_absent_from_the_previous_publication_counts_every_row_as_added(tmp_path):
    warehouse = create_marts(tmp_path / "otp.duckdb", ROWS)
    first = publish(warehouse, MONTH, tmp_path / "published", {"mois": MONTH}, FIRST)
    # As published by a version without that table (and without datapackage.json).
    for name in ("suivi_otp.csv", "suivi_otp.parquet", "datapackage.json"):
        (first.folder / name).unlink()
    second = publish(warehouse, MONTH, tmp_path / "published", {"mois": MONTH}, SECOND)
    tables = _manifest(second.folder)["changes"]["tables"]
    assert tables["suivi_otp"] == _counts(2, 0, 0)
    assert tables["prescriptions_mensuelles"] == NONE


def test_values_compare_as_the_csv_text_and_null_as_the_empty_field(tmp_path):
    header = "mois;code;n;taux\n"
    before = tmp_path / "before.csv"
    after = tmp_path / "after.csv"
    before.write_text(header + "2021-03;A;1;\n2021-03;B;2;0.5\n2021-03;C;3;0.25\n", "utf-8")
    # A: null -> 0.0 (changed); B: as before; C: gone; D: new. The key is (mois, code).
    after.write_text(header + "2021-03;A;1;0.0\n2021-03;B;2;0.5\n2021-03;D;3;0.25\n", "utf-8")
    assert table_changes(before, after, ("mois", "code")) == _counts(1, 1, 1)
    assert table_changes(tmp_path / "absent.csv", after, ("mois", "code")) == _counts(3, 0, 0)
