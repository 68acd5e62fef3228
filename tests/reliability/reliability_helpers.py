"""Helpers of the reliability tests: a small landing folder, job runs in process or in a
subprocess (as an operator runs them), and fingerprints of a publish folder."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
from feeds import IMILO_HEADER, OBJECTIVES_HEADER, SI_PE_HEADER, ais_row, imilo_row, write_file

from otp_pipeline.defs.resources import OtpSettings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MONTH = "2021-01"
SECRET_PERSON = "PERSON-SECRET-123"
SECRET_JEUNE = "JEUNE-SECRET-456"
SECRET_BIRTH_DMY, SECRET_BIRTH_ISO = "17/03/1999", "1999-03-17"


def ais_lines(rows: int = 40, bad: int = 1) -> list[str]:
    """`rows` AIS of January 2021 (a duplicate and `bad` bad dates among them)."""
    lines = [SI_PE_HEADER]
    for i in range(rows - bad - 1):
        lines.append(ais_row(
            id_ais=f"AIS-{i:03d}", individu=f"{SECRET_PERSON}-{i:03d}", naissance=SECRET_BIRTH_DMY,
            departement=("75", "69", "13")[i % 3], prescripteur=("PE", "ML", "")[i % 3],
            prescription="10/01/2021", statut="ENTREE" if i % 4 == 0 else "PRESCRITE",
            entree="20/01/2021" if i % 4 == 0 else "",
        ))  # fmt: skip
    lines.append(lines[1])  # an exact duplicate: loaded once, counted
    lines += [ais_row(id_ais=f"AIS-BAD-{i}", individu=SECRET_PERSON, naissance="31/02/1999",
                      prescription="10/01/2021") for i in range(bad)]  # fmt: skip
    return lines


def imilo_lines(rows: int = 20, bad: int = 1) -> list[str]:
    lines = [IMILO_HEADER]
    for i in range(rows - bad):
        lines.append(imilo_row(
            id_prescription=f"MILO-{i:03d}", jeune=f"{SECRET_JEUNE}-{i:03d}",
            naissance=SECRET_BIRTH_ISO, departement=("75", "69")[i % 2],
            prescription="2021-01-12",
        ))  # fmt: skip
    lines += [imilo_row(id_prescription=f"MILO-BAD-{i}", jeune=SECRET_JEUNE,
                        naissance=SECRET_BIRTH_ISO, departement="96",
                        prescription="2021-01-12") for i in range(bad)]  # fmt: skip
    return lines


OBJECTIVES = [OBJECTIVES_HEADER, "11;2021-01;2021-12;100;10;50;40", "84;2021-01;2021-12;80;8;40;30"]


def write_good_landing(landing: Path) -> None:
    for name in ("si_pe", "imilo", "objectifs"):
        (landing / name).mkdir(parents=True, exist_ok=True)
        for old in (landing / name).iterdir():
            old.unlink()
    write_file(landing / "si_pe" / f"ais_{MONTH}.csv", ais_lines())
    write_file(landing / "imilo" / f"imilo_{MONTH}.csv", imilo_lines())
    write_file(landing / "objectifs" / "objectifs_otp.csv", OBJECTIVES)


def settings_for(root: Path) -> OtpSettings:
    return OtpSettings(
        landing_dir=str(root / "landing"), publish_dir=str(root / "published"),
        warehouse=str(root / "warehouse" / "otp.duckdb"),
    )  # fmt: skip


def run_month(root: Path, instance, month: str = MONTH) -> dg.ExecuteInProcessResult:
    """The whole `otp_monthly` job for one month, in process, as the e2e tests run it."""
    from otp_pipeline.definitions import defs

    return defs.resolve_job_def("otp_monthly").execute_in_process(
        partition_key=month, instance=instance, resources={"otp": settings_for(root)},
        raise_on_error=False,
    )  # fmt: skip


def fingerprint(folder: Path, skip_manifest: bool = False) -> dict[str, str]:
    """SHA-256 of every file under `folder`, by relative path."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(Path(folder).rglob("*"))
        if path.is_file() and not (skip_manifest and path.name == "manifest.json")
    }


def cli_env(root: Path) -> dict[str, str]:
    """Environment of an operator's run: OTP_* and DAGSTER_HOME in `root`."""
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    venv_bin = str(Path(sys.executable).parent)
    return {
        **os.environ, "DAGSTER_HOME": str(home), "OTP_LANDING_DIR": str(root / "landing"),
        "OTP_PUBLISH_DIR": str(root / "published"),
        "OTP_WAREHOUSE": str(root / "warehouse" / "otp.duckdb"),
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1",
    }  # fmt: skip


def start_cli_run(root: Path, log: Path, month: str = MONTH) -> subprocess.Popen:
    """`otp-pipeline run --months M` in its own process group, output to `log`."""
    handle = open(log, "wb")  # noqa: SIM115 - closed by the caller through the process
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "otp-pipeline"), "run", "--months", month],
        cwd=PROJECT_ROOT, env=cli_env(root), stdout=handle, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
