"""Push against the simulated tracking system and iOffice: sent once, confirmed, or dead."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from connectors.http import RetryPolicy, Timeouts
from connectors.ioffice import IOfficeConnector
from connectors.tracking import LgspToken, TrackingConnector
from pipelines import push
from simulators.harness import SimulatorCluster
from store import queries
from store.queries import OutboxItem
from store.tables import outbox

FAST = RetryPolicy(max_attempts=2, backoff_initial_s=0.01, backoff_max_s=0.02)
SHORT = Timeouts(connect_s=2, read_s=2)


@pytest.fixture(scope="module")
def sim():
    with SimulatorCluster(size=800, seed=13) as cluster:
        yield cluster


@pytest.fixture(autouse=True)
def _clean_faults(sim):
    sim.clear_faults()
    yield
    sim.clear_faults()


@pytest.fixture
def connectors(sim):
    token = LgspToken(sim.token_url, **sim.tracking_credentials, policy=FAST, timeouts=SHORT)
    return {
        "tracking": TrackingConnector(sim.tracking_url, token=token, policy=FAST, timeouts=SHORT),
        "ioffice": IOfficeConnector(
            sim.ioffice_url, **sim.ioffice_credentials, policy=FAST, timeouts=SHORT
        ),
    }


def _open_tasks(sim):
    now = datetime.fromisoformat(sim.now())
    return [
        t for t in sim.ground_truth("tasks")
        if t["status"] != "DONE" and t["deadline"] and datetime.fromisoformat(t["deadline"]) > now
    ]  # fmt: skip


def _completion(task_id: str, sim) -> OutboxItem:
    now = sim.now()
    return OutboxItem(
        idempotency_key=f"completion:{task_id}:{uuid.uuid4().hex[:8]}",
        target_system="tracking",
        operation="report_completion",
        target_id=task_id,
        payload={
            "task_id": task_id,
            "completed_at": now,
            "evidence": {
                "NumberNotation": "15/STTTT-VP",
                "IssuerCode": "000.00.30.H41",
                "IssuedAt": now,
                "Abstract": "V/v báo cáo kết quả thực hiện nhiệm vụ",
            },
        },
    )


def _ledger(sim, key: str) -> list[str]:
    return [w["outcome"] for w in sim.ground_truth("writes") if w["idempotency_key"] == key]


def _row(engine, key: str):
    with engine.connect() as conn:
        return conn.execute(select(outbox).where(outbox.c.idempotency_key == key)).one()


def test_a_completion_is_sent_confirmed_and_done(sim, engine, connectors):
    task = _open_tasks(sim)[0]
    item = _completion(task["id"], sim)
    queries.enqueue_outbox(engine, [item], datetime.now(UTC))
    counts = push.push_due(engine, connectors, max_attempts=3)
    assert (counts.claimed, counts.done) == (1, 1)
    assert _ledger(sim, item.idempotency_key) == ["applied"]
    truth = next(t for t in sim.ground_truth("tasks") if t["id"] == task["id"])
    assert truth["status"] == "DONE" and truth["timeliness"] == "ON_TIME"
    assert _row(engine, item.idempotency_key).state == "done"


def test_a_lost_answer_is_resent_with_its_key_and_applied_once(sim, engine, connectors):
    task = _open_tasks(sim)[0]
    item = _completion(task["id"], sim)
    queries.enqueue_outbox(engine, [item], datetime.now(UTC))
    sim.set_faults("tracking", lost_response={"next": 1})
    counts = push.push_due(engine, connectors, max_attempts=3)
    assert counts.done == 1
    assert _ledger(sim, item.idempotency_key) == ["applied", "replayed"]


def test_a_system_that_stays_down_makes_the_row_dead_after_its_attempts(sim, engine, connectors):
    task = _open_tasks(sim)[0]
    item = _completion(task["id"], sim)
    queries.enqueue_outbox(engine, [item], datetime.now(UTC))
    sim.set_faults("tracking", http_5xx={"rate": 1.0})
    first = push.push_due(engine, connectors, max_attempts=2)
    assert (first.retrying, first.dead) == (1, 0)
    later = datetime.now(UTC) + timedelta(hours=1)
    second = push.push_due(engine, connectors, max_attempts=2, clock=lambda: later)
    assert second.dead == 1
    row = _row(engine, item.idempotency_key)
    assert row.state == "dead" and row.attempts == 2
    assert "HTTP 50" in row.last_error  # from the token endpoint or the SOAP service
    assert _ledger(sim, item.idempotency_key) == []


def test_a_refusal_is_dead_at_once_with_the_record_named(sim, engine, connectors):
    item = _completion("NV-DOES-NOT-EXIST", sim)
    queries.enqueue_outbox(engine, [item], datetime.now(UTC))
    counts = push.push_due(engine, connectors, max_attempts=5)
    assert counts.dead == 1
    row = _row(engine, item.idempotency_key)
    assert row.state == "dead" and row.attempts == 1
    assert "record NV-DOES-NOT-EXIST" in row.last_error


def test_ioffice_deadline_write_is_confirmed_by_reading_back(sim, engine, connectors):
    document = next(
        d for d in sim.ground_truth("documents")
        if not d["processing_deadline"] and not d["secrecy"]
    )  # fmt: skip
    item = OutboxItem(
        idempotency_key=f"deadline:{document['id']}",
        target_system="ioffice",
        operation="set_processing_deadline",
        target_id=str(document["id"]),
        payload={"document_id": document["id"], "deadline": "2024-03-15"},
    )
    queries.enqueue_outbox(engine, [item], datetime.now(UTC))
    assert push.push_due(engine, connectors, max_attempts=3).done == 1
    assert connectors["ioffice"].get("incoming", document["id"])["hanXuLy"] == "2024-03-15"


def test_dry_run_describes_in_vietnamese_and_sends_nothing(sim, engine):
    task = _open_tasks(sim)[0]
    item = _completion(task["id"], sim)
    queries.enqueue_outbox(engine, [item], datetime.now(UTC))
    lines = push.dry_run(engine)
    assert len(lines) == 1
    assert f"Báo cáo hoàn thành nhiệm vụ {task['id']} với văn bản 15/STTTT-VP" in lines[0]
    assert lines[0].startswith("#1 [Theo dõi nhiệm vụ]")
    assert _ledger(sim, item.idempotency_key) == []
    assert _row(engine, item.idempotency_key).state == "pending"


def test_a_deadline_someone_set_first_is_done_not_dead(sim, engine, connectors):
    # iOffice refuses with HTTP 409 and DEADLINE_EXISTS in its envelope: the deadline is there
    # already (set by a person or an earlier run), so the row is settled, never a failure.
    document = next(
        d for d in sim.ground_truth("documents")
        if d["processing_deadline"] and not d["secrecy"]
    )  # fmt: skip
    item = OutboxItem(
        idempotency_key=f"deadline-exists:{document['id']}",
        target_system="ioffice",
        operation="set_processing_deadline",
        target_id=str(document["id"]),
        payload={"document_id": document["id"], "deadline": "2024-03-15"},
    )
    queries.enqueue_outbox(engine, [item], datetime.now(UTC))
    counts = push.push_due(engine, connectors, max_attempts=3)
    assert (counts.done, counts.dead) == (1, 0)
    assert _row(engine, item.idempotency_key).state == "done"
