"""prefect.yaml as production uses it: `prefect deploy --all` to a Prefect server, workers of
the `bridge` process pool taking the runs (README, "Running it in production").

Each test starts its own server, so the tests are slow; they never share the session's test
harness (a different API).
"""

from __future__ import annotations

import pytest

from pipelines.sync import Catalog
from store import database
from store.tables import documents
from tests.flows.conftest import simulator_env
from tests.flows.workers import (
    deploy_all,
    final_state,
    pause_every_schedule,
    prefect_server,
    start_worker,
    stop,
    task_runs_of,
    wait_for,
)

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

RUN_TIMEOUT_S = 300


def test_a_worker_of_the_bridge_pool_runs_the_sync_deployment_task_by_task(sim, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    store_url = f"sqlite:///{tmp_path / 'bridge.db'}"
    with prefect_server(tmp_path) as (api_url, env):
        deploy_all(env)
        with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
            pause_every_schedule(client)
            names = {f"{d.name}" for d in client.read_deployments()}
            assert {"ioffice", "idesk", "tracking", "deadline-watch", "health-check", "resync",
                    "push-updates", "weekly", "monthly", "quarterly", "half_yearly",
                    "yearly"} <= names  # fmt: skip
            deployment = client.read_deployment_by_name("sync-system/ioffice")
            assert deployment.work_pool_name == "bridge"
            assert deployment.entrypoint == "flows.py:sync_system"
            assert deployment.parameters == {"system": "ioffice"}

            log = tmp_path / "worker.log"
            worker = start_worker(env, store_url, simulator_env(sim, store_url), log, "one")
            try:
                run = client.create_flow_run_from_deployment(deployment.id)
                state = wait_for("the sync run", lambda: final_state(client, run.id),
                                 RUN_TIMEOUT_S, [log])  # fmt: skip
                assert state.is_completed(), f"{state.name}: {state.message}\n{log.read_text()}"
                tasks = {t.name: t for t in task_runs_of(client, run.id)}
            finally:
                stop(worker)

    streams = Catalog.load().streams_of("ioffice")
    expected = {f"sync-ioffice-{s}" for s in streams} | {"reread-rejects-ioffice"}
    assert expected <= set(tasks), sorted(tasks)
    assert any(name.startswith("reconcile") for name in tasks)
    assert any(name.startswith("push") for name in tasks)
    assert all(tasks[name].state.is_completed() for name in expected)
    engine = database.connect(store_url)
    with engine.connect() as conn:
        stored = conn.execute(documents.select()).all()
    engine.dispose()
    assert stored, "the worker's run stored nothing"
