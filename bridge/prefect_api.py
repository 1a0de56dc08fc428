"""A Prefect server in a process of its own on 127.0.0.1: started, waited for, stopped.

`make serve` starts the whole server (`prefect server start`: the UI and the scheduler
included); the demo starts the API alone (``start_api_only``), as Prefect's own ephemeral mode
does, but without importing Prefect's server modules into the demo's process: that import
took 2–5 s of the demo's CPU (py-spy, 3 December), on the process that then runs every flow.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

STOP_TIMEOUT_S = 30


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now (the system's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(
    api_url: str, server: subprocess.Popen, timeout_s: float, poll_s: float = 0.5
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(poll_s)
    raise RuntimeError(f"the Prefect server did not answer {api_url}/health in {timeout_s:.0f} s")


def stop(process: subprocess.Popen | None, what: str, quiet: bool = False) -> None:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT_S; the whole process group we started."""
    if process is None or process.poll() is not None:
        return
    if not quiet:
        print(f"stopping the {what} (pid {process.pid})", file=sys.stderr)
    # The child leads its own session (start_new_session), so its group id is its pid and the
    # group holds only what it started: flow runs of a serve process, the server's workers.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start_api_only(port: int, env: Mapping[str, str]) -> subprocess.Popen:
    """Prefect's API (no UI) under uvicorn on 127.0.0.1:port; returns at once (see
    ``wait_until_healthy``). The command and the three settings are those of Prefect's own
    ephemeral server (prefect/server/api/server.py, ``SubprocessASGIServer``): the database is
    migrated on start, and the services run as the environment's settings say."""
    # Where Prefect is installed, found without importing it; uvicorn puts this first on the
    # server's path instead of the working directory (ours holds modules named like
    # packages: store, schemas, flows).
    spec = importlib.util.find_spec("prefect")
    if spec is None or spec.origin is None:
        raise RuntimeError("Prefect is not installed in this environment")
    ephemeral = {
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    # Nothing here comes from input: this interpreter, fixed arguments, Prefect's own path.
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(spec.origin).parent.parent),
         "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "error", "--lifespan", "on"],
        env={**env, **ephemeral},
        start_new_session=True,
    )  # fmt: skip
