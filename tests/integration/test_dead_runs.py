"""A `bridge sync` killed mid-run is marked "died" by the next run, with what it had committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from simulators.harness import SimulatorCluster
from store import database, queries
from store.tables import runs
from tests.integration.environment import bridge_env


@pytest.mark.slow
def test_a_killed_sync_is_marked_died_at_the_next_start(store_url):
    engine = database.connect(store_url)
    with SimulatorCluster(size=600, seed=7) as sim:
        # Slow answers, so the run is surely between pages when it is killed.
        sim.set_faults("ioffice", latency={"rate": 1.0, "ms": 400})
        env = {**os.environ, **bridge_env(sim, BRIDGE_DATABASE_URL=store_url)}
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "sync", "ioffice", "--no-reconcile"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            run = _wait_for_a_committed_page(engine, process)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert run is not None, "the sync never committed a page"
        with engine.connect() as conn:
            before = conn.execute(select(runs.c.status).where(runs.c.id == run.id)).scalar_one()
        assert before == "running"  # nothing else marks it: that was the bug
        queries.start_run(engine, "sync", datetime.now(UTC), "ioffice", "incoming")
        with engine.connect() as conn:
            died = conn.execute(select(runs).where(runs.c.id == run.id)).one()
    engine.dispose()
    assert died.status == "died"
    assert died.fetched >= run.fetched > 0
    assert died.finished_at is not None and "stopped without finishing" in died.error


def _wait_for_a_committed_page(engine, process: subprocess.Popen):
    for _ in range(600):
        if process.poll() is not None:
            return None
        with engine.connect() as conn:
            run = conn.execute(
                select(runs).where(runs.c.status == "running", runs.c.fetched > 0)
            ).first()
        if run is not None:
            return run
        time.sleep(0.05)
    return None
