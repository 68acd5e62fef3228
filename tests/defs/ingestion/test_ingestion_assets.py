"""The ingestion assets through real Dagster materialisations of a monthly partition."""

import dagster as dg
from feeds import (
    IMILO_HEADER,
    OBJECTIVES_HEADER,
    SI_PE_HEADER,
    ais_row,
    imilo_row,
    query,
    write_file,
)

from otp_pipeline.defs.ingestion.assets import imilo, objectifs_otp, si_pe
from otp_pipeline.defs.resources import OtpSettings


def _landing(landing):
    good = [ais_row(id_ais=f"A{i}", prescription="04/01/2021") for i in range(3, 21)]
    write_file(landing / "si_pe" / "ais_2021-01.csv", [
        SI_PE_HEADER,
        ais_row(id_ais="A1", prescription="04/01/2021", departement="96"),
        ais_row(id_ais="A2", prescription="04/01/2021", prescripteur="MISSION LOCALE", agence="Évry"),
        *good,
    ], encoding="cp1252")  # fmt: skip
    write_file(landing / "imilo" / "imilo_2021-01.csv.gz",
               [IMILO_HEADER, imilo_row(prescription="2021-01-04")], gz=True)  # fmt: skip
    write_file(landing / "objectifs" / "objectifs_otp.csv",
               [OBJECTIVES_HEADER, "11;2021-01;2021-12;100;10;50;40"])  # fmt: skip


def _materialize(landing, warehouse, month="2021-01"):
    settings = OtpSettings(landing_dir=str(landing), warehouse=str(warehouse))
    return dg.materialize(
        [si_pe, imilo, objectifs_otp], partition_key=month, resources={"otp": settings},
        raise_on_error=False,
    )  # fmt: skip


def _metadata(result, key):
    [event] = result.asset_materializations_for_node(key)
    return {name: value.value for name, value in event.metadata.items()}


def test_ingestion_assets_load_month_with_numeric_metadata(landing, warehouse):
    _landing(landing)
    result = _materialize(landing, warehouse)
    assert result.success
    metadata = _metadata(result, "raw__si_pe")
    assert {k: metadata[k] for k in ("file", "revision", "encoding", "rows_read", "rows_loaded",
                                     "rows_quarantined", "rows_duplicates")} == {  # fmt: skip
        "file": "ais_2021-01.csv", "revision": 1, "encoding": "cp1252", "rows_read": 20,
        "rows_loaded": 19, "rows_quarantined": 1, "rows_duplicates": 0,
    }  # fmt: skip
    assert len(metadata["sha256"]) == 64
    assert metadata["invalid_type_prescripteur"] == {"MISSION LOCALE": 1}
    assert _metadata(result, "raw__imilo")["file"] == "imilo_2021-01.csv.gz"
    assert _metadata(result, "raw__objectifs_otp")["periods"] == 1
    assert metadata["quarantine_rate"] == 0.05  # 1 of 20: exactly 5 % passes
    assert query(warehouse, "select count(*) from raw.si_pe") == [(19,)]


def test_structural_error_fails_the_run_naming_file_and_problem(landing, warehouse):
    _landing(landing)
    write_file(landing / "si_pe" / "ais_2021-01_r2.csv", [SI_PE_HEADER])
    result = _materialize(landing, warehouse)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    message = failure.event_specific_data.error.message
    assert "si_pe/ais_2021-01_r2.csv: no data row (header only)" in message


def test_no_delivery_for_the_month_fails_the_run(landing, warehouse):
    _landing(landing)
    result = _materialize(landing, warehouse, "2021-02")
    assert not result.success
    errors = " ".join(
        e.event_specific_data.error.message
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.STEP_FAILURE
    )
    assert "no delivery of source si_pe for month 2021-02" in errors
    assert "no delivery of source imilo for month 2021-02" in errors
