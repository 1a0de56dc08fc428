"""What the deadline history and the deadline watch read and write (docs/domain.md §6,
"Extensions"): the history kept per task, each task's and document's deadline with its review
milestone, and the items whose milestone has come with no response yet.

Rows go out as SQLAlchemy rows; ``pipelines/extensions.py`` decides.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, bindparam, or_, select, update

from schemas import LinkRole
from store.tables import deadline_history, documents, task_document_links, tasks
from store.upsert import upsert as _upsert


def deadline_state(
    engine: Engine,
    task_ids: Collection[int] | None = None,
    doc_ids: Collection[int] | None = None,
) -> tuple[list[Row[Any]], list[Row[Any]], list[Row[Any]]]:
    """(history rows oldest first, task deadline rows, document deadline rows), read at once;
    of ``task_ids`` and ``doc_ids`` only, when given."""
    history_query = select(deadline_history).order_by(deadline_history.c.id)
    task_query = select(tasks.c.id, tasks.c.deadline, tasks.c.original_deadline,
                        tasks.c.extended_at, tasks.c.changed_at, tasks.c.deadline_milestone,
                        tasks.c.extension_count)  # fmt: skip
    doc_query = select(documents.c.id, documents.c.stated_deadline,
                       documents.c.computed_deadline, documents.c.deadline_milestone)  # fmt: skip
    with engine.connect() as conn:
        if task_ids is None:
            history = list(conn.execute(history_query))
            task_rows = list(conn.execute(task_query))
        else:
            history, task_rows = [], []
            for chunk in _chunks(task_ids):
                history += conn.execute(
                    history_query.where(deadline_history.c.task_id.in_(chunk))
                ).all()
                task_rows += conn.execute(task_query.where(tasks.c.id.in_(chunk))).all()
            history.sort(key=lambda row: row.id)
        if doc_ids is None:
            doc_rows = list(conn.execute(doc_query))
        else:
            doc_rows = []
            for chunk in _chunks(doc_ids):
                doc_rows += conn.execute(doc_query.where(documents.c.id.in_(chunk))).all()
    return history, task_rows, doc_rows


def _chunks(ids: Collection[int], size: int = 500) -> list[list[int]]:
    values = sorted(ids)
    return [values[start : start + size] for start in range(0, len(values), size)]


def write_deadlines(
    engine: Engine,
    history_rows: Sequence[Mapping[str, Any]],
    task_updates: Sequence[Mapping[str, Any]],
    doc_updates: Sequence[Mapping[str, Any]],
) -> None:
    """New history entries (an existing (task, deadline) is left as it is), each task's
    milestone and extension count (``row_id``, ``milestone``, ``count``) and each document's
    milestone (``row_id``, ``milestone``), in one transaction.

    Rows are written in key order: two reconciles at once (two systems' flows on one
    PostgreSQL store) then lock the rows they share in the same order and one waits for the
    other, where in the order they were read (a full run reads without ORDER BY) each could
    hold a row the other needs: a deadlock, seen in a test of two workers."""
    history = sorted((dict(r) for r in history_rows), key=lambda r: (r["task_id"], r["deadline"]))
    by_row = itemgetter("row_id")
    with engine.begin() as conn:
        _upsert(conn, deadline_history, history, ("task_id", "deadline"), update_existing=False)
        if task_updates:
            conn.execute(
                update(tasks)
                .where(tasks.c.id == bindparam("row_id"))
                .values(deadline_milestone=bindparam("milestone"),
                        extension_count=bindparam("count")),
                sorted((dict(u) for u in task_updates), key=by_row),
            )  # fmt: skip
        if doc_updates:
            conn.execute(
                update(documents)
                .where(documents.c.id == bindparam("row_id"))
                .values(deadline_milestone=bindparam("milestone")),
                sorted((dict(u) for u in doc_updates), key=by_row),
            )


def history_of(engine: Engine, task_source_id: str) -> list[dict[str, Any]]:
    """One task's deadline history, oldest first."""
    query = (
        select(deadline_history)
        .join(tasks, tasks.c.id == deadline_history.c.task_id)
        .where(tasks.c.source_id == task_source_id)
        .order_by(deadline_history.c.id)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def deadlines_of_kind(
    conn: Connection, kind: str, task_ids: Iterable[int] | None = None
) -> dict[int, datetime]:
    """Task id → the deadline of its history entry of ``kind`` (of ``task_ids``, if given)."""
    query = select(deadline_history.c.task_id, deadline_history.c.deadline).where(
        deadline_history.c.kind == kind
    )
    if task_ids is not None:
        query = query.where(deadline_history.c.task_id.in_(list(task_ids)))
    return {row.task_id: row.deadline for row in conn.execute(query)}


def unanswered_at_milestone(
    engine: Engine, now: datetime, done_status: str = "done"
) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """(task rows, incoming document rows) whose review milestone is at or before ``now``,
    whose deadline is not past, and that have no response yet: a task neither linked to an
    issued response nor shown ``done_status``; a document answered by no issued outgoing
    document (by ResponseFor source id or key) and whose task has no issued response."""
    answered = (
        select(task_document_links.c.task_id)
        .join(documents, documents.c.id == task_document_links.c.document_id)
        .where(
            task_document_links.c.role == LinkRole.RESPONSE.value,
            documents.c.issued_at <= now,
        )
    )
    task_query = select(
        tasks.c.system, tasks.c.source_id, tasks.c.title, tasks.c.lead_unit_id,
        tasks.c.deadline_milestone, tasks.c.deadline, tasks.c.extension_count,
    ).where(
        tasks.c.deadline_milestone <= now, tasks.c.deadline >= now, tasks.c.status != done_status,
        tasks.c.id.not_in(answered),
    )  # fmt: skip
    issued = [documents.c.direction == "outgoing", documents.c.issued_at <= now]
    responded_sources = select(documents.c.response_for_source_id).where(
        *issued, documents.c.response_for_source_id.is_not(None)
    )
    responded_keys = select(documents.c.response_for_document_id).where(
        *issued, documents.c.response_for_document_id.is_not(None)
    )
    answered_docs = (
        select(task_document_links.c.document_id)
        .where(task_document_links.c.role == LinkRole.SOURCE.value)
        .where(task_document_links.c.task_id.in_(answered))
    )
    deadline = documents.c.stated_deadline.is_not(None)
    doc_query = select(
        documents.c.system, documents.c.source_id, documents.c.abstract, documents.c.unit_id,
        documents.c.deadline_milestone, documents.c.stated_deadline,
        documents.c.computed_deadline,
    ).where(
        documents.c.direction == "incoming",
        documents.c.deadline_milestone <= now,
        or_(
            and_(deadline, documents.c.stated_deadline >= now),
            and_(~deadline, documents.c.computed_deadline >= now),
        ),
        documents.c.source_id.not_in(responded_sources),
        documents.c.document_id.not_in(responded_keys),
        documents.c.id.not_in(answered_docs),
    )  # fmt: skip
    with engine.connect() as conn:
        return list(conn.execute(task_query)), list(conn.execute(doc_query))
