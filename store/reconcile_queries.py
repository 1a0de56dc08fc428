"""What reconcile reads and writes (docs/domain.md §5): every document and task, the
directives' texts, the tracking system's last reported progress; then links, derived
statuses, secret-answer marks and computed deadlines, in one transaction.

Rows go out as SQLAlchemy rows; reconcile turns them into its own values (``doc_from_row``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, select, update

from store import reconcile_changes as changes
from store.tables import directives, documents, source_records, task_document_links, tasks
from store.upsert import upsert as _upsert


def all_documents(conn: Connection) -> list[Row[Any]]:
    """Every document row, incoming and outgoing, in id order (reconcile_plan.match_responses)."""
    return list(conn.execute(select(documents).order_by(documents.c.id)))


def all_tasks(conn: Connection) -> list[Row[Any]]:
    """Every task row."""
    return list(conn.execute(select(tasks).order_by(tasks.c.id)))


def tasks_by_source_ids(conn: Connection, source_ids: Iterable[str]) -> list[Row[Any]]:
    """The task rows of ``source_ids``."""
    return list(conn.execute(select(tasks).where(tasks.c.source_id.in_(list(source_ids)))))


def directive_texts(conn: Connection) -> dict[tuple[str, str], str]:
    """(system, document source id) → the text of every directive on it, oldest first."""
    texts: dict[tuple[str, str], str] = {}
    for row in conn.execute(select(directives).order_by(directives.c.created_at, directives.c.id)):
        previous = texts.get((row.system, row.document_source_id), "")
        texts[(row.system, row.document_source_id)] = f"{previous} {row.content}".strip()
    return texts


def tracking_task_payloads(
    engine: Engine, source_ids: Iterable[str], tracking_system: str
) -> dict[str, Any]:
    """Task source id → the raw record the tracking system last sent of it."""
    ids = list(source_ids)
    if not ids:
        return {}
    query = select(source_records.c.source_id, source_records.c.payload).where(
        source_records.c.system == tracking_system,
        source_records.c.stream == "tasks",
        source_records.c.source_id.in_(ids),
    )
    with engine.connect() as conn:
        return {source_id: payload for source_id, payload in conn.execute(query)}


def upsert_links(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Task-document links; an existing (task, document, role) keeps its first-found time."""
    _upsert(conn, task_document_links, rows, key=("task_id", "document_id", "role"),
            keep=("found_at",))  # fmt: skip


def write_decisions(
    engine: Engine,
    now: datetime,
    links: Sequence[Mapping[str, Any]],
    secret_answered: Sequence[int],
    statuses: Sequence[Mapping[str, Any]],
    computed: Sequence[Mapping[str, Any]],
    task_ids: Sequence[int] | None = None,
) -> None:
    """Links, secret-answer marks, derived statuses and computed deadlines, in one transaction,
    a statement each.

    ``secret_answered``: the task ids answered by a secret reply now (marked since ``now`` if
    not yet; every other mark of ``task_ids``, of every task if None, is cleared).
    ``statuses``: ``row_id``, ``derived``, ``risky``.
    ``computed``: ``row_id``, ``due``, ``rule``, ``why``.
    """
    with engine.begin() as conn:
        upsert_links(conn, [dict(link) for link in links])
        conn.execute(
            update(tasks)
            .where(tasks.c.id.in_(secret_answered), tasks.c.secret_answer_at.is_(None))
            .values(secret_answer_at=now)
        )
        stale = update(tasks).where(
            tasks.c.id.not_in(secret_answered), tasks.c.secret_answer_at.is_not(None)
        )
        if task_ids is not None:
            stale = stale.where(tasks.c.id.in_(task_ids))
        conn.execute(stale.values(secret_answer_at=None))
        if statuses:
            conn.execute(
                update(tasks)
                .where(tasks.c.id == bindparam("row_id"))
                .values(derived_status=bindparam("derived"), at_risk=bindparam("risky")),
                [dict(s) for s in statuses],
            )
        if computed:
            conn.execute(
                update(documents)
                .where(documents.c.id == bindparam("row_id"))
                .values(
                    computed_deadline=bindparam("due"),
                    deadline_rule=bindparam("rule"),
                    deadline_explanation=bindparam("why"),
                ),
                [dict(c) for c in computed],
            )


def note_reconciled(engine: Engine, scope: Any, now: datetime, fingerprint: str) -> None:
    """After a run's decisions are written: the tokens of what it read as changed, its marks
    cleared, its reference time and fingerprint kept (a ``reconcile_scope.Scope``), at once."""
    with engine.begin() as conn:
        changes.write_tokens(conn, changes.DOCUMENT, scope.doc_tokens, replace_all=scope.full)
        changes.write_tokens(conn, changes.TASK, scope.task_tokens, replace_all=scope.full)
        for table in (documents, tasks, directives):
            changes.clear_marks(conn, table, scope.marks.get(table.name, []))
        changes.save_state(conn, now, fingerprint)
