"""Shared test set-up: no connection leaves this machine, and Prefect stays local.

The guard is installed at import time (before any test module imports a client library) and
stays for the whole session, so it also covers fixtures, threads and servers started in-process.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests check results, not speed: on a busy 2-core CI machine the first example (which
# loads the calendar and the mappings) can exceed Hypothesis' 200 ms deadline and fail as flaky.
hypothesis_settings.register_profile("bridge", deadline=None)
hypothesis_settings.load_profile("bridge")

ROOT = Path(__file__).resolve().parent.parent

# Prefect must never phone home or use the developer's own profile. Each xdist worker (make test
# runs several) keeps its own, so no two processes share Prefect's SQLite database.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
os.environ.setdefault("PREFECT_HOME", str(ROOT / "var" / "test-prefect" / _WORKER))
Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
# An ephemeral API migrates its database before it answers; Prefect's 20 s is not enough on a
# busy 2-core machine running the suite over several workers.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ["DO_NOT_TRACK"] = "1"


class NonLoopbackConnectionRefused(ConnectionRefusedError):
    """Raised when a test tries to reach anything outside this machine."""


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _check_address(sock_family: int, address: object) -> None:
    if sock_family == getattr(socket, "AF_UNIX", object()):
        return
    host = address[0] if isinstance(address, tuple) and address else address
    if not _is_loopback(host):
        raise NonLoopbackConnectionRefused(
            f"tests may only connect to loopback; refused a connection to {address!r}"
        )


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check_address(self.family, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check_address(self.family, address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    # Refuse name lookups too: a DNS query is itself traffic off this machine.
    name = host.decode() if isinstance(host, bytes) else host
    if name is not None and not _is_loopback(name):
        raise NonLoopbackConnectionRefused(f"tests may not resolve non-loopback host {name!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guarded_getaddrinfo


@pytest.fixture(autouse=True)
def _network_guard_is_active() -> None:
    """Autouse: fail loudly if anything has removed the guard during the session."""
    assert socket.socket.connect is _guarded_connect, "the loopback-only network guard was removed"


# --- stores: SQLite file and throwaway PostgreSQL ---------------------------------------------

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def postgres_server():
    """One throwaway cluster for the session. Under CI=true failing to start is a failure."""
    from tests.pg import PostgresUnavailable, start_throwaway_postgres

    try:
        server = start_throwaway_postgres()
    except PostgresUnavailable as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL tests must run in CI but the cluster did not start: {exc}")
        pytest.skip(f"PostgreSQL not available here: {exc}")
    yield server
    server.stop()


_database_counter = iter(range(1, 1_000_000))


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty database in the session's cluster."""
    from sqlalchemy import create_engine, text

    name = f"test_{os.getpid()}_{next(_database_counter)}"
    admin = create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres_server.url(name)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'bridge.db'}"


# Migrating a store takes about a second (SQLite syncs every step to disk), and hundreds of
# tests want a migrated one: each process migrates one template per database, and every test
# gets a copy of it. The templates are built by the migrations, which test_migrations.py checks.


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    from store import database

    path = tmp_path_factory.mktemp("template") / "bridge.db"
    database.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_template(postgres_server) -> str:
    from sqlalchemy import create_engine, text

    from store import database

    name = f"template_{os.getpid()}"
    admin = create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    database.upgrade(postgres_server.url(name))
    return name


def _copy_sqlite(template: Path, url: str) -> None:
    """The template's pages into a new file (the backup API also takes what is in the WAL)."""
    import sqlite3

    source = sqlite3.connect(template)
    target = sqlite3.connect(url.removeprefix("sqlite:///"))
    with target:
        source.backup(target)
    source.close()
    target.close()


def _copy_postgres(server, template: str) -> str:
    from sqlalchemy import create_engine, text

    name = f"test_{os.getpid()}_{next(_database_counter)}"
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return server.url(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request) -> str:
    """The same test on both databases: an empty, migrated store (a copy of the template)."""
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
        _copy_sqlite(request.getfixturevalue("_sqlite_template"), url)
        return url
    server = request.getfixturevalue("postgres_server")
    return _copy_postgres(server, request.getfixturevalue("_postgres_template"))


# tryfirst: xdist's worker reads the xdist_group marks in this same hook (it appends the group
# to each test's id), so the marks must be on the items before it runs.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items) -> None:
    """Under xdist (`--dist loadgroup`), the tests of one module that talk to a Prefect API (the
    session's test server, or the ephemeral one Prefect starts in the process) stay on one
    worker, so a worker starts the harness once for all of them; the modules spread over the
    workers (one group for all of them made `make test-fast` wait on one worker: 167 s against
    140 s). A test that starts a server of its own (``own_prefect_server``) is a group of its
    own: the longest tests of the suite are of that kind."""
    for item in items:
        if item.get_closest_marker("own_prefect_server"):
            item.add_marker(pytest.mark.xdist_group(f"own-server:{item.name}"))
        elif "prefect_harness" in getattr(item, "fixturenames", ()) or item.get_closest_marker(
            "prefect"
        ):
            item.add_marker(pytest.mark.xdist_group(f"prefect-server:{item.path.stem}"))


@pytest.fixture
def engine(store_url):
    from store import database

    engine = database.connect(store_url)
    yield engine
    engine.dispose()
