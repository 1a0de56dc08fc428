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

from sqlalchemy import Connection, Table, delete, or_, select
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
    stored = conn.execute(select(secret_keys.c.key).where(secret_keys.c.name == KEY_NAME))
    found = stored.scalar_one_or_none()
    if found is None:
        # Two workers creating it at once: the second insert fails and its page is retried;
        # both then read the one key.
        found = secrets.token_hex(32)
        conn.execute(secret_keys.insert().values(name=KEY_NAME, key=found, created_at=now))
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
    outcome.purged = sum(1 for r in found if purge(conn, r) > 0)
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


def purge(conn: Connection, secret: SecretRecord) -> int:
    """Delete every row derived from a record that is now secret; how many were deleted."""
    system, stream, source_id = secret.identity
    deleted = 0
    deleted += _delete(conn, source_records, system=system, stream=stream, source_id=source_id)
    deleted += _delete(conn, dead_letters, system=system, stream=stream, source_id=source_id)
    if secret.kind.startswith("document:"):
        direction = secret.kind.split(":", 1)[1]
        ids = list(
            conn.execute(
                select(documents.c.id).where(
                    documents.c.system == system,
                    documents.c.source_id == source_id,
                    documents.c.direction == direction,
                )
            ).scalars()
        )
        if ids:
            conn.execute(
                delete(task_document_links).where(task_document_links.c.document_id.in_(ids))
            )
            deleted += conn.execute(delete(documents).where(documents.c.id.in_(ids))).rowcount
        if direction == "incoming":
            # The leaders' directives on it quote it: they go with it, raw records included
            # (the directive stream is called "directives" in every mapping).
            quoting = list(
                conn.execute(
                    select(directives.c.source_id).where(
                        directives.c.system == system, directives.c.document_source_id == source_id
                    )
                ).scalars()
            )
            for table in (source_records, dead_letters):
                deleted += conn.execute(
                    delete(table).where(
                        table.c.system == system,
                        table.c.stream == "directives",
                        table.c.source_id.in_(quoting),
                    )
                ).rowcount
            deleted += _delete(conn, directives, system=system, document_source_id=source_id)
            deleted += _delete(conn, assignments, system=system, document_source_id=source_id)
            deleted += _delete_outbox(conn, f"deadline:{system}:{source_id}", None)
        else:
            deleted += _delete_outbox(conn, None, f":{system}:{source_id}")
    elif secret.kind == "directive":
        deleted += _delete(conn, directives, system=system, source_id=source_id)
        deleted += _delete(conn, assignments, system=system, directive_source_id=source_id)
    elif secret.kind == "task":
        ids = list(
            conn.execute(
                select(tasks.c.id).where(tasks.c.system == system, tasks.c.source_id == source_id)
            ).scalars()
        )
        if ids:
            conn.execute(delete(task_document_links).where(task_document_links.c.task_id.in_(ids)))
            deleted += conn.execute(delete(tasks).where(tasks.c.id.in_(ids))).rowcount
        deleted += conn.execute(
            delete(outbox).where(outbox.c.target_system == system, outbox.c.target_id == source_id)
        ).rowcount
    return deleted


def _delete(conn: Connection, table, **where: str) -> int:  # type: ignore[no-untyped-def]
    condition = [table.c[column] == value for column, value in where.items()]
    return conn.execute(delete(table).where(*condition)).rowcount


def _delete_outbox(conn: Connection, exact_key: str | None, key_suffix: str | None) -> int:
    """Outbox rows that would push the document: its deadline write-back (by key) or any
    completion citing it as evidence (keys end with ``:<system>:<source id>``)."""
    if exact_key is not None:
        return conn.execute(delete(outbox).where(outbox.c.idempotency_key == exact_key)).rowcount
    assert key_suffix is not None
    rows = conn.execute(
        select(outbox.c.id, outbox.c.idempotency_key).where(
            or_(outbox.c.idempotency_key.like("completion:%"))
        )
    ).all()
    ids = [row.id for row in rows if row.idempotency_key.endswith(key_suffix)]
    if not ids:
        return 0
    return conn.execute(delete(outbox).where(outbox.c.id.in_(ids))).rowcount
