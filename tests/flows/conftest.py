"""Flow tests: one Prefect test harness for the whole session, simulators on loopback.

`prefect_test_harness` starts a throwaway Prefect server (15-25 s), so every flow test shares
one. Each test gets its own store (a SQLite file) and the settings pointing at the simulators,
set in the environment exactly as an operator would set them.
"""

from __future__ import annotations

import pytest

from pipelines.systems import known_systems
from simulators.harness import SimulatorCluster
from tests import prefect_db


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    from prefect.settings import PREFECT_HOME, temporary_settings
    from prefect.testing import utilities
    from prefect.testing.utilities import prefect_test_harness

    from bridge.serve import ensure_concurrency_limits

    home = tmp_path_factory.mktemp("prefect-home")
    # The harness puts its database in a folder from tempfile.mkdtemp: given one that holds a
    # migrated copy, its server starts without running Prefect's migrations (tests/prefect_db.py).
    database = prefect_db.seed(tmp_path_factory.mktemp("prefect-db"), prefect_db.HARNESS_DB_NAME)
    with (
        pytest.MonkeyPatch.context() as patch,
        temporary_settings({PREFECT_HOME: str(home)}),
    ):
        patch.setattr(utilities, "mkdtemp", lambda: str(database))
        with prefect_test_harness(server_startup_timeout=90):
            # What `bridge serve` does at start: the flows take slots of these limits strictly.
            ensure_concurrency_limits(known_systems(), 2)
            yield


@pytest.fixture(scope="module")
def sim():
    with SimulatorCluster(size=120, seed=31) as cluster:
        yield cluster


@pytest.fixture(autouse=True)
def _clean_faults(request):
    if "sim" not in request.fixturenames:
        yield
        return
    cluster = request.getfixturevalue("sim")
    cluster.clear_faults()
    yield
    cluster.clear_faults()


def simulator_env(sim, store_url: str) -> dict[str, str]:
    """The settings of a deployment of iOffice and the tracking system, as environment."""
    return {
        "BRIDGE_DATABASE_URL": store_url,
        "BRIDGE_IOFFICE__BASE_URL": sim.ioffice_url,
        "BRIDGE_IOFFICE__USERNAME": sim.ioffice_credentials["username"],
        "BRIDGE_IOFFICE__PASSWORD": sim.ioffice_credentials["password"],
        "BRIDGE_TRACKING__BASE_URL": sim.tracking_url,
        "BRIDGE_TRACKING__TOKEN_URL": sim.token_url,
        "BRIDGE_TRACKING__CLIENT_ID": sim.tracking_credentials["client_id"],
        "BRIDGE_TRACKING__CLIENT_SECRET": sim.tracking_credentials["client_secret"],
        # One attempt: a fault test must fail at once, not after minutes of back-off.
        "BRIDGE_HTTP__MAX_ATTEMPTS": "1",
        "BRIDGE_OUTBOX_MAX_ATTEMPTS": "1",
    }


@pytest.fixture
def configured(sim, monkeypatch, tmp_path):
    """Settings pointing at the simulators and a fresh store; returns the store's URL."""
    import os

    monkeypatch.chdir(tmp_path)  # no bridge.toml of the developer's is read
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    for name, value in simulator_env(sim, url).items():
        monkeypatch.setenv(name, value)
    return url
