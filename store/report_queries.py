"""What the periodic report reads of the store (docs/domain.md §7), as rows:
tasks and the documents linked to them, documents, assignments, when leadership first
directed each document, the secret-document counts, the units' names and the task deadline
rows the extension history is read against. ``pipelines/report_store.py`` turns them into the
report's facts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select

from store.tables import (
    assignments,
    directives,
    documents,
    secret_skips,
    task_document_links,
    tasks,
    units,
)


def task_links(conn: Connection) -> list[Row[Any]]:
    """Every task-document link with the linked document's system, source id, received and
    issued times and number/notation."""
    query = select(
        task_document_links.c.task_id,
        task_document_links.c.role,
        documents.c.system,
        documents.c.source_id,
        documents.c.received_at,
        documents.c.issued_at,
        documents.c.number,
        documents.c.notation,
    ).join(documents, documents.c.id == task_document_links.c.document_id)
    return list(conn.execute(query))


def all_tasks(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(select(tasks)))


def all_documents(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(select(documents).order_by(documents.c.id)))


def all_assignments(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(select(assignments)))


def task_deadlines(conn: Connection) -> list[Row[Any]]:
    """Each task's id, source id, deadline in force, original deadline and extension count."""
    query = select(
        tasks.c.id, tasks.c.source_id, tasks.c.deadline, tasks.c.original_deadline,
        tasks.c.extension_count,
    )  # fmt: skip
    return list(conn.execute(query))


def first_directives(conn: Connection) -> dict[tuple[str, str], datetime]:
    """(system, document source id) → when leadership first directed who handles it."""
    query = select(
        directives.c.system, directives.c.document_source_id, func.min(directives.c.created_at)
    ).group_by(directives.c.system, directives.c.document_source_id)
    return {(system, source): first for system, source, first in conn.execute(query)}


def secret_skip_counts(conn: Connection) -> list[tuple[str, date, int]]:
    """(unit id, day, count) rows; the unit id is "" when it could not be read."""
    query = select(secret_skips.c.unit_id, secret_skips.c.day, secret_skips.c.count)
    return [(r.unit_id, r.day, r.count) for r in conn.execute(query)]


def unit_names(conn: Connection) -> dict[str, str]:
    """Unit id → name, as the store's ``units`` table holds them."""
    return {r.id: r.name for r in conn.execute(select(units.c.id, units.c.name))}
