"""What tells reconcile what changed (store/reconcile_changes.py, pipelines/reconcile_scope.py):
every write marks its row, a run clears only the marks it read, and a run reads everything
when it cannot trust what it kept. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from pipelines import reconcile
from store import queries
from store import reconcile_changes as changes
from store.queries import Page
from store.tables import documents, tasks
from tests.store.factories import NOW, document, task


def _marks(engine, table) -> dict[str, str | None]:
    with engine.connect() as conn:
        return dict(conn.execute(select(table.c.source_id, table.c.reconcile_mark)).tuples().all())


def test_a_row_written_again_while_reconcile_ran_stays_marked(engine):
    queries.write_page(engine, Page("ioffice", "incoming", documents=[document(1), document(2)]),
                       NOW)  # fmt: skip
    with engine.connect() as conn:
        read = [(r.id, r.reconcile_mark) for r in changes.marked(conn, documents)]
    assert len(read) == 2 and all(mark for _id, mark in read)
    # Document 2 is written again after the run read it, before it clears what it read.
    queries.write_page(engine, Page("ioffice", "incoming", documents=[document(2)]), NOW)
    with engine.begin() as conn:
        changes.clear_marks(conn, documents, read)
    marks = _marks(engine, documents)
    assert marks["VBD-1"] is None
    assert marks["VBD-2"] is not None  # the next run reads it again


def test_a_run_reads_everything_only_when_it_must(engine):
    queries.write_page(engine, Page("ioffice", "incoming", documents=[document(1)]), NOW)
    linked = task(1, source_document=document(1).key)
    queries.write_page(engine, Page("tracking", "tasks", tasks=[linked]), NOW)
    first = reconcile.reconcile(engine, NOW)
    assert (first.full, first.scope_reason, first.tasks, first.linked_source) == (
        True, "first run", 1, 1
    )  # fmt: skip
    assert set(_marks(engine, tasks).values()) == {None}
    assert set(_marks(engine, documents).values()) == {None}

    quiet = reconcile.reconcile(engine, NOW + timedelta(minutes=5))
    assert (quiet.full, quiet.tasks) == (False, 0)  # nothing changed: nothing decided again

    queries.write_page(engine, Page("ioffice", "incoming", documents=[document(1)]), NOW)
    touched = reconcile.reconcile(engine, NOW + timedelta(minutes=6))
    assert (touched.full, touched.tasks, touched.linked_source) == (False, 1, 1)

    asked = reconcile.reconcile(engine, NOW + timedelta(minutes=7), full=True)
    assert (asked.full, asked.scope_reason, asked.tasks) == (True, "asked", 1)
    back = reconcile.reconcile(engine, NOW)
    assert (back.full, back.scope_reason) == (True, "time went back")
    other = reconcile.reconcile(
        engine, NOW + timedelta(minutes=8), actions=reconcile.AtRiskActions(warn=False)
    )
    assert (other.full, other.scope_reason) == (True, "calendar, policy or settings changed")
