"""The benchmark script still runs: a tiny month (scale 0.02), baseline + ingestion only.

Nothing is timed here. The full pipeline takes over a minute even on tiny data (dbt parse
alone), so CI runs the pipeline's ingestion and checks the baseline keeps the same rows,
except where the baseline cannot follow the contract exactly (see bench/RESULTS.md).
"""

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RUN_BENCH = PROJECT_ROOT / "bench" / "run_bench.py"
MONTH = "2021-01"


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> tuple[dict, Path]:
    root = tmp_path_factory.mktemp("bench")
    out = root / "out"
    command = [
        sys.executable, str(RUN_BENCH), "--scales", "0.02", "--month", MONTH, "--quick",
        "--ingestion-only", "--out", str(out), "--data", str(root / "data"), "--no-report",
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=PROJECT_ROOT, timeout=600)
    return json.loads((out / "results.json").read_text()), out


def test_results_have_the_expected_keys(smoke):
    results, _ = smoke
    assert {"machine", "scales", "ingestion_only"} <= set(results)
    entry = results["ingestion_only"]["s0_02"]
    assert {"baseline", "pipeline_ingestion", "rows_all_months", "data"} <= set(entry)
    for measured in (entry["baseline"]["runs"][0], entry["pipeline_ingestion"]):
        assert {"wall_s", "cpu_s", "peak_rss_mib", "load_before", "returncode"} <= set(measured)
        assert measured["returncode"] == 0
    summary = entry["baseline"]["runs"][0]["summary"]
    assert set(summary["table_rows"]) == {
        "prescriptions_mensuelles", "suivi_otp", "qualite_prescripteur",
    }  # fmt: skip
    assert all(count > 0 for count in summary["table_rows"].values())


def test_baseline_keeps_the_rows_the_pipeline_loads(smoke):
    """Same ids on both sides, but for records of the wrong width that DuckDB's reader
    accepts (a trailing empty field): the contract quarantines them, the baseline cannot."""
    results, _ = smoke
    entry = results["ingestion_only"]["s0_02"]
    valid = pq.read_table(Path(entry["baseline_dir"]) / "valid_rows.parquet").to_pylist()
    baseline_ids = {(row["source"], row["id_prescription"]) for row in valid}
    warehouse = entry["pipeline_ingestion"]["warehouse"]
    with duckdb.connect(warehouse, read_only=True) as con:
        loaded = con.execute(
            "select 'SI_PE', id_ais from raw.si_pe union all "
            "select 'IMILO', id_prescription from raw.imilo"
        ).fetchall()
        wrong_width = con.execute(
            "select case source when 'si_pe' then 'SI_PE' else 'IMILO' end, raw_record "
            "from raw.quarantine where reason = 'NOMBRE_DE_CHAMPS'"
        ).fetchall()
    pipeline_ids = set(loaded)
    assert len(pipeline_ids) == len(loaded)
    assert pipeline_ids <= baseline_ids
    # Columns may come in any order: any field of such a record may be its id.
    wrong_width_fields = {
        (source, field.strip()) for source, record in wrong_width for field in record.split(";")
    }
    assert baseline_ids - pipeline_ids <= wrong_width_fields
