"""Deadline history, milestones and the review watch, on SQLite and PostgreSQL.

docs/domain.md §6: keep the original deadline and each extension with when it was granted;
status uses the deadline in force; the review milestone (1 working day before) is stored with
every deadline; the deadline watch lists what reached its milestone with no response yet.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from pipelines import extensions, reconcile
from pipelines.deadlines import DeadlinePolicy
from pipelines.extensions import HistoryEntry, TaskDeadline, plan_history
from store import queries
from store.queries import Page
from store.tables import deadline_history, documents, tasks
from tests.store.factories import ICT, document, task

POLICY = DeadlinePolicy()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ICT)


def sync_tasks(engine, *items, now: datetime) -> None:
    queries.write_page(engine, Page("tracking", "tasks", tasks=list(items)), now)


def test_a_task_seen_first_keeps_its_deadline_as_the_original(engine):
    seen = at(date(2024, 2, 7), 9)
    sync_tasks(engine, task(1), now=seen)
    extensions.record_deadlines(engine, seen, POLICY)
    (entry,) = extensions.history_of(engine, "NV-1")
    assert (entry["kind"], entry["deadline"]) == ("original", at(date(2024, 2, 21), 17))
    assert entry["milestone"] == at(date(2024, 2, 20), 17)
    assert entry["seen_at"] == seen and entry["granted_at"] is None
    with engine.connect() as conn:
        row = conn.execute(select(tasks).where(tasks.c.source_id == "NV-1")).one()
    assert row.deadline_milestone == at(date(2024, 2, 20), 17)
    assert row.extension_count == 0


def test_an_extension_seen_by_sync_is_appended_with_its_grant_time(engine):
    first, later, again = (
        at(date(2024, 2, 7), 9),
        at(date(2024, 2, 19), 11),
        at(date(2024, 2, 20), 8),
    )
    sync_tasks(engine, task(2), now=first)
    extensions.record_deadlines(engine, first, POLICY)
    extended = task(2, deadline=at(date(2024, 2, 28), 17),
                    original_deadline=at(date(2024, 2, 21), 17),
                    extended_at=at(date(2024, 2, 19), 10))  # fmt: skip
    sync_tasks(engine, extended, now=later)
    extensions.record_deadlines(engine, later, POLICY)
    extensions.record_deadlines(engine, again, POLICY)  # idempotent: nothing new
    history = extensions.history_of(engine, "NV-2")
    assert [(h["kind"], h["deadline"]) for h in history] == [
        ("original", at(date(2024, 2, 21), 17)),
        ("extension", at(date(2024, 2, 28), 17)),
    ]
    assert history[1]["granted_at"] == at(date(2024, 2, 19), 10)
    assert history[1]["seen_at"] == later
    assert history[1]["milestone"] == at(date(2024, 2, 27), 17)
    with engine.connect() as conn:
        row = conn.execute(select(tasks).where(tasks.c.source_id == "NV-2")).one()
    assert (row.extension_count, row.deadline_milestone) == (1, at(date(2024, 2, 27), 17))


def test_a_task_first_seen_already_extended_gets_both_entries(engine):
    seen = at(date(2024, 2, 22), 9)
    sync_tasks(engine, task(3, deadline=at(date(2024, 3, 1), 17),
                            original_deadline=at(date(2024, 2, 21), 17)), now=seen)  # fmt: skip
    extensions.record_deadlines(engine, seen, POLICY)
    kinds = [(h["kind"], h["deadline"]) for h in extensions.history_of(engine, "NV-3")]
    assert kinds == [
        ("original", at(date(2024, 2, 21), 17)),
        ("extension", at(date(2024, 3, 1), 17)),
    ]


def test_history_rows_go_with_their_task(engine):
    seen = at(date(2024, 2, 7), 9)
    sync_tasks(engine, task(4), now=seen)
    extensions.record_deadlines(engine, seen, POLICY)
    with engine.begin() as conn:
        conn.execute(tasks.delete().where(tasks.c.source_id == "NV-4"))
        assert conn.execute(select(deadline_history)).all() == []


@pytest.mark.parametrize(
    ("known", "shown", "expected"),
    [
        ([], (21, None, None), [("original", 21, None)]),
        ([], (28, 21, 19), [("original", 21, None), ("extension", 28, 19)]),
        ([], (14, 21, None), [("original", 21, None), ("change", 14, None)]),
        ([("original", 21, None)], (21, None, None), []),
        ([("original", 21, None)], (28, None, None), [("extension", 28, None)]),
        ([("original", 21, None)], (28, 21, 19), [("extension", 28, 19)]),
        ([("original", 21, None)], (14, None, None), [("change", 14, None)]),
        ([("original", 21, None), ("extension", 28, 19)], (29, 21, 19), [("extension", 29, None)]),
        ([("original", 21, None), ("extension", 28, 19)], (21, 21, 19), []),  # back: no entry
    ],
)  # fmt: skip
def test_plan_history_from_the_rules(known, shown, expected):
    """Day numbers are February 2024 at 17:00; grant times at 10:00 of that day."""

    def day(n):
        return at(date(2024, 2, n), 17) if n else None

    def grant(n):
        return at(date(2024, 2, n), 10) if n else None

    now = at(date(2024, 2, 29), 9)
    entries = [HistoryEntry(1, day(d), k, now, grant(g)) for k, d, g in known]
    deadline, original, granted = shown
    got = plan_history(TaskDeadline(1, day(deadline), day(original), grant(granted)), entries, now)
    assert [(e.kind, e.deadline, e.granted_at) for e in got] == [
        (k, day(d), grant(g)) for k, d, g in expected
    ]


def test_the_review_watch_lists_items_at_their_milestone_with_no_response(engine):
    seen = at(date(2024, 2, 7), 9)
    waiting = task(10, source_document=document(10).key, deadline=at(date(2024, 2, 21), 17))
    answered = task(11, source_document=document(11).key, deadline=at(date(2024, 2, 21), 17))
    later = task(12, deadline=at(date(2024, 2, 28), 17))
    sync_tasks(engine, waiting, answered, later, now=seen)
    incoming = [document(10), document(11),
                document(13, stated_deadline=at(date(2024, 2, 21), 17))]  # fmt: skip
    response = document(
        90, direction="outgoing", issued_at=at(date(2024, 2, 19), 15), received_at=None,
        abstract="V/v phúc đáp văn bản số 11/QĐ-STTTT ngày 01/02/2024",
    )  # fmt: skip
    queries.write_page(engine, Page("ioffice", "incoming", documents=incoming), seen)
    queries.write_page(engine, Page("ioffice", "outgoing", documents=[response]), seen)
    moment = at(date(2024, 2, 20), 17, 30)  # past the milestone 20/2 17:00, before the deadline
    reconcile.reconcile(engine, moment)
    found = {(item.kind, item.source_id) for item in extensions.review_due(engine, moment)}
    assert ("task", "NV-10") in found
    assert ("task", "NV-11") not in found  # answered on 19/2
    assert ("task", "NV-12") not in found  # milestone 27/2 not reached
    assert ("document", "VBD-13") in found  # its stated deadline's milestone has come
    assert ("document", "VBD-11") not in found  # answered through its task
    with engine.connect() as conn:
        milestone = conn.execute(
            select(documents.c.deadline_milestone).where(documents.c.source_id == "VBD-13")
        ).scalar_one()
    assert milestone == at(date(2024, 2, 20), 17)
    before = extensions.review_due(engine, at(date(2024, 2, 20), 16, 59))
    assert ("task", "NV-10") not in {(i.kind, i.source_id) for i in before}


def test_milestones_are_written_in_row_order_so_two_runs_at_once_never_deadlock(engine):
    """Two reconciles at once (two systems' flows on one store) write milestones of rows they
    share. Another transaction holds row 1 and then wants row 2, while the deadline write,
    asked for rows 2 then 1, runs: written in row order it waits on row 1 without holding row
    2, so both finish (in the order asked, PostgreSQL found a deadlock: a test of two
    workers did)."""
    import threading

    from sqlalchemy import update

    from store import extension_queries

    seen = at(date(2024, 2, 7), 9)
    docs = [document(n, stated_deadline=at(date(2024, 2, 20), 17)) for n in (1, 2)]
    queries.write_page(engine, Page("ioffice", "incoming", documents=docs), seen)
    with engine.connect() as conn:
        first, second = sorted(conn.execute(select(documents.c.id)).scalars())
    failures: list[BaseException] = []

    def deadline_write() -> None:
        try:
            extension_queries.write_deadlines(engine, [], [], [
                {"row_id": second, "milestone": seen}, {"row_id": first, "milestone": seen},
            ])  # fmt: skip
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    touch = update(documents).values(deadline_milestone=seen)
    with engine.connect() as other:
        holding = other.begin()
        other.execute(touch.where(documents.c.id == first))
        writer = threading.Thread(target=deadline_write)
        writer.start()
        writer.join(timeout=1.0)  # it now waits for row 1 (and, in the order asked, held 2)
        other.execute(touch.where(documents.c.id == second))
        holding.commit()
    writer.join(timeout=60)
    assert not writer.is_alive() and failures == []
