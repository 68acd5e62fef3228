"""An operator's session at the terminal, for tests/ops/test_operator_terminal.py: the
commands run as subprocesses from the project root, on a small landing folder written here,
either with their output piped (as under cron) or in a real pseudo-terminal whose screen is
read with `pyte`."""

import fcntl
import os
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pyte
from feeds import IMILO_HEADER, OBJECTIVES_HEADER, SI_PE_HEADER, ais_row, imilo_row, write_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ROWS, COLUMNS = 80, 140


def write_month(landing: Path, month: str, revision: int = 1, bad_row: bool = True) -> None:
    """Month M: 18 AIS rows in Paris (prescriber PE), 1 in Bouches-du-Rhône without a
    prescriber and, unless `bad_row` is False, 1 in an unknown department (quarantined: 1 of
    20 rows is 5 %, allowed); 1 I-Milo row in Paris."""
    year, number = month.split("-")
    day = f"/{number}/{year}"
    rows = [ais_row(id_ais=f"A{month}-{i}", individu=f"P{i}", prescription=f"0{1 + i % 9}{day}")
            for i in range(18)]  # fmt: skip
    rows.append(ais_row(id_ais=f"A{month}-B", departement="13", prescripteur="",
                        prescription=f"12{day}"))  # fmt: skip
    if bad_row:
        rows.append(ais_row(id_ais=f"A{month}-X", departement="00", prescription=f"13{day}"))
    suffix = f"_r{revision}" if revision > 1 else ""
    write_file(landing / "si_pe" / f"ais_{month}{suffix}.csv", [SI_PE_HEADER, *rows])
    write_file(landing / "imilo" / f"imilo_{month}.csv",
               [IMILO_HEADER, imilo_row(id_prescription=f"M{month}", prescription=f"{month}-04")])  # fmt: skip


def write_objectives(landing: Path) -> None:
    write_file(landing / "objectifs" / "objectifs_otp.csv",
               [OBJECTIVES_HEADER, "11;2021-01;2021-12;12;1;6;6"])  # fmt: skip


def environment(root: Path) -> dict[str, str]:
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ, "DAGSTER_HOME": str(home), "OTP_LANDING_DIR": str(root / "landing"),
        "OTP_PUBLISH_DIR": str(root / "published"),
        "OTP_WAREHOUSE": str(root / "warehouse" / "otp.duckdb"),
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PYTHONUNBUFFERED": "1",
    }  # fmt: skip


def command(env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`otp-pipeline <args>`, output piped: not a terminal."""
    return subprocess.run(
        [str(BIN / "otp-pipeline"), *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
        text=True, timeout=timeout,
    )  # fmt: skip


def start(env: dict, out: Path, *args: str) -> subprocess.Popen:
    """`otp-pipeline <args>` in the background, stdout to `out`, stderr to `out`.err."""
    with open(out, "wb") as stdout, open(f"{out}.err", "wb") as stderr:
        return subprocess.Popen([str(BIN / "otp-pipeline"), *args], cwd=PROJECT_ROOT, env=env,
                                stdout=stdout, stderr=stderr)  # fmt: skip


def wait_for(process: subprocess.Popen, out: Path, text: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while text not in out.read_text(encoding="utf-8", errors="replace"):
        assert process.poll() is None, f"ended before {text!r}: {out.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"no {text!r}: {out.read_text()[-3000:]}"
        time.sleep(0.1)


def in_terminal(env: dict, *args: str, timeout: float = 600) -> tuple[int, list[str], bytes]:
    """`otp-pipeline <args>` in a pseudo-terminal of ROWS x COLUMNS; its exit code, the
    screen as it stood after each read (pyte), and the raw bytes it wrote."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    process = subprocess.Popen(
        [str(BIN / "otp-pipeline"), *args], cwd=PROJECT_ROOT,
        env={**env, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(ROWS)},
        stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    screen = pyte.Screen(COLUMNS, ROWS)
    stream = pyte.ByteStream(screen)
    frames, raw = [], b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's last writer closed it
                break
            if not chunk:
                break
            raw += chunk
            stream.feed(chunk)
            frames.append("\n".join(line.rstrip() for line in screen.display))
    finally:
        os.close(master)
    return process.wait(timeout=60), frames, raw
