"""prefect.yaml as production uses it: `prefect deploy --all` to a Prefect server, workers of
the `bridge` process pool taking the runs (README, "Running it in production").

Each test starts its own server, so the tests are slow; they never share the session's test
harness (a different API).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
from collections import Counter

import pytest
from sqlalchemy import select

from pipelines.sync import Catalog
from simulators.harness import SimulatorCluster
from store import database
from store.tables import documents, outbox
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

pytestmark = [pytest.mark.prefect, pytest.mark.own_prefect_server, pytest.mark.slow]

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
                    "push-updates", "retry-failures", "weekly", "monthly", "quarterly",
                    "half_yearly", "yearly"} <= names  # fmt: skip
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


# --- two workers, one server, one PostgreSQL store -------------------------------------------


def _ran(client, run_ids):  # type: ignore[no-untyped-def]
    """(start, end) of each run that ran, from the server's record; the others' states."""
    spans, others = [], []
    for run_id in run_ids:
        run = client.read_flow_run(run_id)
        if not run.state.is_cancelled():
            assert _finished_its_work(run.state), f"{run.state.name}: {run.state.message}"
            spans.append((run.start_time, run.end_time))
        else:
            others.append(run.state.type.value)
    return sorted(spans), others


def _finished_its_work(state) -> bool:  # type: ignore[no-untyped-def]
    """Completed, or Failed only for the new failures it found (a world of this size holds
    records that cannot be read and tasks answered by secret documents)."""
    return state.is_completed() or (state.is_failed() and "new failure(s)" in state.message)


def _running_stream_task(client, run_id) -> bool:  # type: ignore[no-untyped-def]
    return any(
        t.name.startswith("sync-") and t.state is not None and t.state.is_running()
        for t in task_runs_of(client, run_id)
    )


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def _worker_of(pid: int, workers: dict) -> str:  # type: ignore[type-arg]
    """The name of the worker whose process started flow-run process ``pid``."""
    while pid > 1:
        for name, worker in workers.items():
            if worker.pid == pid:
                return name
        pid = _parent(pid)
    raise AssertionError("the flow run's process belongs to no worker of the test")


def _sent_once(sim) -> Counter:  # type: ignore[no-untyped-def,type-arg]
    sent = Counter(w["idempotency_key"] for w in sim.ground_truth("writes"))
    assert [key for key, times in sent.items() if times > 1] == []
    return sent


@pytest.mark.postgres
def test_two_workers_never_overlap_a_system_send_once_and_survive_a_killed_worker(
    postgres_url, tmp_path
):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.states import Crashed

    database.upgrade(postgres_url)  # once, as an operator does: two workers must not race it
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    with (
        SimulatorCluster(size=400, seed=41) as sim,
        prefect_server(tmp_path) as (api_url, env),
    ):
        deploy_all(env)
        sim_env = simulator_env(sim, postgres_url)
        with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
            pause_every_schedule(client)
            ioffice = client.read_deployment_by_name("sync-system/ioffice").id
            tracking = client.read_deployment_by_name("sync-system/tracking").id
            workers = {
                name: start_worker(env, postgres_url, sim_env, log, name)
                for name, log in zip(("a", "b"), logs, strict=True)
            }
            try:
                # Slow answers, so that runs of one system asked for together would overlap.
                sim.set_faults("ioffice", latency={"rate": 1.0, "ms": 40})
                asked = {d: [client.create_flow_run_from_deployment(d).id for _ in range(3)]
                         for d in (ioffice, tracking)}  # fmt: skip
                for run_id in asked[ioffice] + asked[tracking]:
                    ended = lambda r=run_id: final_state(client, r)  # noqa: E731
                    wait_for("the runs asked for together", ended, RUN_TIMEOUT_S, logs)
                for deployment, run_ids in asked.items():
                    spans, others = _ran(client, run_ids)
                    assert spans, f"no run of {deployment} completed: {others}"
                    for (_, end), (start, _) in itertools.pairwise(spans):
                        assert end <= start, f"two runs of one system overlapped: {spans}"
                    assert set(others) <= {"CANCELLED"}, others
                first = _sent_once(sim)
                assert first, "the syncs queued and sent nothing: the test would prove nothing"

                # A worker killed in the middle of a sync: the other worker carries on.
                sim.advance(minutes=90)  # new documents and answers arrive
                # Each answer slow enough that a stream task is seen Running by a 0.5 s poll
                # through Prefect's task-run recorder (at 150 ms one CI run saw it only ended).
                sim.set_faults("ioffice", latency={"rate": 1.0, "ms": 1500})
                doomed = client.create_flow_run_from_deployment(ioffice).id
                reading = lambda: _running_stream_task(client, doomed)  # noqa: E731
                wait_for("a stream task of the run to be running", reading, RUN_TIMEOUT_S, logs)
                pid = int(client.read_flow_run(doomed).infrastructure_pid.rsplit(":", 1)[-1])
                victim = _worker_of(pid, workers)
                stop(workers[victim], signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                assert not final_state(client, doomed), "the killed run cannot have ended"
                sim.set_faults("ioffice", latency={"rate": 1.0, "ms": 1})

                other = client.create_flow_run_from_deployment(tracking).id
                state = wait_for("the other worker's run", lambda: final_state(client, other),
                                 RUN_TIMEOUT_S, logs)  # fmt: skip
                assert _finished_its_work(state), f"{state.name}: {state.message}"

                # What Prefect's zombie automation does (README): the run whose heartbeat
                # stopped is Crashed, which gives its deployment's slot back. Then the next
                # run of the system finishes the work.
                client.set_flow_run_state(doomed, Crashed(message="its worker was killed"))
                again = client.create_flow_run_from_deployment(ioffice).id
                state = wait_for("the next run", lambda: final_state(client, again),
                                 RUN_TIMEOUT_S, logs)  # fmt: skip
                assert _finished_its_work(state), f"{state.name}: {state.message}"
            finally:
                for worker in workers.values():
                    stop(worker)

        truth = {str(d["id"]) for d in sim.ground_truth("documents") if not d["secrecy"]}
        engine = database.connect(postgres_url)
        with engine.connect() as conn:
            stored = set(conn.execute(select(documents.c.source_id).where(
                documents.c.direction == "incoming")).scalars())  # fmt: skip
            states = Counter(conn.execute(select(outbox.c.state)).scalars())
        engine.dispose()
        assert stored == truth
        assert states["pending"] == states["in_flight"] == 0, states
        sent = _sent_once(sim)
        assert len(sent) >= len(first)
