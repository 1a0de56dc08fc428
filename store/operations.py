"""The store reads and run records that the orchestration (pipelines/orchestration.py) needs.

Kept apart from store/queries.py, which holds what ingest, reconcile and push write: these are
the reads a run makes around its steps (the failures open before it, the tasks the deadline
watch lists) and the run record of a push.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, or_, select, text

from store import database
from store.queries import Failure, list_failures
from store.run_log import finish_run, start_run
from store.tables import documents, tasks


@contextmanager
def opened(url: str, *, migrate: bool = True) -> Iterator[Engine]:
    """The store at ``url``, brought up to date first (safe on every run), its connections
    closed after."""
    engine = _engine_for(url)
    try:
        if migrate:
            database.upgrade(url, engine=engine)
        yield engine
    finally:
        # Closes every pooled connection (none outlives the run: a test may drop its
        # database, a server's PostgreSQL keeps no idle sessions); the engine and its
        # compiled statements stay for the next run.
        engine.dispose()


# One engine per store URL in this process, reused by every run: the statements an engine
# compiled are cached in that engine, so a new engine per flow run compiled every query of
# reconcile, push and ingest again (8 % of the demo's CPU). A few URLs at most in a real
# process; the oldest is dropped past that (the tests open many throwaway stores).
_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()
_MAX_ENGINES = 8


def _engine_for(url: str) -> Engine:
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            if len(_ENGINES) >= _MAX_ENGINES:
                _ENGINES.pop(next(iter(_ENGINES))).dispose()
            engine = _ENGINES[url] = database.connect(url)
        return engine


def answers(url: str) -> None:
    """Raise unless the store at ``url`` answers a query (nothing is migrated: a check changes
    nothing)."""
    with opened(url, migrate=False) as engine, engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def open_failures(engine: Engine) -> list[Failure]:
    """Dead letters, dead outbox rows and secret answers still open (store.queries)."""
    return list_failures(engine)


@dataclass
class RunRecord:
    """The counts a run writes into its row of ``runs`` when it ends."""

    counts: dict[str, int] = field(default_factory=dict)


@contextmanager
def recorded_run(engine: Engine, kind: str) -> Iterator[RunRecord]:
    """A row of ``runs`` for the block: finished with the record's counts, or with the error
    (class and message, no record content) when the block raises."""
    run_id = start_run(engine, kind, datetime.now(UTC))
    record = RunRecord()
    try:
        yield record
    except Exception as exc:
        finish_run(engine, run_id, datetime.now(UTC), record.counts,
                   error=f"{exc.__class__.__name__}: {exc}")  # fmt: skip
        raise
    finish_run(engine, run_id, datetime.now(UTC), record.counts)


def watched_tasks(engine: Engine) -> Sequence[Row[Any]]:
    """Tasks at risk first (nearest deadline first), then overdue ones."""
    query = (
        select(tasks.c.source_id, tasks.c.title, tasks.c.lead_unit_id, tasks.c.deadline,
               tasks.c.at_risk, tasks.c.derived_status)
        .where(or_(tasks.c.at_risk.is_(True), tasks.c.derived_status == "overdue"))
        .order_by(tasks.c.at_risk.desc(), tasks.c.deadline)
    )  # fmt: skip
    with engine.connect() as conn:
        return conn.execute(query).all()


def unreadable_deadlines(engine: Engine) -> Sequence[Row[Any]]:
    """Documents whose text states a deadline the bridge cannot read (docs/domain.md §6):
    their deadline is only the default, so a person must check it."""
    query = (
        select(documents.c.system, documents.c.source_id, documents.c.number,
               documents.c.notation, documents.c.unit_id, documents.c.computed_deadline,
               documents.c.deadline_explanation)
        .where(documents.c.deadline_rule == "not_understood")
        .order_by(documents.c.computed_deadline)
    )  # fmt: skip
    with engine.connect() as conn:
        return conn.execute(query).all()
