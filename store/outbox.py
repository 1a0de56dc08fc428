"""The outbox: changes the bridge wants made in other systems, queued, claimed, settled.

``claim_outbox`` hands each pending row to exactly one worker: one UPDATE whose candidate rows
are chosen with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the single statement runs
under the database's write lock, which serialises claimers. Leases are judged by the
database's clock and renewed by their holder (``renew_claims``), so one holder at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Engine,
    Row,
    Select,
    Update,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)

from schemas import OutboxState
from store.tables import outbox
from store.upsert import upsert as _upsert


@dataclass(frozen=True)
class OutboxItem:
    """A change the bridge wants made in another system."""

    idempotency_key: str
    target_system: str
    operation: str
    target_id: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class ClaimedRow:
    id: int
    idempotency_key: str
    target_system: str
    operation: str
    target_id: str
    payload: dict[str, Any]
    attempts: int


def enqueue_outbox(engine: Engine, items: Sequence[OutboxItem], now: datetime) -> int:
    """Add items that are not there yet; an existing idempotency key is left untouched.

    Returns how many were new. Reconcile may run any number of times: the key makes the
    second run's identical wish a no-op instead of a second update.
    """
    if not items:
        return 0
    with engine.begin() as conn:
        keys = [item.idempotency_key for item in items]
        before = conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.idempotency_key.in_(keys))
        ).scalar_one()
        _upsert(
            conn,
            outbox,
            [
                {
                    "idempotency_key": item.idempotency_key,
                    "target_system": item.target_system,
                    "operation": item.operation,
                    "target_id": item.target_id,
                    "payload": item.payload,
                    "state": OutboxState.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for item in items
            ],
            key=("idempotency_key",),
            update_existing=False,
        )
        return len(set(keys)) - before


DEFAULT_LEASE = timedelta(minutes=5)


def database_now(engine: Engine, offset: timedelta = timedelta(0)) -> ColumnElement[Any]:
    """The database's own clock (plus ``offset``) as an SQL expression, for claim leases.

    Leases are judged by one clock shared by every worker, never by a worker's own: a worker
    whose clock runs ten minutes ahead must not think another worker's fresh claim expired.
    On SQLite the value is text in the exact format ``UTCDateTime`` stores (SQLite compares
    timestamps as text); on PostgreSQL it is ``now()``, the start of the (short) transaction.
    """
    return _database_now(engine.dialect.name, offset)


def _database_now(dialect: str, offset: timedelta = timedelta(0)) -> ColumnElement[Any]:
    if dialect == "sqlite":
        seconds = f"{offset.total_seconds():+.6f} seconds"
        return func.strftime("%Y-%m-%d %H:%M:%f000", "now", seconds)
    return func.now() + offset


# The statements push runs for every row (claim, renew, settle) are built once per dialect and
# shape and run with bound values: building and cache-keying a fresh SQLAlchemy statement cost
# about four times what running it costs on SQLite, which was a fifth of push's CPU per row.
def _now() -> BindParameter[datetime]:
    return bindparam("now", type_=outbox.c.updated_at.type)


def _worker() -> BindParameter[str]:
    return bindparam("worker", type_=outbox.c.claimed_by.type)


@lru_cache(maxsize=32)
def _claim_statement(dialect: str, limit: int, lease: timedelta, by_system: bool) -> Update:
    due = or_(
        and_(outbox.c.state == OutboxState.PENDING.value, outbox.c.next_attempt_at <= _now()),
        and_(
            outbox.c.state == OutboxState.IN_FLIGHT.value,
            outbox.c.claimed_at <= _database_now(dialect, -lease),
        ),
    )
    if by_system:
        due = and_(
            outbox.c.target_system == bindparam("system", type_=outbox.c.target_system.type), due
        )
    candidates: Select[Any] = select(outbox.c.id).where(due).order_by(outbox.c.id).limit(limit)
    if dialect == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    return (
        update(outbox)
        .where(outbox.c.id.in_(candidates.scalar_subquery()))
        .values(
            state=OutboxState.IN_FLIGHT.value,
            claimed_by=_worker(),
            claimed_at=_database_now(dialect),
            attempts=outbox.c.attempts + 1,
            updated_at=_now(),
        )
        .returning(
            outbox.c.id,
            outbox.c.idempotency_key,
            outbox.c.target_system,
            outbox.c.operation,
            outbox.c.target_id,
            outbox.c.payload,
            outbox.c.attempts,
        )
    )


def claim_outbox(
    engine: Engine,
    worker: str,
    now: datetime,
    *,
    limit: int = 50,
    lease: timedelta = DEFAULT_LEASE,
    target_system: str | None = None,
) -> list[ClaimedRow]:
    """Claim up to ``limit`` due rows for ``worker`` (of ``target_system`` only, when given:
    push gives each system its own senders and time budget); no two workers ever get the same
    row.

    ``now`` (the worker's clock) decides which pending rows are due after their back-off
    (``next_attempt_at``); a skewed clock only makes a retry early or late, never twice, and a
    test can drive it from a simulated clock. The lease is judged by the database's clock
    (``database_now``): an in-flight row is claimable again only when its holder has not
    renewed it for ``lease``, so a holder that died lets go, and a live holder renewing its
    claims (``renew_claims``) keeps them however slow its batch is. Its idempotency key makes
    a send after a dead holder's harmless. Each claim counts as an attempt, so a row that
    crashes its worker every time still reaches the dead state.
    """
    stmt = _claim_statement(engine.dialect.name, limit, lease, target_system is not None)
    values = {"now": now, "worker": worker}
    if target_system is not None:
        values["system"] = target_system
    with engine.begin() as conn:
        claimed = [ClaimedRow(**row._mapping) for row in conn.execute(stmt, values)]
    return sorted(claimed, key=lambda row: row.id)


def renew_claims(engine: Engine, row_ids: Sequence[int], worker: str) -> set[int]:
    """Extend ``worker``'s claims on ``row_ids`` by the database's clock; the ids it still holds.

    One atomic UPDATE ``… WHERE claimed_by = worker AND state = in_flight … RETURNING id``: a
    row another worker took over is missing from the answer and must not be sent. A claim whose
    lease ran out but that nobody took over is still this worker's and is renewed: a takeover
    (``claim_outbox``) and a renewal are each one statement on the locked row, so exactly one
    of them wins. Push calls this right before each send and, from a heartbeat, while a slow
    send or batch is under way.
    """
    if not row_ids:
        return set()
    values = {"ids": list(row_ids), "worker": worker}
    with engine.begin() as conn:
        return set(conn.execute(_renew_statement(engine.dialect.name), values).scalars())


@lru_cache(maxsize=4)
def _renew_statement(dialect: str) -> Update:
    return (
        update(outbox)
        .where(outbox.c.id.in_(bindparam("ids", expanding=True)), _held_by_worker())
        .values(claimed_at=_database_now(dialect))
        .returning(outbox.c.id)
    )


def release_claims(engine: Engine, row_ids: Sequence[int], worker: str, now: datetime) -> int:
    """Hand back ``worker``'s claims on rows it did not send (its run's time was up): pending
    again, due as before, and the claim not counted as an attempt. Returns how many."""
    if not row_ids:
        return 0
    stmt = (
        update(outbox)
        .where(outbox.c.id.in_(list(row_ids)), _held_by(worker))
        .values(
            state=OutboxState.PENDING.value,
            attempts=outbox.c.attempts - 1,
            claimed_by=None,
            claimed_at=None,
            updated_at=now,
        )
    )
    with engine.begin() as conn:
        return conn.execute(stmt).rowcount


def _held_by(worker: str) -> ColumnElement[bool]:
    return and_(outbox.c.claimed_by == worker, outbox.c.state == OutboxState.IN_FLIGHT.value)


def _held_by_worker() -> ColumnElement[bool]:
    """``_held_by`` with the worker bound at execution (``worker``), for prebuilt statements."""
    return and_(outbox.c.claimed_by == _worker(), outbox.c.state == OutboxState.IN_FLIGHT.value)


def _owned() -> ColumnElement[bool]:
    # Only the worker holding the claim may settle a row: if its lease expired and another
    # worker re-claimed it, the late first worker's verdict is ignored.
    return and_(outbox.c.id == bindparam("row_id", type_=outbox.c.id.type), _held_by_worker())


_MARK_DONE = (
    update(outbox)
    .where(_owned())
    .values(state=OutboxState.DONE.value, done_at=_now(), updated_at=_now(), last_error=None)
)
_HELD_ATTEMPTS = select(outbox.c.attempts).where(_owned())
_MARK_FAILED = (
    update(outbox)
    .where(_owned())
    .values(
        state=bindparam("state", type_=outbox.c.state.type),
        last_error=bindparam("error", type_=outbox.c.last_error.type),
        next_attempt_at=bindparam("due", type_=outbox.c.next_attempt_at.type),
        claimed_by=None,
        claimed_at=None,
        updated_at=_now(),
    )
)


def mark_outbox_done(engine: Engine, row_id: int, worker: str, now: datetime) -> bool:
    """Record that the target confirmed the change. False if the claim was lost meanwhile."""
    with engine.begin() as conn:
        result = conn.execute(_MARK_DONE, {"row_id": row_id, "worker": worker, "now": now})
    return result.rowcount == 1


def mark_outbox_failed(
    engine: Engine,
    row_id: int,
    worker: str,
    error: str,
    now: datetime,
    *,
    max_attempts: int,
    retry_in: timedelta,
) -> OutboxState | None:
    """Record a failed attempt: back to pending after ``retry_in``, or dead after the last one.

    Returns the new state, or None if the claim was lost meanwhile.
    """
    held = {"row_id": row_id, "worker": worker}
    with engine.begin() as conn:
        attempts = conn.execute(_HELD_ATTEMPTS, held).scalar_one_or_none()
        if attempts is None:
            return None
        state = OutboxState.DEAD if attempts >= max_attempts else OutboxState.PENDING
        conn.execute(
            _MARK_FAILED,
            {**held, "state": state.value, "error": error, "due": now + retry_in, "now": now},
        )
    return state


def retry_dead_outbox(engine: Engine, row_id: int, now: datetime) -> bool:
    """Give a dead row a fresh set of attempts (`bridge failures --retry`)."""
    with engine.begin() as conn:
        result = conn.execute(
            update(outbox)
            .where(outbox.c.id == row_id, outbox.c.state == OutboxState.DEAD.value)
            .values(
                state=OutboxState.PENDING.value, attempts=0, next_attempt_at=now, updated_at=now
            )
        )
    return result.rowcount == 1


# --- read without claiming -----------------------------------------------------------------


def due_rows(engine: Engine, now: datetime) -> list[Row[Any]]:
    """Pending rows due at ``now`` (id, operation, target system, payload), oldest first;
    nothing is claimed (`bridge push --dry-run`)."""
    query = (
        select(outbox.c.id, outbox.c.operation, outbox.c.target_system, outbox.c.payload)
        .where(outbox.c.state == OutboxState.PENDING.value, outbox.c.next_attempt_at <= now)
        .order_by(outbox.c.id)
    )
    with engine.connect() as conn:
        return list(conn.execute(query))


def systems_with_work(engine: Engine, now: datetime) -> list[str]:
    """The target systems that have rows due at ``now`` or in flight (a claim whose holder
    may have died is taken over once its lease runs out)."""
    query = (
        select(outbox.c.target_system)
        .where(
            or_(
                and_(outbox.c.state == OutboxState.PENDING.value, outbox.c.next_attempt_at <= now),
                outbox.c.state == OutboxState.IN_FLIGHT.value,
            )
        )
        .distinct()
        .order_by(outbox.c.target_system)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def due_counts(engine: Engine, now: datetime) -> dict[str, int]:
    """Target system → how many of its pending rows are due at ``now`` (what a push whose
    time ran out left for the next run)."""
    query = (
        select(outbox.c.target_system, func.count())
        .where(outbox.c.state == OutboxState.PENDING.value, outbox.c.next_attempt_at <= now)
        .group_by(outbox.c.target_system)
    )
    with engine.connect() as conn:
        return {system: count for system, count in conn.execute(query)}


def latest_rows_by_target(conn: Connection, operation: str, target_system: str) -> dict[str, Row]:
    """Target id → its latest outbox row (state, last error, updated at) of ``operation``."""
    query = (
        select(outbox.c.target_id, outbox.c.state, outbox.c.last_error, outbox.c.updated_at)
        .where(outbox.c.operation == operation, outbox.c.target_system == target_system)
        .order_by(outbox.c.id)
    )
    return {row.target_id: row for row in conn.execute(query)}


def done_counts_by_operation(engine: Engine) -> dict[str, int]:
    """Operation → how many of its rows the targets confirmed."""
    query = (
        select(outbox.c.operation, func.count())
        .where(outbox.c.state == OutboxState.DONE.value)
        .group_by(outbox.c.operation)
    )
    with engine.connect() as conn:
        return {operation: count for operation, count in conn.execute(query)}
