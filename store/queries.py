"""The operations the pipeline needs from the store, each in as few statements as it can.

Two guarantees live here:

* ``write_page`` writes a page's records, its rejects, its secret counts and the new cursor in
  one transaction. A crash anywhere in it leaves the store as it was, so the cursor can never
  be ahead of the data (DESIGN.md, "One transaction per page").
* ``claim_outbox`` hands each pending row to exactly one worker: one UPDATE whose candidate
  rows are chosen with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the single statement
  runs under the database's write lock, which serialises claimers. Leases are judged by the
  database's clock and renewed by their holder (``renew_claims``), so one holder at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from schemas import Assignment, Directive, Document, OutboxState, Task
from store import fits, secret_digests
from store import rows as to_row
from store.fits import RECORD_REFUSALS, is_connection_error
from store.run_log import (  # noqa: F401 - the store's run operations, re-exported
    RUN_COUNTERS,
    STALE_RUN_AFTER,
    finish_run,
    mark_dead_runs,
    record_run_progress,
    start_run,
    this_worker,
)
from store.secret_digests import SecretOutcome, SecretRecord
from store.tables import (
    assignments,
    dead_letters,
    directives,
    documents,
    outbox,
    runs,
    secret_skips,
    source_records,
    sync_cursors,
    task_document_links,
    tasks,
)

# --- values passed in and out -------------------------------------------------------------


@dataclass(frozen=True)
class SourceRecord:
    """A raw record as received, with the hash that tells whether it changed."""

    source_id: str
    content_hash: str
    payload: dict[str, Any]
    changed_at: datetime | None = None


@dataclass(frozen=True)
class DeadLetter:
    """A record that could not be read or normalised, with the reason naming field and value."""

    source_id: str
    reason: str
    payload: dict[str, Any] | None = None


@dataclass
class Page:
    """Everything one page of one (system, stream) produced, written together or not at all.

    ``cursor`` is the source's change marker to store after this page; ``None`` leaves the live
    cursor where it is (a resync uses the same path without moving it).
    """

    system: str
    stream: str
    source_records: list[SourceRecord] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    directives: list[Directive] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    secret_skips: Counter[tuple[str, date]] = field(default_factory=Counter)
    # Secret records met on the page: counted once per document (not per read) into
    # ``secret_skips`` and purged from every table (store/secret_digests.py).
    secrets: list[SecretRecord] = field(default_factory=list)
    cursor: str | None = None
    # Records read cleanly on this page (new, changed or unchanged): an open dead letter of
    # one of them was a passing fault (a truncated or corrupted page) and is resolved.
    read_cleanly: list[str] = field(default_factory=list)
    # The run this page belongs to and its counters so far, written with the page.
    run_id: int | None = None
    run_counts: dict[str, int] = field(default_factory=dict)


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


# --- upsert that works on both databases -----------------------------------------------------


def _upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    *,
    add_to: Sequence[str] = (),
    keep: Sequence[str] = (),
    update_existing: bool = True,
) -> None:
    """Insert ``rows``; where ``key`` already exists, overwrite the other columns.

    Columns in ``add_to`` are summed with the stored value instead (counters); columns in
    ``keep`` keep their stored value (first-seen times); with ``update_existing=False`` an
    existing row is left as it is. One multi-row statement per call.
    """
    if not rows:
        return
    if len(rows) > 1:
        # One statement may not touch a row twice (PostgreSQL refuses ON CONFLICT DO UPDATE
        # then): two items of one page with the same key (an id sent twice, two aliases of one
        # unit) are one row, the last one wins.
        unique = {tuple(row[k] for k in key): row for row in rows}
        if len(unique) < len(rows):
            rows = list(unique.values())
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = dialect_insert(table)
    if not update_existing:
        conn.execute(stmt.on_conflict_do_nothing(index_elements=list(key)), list(rows))
        return
    changes: dict[str, Any] = {}
    for column in rows[0]:
        if column in key or column in keep:
            continue
        incoming = stmt.excluded[column]
        changes[column] = table.c[column] + incoming if column in add_to else incoming
    if changes:
        stmt = stmt.on_conflict_do_update(index_elements=list(key), set_=changes)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
    conn.execute(stmt, list(rows))


# --- ingest --------------------------------------------------------------------------------


def known_hashes(conn: Connection, system: str, stream: str, source_ids: Iterable[str]) -> dict:
    """The stored content hash of each of ``source_ids`` that we have seen before."""
    ids = list(source_ids)
    if not ids:
        return {}
    query = select(source_records.c.source_id, source_records.c.content_hash).where(
        source_records.c.system == system,
        source_records.c.stream == stream,
        source_records.c.source_id.in_(ids),
    )
    return dict(conn.execute(query).all())


def get_cursor(conn: Connection, system: str, stream: str) -> str | None:
    query = select(sync_cursors.c.cursor).where(
        sync_cursors.c.system == system, sync_cursors.c.stream == stream
    )
    return conn.execute(query).scalar_one_or_none()


def write_page(engine: Engine, page: Page, now: datetime) -> SecretOutcome:
    """Write one page and move its cursor, atomically (see the module docstring); returns what
    the page's secret records did (documents counted for the first time, records purged)."""
    with engine.begin() as conn:
        return _write_page(conn, page, now)


