"""Figures that need the real simulators (writes, a moving clock): push and reconcile freshness.

Run as a job of its own (``python -m bench.worker live <documents> 0``): the simulators start in
a process of their own, this process is the bridge. In one fresh store:

1. sync every system, then time a first ``reconcile`` of the whole store;
2. push: time ``push_due`` sending every queued row and reading each back (rows/s, and the
   client's CPU per row), against the floor of two calls per row through the same connectors
   (``push_floor``);
3. freshness: move the simulated clock on ``FRESH_MINUTES`` at a time until a sync brings a
   new or changed record, then time that incremental sync of every system and the
   ``reconcile`` after it: how long from "a new record is there" to "the store has reconciled
   it", with N documents held.

Only public entry points are called (``pipelines.sync``, ``pipelines.reconcile``,
``pipelines.push``), so their improvements show here after a merge.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import requests
from sqlalchemy import Engine

from bench.bridge_jobs import POLICY, prepare
from bench.servers import Simulators

FRESH_MINUTES = 10
MAX_STEPS = 1000  # a week of simulated time


def _connectors(settings: dict[str, Any]) -> dict[str, Any]:
    from connectors.idesk import IDeskConnector
    from connectors.ioffice import IOfficeConnector
    from connectors.tracking import LgspToken, TrackingConnector

    rest, soap, tasks = settings["ioffice"], settings["idesk"], settings["tracking"]
    token = LgspToken(tasks["token_url"], tasks["client_id"], tasks["client_secret"],
                      policy=POLICY)  # fmt: skip
    return {
        "ioffice": IOfficeConnector(
            rest["base_url"], rest["username"], rest["password"], policy=POLICY, page_size=500
        ),
        "idesk": IDeskConnector(
            soap["base_url"], soap["username"], soap["password"], policy=POLICY, page_size=500
        ),
        "tracking": TrackingConnector(tasks["base_url"], token=token, policy=POLICY),
    }


def _sync_all(engine: Engine, connectors: dict[str, Any], catalog) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Every system synced; (records read, records new or changed)."""
    from pipelines import sync

    fetched = moved = 0
    for connector in connectors.values():
        for counts in sync.sync_system(engine, connector, catalog).values():
            fetched += counts.fetched
            moved += counts.new + counts.changed
    return fetched, moved


def _clock(admin: str, minutes: int = 0) -> datetime:
    if minutes:
        answer = requests.post(f"{admin}/clock/advance", json={"minutes": minutes}, timeout=30)
    else:
        answer = requests.get(f"{admin}/clock", timeout=30)
    answer.raise_for_status()
    return datetime.fromisoformat(answer.json()["now"])


def push_floor(engine: Engine, connectors: dict[str, Any]) -> tuple[int, float]:
    """The floor under push: two calls per row pushed, through the same connectors, to the same
    records (a read of the target standing in for the write, then the read-back), with none
    of push's bookkeeping (claim, lease, heartbeat, state). (rows, seconds)."""
    from sqlalchemy import select

    from schemas.codes import OutboxState
    from store.tables import outbox

    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.target_system, outbox.c.operation, outbox.c.target_id).where(
                outbox.c.state == OutboxState.DONE.value
            )
        ).all()
    started = time.perf_counter()
    for system, operation, target in rows:
        connector = connectors[system]
        check = connector.capabilities.read_back.get(operation)
        stream = check.stream if check else sorted(connector.capabilities.read_one)[0]
        connector.read_one(stream, target)
        connector.read_one(stream, target)
    return len(rows), time.perf_counter() - started


def run(documents: int, engine: Engine) -> dict[str, Any]:
    from pipelines import push, reconcile

    catalog = prepare()
    with Simulators(documents) as sim:
        connectors, admin = _connectors(sim.settings), sim.settings["admin"]
        synced, _ = _sync_all(engine, connectors, catalog)
        started = time.perf_counter()
        report = reconcile.reconcile(engine, _clock(admin))
        reconcile_s = time.perf_counter() - started
        queued = report.completions_queued + report.deadlines_queued + report.warnings_queued
        queued += report.extensions_queued

        started, cpu = time.perf_counter(), time.process_time()
        # As a sync run pushes: each system's own senders (push_workers, default 4), a
        # connector each.
        pushed = push.push_due(
            engine, connectors, max_attempts=3, workers={name: 4 for name in connectors},
            connect=lambda name: _connectors(sim.settings)[name],
        )  # fmt: skip
        push_s = time.perf_counter() - started
        # The client's own CPU (this process, every thread): on a shared machine the wall clock
        # says as much about the neighbours as about push.
        push_cpu_s = time.process_time() - cpu
        floor_rows, floor_s = push_floor(engine, connectors)

        # Move the clock on a step at a time until a sync brings something new or changed.
        fresh = minutes = 0
        while not fresh and minutes < FRESH_MINUTES * MAX_STEPS:
            now, minutes = _clock(admin, FRESH_MINUTES), minutes + FRESH_MINUTES
            started = time.perf_counter()
            fresh_read, fresh = _sync_all(engine, connectors, catalog)
            fresh_sync_s = time.perf_counter() - started
        started = time.perf_counter()
        reconcile.reconcile(engine, now)
        fresh_reconcile_s = time.perf_counter() - started
    return {
        "synced": synced,
        "tasks": report.tasks,
        "reconcile_s": reconcile_s,
        "queued": queued,
        "pushed": pushed.done,
        "push_dead": pushed.dead,
        "push_s": push_s,
        "push_cpu_s": push_cpu_s,
        "push_floor_rows": floor_rows,
        "push_floor_s": floor_s,
        "fresh_records": fresh,
        "fresh_read": fresh_read,
        "fresh_minutes": minutes,
        "fresh_sync_s": fresh_sync_s,
        "fresh_reconcile_s": fresh_reconcile_s,
    }
