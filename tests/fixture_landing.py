"""The hand-computed fixture of tests/dbt (otp_fixture.py, test_dbt_marts.py) delivered as
landing files, the settings pointing at them, and a month run through the real job: what the
end-to-end tests of tests/defs/publication/ and tests/defs/transform/ share."""

from datetime import date

import dagster as dg
from feeds import IMILO_HEADER, OBJECTIVES_HEADER, SI_PE_HEADER, ais_row, imilo_row, write_file
from otp_fixture import IMILO_ROWS, OBJECTIFS_ROWS, SI_PE_ROWS, formation
from test_dbt_marts import COLUMNS

from otp_pipeline.definitions import defs
from otp_pipeline.defs.resources import OtpSettings

MONTHS = ("2021-01", "2021-02", "2021-03")


def _dmy(iso: str | None) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""


def write_fixture_landing(landing) -> None:
    """The fixture's rows as the producers would deliver them, one file per month."""
    for month in MONTHS:
        ais = [
            ais_row(id_ais=r[1], individu=f"IND-{r[1]}", naissance=_dmy(r[2]), departement=r[3],
                    prescripteur=r[4] or "", prescription=_dmy(r[5]), entree=_dmy(r[6]),
                    statut=r[7], type_formation=formation(r[1])[0], rome=formation(r[1])[1])
            for r in SI_PE_ROWS if r[0] == month
        ]  # fmt: skip
        write_file(landing / "si_pe" / f"ais_{month}.csv", [SI_PE_HEADER, *ais])
        milo = [
            imilo_row(id_prescription=r[1], jeune=f"J-{r[1]}", naissance=r[2], departement=r[3],
                      prescription=r[4], entree=r[5] or "", statut=r[6], numero_ais=r[7] or "",
                      type_formation=formation(r[1])[0], rome=formation(r[1])[1])
            for r in IMILO_ROWS if r[0] == month
        ]  # fmt: skip
        write_file(landing / "imilo" / f"imilo_{month}.csv", [IMILO_HEADER, *milo])
    objectives = [";".join(map(str, row)) for row in OBJECTIFS_ROWS]
    write_file(landing / "objectifs" / "objectifs_otp.csv", [OBJECTIVES_HEADER, *objectives])


def run_month(settings: OtpSettings, month: str, instance) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("otp_monthly")
    return job.execute_in_process(
        partition_key=month, instance=instance, resources={"otp": settings}, raise_on_error=False
    )


def typed(table: str, row: list[str]) -> tuple:
    """A CSV row as typed values. A null is an empty field (§7); no published text is ever
    empty (an empty string would be written `""`), so an empty field is a null of any type
    (libelle_domaine of NON_RENSEIGNE, §8)."""
    cast = {"BIGINT": int, "DOUBLE": float, "VARCHAR": str}
    return tuple(
        None if value == "" else cast[kind](value)
        for value, (_, kind) in zip(row, COLUMNS[table], strict=True)
    )


def fixture_settings(root) -> OtpSettings:
    """The fixture's landing folder written under `root`, and settings pointing at it."""
    write_fixture_landing(root / "landing")
    return OtpSettings(
        landing_dir=str(root / "landing"), publish_dir=str(root / "published"),
        warehouse=str(root / "warehouse" / "otp.duckdb"),
    )  # fmt: skip
