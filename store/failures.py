"""Failures: open dead letters, dead outbox rows and tasks answered by a secret document, as
`bridge failures` and the flows list them; the dead letters of items reconcile could not handle
(stream ``calendar``); which dead letters sync reads again.

Nothing here resolves a dead letter by hand: ingest resolves one when it reads its record
cleanly (store/pages.py), reconcile a calendar one when the year's file is there, so a letter
closes only once what failed went through (pipelines/failure_retry.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select, update

from schemas import OutboxState
from store.tables import dead_letters, outbox, tasks
from store.upsert import upsert as _upsert

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
    reason: str  # technical, English: the CLI and the logs (artifacts say it in Vietnamese)
    last_seen: datetime
    count: int
    system: str = ""  # the system read (dead letter) or written to (outbox row)
    stream: str = ""  # a dead letter's stream; an outbox row's operation
    source_id: str = ""  # the record's id there (a dead letter's may be "sha256:<hash>")
    since: datetime | None = None  # first seen (dead letter), dead since (outbox row)

    @property
    def tag(self) -> str:
        """The id `bridge failures --retry` takes: L<id> dead letter, O<id> outbox, S<id>
        a task answered by a secret document."""
        return {"dead_letter": "L", "secret_answer": "S"}.get(self.kind, "O") + str(self.id)


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
            select(tasks.c.id, tasks.c.system, tasks.c.source_id, tasks.c.secret_answer_at)
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
            r.system,
            r.stream,
            r.source_id,
            r.first_seen_at,
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
            r.target_system,
            r.operation,
            r.target_id,
            r.updated_at,
        )
        for r in dead
    ]
    failures += [
        Failure("secret_answer", r.id, f"{r.system} task {r.source_id}", CLASSIFIED_REPLY,
                r.secret_answer_at, 1, r.system, "tasks", r.source_id, r.secret_answer_at)
        for r in secret
    ]  # fmt: skip
    return failures


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
