"""A migrated Prefect database for each Prefect server the tests start, copied, not migrated.

A Prefect server on a fresh SQLite file runs every one of Prefect's migrations before it
answers: about 12 s of CPU on this 2-core machine, and the suite starts a dozen servers (the
harness of each xdist worker, `prefect server start` of the worker tests, `make serve`). The
migrations are the same each time, so they run once into a template per Prefect version
(``var/test-prefect/template-<version>``, kept between runs, made again on a clean checkout
such as CI's) and every server gets a copy of it; at start the server finds its database at
the head revision and goes on. What the servers do after that is untouched.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "prefect.db"  # what a server uses under PREFECT_HOME unless told otherwise


def _template() -> Path:
    """The migrated template database, made once per Prefect version; workers of one session
    that ask at once wait for the first (a lock file), then copy what it made."""
    import prefect

    directory = ROOT / "var" / "test-prefect" / f"template-{prefect.__version__}"
    directory.mkdir(parents=True, exist_ok=True)
    ready = directory / DB_NAME
    with open(directory / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            building = directory / "building"
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir()
            env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
            env.update(PREFECT_HOME=str(building), PREFECT_SERVER_ANALYTICS_ENABLED="false",
                       DO_NOT_TRACK="1")  # fmt: skip
            done = subprocess.run(
                [sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"],
                env=env, capture_output=True, text=True, timeout=600, check=False,
            )  # fmt: skip
            assert done.returncode == 0, f"Prefect's migrations failed:\n{done.stderr[-3000:]}"
            # Only the database itself, in one piece: no journal is left once upgrade exits.
            assert not list(building.glob(f"{DB_NAME}-*")), "a journal was left behind"
            os.replace(building / DB_NAME, ready)
            shutil.rmtree(building, ignore_errors=True)
    return ready


def seed(directory: Path, name: str = DB_NAME) -> Path:
    """``directory`` (a PREFECT_HOME, or the harness's database folder) holding a copy of the
    migrated database as ``name``; the directory is returned."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_template(), directory / name)
    return directory


# prefect_test_harness names its database so, in a folder of its own from tempfile.mkdtemp.
HARNESS_DB_NAME = "prefect-test.db"
