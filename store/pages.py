"""Writing what ingest read: one page of one (system, stream) in one transaction.

``write_page`` writes a page's records, its rejects, its secret counts, the run's counters and
the new cursor in one transaction. A crash anywhere in it leaves the store as it was, so the
cursor can never be ahead of the data (docs/design.md, "One transaction per page").
``page_refusal`` tries a page and rolls it back, so ingest can find the one record the store
refuses. ``known_hashes`` and ``get_cursor`` are what ingest reads before a page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from schemas import Assignment, Directive, Document, Task
from store import fits, secret_digests
from store import rows as to_row
from store.fits import RECORD_REFUSALS, is_connection_error
from store.run_log import record_run_progress
from store.secret_digests import SecretOutcome, SecretRecord
from store.tables import (
    assignments,
    dead_letters,
    directives,
    documents,
    secret_skips,
    source_records,
    sync_cursors,
    tasks,
)
from store.upsert import SerializedJson
from store.upsert import upsert as _upsert


@dataclass(frozen=True)
class SourceRecord:
    """A raw record as received, with the hash that tells whether it changed."""

    source_id: str
    content_hash: str
    payload: dict[str, Any]
    changed_at: datetime | None = None
    # ``payload`` as the canonical JSON the hash was taken of, stored as it is so the record
    # is serialised once (None: the store serialises ``payload``).
    payload_json: str | None = None


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
                "payload": SerializedJson(r.payload_json) if r.payload_json else r.payload,
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
