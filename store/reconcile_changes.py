"""What an incremental reconcile reads and writes besides its decisions
(pipelines/reconcile_scope.py explains the design):

* the rows changed since the last run: every write marks its document, directive or task with
  a fresh ``reconcile_mark``; a run clears the marks it read, and only if unchanged since, so
  a row written again while reconcile ran stays marked for the next run;
* ``reconcile_tokens``: per document and task, the hashed keys it had when last reconciled,
  so a changed item finds what its old and new keys tie it to;
* ``reconcile_state``: the last run's reference time and fingerprint; ``full_needed`` when
  records were deleted (a secret purge), which no mark can show;
* the time-driven changes: tasks whose deadline, completion or at-risk window was crossed,
  responses whose issue time was reached, items failing for want of a calendar year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Row, Table, and_, bindparam, delete, select, tuple_, update

from store.failures import CALENDAR_STREAM
from store.tables import (
    dead_letters,
    directives,
    documents,
    reconcile_state,
    reconcile_tokens,
    tasks,
)
from store.upsert import upsert as _upsert

STATE = "global"
DOCUMENT = "document"
TASK = "task"
_CHUNK = 500  # ids per IN (...) list: well under every database's bound-parameter limit

# The tables whose writes carry a reconcile mark, by name: pipelines name them, never hold them.
MarkedTable = Literal["documents", "directives", "tasks"]
_MARKED: dict[str, Table] = {"documents": documents, "directives": directives, "tasks": tasks}


def read_state(conn: Connection) -> Row[Any] | None:
    return conn.execute(select(reconcile_state).where(reconcile_state.c.name == STATE)).first()


def save_state(conn: Connection, now: datetime, fingerprint: str) -> None:
    row = {"name": STATE, "last_now": now, "fingerprint": fingerprint, "full_needed": False,
           "updated_at": now}  # fmt: skip
    _upsert(conn, reconcile_state, [row], key=("name",))


def need_full_run(conn: Connection) -> None:
    """Records were deleted: what reconcile decided for others may change and no mark shows
    it, so the next run reads everything (called in the deleting transaction)."""
    conn.execute(update(reconcile_state).values(full_needed=True))


def marked(conn: Connection, name: MarkedTable) -> list[Row[Any]]:
    """The rows of table ``name`` written since the last reconcile read them, in id order."""
    table = _MARKED[name]
    return list(
        conn.execute(select(table).where(table.c.reconcile_mark.is_not(None)).order_by(table.c.id))
    )


def clear_marks(conn: Connection, name: MarkedTable, read: Sequence[tuple[int, str]]) -> None:
    """Clear the marks read (id, mark); a row marked again since keeps its new mark."""
    if not read:
        return
    table = _MARKED[name]
    conn.execute(
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.reconcile_mark == bindparam("mark"))
        .values(reconcile_mark=None),
        [{"row_id": row_id, "mark": mark} for row_id, mark in read],
    )


def tokens_of(conn: Connection, kind: str, ids: Iterable[int]) -> dict[int, set[str]]:
    """Item id → the tokens stored for it (what it had when last reconciled)."""
    found: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks(ids):
        query = select(reconcile_tokens.c.item_id, reconcile_tokens.c.token).where(
            reconcile_tokens.c.kind == kind, reconcile_tokens.c.item_id.in_(chunk)
        )
        for item_id, token in conn.execute(query):
            found[item_id].add(token)
    return found


def sharing(conn: Connection, tokens: Iterable[str]) -> tuple[set[int], set[int]]:
    """(document ids, task ids) stored with any of ``tokens``."""
    docs: set[int] = set()
    task_ids: set[int] = set()
    for chunk in _chunks(tokens):
        query = select(reconcile_tokens.c.kind, reconcile_tokens.c.item_id).where(
            reconcile_tokens.c.token.in_(chunk)
        )
        for kind, item_id in conn.execute(query):
            (docs if kind == DOCUMENT else task_ids).add(item_id)
    return docs, task_ids


def write_tokens(
    conn: Connection, kind: str, tokens: Mapping[int, set[str]], *, replace_all: bool = False
) -> None:
    """Store each item's tokens in place of its earlier ones (of every item: ``replace_all``)."""
    if replace_all:
        conn.execute(delete(reconcile_tokens).where(reconcile_tokens.c.kind == kind))
    else:
        for chunk in _chunks(tokens):
            conn.execute(
                delete(reconcile_tokens).where(
                    reconcile_tokens.c.kind == kind, reconcile_tokens.c.item_id.in_(chunk)
                )
            )
    rows = [
        {"kind": kind, "item_id": item_id, "token": token}
        for item_id, item_tokens in tokens.items()
        for token in sorted(item_tokens)
    ]
    # Two runs at once (two systems' flows) may write the same item's tokens: the second
    # leaves the first's alone rather than fail on them.
    _upsert(conn, reconcile_tokens, rows, key=("kind", "item_id", "token"), update_existing=False)


