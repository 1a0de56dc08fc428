"""Convergence: a 10,000-document world, faults on one request in ten, runs while the clock moves.

The mission's promise in one test: whatever the network does, repeated sync → reconcile → push
runs end with the store equal to the simulators' ground truth (documents, tasks, links) and every
due completion written to the tracking ledger exactly once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from connectors.http import ConnectorError, RetryPolicy
from connectors.ioffice import IOfficeConnector
from connectors.tracking import LgspToken, TrackingConnector
from pipelines import push, reconcile, sync
from simulators.harness import SimulatorCluster
from store import database
from store.tables import dead_letters, documents, outbox, task_document_links, tasks

# One request in ten meets a fault, spread over every kind a connector must survive. Timeouts
# are left to tests/integration/test_connectors.py: each costs its full wait.
FAULTS = {
    "ioffice": {
        "http_5xx": {"rate": 0.025}, "truncated": {"rate": 0.02}, "rate_limit": {"rate": 0.005},
        "malformed": {"rate": 0.01}, "duplicate": {"rate": 0.01}, "shifting": {"rate": 0.01},
        "token_expiry": {"rate": 0.01}, "lost_response": {"rate": 0.02},
    },
    "tracking": {
        "http_5xx": {"rate": 0.02}, "truncated": {"rate": 0.02}, "soap_fault": {"rate": 0.02},
        "malformed": {"rate": 0.01}, "duplicate": {"rate": 0.01}, "shifting": {"rate": 0.01},
        "lost_response": {"rate": 0.01},
    },
}  # fmt: skip
PATIENT = RetryPolicy(max_attempts=6, backoff_initial_s=0.01, backoff_max_s=0.1)
STEP_MINUTES = 240
CYCLES = 8


def _connectors(sim: SimulatorCluster) -> dict:
    token = LgspToken(sim.token_url, **sim.tracking_credentials, policy=PATIENT)
    return {
        "ioffice": IOfficeConnector(sim.ioffice_url, **sim.ioffice_credentials, policy=PATIENT),
        "tracking": TrackingConnector(sim.tracking_url, token=token, policy=PATIENT),
    }


def _sync(engine, connectors, catalog) -> int:
    """Every system's scheduled sync; one that stays down fails its job, as the scheduler's
    would, and the next round makes it good."""
    failed_jobs = 0
    for connector in connectors.values():
        try:
            sync.sync_system(engine, connector, catalog)
            sync.reread_rejected(engine, connector, catalog)
        except ConnectorError:
            failed_jobs += 1
    return failed_jobs


def _cycle(sim, engine, connectors, catalog, push_delay: timedelta = timedelta(0)) -> int:
    failed_jobs = _sync(engine, connectors, catalog)
    now = datetime.fromisoformat(sim.now())
    reconcile.reconcile(engine, now)
    # The outbox's back-off runs on the bridge's clock: ``push_delay`` lets retries fall due
    # while the simulated world stands still.
    push.push_due(engine, connectors, max_attempts=8, clock=lambda: now + push_delay)
    return failed_jobs


@pytest.mark.slow
def test_ten_thousand_documents_with_faults_converge_to_the_ground_truth(sqlite_url):
    database.upgrade(sqlite_url)
    engine = database.connect(sqlite_url)
    with SimulatorCluster(size=10_000, seed=13) as sim:
        for server, faults in FAULTS.items():
            sim.set_faults(server, **faults)
        connectors, catalog = _connectors(sim), sync.Catalog.load()
        failed_jobs = 0
        for _ in range(CYCLES):
            failed_jobs += _cycle(sim, engine, connectors, catalog)
            sim.advance(minutes=STEP_MINUTES)
        # The world stands still while the bridge catches up: rows waiting out a back-off fall
        # due, and a last sync reads back what the last push wrote.
        for hours in (1, 2, 4):
            failed_jobs += _cycle(sim, engine, connectors, catalog, timedelta(hours=hours))
        failed_jobs += _sync(engine, connectors, catalog)
        again = reconcile.reconcile(engine, datetime.fromisoformat(sim.now()))
        assert again.completions_queued == 0, "a due completion was still waiting"

        _assert_store_equals_ground_truth(sim, engine)
        _assert_every_due_completion_written_once(sim)
        print(f"\n{failed_jobs} scheduled job(s) failed along the way and were made good later")
    engine.dispose()


def _rows(engine, query) -> list:
    with engine.connect() as conn:
        return list(conn.execute(query))


def _assert_store_equals_ground_truth(sim: SimulatorCluster, engine) -> None:
    truth_documents = {str(d["id"]) for d in sim.ground_truth("documents") if not d["secrecy"]}
    # Secret replies are never stored (docs/domain.md §3).
    truth_outgoing = {str(o["id"]) for o in sim.ground_truth("outgoing") if not o["secrecy"]}
    stored = _rows(engine, select(documents.c.source_id, documents.c.direction))
    assert {s for s, direction in stored if direction == "incoming"} == truth_documents
    assert {s for s, direction in stored if direction == "outgoing"} == truth_outgoing
    assert len(truth_documents) > 9_000

    truth_tasks = {
        t["id"]: (t["status"].lower(), _instant(t["deadline"]), _instant(t["completed_at"]))
        for t in sim.ground_truth("tasks")
    }
    stored_tasks = {
        source_id: (status, deadline, completed)
        for source_id, status, deadline, completed in _rows(
            engine,
            select(tasks.c.source_id, tasks.c.status, tasks.c.deadline, tasks.c.completed_at),
        )
    }
    assert stored_tasks == truth_tasks

    truth_links = {
        o["task_id"]: str(o["id"])
        for o in sim.ground_truth("outgoing")
        if o["task_id"] and not o["secrecy"]
    }
    query = (
        select(tasks.c.source_id, documents.c.source_id)
        .join(task_document_links, task_document_links.c.task_id == tasks.c.id)
        .join(documents, documents.c.id == task_document_links.c.document_id)
        .where(task_document_links.c.role == "response")
    )
    assert dict(_rows(engine, query)) == truth_links

    assert (
        _rows(engine, select(dead_letters.c.source_id).where(dead_letters.c.resolved_at.is_(None)))
        == []
    )
    states = {state for (state,) in _rows(engine, select(outbox.c.state))}
    assert states <= {"done"}, f"outbox rows left in {states - {'done'}}"


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _assert_every_due_completion_written_once(sim: SimulatorCluster) -> None:
    now = datetime.fromisoformat(sim.now())
    answered = {
        o["task_id"] for o in sim.ground_truth("outgoing")
        if o["task_id"] and not o["secrecy"] and datetime.fromisoformat(o["issued_at"]) <= now
    }  # fmt: skip
    by_hand = {t["id"] for t in sim.ground_truth("tasks") if t["completion_source"] == "clerk"}
    applied = [
        w["target"]
        for w in sim.ground_truth("writes")
        if w["operation"] == "ReportCompletion" and w["outcome"] == "applied"
    ]
    assert len(applied) == len(set(applied)), "a completion was written twice"
    assert set(applied) == answered - by_hand
    completed = {t["id"] for t in sim.ground_truth("tasks") if t["completed_at"]}
    assert completed == answered
