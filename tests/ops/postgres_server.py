"""A throwaway PostgreSQL server for tests: Debian's binaries, a cluster in a temporary
folder, a private port on 127.0.0.1 and its socket in that folder, trust authentication.

`initdb` and `postgres` refuse to run as root: as root (CI, the dev container) they run as
the `postgres` user that Debian's package creates, in a folder that user owns.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def _newest_pg_bin() -> Path:
    """Debian's server binaries, newest major version first (15 on Debian 12)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0)  # fmt: skip
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _newest_pg_bin()
SUPERUSER = "otp"
DATABASE = "dagster"


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    database: str

    def env(self) -> dict[str, str]:
        """The OTP_DAGSTER_PG_* variables deploy/dagster-postgres.yaml reads."""
        return {
            "OTP_DAGSTER_PG_HOST": self.host,
            "OTP_DAGSTER_PG_PORT": str(self.port),
            "OTP_DAGSTER_PG_DB": self.database,
            "OTP_DAGSTER_PG_USER": self.user,
            # Trust authentication ignores it; the instance file still requires it set.
            "OTP_DAGSTER_PG_PASSWORD": "unused-with-trust",
        }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_owner() -> tuple[list[str], str | None]:
    """The command prefix that runs the server's binaries, and the user to give the
    folder to (None: the current user, not root, runs them itself)."""
    if os.geteuid() != 0:
        return [], None
    return ["runuser", "-u", "postgres", "--"], "postgres"


@contextmanager
def postgres_server(timeout: float = 30) -> Iterator[PostgresServer]:
    """Start a fresh cluster with one database, yield how to reach it, stop it and delete
    it afterwards, whatever happened in between."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(
            f"{PG_BIN}/initdb is missing: `make setup` installs it (deploy/ensure-postgres.sh)"
        )
    prefix, owner = _as_owner()
    # Not under pytest's tmp_path: its parent folders are private to root.
    root = Path(tempfile.mkdtemp(prefix="otp-pg-"))
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    sockets.mkdir()
    if owner:
        entry = pwd.getpwnam(owner)
        for path in (root, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": timeout}
    try:
        try:
            subprocess.run(
                [*prefix, str(PG_BIN / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust",
                 "-E", "UTF8", "--no-sync"],
                **run,
            )  # fmt: skip
            options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
            subprocess.run(
                [*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log),
                 "-w", "-t", str(int(timeout)), "start"],
                **run,
            )  # fmt: skip
            subprocess.run(
                [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER,
                 DATABASE],
                **run,
            )  # fmt: skip
        except subprocess.CalledProcessError as error:
            server_log = log.read_text() if log.exists() else ""
            raise RuntimeError(f"{error.cmd}: {error.stderr}{server_log}") from error
        yield PostgresServer("127.0.0.1", port, SUPERUSER, DATABASE)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                capture_output=True, timeout=timeout,
            )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
