"""What the store keeps about secret documents: counts, keyed digests, and nothing else.

docs/domain.md §3: no field of a secret document is stored. Yet two things need to recognise
one again without its fields:

* **counting per document.** A secret record is re-read on every overlapping sync; counting
  every read would count 9 documents as 9, 18, 27. ``secret_seen`` holds, per secret record
  ever counted, ``HMAC-SHA256(key, system | stream | source id)``: a re-read finds its digest
  and is not counted again.
* **the task a secret reply answers** (pipelines/secret_answers.py): ``secret_answers`` holds
  the HMAC of each form in which a secret reply names the document it answers; reconcile
  computes the same forms for each task's source document and looks them up.

Why a keyed HMAC and not a plain hash: source ids and document numbers are short and often
sequential, so a plain sha256 of them is reversed by trying every candidate. The key is random
(32 bytes from ``secrets``), generated once per store on first use and kept in ``secret_keys``.
Whoever reads the digest tables without the key learns nothing but how many there are. This does
not protect against someone who can read the key table too: they could confirm a guessed id.
That is the limit of the design, and still no field of the document is ever written.

Purging: a record that *becomes* secret at its source (marked after we stored it) is removed
from every table at once, in the page's transaction (``purge``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from store import reconcile_changes
from store.tables import (
    assignments,
    dead_letters,
    directives,
    documents,
    outbox,
    secret_answers,
    secret_keys,
    secret_seen,
    source_records,
    task_document_links,
    tasks,
)

KEY_NAME = "secret-digests"


@dataclass(frozen=True)
class SecretRecord:
    """A secret record met on a page. ``identity`` and ``answers`` live in memory only and are
    written as digests; they are kept out of ``repr`` so no message can print them."""

    unit_id: str
    day: date
    kind: str  # "document:incoming", "document:outgoing", "directive", "task"
    identity: tuple[str, ...] = field(repr=False)
    answers: frozenset[tuple[str, ...]] = field(default=frozenset(), repr=False)


@dataclass
class SecretOutcome:
    counted: Counter[tuple[str, date]] = field(default_factory=Counter)
    purged: int = 0


def _key(conn: Connection, now: datetime) -> bytes:
    """The store's HMAC key, made on first use.

    Two runs may make it at once on a fresh store (a tracking run reconciling while an
    iOffice run writes its first secret page). Each offers its own key with ON CONFLICT DO
    NOTHING and then reads back the one that was kept, so both use the same key and neither
    fails; a plain insert made the second run fail on the primary key."""
    stored = conn.execute(select(secret_keys.c.key).where(secret_keys.c.name == KEY_NAME))
    found = stored.scalar_one_or_none()
    if found is None:
        dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        offered = {"name": KEY_NAME, "key": secrets.token_hex(32), "created_at": now}
        conn.execute(dialect_insert(secret_keys).values(offered).on_conflict_do_nothing())
        stored = conn.execute(select(secret_keys.c.key).where(secret_keys.c.name == KEY_NAME))
        found = stored.scalar_one()
    return bytes.fromhex(found)


def digest(key: bytes, parts: tuple[str, ...]) -> str:
    message = "\x1f".join(parts).encode("utf-8", errors="surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def answer_digests(conn: Connection, now: datetime) -> tuple[bytes, set[str]]:
    """The key and every secret-answer digest, for reconcile."""
    key = _key(conn, now)
    return key, set(conn.execute(select(secret_answers.c.digest)).scalars())


def record(
    conn: Connection, system: str, found: list[SecretRecord], now: datetime
) -> SecretOutcome:
    """Count each secret record once, note what secret replies answer, purge earlier rows."""
    outcome = SecretOutcome()
    if not found:
        return outcome
    key = _key(conn, now)
    by_digest = {digest(key, r.identity): r for r in found}
    rows = [{"digest": d, "system": system, "first_seen_at": now} for d in by_digest]
    # Only digests this page inserted are counted: one seen before (a re-read), or written
    # meanwhile by another worker, is not.
    for d in _insert_new(conn, secret_seen, rows):
        outcome.counted[(by_digest[d].unit_id, by_digest[d].day)] += 1
    answers = {digest(key, form) for r in found for form in r.answers}
    rows = [{"digest": d, "system": system, "first_seen_at": now} for d in sorted(answers)]
    _insert_new(conn, secret_answers, rows)
    outcome.purged = purge_all(conn, found)
    if outcome.purged:
        # Deleted rows leave no mark: the next reconcile reads everything.
        reconcile_changes.need_full_run(conn)
    return outcome


def _insert_new(conn: Connection, table: Table, rows: list[dict]) -> list[str]:
    """Insert digests not yet there and return those inserted; one written meanwhile by
    another worker is left alone and not returned."""
    if not rows:
        return []
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(table).on_conflict_do_nothing(index_elements=["digest"])
    return list(conn.execute(statement.returning(table.c.digest), rows).scalars())


def purge_all(conn: Connection, found: list[SecretRecord]) -> int:
    """Delete every row derived from records that are now secret; how many of them had rows.

    A page's secret records are purged together, a few statements per table rather than a
    few per record: a secret record is re-read on every overlapping sync, and purging each
    one alone cost more than writing the rest of its page. Each delete returns the ids it
    removed, so the count is still per record."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for secret in found:
        system, stream, source_id = secret.identity
        groups.setdefault((system, stream, secret.kind), []).append(source_id)
    purged = 0
    for (system, stream, kind), source_ids in groups.items():
        for start in range(0, len(source_ids), _CHUNK):
            chunk = source_ids[start : start + _CHUNK]
            purged += len(_purge_group(conn, system, stream, kind, chunk))
    return purged


