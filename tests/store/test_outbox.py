"""The outbox: idempotent enqueue, one claimer per row, retries, dead rows, expired leases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from schemas import OutboxState
from store import database, queries
from store import outbox as outbox_store
from store.queries import OutboxItem
from store.tables import outbox
from tests.store.factories import NOW


def _items(n: int, prefix: str = "completion") -> list[OutboxItem]:
    return [
        OutboxItem(
            idempotency_key=f"{prefix}:NV-{i}:rev1",
            target_system="tracking",
            operation="report_completion",
            target_id=f"NV-{i}",
            payload={"task": f"NV-{i}", "evidence": "15/BC-STTTT"},
        )
        for i in range(n)
    ]


def _state(engine, row_id: int) -> tuple[str, int, str | None]:
    with engine.connect() as conn:
        row = conn.execute(
            select(outbox.c.state, outbox.c.attempts, outbox.c.last_error).where(
                outbox.c.id == row_id
            )
        ).one()
    return row.state, row.attempts, row.last_error


def test_enqueue_is_idempotent_by_key(engine):
    assert queries.enqueue_outbox(engine, _items(3), NOW) == 3
    assert queries.enqueue_outbox(engine, _items(4), NOW) == 1
    claimed = queries.claim_outbox(engine, "w1", NOW, limit=10)
    assert [row.target_id for row in claimed] == ["NV-0", "NV-1", "NV-2", "NV-3"]
    # A row already claimed is not reset by the same wish arriving again.
    assert queries.enqueue_outbox(engine, _items(4), NOW) == 0
    assert queries.claim_outbox(engine, "w2", NOW, limit=10) == []


def test_claim_done_and_failure_lifecycle(engine):
    queries.enqueue_outbox(engine, _items(2), NOW)
    first, second = queries.claim_outbox(engine, "w1", NOW, limit=2)
    assert first.attempts == 1 and first.payload["evidence"] == "15/BC-STTTT"

    assert queries.mark_outbox_done(engine, first.id, "w1", NOW)
    state = queries.mark_outbox_failed(
        engine, second.id, "w1", "HTTP 503 from tracking", NOW,
        max_attempts=2, retry_in=timedelta(minutes=1),
    )  # fmt: skip
    assert state is OutboxState.PENDING
    assert _state(engine, first.id)[0] == "done"

    # Not due yet, then due after the back-off.
    assert queries.claim_outbox(engine, "w1", NOW) == []
    again = queries.claim_outbox(engine, "w1", NOW + timedelta(minutes=1))
    assert [row.id for row in again] == [second.id] and again[0].attempts == 2

    state = queries.mark_outbox_failed(
        engine, second.id, "w1", "HTTP 503 again", NOW,
        max_attempts=2, retry_in=timedelta(minutes=1),
    )  # fmt: skip
    assert state is OutboxState.DEAD
    assert _state(engine, second.id) == ("dead", 2, "HTTP 503 again")
    assert queries.claim_outbox(engine, "w1", NOW + timedelta(days=1)) == []

    assert queries.retry_dead_outbox(engine, second.id, NOW)
    assert [row.id for row in queries.claim_outbox(engine, "w1", NOW)] == [second.id]


def _age_claim(engine, row_id: int, minutes: float) -> None:
    """Make a claim look last renewed ``minutes`` ago on the database's clock (this machine's)."""
    with engine.begin() as conn:
        conn.execute(
            update(outbox)
            .where(outbox.c.id == row_id)
            .values(claimed_at=datetime.now(UTC) - timedelta(minutes=minutes))
        )


def test_an_expired_lease_is_reclaimed_and_the_late_worker_cannot_settle(engine):
    queries.enqueue_outbox(engine, _items(1), NOW)
    (row,) = queries.claim_outbox(engine, "crashed", NOW, lease=timedelta(minutes=5))
    _age_claim(engine, row.id, 4)
    assert queries.claim_outbox(engine, "w2", NOW) == []
    _age_claim(engine, row.id, 6)
    (again,) = queries.claim_outbox(engine, "w2", NOW)
    assert again.id == row.id and again.attempts == 2
    assert queries.renew_claims(engine, [row.id], "crashed") == set()
    assert not queries.mark_outbox_done(engine, row.id, "crashed", NOW)
    assert queries.mark_outbox_done(engine, row.id, "w2", NOW)


def test_leases_are_judged_by_the_database_clock_not_the_workers(engine):
    """A worker whose clock runs 10 minutes ahead must not take a claim made a moment ago."""
    queries.enqueue_outbox(engine, _items(2), NOW)
    first, second = queries.claim_outbox(engine, "w1", NOW, limit=2)
    ahead = NOW + timedelta(minutes=10)
    assert queries.claim_outbox(engine, "w2", ahead, lease=timedelta(minutes=5)) == []
    # Only a lease of zero (every claim counts as expired) gives them away.
    taken = queries.claim_outbox(engine, "w2", NOW, lease=timedelta(0))
    assert [row.id for row in taken] == [first.id, second.id]


def test_renewing_keeps_a_claim_past_its_lease_and_only_for_its_holder(engine):
    queries.enqueue_outbox(engine, _items(3), NOW)
    first, second, third = queries.claim_outbox(engine, "w1", NOW, limit=3)
    _age_claim(engine, first.id, 4)
    _age_claim(engine, second.id, 6)
    _age_claim(engine, third.id, 6)  # expired, but nobody takes it over: still w1's
    assert [row.id for row in queries.claim_outbox(engine, "w2", NOW, limit=1)] == [second.id]
    assert queries.renew_claims(engine, [first.id, second.id, third.id], "w1") == {
        first.id,
        third.id,
    }
    assert queries.renew_claims(engine, [first.id], "w2") == set()
    _age_claim(engine, first.id, 4)  # four minutes since the renewal: still held
    assert queries.claim_outbox(engine, "w2", NOW) == []
    assert queries.mark_outbox_done(engine, first.id, "w1", NOW)
    assert queries.renew_claims(engine, [first.id], "w1") == set()  # settled rows stay settled


@pytest.mark.postgres
def test_skip_locked_passes_over_rows_another_claimer_holds(postgres_url):
    database.upgrade(postgres_url)
    engine = database.connect(postgres_url)
    queries.enqueue_outbox(engine, _items(6), NOW)
    with engine.connect() as holder:
        # Another worker's claim transaction, still open, holding the first three rows.
        holder.begin()
        held = (
            holder.execute(text("SELECT id FROM outbox ORDER BY id LIMIT 3 FOR UPDATE SKIP LOCKED"))
            .scalars()
            .all()
        )
        claimed = queries.claim_outbox(engine, "w2", NOW, limit=10)
        holder.rollback()
    assert len(held) == 3
    assert {row.id for row in claimed}.isdisjoint(held)
    assert len(claimed) == 3
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_concurrent_claimers_never_claim_the_same_row(postgres_url):
    database.upgrade(postgres_url)
    engine = database.connect(postgres_url, pool_size=8)
    total = 400
    queries.enqueue_outbox(engine, _items(total), NOW)
    claims: dict[str, list[int]] = {f"w{i}": [] for i in range(4)}
    start = threading.Barrier(len(claims))

    def worker(name: str) -> None:
        start.wait()
        while True:
            rows = queries.claim_outbox(engine, name, NOW, limit=7)
            if not rows:
                return
            claims[name].extend(row.id for row in rows)

    threads = [threading.Thread(target=worker, args=(name,)) for name in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    everything = [row_id for ids in claims.values() for row_id in ids]
    assert len(everything) == total
    assert len(set(everything)) == total, "a row was claimed twice"
    assert sum(1 for ids in claims.values() if ids) >= 2, "only one worker ever got rows"
    engine.dispose()


def _for(system: str, n: int) -> list[OutboxItem]:
    return [
        OutboxItem(f"{system}:{i}", system, "report_progress", f"R-{i}", {"task_id": f"R-{i}"})
        for i in range(n)
    ]


def test_a_failed_row_waits_out_its_back_off_and_claims_are_per_system(engine):
    queries.enqueue_outbox(engine, _for("tracking", 2) + _for("ioffice", 2), NOW)
    first, second = queries.claim_outbox(engine, "w1", NOW, target_system="tracking")
    assert {first.target_system, second.target_system} == {"tracking"}
    state = queries.mark_outbox_failed(
        engine, first.id, "w1", "HTTP 503 from tracking", NOW,
        max_attempts=5, retry_in=timedelta(minutes=4),
    )  # fmt: skip
    assert state is OutboxState.PENDING
    assert outbox_store.due_counts(engine, NOW) == {"ioffice": 2}
    assert outbox_store.systems_with_work(engine, NOW) == ["ioffice", "tracking"]  # one in flight
    assert queries.mark_outbox_done(engine, second.id, "w1", NOW)
    assert outbox_store.systems_with_work(engine, NOW) == ["ioffice"]

    # Not due a second before its back-off ends, due at that instant; no other system's rows.
    early = NOW + timedelta(minutes=4) - timedelta(seconds=1)
    assert queries.claim_outbox(engine, "w2", early, target_system="tracking") == []
    due = NOW + timedelta(minutes=4)
    assert outbox_store.due_counts(engine, due) == {"ioffice": 2, "tracking": 1}
    (again,) = queries.claim_outbox(engine, "w2", due, target_system="tracking")
    assert (again.id, again.attempts) == (first.id, 2)
    ioffice = queries.claim_outbox(engine, "w2", NOW, target_system="ioffice")
    assert [row.target_system for row in ioffice] == ["ioffice", "ioffice"]


def test_released_claims_are_due_again_without_counting_an_attempt(engine):
    queries.enqueue_outbox(engine, _for("tracking", 3), NOW)
    rows = queries.claim_outbox(engine, "w1", NOW, target_system="tracking")
    ids = [row.id for row in rows]
    # Another worker's release of rows it does not hold changes nothing.
    assert outbox_store.release_claims(engine, ids[1:], "w2", NOW) == 0
    assert outbox_store.release_claims(engine, ids[1:], "w1", NOW) == 2
    assert [_state(engine, row_id) for row_id in ids] == [
        ("in_flight", 1, None), ("pending", 0, None), ("pending", 0, None),
    ]  # fmt: skip
    assert queries.renew_claims(engine, ids, "w1") == {ids[0]}
    again = queries.claim_outbox(engine, "w3", NOW)
    assert [(row.id, row.attempts) for row in again] == [(ids[1], 1), (ids[2], 1)]