def page_refusal(engine: Engine, page: Page, now: datetime) -> str | None:
    """Why the store would refuse ``page`` (a column it does not fit, or the database's own
    error), or None if it would take it. Writes nothing: the trial is rolled back.

    Ingest uses it to find, record by record, the one a failed page write tripped on, so
    only that record becomes a dead letter. An error of the connection itself (the database
    is down, a lock timed out) is raised, not blamed on a record.
    """
    misfit = fits.page_misfit(page, now)
    if misfit:
        return misfit
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            _write_page(conn, page, now)
        except RECORD_REFUSALS as exc:
            if is_connection_error(exc):
                raise
            return fits.describe_refusal(exc)
        finally:
            transaction.rollback()
    return None


def _write_page(conn: Connection, page: Page, now: datetime) -> SecretOutcome:
    secret = secret_digests.record(conn, page.system, page.secrets, now)
    _upsert(
        conn,
        source_records,
        [
            {
                "system": page.system,
                "stream": page.stream,
                "source_id": r.source_id,
                "content_hash": r.content_hash,
                "payload": r.payload,
                "changed_at": r.changed_at,
                "first_seen_at": now,
                "last_seen_at": now,
            }
            for r in page.source_records
        ],
        key=("system", "stream", "source_id"),
        keep=("first_seen_at",),
    )
    _upsert(
        conn,
        documents,
        [to_row.document_row(d, now) for d in page.documents],
        key=("system", "source_id"),
    )
    _upsert(
        conn,
        directives,
        [to_row.directive_row(d, now) for d in page.directives],
        key=("system", "source_id"),
    )
    _upsert(
        conn,
        assignments,
        [to_row.assignment_row(a, now) for a in page.assignments],
        key=("system", "document_source_id", "unit_id", "role"),
    )
    _upsert(
        conn,
        tasks,
        [to_row.task_row(t, now) for t in page.tasks],
        key=("system", "source_id"),
    )
    _upsert(
        conn,
        dead_letters,
        [
            {
                "system": page.system,
                "stream": page.stream,
                **fits.fitting_dead_letter(d.source_id, d.reason, d.payload),
                "first_seen_at": now,
                "last_seen_at": now,
                "count": 1,
                "resolved_at": None,
            }
            for d in page.dead_letters
        ],
        key=("system", "stream", "source_id"),
        add_to=("count",),
        keep=("first_seen_at",),
    )
    _resolve_healed(conn, page, now)
    _upsert(
        conn,
        secret_skips,
        [
            {"system": page.system, "unit_id": unit, "day": day, "count": count}
            for (unit, day), count in sorted(
                _fitting_units(page.secret_skips + secret.counted).items()
            )
        ],
        key=("system", "unit_id", "day"),
        add_to=("count",),
    )
    if page.run_id is not None:
        record_run_progress(conn, page.run_id, now, page.run_counts)
    if page.cursor is not None:
        _upsert(
            conn,
            sync_cursors,
            [
                {
                    "system": page.system,
                    "stream": page.stream,
                    "cursor": page.cursor,
                    "updated_at": now,
                }
            ],
            key=("system", "stream"),
        )

    return secret


