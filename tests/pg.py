"""A throwaway PostgreSQL cluster for the tests: initdb, start on a free loopback port, stop.

initdb refuses to run as root, so as root the cluster is created and run as the `postgres`
user (docs/design.md, "Dependencies"). The cluster trusts local connections and runs with fsync
off: it holds only test data and is deleted afterwards.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_BIN_CANDIDATES = [Path(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"))]


class PostgresUnavailable(RuntimeError):
    """The cluster could not be created or started; the message says why."""


def _find_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for directory in reversed(PG_BIN_CANDIDATES):
        if (directory / name).exists():
            return str(directory / name)
    raise PostgresUnavailable(f"{name} not found on PATH or under /usr/lib/postgresql/*/bin")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ThrowawayPostgres:
    base: Path
    port: int
    run_as: str | None

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def log_file(self) -> Path:
        return self.base / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://bridge@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> None:
        initdb = _find_binary("initdb")
        pg_ctl = _find_binary("pg_ctl")
        result = self._run(
            initdb, "-D", str(self.data_dir), "-U", "bridge", "-A", "trust",
            "-E", "UTF8", "--no-locale",
        )  # fmt: skip
        if result.returncode != 0:
            raise PostgresUnavailable(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=100"
        )
        result = self._run(
            pg_ctl, "-D", str(self.data_dir), "-o", options, "-l", str(self.log_file), "-w",
            "-t", "60", "start",
        )  # fmt: skip
        if result.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else "(no log)"
            raise PostgresUnavailable(f"pg_ctl start failed:\n{result.stderr}\n{log}")

    def stop(self) -> None:
        pg_ctl = _find_binary("pg_ctl")
        self._run(pg_ctl, "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


def start_throwaway_postgres() -> ThrowawayPostgres:
    """Create and start a cluster; the caller must call ``stop()``."""
    base = Path(tempfile.mkdtemp(prefix="bridge-pg-"))
    run_as = None
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise PostgresUnavailable("running as root and there is no 'postgres' user") from exc
        os.chown(base, user.pw_uid, user.pw_gid)
        run_as = "postgres"
    base.chmod(0o755)
    server = ThrowawayPostgres(base=base, port=_free_port(), run_as=run_as)
    try:
        server.start()
    except Exception:
        shutil.rmtree(base, ignore_errors=True)
        raise
    return server
