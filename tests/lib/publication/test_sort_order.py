"""Contract §7 and §8: published rows sort by the grain columns in their order, each
compared as text by code point, whatever the locale: checked on grain values outside ASCII
that a collation would order otherwise (`É` after `Z`, lower case after upper case)."""

import duckdb

from otp_pipeline.lib.publication.tables import TABLES, read_table

MONTH = "2021-03"
# type_formation values in the order a French collation gives (accents and case folded);
# by code point: "AUTRE" < "B" < "Z" < "a" < "É" (U+00C9) < "é" (U+00E9) < "ẞ" (U+1E9E).
VALUES = ["a", "AUTRE", "B", "É", "é", "ẞ", "Z"]


def test_rows_sort_by_code_point_not_by_collation(tmp_path):
    table = TABLES["prescriptions_par_formation"]
    with duckdb.connect(str(tmp_path / "otp.duckdb")) as con:
        columns = ", ".join(f"{name} {'bigint' if kind == 'int64' else 'varchar'}"
                            for name, kind in table.columns)  # fmt: skip
        con.execute(f"create table main.{table.name} ({columns})")
        con.executemany(
            f"insert into main.{table.name} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(MONTH, "11", "Île-de-France", "SI_PE", value, "J", "Santé", "MOINS_26", 1, 0)
             for value in VALUES],
        )  # fmt: skip
        data = read_table(con, table, MONTH)
    assert data["type_formation"].to_pylist() == ["AUTRE", "B", "Z", "a", "É", "é", "ẞ"]
    assert data["type_formation"].to_pylist() == sorted(VALUES)  # Python: by code point