def _fitting_units(skips: Counter[tuple[str, date]]) -> Counter[tuple[str, date]]:
    # A unit id the column cannot hold is counted under the unknown unit (''), never refused:
    # a secret document's count must not fail its page.
    fitted: Counter[tuple[str, date]] = Counter()
    for (unit, day), count in skips.items():
        fitted[(unit if fits.fits_id(unit) else "", day)] += count
    return fitted


def _resolve_healed(conn: Connection, page: Page, now: datetime) -> None:
    still_bad = {d.source_id for d in page.dead_letters}
    healed = [source_id for source_id in page.read_cleanly if source_id not in still_bad]
    if not healed:
        return
    conn.execute(
        update(dead_letters)
        .where(
            dead_letters.c.system == page.system,
            dead_letters.c.stream == page.stream,
            dead_letters.c.source_id.in_(healed),
            dead_letters.c.resolved_at.is_(None),
        )
        .values(resolved_at=now)
    )


def open_dead_letter_ids(engine: Engine, system: str, stream: str, limit: int) -> list[str]:
    """Source ids of open dead letters that name a real record (not a content hash)."""
    query = (
        select(dead_letters.c.source_id)
        .where(
            dead_letters.c.system == system,
            dead_letters.c.stream == stream,
            dead_letters.c.resolved_at.is_(None),
            dead_letters.c.source_id.not_like("sha256:%"),
        )
        .order_by(dead_letters.c.last_seen_at)
        .limit(limit)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def upsert_links(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Task-document links; an existing (task, document, role) keeps its first-found time."""
    _upsert(conn, task_document_links, rows, key=("task_id", "document_id", "role"),
            keep=("found_at",))  # fmt: skip


# --- outbox --------------------------------------------------------------------------------


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
    if engine.dialect.name == "sqlite":
        seconds = f"{offset.total_seconds():+.6f} seconds"
        return func.strftime("%Y-%m-%d %H:%M:%f000", "now", seconds)
    return func.now() + offset


def claim_outbox(
    engine: Engine,
    worker: str,
    now: datetime,
    *,
    limit: int = 50,
    lease: timedelta = DEFAULT_LEASE,
) -> list[ClaimedRow]:
    """Claim up to ``limit`` due rows for ``worker``; no two workers ever get the same row.

    ``now`` (the worker's clock) decides which pending rows are due after their back-off; a
    skewed clock only makes a retry early or late. The lease is judged by the database's clock
    (``database_now``): an in-flight row is claimable again only when its holder has not
    renewed it for ``lease``, so a holder that died lets go, and a live holder renewing its
    claims (``renew_claims``) keeps them however slow its batch is. Its idempotency key makes
    a send after a dead holder's harmless. Each claim counts as an attempt, so a row that
    crashes its worker every time still reaches the dead state.
    """
    due = or_(
        and_(outbox.c.state == OutboxState.PENDING.value, outbox.c.next_attempt_at <= now),
        and_(
            outbox.c.state == OutboxState.IN_FLIGHT.value,
            outbox.c.claimed_at <= database_now(engine, -lease),
        ),
    )
    candidates = select(outbox.c.id).where(due).order_by(outbox.c.id).limit(limit)
    if engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    stmt = (
        update(outbox)
        .where(outbox.c.id.in_(candidates.scalar_subquery()))
        .values(
            state=OutboxState.IN_FLIGHT.value,
            claimed_by=worker,
            claimed_at=database_now(engine),
            attempts=outbox.c.attempts + 1,
            updated_at=now,
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
    with engine.begin() as conn:
        claimed = [ClaimedRow(**row._mapping) for row in conn.execute(stmt)]
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
    stmt = (
        update(outbox)
        .where(outbox.c.id.in_(list(row_ids)), _held_by(worker))
        .values(claimed_at=database_now(engine))
        .returning(outbox.c.id)
    )
    with engine.begin() as conn:
        return set(conn.execute(stmt).scalars())


def _held_by(worker: str) -> ColumnElement[bool]:
    return and_(outbox.c.claimed_by == worker, outbox.c.state == OutboxState.IN_FLIGHT.value)


def _owned_by(row_id: int, worker: str):  # type: ignore[no-untyped-def]
    # Only the worker holding the claim may settle a row: if its lease expired and another
    # worker re-claimed it, the late first worker's verdict is ignored.
    return and_(outbox.c.id == row_id, _held_by(worker))


def mark_outbox_done(engine: Engine, row_id: int, worker: str, now: datetime) -> bool:
    """Record that the target confirmed the change. False if the claim was lost meanwhile."""
    with engine.begin() as conn:
        result = conn.execute(
            update(outbox)
            .where(_owned_by(row_id, worker))
            .values(state=OutboxState.DONE.value, done_at=now, updated_at=now, last_error=None)
        )
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
    with engine.begin() as conn:
        attempts = conn.execute(
            select(outbox.c.attempts).where(_owned_by(row_id, worker))
        ).scalar_one_or_none()
        if attempts is None:
            return None
        state = OutboxState.DEAD if attempts >= max_attempts else OutboxState.PENDING
        conn.execute(
            update(outbox)
            .where(_owned_by(row_id, worker))
            .values(
                state=state.value,
                last_error=error,
                next_attempt_at=now + retry_in,
                claimed_by=None,
                claimed_at=None,
                updated_at=now,
            )
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


# --- runs: store/run_log.py (re-exported here, where callers have always found them) ---

# --- what the store holds ------------------------------------------------------------------

SUMMARY_TABLES = {
    "documents": documents,
    "directives": directives,
    "assignments": assignments,
    "tasks": tasks,
    "source_records": source_records,
    "dead_letters": dead_letters,
    "runs": runs,
}


@dataclass
class StoreSummary:
    table_counts: dict[str, int]
    outbox_by_state: dict[str, int]
    cursors: list[tuple[str, str, str]]
    secret_skipped: int


def store_summary(engine: Engine) -> StoreSummary:
    with engine.connect() as conn:
        counts = {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in SUMMARY_TABLES.items()
        }
        by_state = dict(
            conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state)).all()
        )
        cursors = [
            tuple(row)
            for row in conn.execute(
                select(
                    sync_cursors.c.system, sync_cursors.c.stream, sync_cursors.c.cursor
                ).order_by(sync_cursors.c.system, sync_cursors.c.stream)
            )
        ]
        secret = conn.execute(select(func.coalesce(func.sum(secret_skips.c.count), 0))).scalar_one()
    return StoreSummary(counts, by_state, cursors, int(secret))


def render_summary(summary: StoreSummary) -> str:
    lines = ["Store contents:"]
    lines += [f"  {name:<16} {count:>8}" for name, count in summary.table_counts.items()]
    states = ", ".join(f"{s} {n}" for s, n in sorted(summary.outbox_by_state.items())) or "empty"
    lines.append(f"  {'outbox':<16} {states}")
    lines.append(f"  {'secret skipped':<16} {summary.secret_skipped:>8}  (văn bản mật, not stored)")
    if summary.cursors:
        lines.append("Sync cursors:")
        lines += [f"  {system}/{stream}: {cursor}" for system, stream, cursor in summary.cursors]
    else:
        lines.append("Sync cursors: none yet (nothing synced)")
    return "\n".join(lines)


# --- failures ------------------------------------------------------------------------------


# A task answered by a secret document: named by the task only (docs/domain.md §3). The
# Vietnamese line is what officials read in the artifact; the English one, the CLI and logs.
CLASSIFIED_REPLY = "answer is secret: report through the secret channel"
CLASSIFIED_REPLY_VI = "văn bản trả lời là văn bản mật: báo cáo qua kênh mật"


@dataclass(frozen=True)
class Failure:
    """A dead letter or a dead outbox row, as `bridge failures` and the flows show it."""

    kind: str  # "dead_letter" | "outbox" | "secret_answer"
    id: int
    where: str
    reason: str
    last_seen: datetime
    count: int


def list_failures(engine: Engine) -> list[Failure]:
    with engine.connect() as conn:
        letters = conn.execute(
            select(dead_letters)
            .where(dead_letters.c.resolved_at.is_(None))
            .order_by(dead_letters.c.last_seen_at.desc())
        ).all()
        dead = conn.execute(
            select(outbox)
            .where(outbox.c.state == OutboxState.DEAD.value)
            .order_by(outbox.c.updated_at.desc())
        ).all()
        secret = conn.execute(
            select(tasks.c.id, tasks.c.source_id, tasks.c.secret_answer_at)
            .where(tasks.c.secret_answer_at.is_not(None))
            .order_by(tasks.c.id)
        ).all()
    failures = [
        Failure(
            "dead_letter",
            r.id,
            f"{r.system}/{r.stream} {r.source_id}",
            r.reason,
            r.last_seen_at,
            r.count,
        )
        for r in letters
    ]
    failures += [
        Failure(
            "outbox",
            r.id,
            f"{r.target_system} {r.operation} {r.target_id}",
            r.last_error or "",
            r.updated_at,
            r.attempts,
        )
        for r in dead
    ]
    failures += [
        Failure("secret_answer", r.id, f"tracking task {r.source_id}", CLASSIFIED_REPLY,
                r.secret_answer_at, 1)
        for r in secret
    ]  # fmt: skip
    return failures


def resolve_dead_letter(
    engine: Engine, letter_id: int, now: datetime
) -> tuple[str, str, str] | None:
    """Mark an open dead letter resolved; returns its (system, stream, source id), or None.

    A rejected record is never in ``source_records``, so the next read of it (a resync of its
    id, or the source changing it) normalises it afresh; a new rejection opens a new letter.
    """
    with engine.begin() as conn:
        letter = conn.execute(
            select(dead_letters).where(
                dead_letters.c.id == letter_id, dead_letters.c.resolved_at.is_(None)
            )
        ).one_or_none()
        if letter is None:
            return None
        conn.execute(
            update(dead_letters).where(dead_letters.c.id == letter_id).values(resolved_at=now)
        )
    return letter.system, letter.stream, letter.source_id


# --- items reconcile could not handle ------------------------------------------------------

CALENDAR_STREAM = "calendar"
"""The dead-letter stream of items whose deadline needs a year without calendar data."""


def replace_calendar_failures(
    engine: Engine, failures: Sequence[tuple[str, str, str]], now: datetime
) -> None:
    """Record (system, source id, reason) per item reconcile skipped for want of a year's
    calendar, as open dead letters (shown by `bridge failures` and the flows), and resolve the
    earlier ones whose item went through this time (the year's file was added)."""
    failing = {(system, source_id) for system, source_id, _ in failures}
    with engine.begin() as conn:
        _upsert(
            conn,
            dead_letters,
            [
                {"system": system, "stream": CALENDAR_STREAM, "source_id": source_id,
                 "reason": reason, "payload": None, "first_seen_at": now, "last_seen_at": now,
                 "count": 1, "resolved_at": None}
                for system, source_id, reason in failures
            ],
            key=("system", "stream", "source_id"),
            add_to=("count",),
            keep=("first_seen_at",),
        )  # fmt: skip
        open_rows = conn.execute(
            select(dead_letters.c.id, dead_letters.c.system, dead_letters.c.source_id).where(
                dead_letters.c.stream == CALENDAR_STREAM, dead_letters.c.resolved_at.is_(None)
            )
        ).all()
        healed = [row.id for row in open_rows if (row.system, row.source_id) not in failing]
        if healed:
            conn.execute(
                update(dead_letters).where(dead_letters.c.id.in_(healed)).values(resolved_at=now)
            )