def incoming_codes(conn: Connection) -> list[Row[Any]]:
    """Every incoming document's id and what a reply names it by (system, source id, number,
    notation, day): the few columns a search for the documents secret replies answer needs."""
    query = select(
        documents.c.id, documents.c.system, documents.c.source_id, documents.c.number,
        documents.c.notation, documents.c.promulgation_date.label("day"),
    ).where(documents.c.direction == "incoming")  # fmt: skip
    return list(conn.execute(query))


def rows_by_ids(conn: Connection, name: MarkedTable, ids: Iterable[int]) -> list[Row[Any]]:
    """The rows of ``ids`` in table ``name`` (those still there)."""
    table = _MARKED[name]
    found: list[Row[Any]] = []
    for chunk in _chunks(ids):
        found += conn.execute(select(table).where(table.c.id.in_(chunk))).all()
    return found


def tasks_crossing(
    conn: Connection,
    deadline_spans: Sequence[tuple[datetime, datetime, bool]],
    completed_after: datetime,
    now: datetime,
) -> list[Row[Any]]:
    """Tasks whose deadline lies in one of the spans [start, end] (of whole-day deadlines only,
    where the span says so), or whose completion, as the tracking system says, came in
    (completed_after, now]. A deadline equal to the last run's time passed since: a task is
    overdue once the time is past it."""
    conditions = []
    for start, end, whole_day_only in deadline_spans:
        span = and_(tasks.c.deadline >= start, tasks.c.deadline <= end)
        conditions.append(and_(span, tasks.c.deadline_whole_day) if whole_day_only else span)
    conditions.append(and_(tasks.c.completed_at > completed_after, tasks.c.completed_at <= now))
    found: dict[int, Row[Any]] = {}
    for condition in conditions:  # one indexable range each, rather than one OR
        for row in conn.execute(select(tasks).where(condition)):
            found[row.id] = row
    return list(found.values())


def issued_between(conn: Connection, after: datetime, until: datetime) -> list[Row[Any]]:
    """Outgoing documents issued in (after, until]: a response counts from its issue time."""
    query = select(documents).where(
        documents.c.direction == "outgoing",
        documents.c.issued_at > after,
        documents.c.issued_at <= until,
    )
    return list(conn.execute(query))


def failing_items(conn: Connection, tracking_system: str) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """(document rows, task rows) that ever failed for want of a year's calendar: each run
    tries them again, as a full run would, so adding the year closes their failures and one
    marked resolved by hand (`bridge failures --retry`) reopens while the year is missing.
    Closed ones are included for that reason; they are few (items beyond the calendar)."""
    keys = conn.execute(
        select(dead_letters.c.system, dead_letters.c.source_id).where(
            dead_letters.c.stream == CALENDAR_STREAM
        )
    ).all()
    if not keys:
        return [], []
    task_ids = [source_id for system, source_id in keys if system == tracking_system]
    doc_keys = [(system, source_id) for system, source_id in keys]
    doc_rows: list[Row[Any]] = []
    for chunk in _chunks(doc_keys):
        doc_rows += conn.execute(
            select(documents).where(tuple_(documents.c.system, documents.c.source_id).in_(chunk))
        ).all()
    task_rows: list[Row[Any]] = []
    for chunk in _chunks(task_ids):
        task_rows += conn.execute(
            select(tasks).where(tasks.c.system == tracking_system, tasks.c.source_id.in_(chunk))
        ).all()
    return doc_rows, task_rows


def documents_by_keys(conn: Connection, keys: Iterable[tuple[str, str]]) -> list[Row[Any]]:
    """The document rows of (system, source id) ``keys``."""
    found: list[Row[Any]] = []
    for chunk in _chunks(keys):
        found += conn.execute(
            select(documents).where(tuple_(documents.c.system, documents.c.source_id).in_(chunk))
        ).all()
    return found


def directive_texts_of(
    conn: Connection, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """(system, document source id) → the text of every directive on it, oldest first, for
    ``keys`` only."""
    texts: dict[tuple[str, str], str] = {}
    for chunk in _chunks(keys):
        query = (
            select(directives)
            .where(tuple_(directives.c.system, directives.c.document_source_id).in_(chunk))
            .order_by(directives.c.created_at, directives.c.id)
        )
        for row in conn.execute(query):
            previous = texts.get((row.system, row.document_source_id), "")
            texts[(row.system, row.document_source_id)] = f"{previous} {row.content}".strip()
    return texts


def _chunks(items: Iterable[Any]) -> Iterable[list[Any]]:
    values = list(items)
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
