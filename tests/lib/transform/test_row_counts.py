"""Each month's rows of a dbt table, by the month column its yml names: what each month's
partition of its asset shows as `dagster/row_count`."""

import json

import duckdb

from otp_pipeline.lib.paths import DBT_PROJECT_DIR
from otp_pipeline.lib.transform.row_counts import (
    MonthlyRelation,
    month_row_counts,
    monthly_relations,
)


def test_the_marts_and_facts_name_the_month_they_count_in():
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text("utf-8"))
    relations = {uid.rsplit(".", 1)[1]: rel for uid, rel in monthly_relations(manifest).items()}
    assert relations == {
        "fct_prescriptions": MonthlyRelation("main", "fct_prescriptions", "mois"),
        "fct_entrees": MonthlyRelation("main", "fct_entrees", "mois_entree"),
        **{name: MonthlyRelation("main", name, "mois") for name in (
            "prescriptions_mensuelles", "suivi_otp", "qualite_prescripteur",
            "prescriptions_par_formation", "projection_otp", "prescriptions_secteurs_avenir",
        )},
    }  # fmt: skip


def test_each_month_of_the_range_gets_its_own_rows_and_0_without_any(tmp_path):
    warehouse = tmp_path / "otp.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table main.fct_entrees (mois_fichier varchar, mois_entree varchar)")
        # Entries of February from January's file count in February; none in March; April
        # is outside the range.
        con.execute(
            "insert into main.fct_entrees values ('2021-01', '2021-01'), ('2021-01', '2021-02'),"
            " ('2021-02', '2021-02'), ('2021-02', '2021-02'), ('2021-04', '2021-04')"
        )
    relation = MonthlyRelation("main", "fct_entrees", "mois_entree")
    counts = month_row_counts(warehouse, {"entrees": relation}, "2021-01", "2021-03")
    assert counts == {"entrees": {"2021-01": 1, "2021-02": 3, "2021-03": 0}}