# Ids per IN list: well under SQLite's 32,766 bound variables and PostgreSQL's 65,535.
_CHUNK = 500


def _purge_group(
    conn: Connection, system: str, stream: str, kind: str, source_ids: list[str]
) -> set[str]:
    """Purge the records of one stream and kind; the source ids that had rows."""
    touched: set[str] = set()
    for table in (source_records, dead_letters):
        touched |= _deleted_in(conn, table, "source_id", system, source_ids,
                               table.c.stream == stream)  # fmt: skip
    if kind.startswith("document:"):
        direction = kind.split(":", 1)[1]
        touched |= _delete_linked(conn, documents, task_document_links.c.document_id,
                                  documents.c.system == system, documents.c.direction == direction,
                                  documents.c.source_id.in_(source_ids))  # fmt: skip
        if direction == "incoming":
            touched |= _delete_quoting(conn, system, source_ids)
        else:
            touched |= _delete_completions(conn, system, source_ids)
    elif kind == "directive":
        touched |= _deleted_in(conn, directives, "source_id", system, source_ids)
        touched |= _deleted_in(conn, assignments, "directive_source_id", system, source_ids)
    elif kind == "task":
        touched |= _delete_linked(conn, tasks, task_document_links.c.task_id,
                                  tasks.c.system == system,
                                  tasks.c.source_id.in_(source_ids))  # fmt: skip
        touched |= _deleted(conn, outbox, outbox.c.target_id, outbox.c.target_system == system,
                            outbox.c.target_id.in_(source_ids))  # fmt: skip
    return touched


def _deleted(conn: Connection, table: Table, returned, *where) -> set[str]:  # type: ignore[no-untyped-def]
    """Delete the rows ``where`` selects; the values of ``returned`` in the rows deleted."""
    return set(conn.execute(delete(table).where(*where).returning(returned)).scalars())


def _deleted_in(conn: Connection, table: Table, column: str, system: str, values: list[str],
                *where) -> set[str]:  # type: ignore[no-untyped-def]  # fmt: skip
    """Delete the rows of ``system`` whose ``column`` is one of ``values`` (and ``where``
    holds); the values deleted."""
    keyed = table.c[column]
    return _deleted(conn, table, keyed, table.c.system == system, keyed.in_(values), *where)


def _delete_linked(conn: Connection, table: Table, link, *where) -> set[str]:  # type: ignore[no-untyped-def]
    """Delete the documents or tasks ``where`` selects and their task-document links
    (``link``: the links' column naming them); the source ids deleted."""
    rows = conn.execute(select(table.c.id, table.c.source_id).where(*where)).all()
    if rows:
        ids = [row.id for row in rows]
        conn.execute(delete(task_document_links).where(link.in_(ids)))
        conn.execute(delete(table).where(table.c.id.in_(ids)))
    return {row.source_id for row in rows}


def _delete_quoting(conn: Connection, system: str, source_ids: list[str]) -> set[str]:
    """An incoming document's leaders' directives quote it: they go with it, raw records
    included (the directive stream is called "directives" in every mapping), and so do its
    assignments and its deadline write-back."""
    quoting = conn.execute(
        select(directives.c.source_id, directives.c.document_source_id).where(
            directives.c.system == system, directives.c.document_source_id.in_(source_ids)
        )
    ).all()
    quoted_by = {row.source_id: row.document_source_id for row in quoting}
    touched: set[str] = set()
    if quoted_by:
        for table in (source_records, dead_letters):
            gone = _deleted_in(conn, table, "source_id", system, list(quoted_by),
                               table.c.stream == "directives")  # fmt: skip
            touched |= {quoted_by[directive] for directive in gone}
    touched |= _deleted_in(conn, directives, "document_source_id", system, source_ids)
    touched |= _deleted_in(conn, assignments, "document_source_id", system, source_ids)
    by_key = {f"deadline:{system}:{source_id}": source_id for source_id in source_ids}
    gone = _deleted(conn, outbox, outbox.c.idempotency_key,
                    outbox.c.idempotency_key.in_(list(by_key)))  # fmt: skip
    return touched | {by_key[key] for key in gone}


def _delete_completions(conn: Connection, system: str, source_ids: list[str]) -> set[str]:
    """Outbox rows that would push an outgoing document as evidence: completions whose keys
    end with ``:<system>:<source id>``."""
    suffixes = {f":{system}:{source_id}": source_id for source_id in source_ids}
    rows = conn.execute(
        select(outbox.c.id, outbox.c.idempotency_key).where(
            outbox.c.idempotency_key.like("completion:%")
        )
    ).all()
    doomed: dict[int, str] = {}
    for row in rows:
        key = row.idempotency_key
        # Every ":" could start the suffix (a source id may hold one itself).
        for position in _colons(key):
            source_id = suffixes.get(key[position:])
            if source_id is not None:
                doomed[row.id] = source_id
                break
    if doomed:
        conn.execute(delete(outbox).where(outbox.c.id.in_(list(doomed))))
    return set(doomed.values())


def _colons(text: str) -> list[int]:
    return [position for position, char in enumerate(text) if char == ":"]
