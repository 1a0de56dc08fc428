"""Crash safety: `bridge sync` and `bridge push` killed with SIGKILL at random moments, then rerun.

Nothing is lost, nothing is written twice to the tracking ledger, and after every kill the
stored cursor is never ahead of the stored data. On SQLite and on PostgreSQL (``store_url``).
The simulators run in this process, so they outlive every kill of the bridge.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from connectors.http import RetryPolicy
from connectors.ioffice import IOfficeConnector
from connectors.tracking import LgspToken, TrackingConnector
from pipelines import push, reconcile, sync
from pipelines.ingest import parse_marker
from simulators.harness import SimulatorCluster
from store import database, queries
from store.tables import dead_letters, documents, outbox, tasks
from tests.integration.environment import bridge_env

KILLS = 5
FAST = RetryPolicy(max_attempts=4, backoff_initial_s=0.01, backoff_max_s=0.05)


def _start_bridge(store_url: str, sim: SimulatorCluster, *command: str) -> subprocess.Popen:
    env = {**os.environ, **bridge_env(sim, BRIDGE_DATABASE_URL=store_url)}
    return subprocess.Popen(
        [sys.executable, "-m", "cli", *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _fill_outbox(engine, sim: SimulatorCluster) -> tuple[dict, set[str]]:
    """Sync and reconcile the world in this process: the connectors and the queued keys."""
    token = LgspToken(sim.token_url, **sim.tracking_credentials, policy=FAST)
    connectors = {
        "ioffice": IOfficeConnector(sim.ioffice_url, **sim.ioffice_credentials, policy=FAST),
        "tracking": TrackingConnector(sim.tracking_url, token=token, policy=FAST),
    }
    catalog = sync.Catalog.load()
    for connector in connectors.values():
        sync.sync_system(engine, connector, catalog)
    reconcile.reconcile(engine, datetime.fromisoformat(sim.now()))
    with engine.connect() as conn:
        queued = set(conn.execute(select(outbox.c.idempotency_key)).scalars())
    return connectors, queued


def _kill_at_random(process: subprocess.Popen, rng: random.Random, latest_s: float) -> bool:
    """SIGKILL after a random delay; True if the process was still working when it came."""
    time.sleep(rng.uniform(0.3, latest_s))
    working = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return working


def _stored(engine, table, *where) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(table.c.source_id).where(*where)).scalars())


def _assert_cursor_not_ahead(engine, sim: SimulatorCluster) -> None:
    """Every record that changed before a stream's cursor is in the store (or a dead letter)."""
    streams = {
        ("ioffice", "incoming"): (sim.ground_truth("documents"), documents),
        ("tracking", "tasks"): (sim.ground_truth("tasks"), tasks),
    }
    for (system, stream), (truth, table) in streams.items():
        with engine.connect() as conn:
            cursor = parse_marker(queries.get_cursor(conn, system, stream))
        if cursor is None:
            continue
        before = {
            str(r["id"])
            for r in truth
            if not r.get("secrecy") and datetime.fromisoformat(r["changed_at"]) < cursor
        }
        kept = _stored(engine, table) | _stored(engine, dead_letters)
        assert before <= kept, f"{system}/{stream}: cursor {cursor} is ahead of the data"


@pytest.mark.slow
def test_killed_syncs_lose_nothing_and_never_leave_the_cursor_ahead(store_url):
    engine = database.connect(store_url)
    rng = random.Random(store_url[:6])
    with SimulatorCluster(size=4000, seed=17) as sim:
        mid_work = 0
        for _ in range(KILLS):
            process = _start_bridge(store_url, sim, "sync", "ioffice", "tracking")
            mid_work += _kill_at_random(process, rng, latest_s=6.0)
            _assert_cursor_not_ahead(engine, sim)
            sim.advance(minutes=45)  # new documents arrive between the runs
        assert mid_work >= 3, "too few kills landed while the process was working"

        finished = _start_bridge(store_url, sim, "sync", "ioffice", "tracking")
        assert finished.wait(timeout=300) == 0, finished.stderr.read().decode()

        truth = {str(d["id"]) for d in sim.ground_truth("documents") if not d["secrecy"]}
        assert _stored(engine, documents, documents.c.direction == "incoming") == truth
        assert _stored(engine, tasks) == {t["id"] for t in sim.ground_truth("tasks")}
        _assert_cursor_not_ahead(engine, sim)
    engine.dispose()


@pytest.mark.slow
def test_killed_pushes_never_write_twice_and_lose_nothing(store_url):
    engine = database.connect(store_url)
    rng = random.Random(store_url[:6])
    with SimulatorCluster(size=4000, seed=19) as sim:
        connectors, queued = _fill_outbox(engine, sim)
        assert len(queued) > 300

        mid_work = 0
        for _ in range(KILLS):
            process = _start_bridge(store_url, sim, "push")
            mid_work += _kill_at_random(process, rng, latest_s=5.0)
        assert mid_work >= 3, "too few kills landed while the process was working"

        # Rows the killed workers held come back once their lease has run out on the
        # database's clock; the killed workers are gone, so a lease of zero stands for that
        # wait. The later clock makes rows waiting out a back-off due as well.
        later = datetime.now().astimezone() + timedelta(minutes=6)
        push.push_due(engine, connectors, max_attempts=8, clock=lambda: later, lease=timedelta(0))

        with engine.connect() as conn:
            states = Counter(conn.execute(select(outbox.c.state)).scalars())
        assert states == {"done": len(queued)}
        writes = list(sim.ground_truth("writes"))
        applied = Counter(
            (w["operation"], w["target"]) for w in writes if w["outcome"] == "applied"
        )
        assert [change for change, times in applied.items() if times > 1] == []
        applied_keys = {w["idempotency_key"] for w in writes if w["outcome"] == "applied"}
        assert queued <= applied_keys | _already_there(writes), "an update was lost"
    engine.dispose()


def _already_there(writes: list[dict]) -> set[str]:
    """Keys the target turned down because the change was already made (by hand, or first)."""
    return {
        w["idempotency_key"]
        for w in writes
        if w["outcome"] == "rejected"
        and w["result"]["code"] in ("ALREADY_COMPLETED", "DEADLINE_EXISTS")
    }


@pytest.mark.slow
@pytest.mark.postgres
def test_two_push_workers_on_one_postgresql_store_never_send_the_same_row(postgres_url):
    """Each send is in the tracking ledger; a row sent twice would show as a replayed key."""
    database.upgrade(postgres_url)
    engine = database.connect(postgres_url)
    with SimulatorCluster(size=4000, seed=23) as sim:
        _, queued = _fill_outbox(engine, sim)

        workers = [_start_bridge(postgres_url, sim, "push") for _ in range(2)]
        for worker in workers:
            assert worker.wait(timeout=300) == 0, worker.stderr.read().decode()

        with engine.connect() as conn:
            done_by = Counter(conn.execute(select(outbox.c.claimed_by)).scalars())
        assert len(done_by) == 2, f"both workers should have taken rows: {done_by}"
        sent = Counter(w["idempotency_key"] for w in sim.ground_truth("writes"))
        assert [key for key, times in sent.items() if times > 1] == []
        assert set(sent) == queued
    engine.dispose()
