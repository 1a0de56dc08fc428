"""Periodic on-time/late figures per unit (DOMAIN.md section 7).

A report counts the tasks **received in the period** (the cohort; up to now, for a period
still running) and says where each stood **at the period's end** (or now): done on time, done
late, in progress, overdue or not started. The five add up to the number received. The status
is derived again at that moment with ``status.assess_task``, not read from
``tasks.derived_status``, which is as of the last reconcile.

The facts, and where they come from in the store:

* received: the ``received_at`` of the task's source document (link role ``source``). The
  tracking system's own creation time is not stored; a task with no linked source document
  cannot be placed in any period and is counted apart, as *undated*, so it never silently
  disappears.
* completion: the ``issued_at`` of its response document (link role ``response``), else the
  tracking system's ``completed_at``.
* work started (in progress rather than not started, DOMAIN.md §5 "assigned, draft exists"):
  a leadership directive assigning the source document existed at that moment, or the
  tracking system shows the task beyond "not started" (its history is not stored, so that
  part is today's view).
* unit: the task's lead unit (chủ trì), already a canonical unit id.
* secret documents: only the counts in ``secret_skips`` whose day falls in the period. That day
  is the day the document was received (a reply: issued; a directive: written), each document
  counted once however often it is read (store/secret_digests.py).

The counting (``count_report``) is pure over plain rows; ``load_facts`` and ``build_report``
are the thin layer that reads the store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Engine, func, select

from bridge.mappings.units import load_unit_table
from bridge.pipelines.periods import Period
from bridge.pipelines.status import assess_task
from bridge.schemas import DerivedStatus, LinkRole, TrackingStatus
from bridge.store.tables import (
    directives,
    documents,
    secret_skips,
    task_document_links,
    tasks,
    units,
)

UNKNOWN_UNIT_NAME = "(không rõ đơn vị)"


class UnknownUnit(ValueError):
    """A unit filter that names no unit the store or the unit table knows."""


# --- plain rows in -------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskFacts:
    """One task with the facts a report needs, already joined with its linked documents."""

    source_id: str
    title: str
    unit_id: str
    deadline: datetime | None
    tracking_status: str  # a TrackingStatus value, as the tracking system shows it now
    tracking_completed_at: datetime | None = None
    notes: str | None = None
    source_document_id: str | None = None  # the DocumentId the task names
    received_at: datetime | None = None  # of the linked source document
    has_source_link: bool = False
    response_issued_at: datetime | None = None
    response_code: str | None = None  # "12/STTTT-VP", for people to find it
    assigned_at: datetime | None = None  # first directive on the source document

    @property
    def completed_at(self) -> datetime | None:
        """Completion is the response's issue time (DOMAIN.md §5), else what tracking says."""
        return self.response_issued_at or self.tracking_completed_at

    def work_started(self, moment: datetime) -> bool:
        assigned = self.assigned_at is not None and self.assigned_at <= moment
        return assigned or self.tracking_status != TrackingStatus.NOT_STARTED.value

    def status_at(self, moment: datetime) -> DerivedStatus:
        started = self.work_started(moment)
        return assess_task(self.deadline, self.completed_at, started, moment).status


@dataclass(frozen=True)
class SecretSkip:
    unit_id: str  # "" when the unit could not be read
    day: date
    count: int


# --- figures out ---------------------------------------------------------------------------


@dataclass
class UnitFigures:
    unit_id: str
    unit_name: str
    received: int = 0
    done_on_time: int = 0
    done_late: int = 0
    in_progress: int = 0
    overdue: int = 0
    not_started: int = 0
    secret_excluded: int = 0

    @property
    def settled(self) -> int:
        """Tasks whose timeliness is decided: done, or already past the deadline."""
        return self.done_on_time + self.done_late + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        """Done on time over the settled tasks; None when nothing is settled yet.

        Tasks still within their deadline are left out: they may yet be on time or late.
        """
        return self.done_on_time / self.settled if self.settled else None

    def add(self, status: DerivedStatus) -> None:
        self.received += 1
        attribute = status.value  # the DerivedStatus values are these attributes' names
        setattr(self, attribute, getattr(self, attribute) + 1)

    def __iadd__(self, other: UnitFigures) -> UnitFigures:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


COUNTS = (
    "received",
    "done_on_time",
    "done_late",
    "in_progress",
    "overdue",
    "not_started",
    "secret_excluded",
)


@dataclass(frozen=True)
class LateTask:
    """A task done late or overdue at the period's end, with the reason its unit gave."""

    source_id: str
    title: str
    unit_id: str
    unit_name: str
    status: DerivedStatus
    deadline: datetime
    completed_at: datetime | None  # None while overdue
    days_late: int  # started days past the deadline, at completion or at the period's end
    reason: str | None


@dataclass
class PeriodReport:
    period: Period
    as_of: datetime  # the period's end, or now if the period has not ended yet
    unit: str | None  # the unit asked for; None = every unit
    units: list[UnitFigures]
    total: UnitFigures
    late: list[LateTask] = field(default_factory=list)
    undated: int = 0  # tasks with no linked source document: in no period


# --- the counting --------------------------------------------------------------------------


def count_report(
    facts: Iterable[TaskFacts],
    skips: Iterable[SecretSkip],
    unit_names: Mapping[str, str],
    period: Period,
    as_of: datetime,
    unit: str | None = None,
) -> PeriodReport:
    """The figures of ``period`` for ``unit`` (None: every unit), statuses as of ``as_of``.

    ``unit_names`` lists the known units: each gets a row even when it received nothing, so
    a unit with no work shows a zero instead of going missing.
    """
    rows: dict[str, UnitFigures] = {}

    def row(unit_id: str) -> UnitFigures:
        if unit_id not in rows:
            rows[unit_id] = UnitFigures(unit_id, unit_name(unit_id, unit_names))
        return rows[unit_id]

    for unit_id in unit_names:
        if unit is None or unit_id == unit:
            row(unit_id)
    late: list[LateTask] = []
    undated = 0
    for task in facts:
        if unit is not None and task.unit_id != unit:
            continue
        if task.received_at is None:
            undated += 1
            continue
        if not period.contains(task.received_at) or task.received_at > as_of:
            continue  # a task received after ``as_of`` did not exist yet at that time
        status = task.status_at(as_of)
        row(task.unit_id).add(status)
        if status in (DerivedStatus.DONE_LATE, DerivedStatus.OVERDUE):
            late.append(_late_task(task, status, as_of, unit_name(task.unit_id, unit_names)))
    for skip in skips:
        if (
            unit is None or skip.unit_id == unit
        ) and period.first_day <= skip.day <= period.last_day:
            row(skip.unit_id).secret_excluded += skip.count

    ordered = sorted(rows.values(), key=lambda r: (r.unit_id == "", r.unit_name, r.unit_id))
    total = UnitFigures("", "Tổng cộng")
    for figures in ordered:
        total += figures
    late.sort(key=lambda t: (t.unit_name, t.deadline, t.source_id))
    return PeriodReport(period, as_of, unit, ordered, total, late, undated)


def unit_name(unit_id: str, names: Mapping[str, str]) -> str:
    if not unit_id:
        return UNKNOWN_UNIT_NAME
    return names.get(unit_id, unit_id)


def _late_task(task: TaskFacts, status: DerivedStatus, as_of: datetime, name: str) -> LateTask:
    assert task.deadline is not None  # only a task with a deadline can be late or overdue
    done = task.completed_at if status is DerivedStatus.DONE_LATE else None
    overrun = (done or as_of) - task.deadline
    return LateTask(
        source_id=task.source_id,
        title=task.title,
        unit_id=task.unit_id,
        unit_name=name,
        status=status,
        deadline=task.deadline,
        completed_at=done,
        days_late=math.ceil(overrun.total_seconds() / 86400),
        reason=task.notes,
    )


# --- the store around it -------------------------------------------------------------------


def load_facts(conn: Connection) -> list[TaskFacts]:
    """Every task, joined with the documents linked to it (earliest one per role)."""
    linked = conn.execute(
        select(
            task_document_links.c.task_id,
            task_document_links.c.role,
            documents.c.system,
            documents.c.source_id,
            documents.c.received_at,
            documents.c.issued_at,
            documents.c.number,
            documents.c.notation,
        ).join(documents, documents.c.id == task_document_links.c.document_id)
    ).all()
    directed = _first_directives(conn)
    received: dict[int, datetime | None] = {}
    assigned: dict[int, datetime | None] = {}
    responses: dict[int, tuple[datetime, str]] = {}
    for link in linked:
        if link.role == LinkRole.SOURCE.value:
            previous = received.get(link.task_id)
            received[link.task_id] = _earliest(previous, link.received_at)
            directive = directed.get((link.system, link.source_id))
            assigned[link.task_id] = _earliest(assigned.get(link.task_id), directive)
        elif link.role == LinkRole.RESPONSE.value and link.issued_at is not None:
            # Should reconcile ever link a second response, the first issued completed it.
            earlier = responses.get(link.task_id)
            if earlier is None or link.issued_at < earlier[0]:
                responses[link.task_id] = (link.issued_at, f"{link.number}/{link.notation}")
    facts = []
    for t in conn.execute(select(tasks)):
        issued, code = responses.get(t.id, (None, None))
        facts.append(
            TaskFacts(
                source_id=t.source_id, title=t.title, unit_id=t.lead_unit_id,
                deadline=t.deadline, tracking_status=t.status,
                tracking_completed_at=t.completed_at, notes=t.notes,
                source_document_id=t.source_document_id, received_at=received.get(t.id),
                has_source_link=t.id in received, response_issued_at=issued, response_code=code,
                assigned_at=assigned.get(t.id),
            )
        )  # fmt: skip
    return facts


def _first_directives(conn: Connection) -> dict[tuple[str, str], datetime]:
    """(system, document source id) → when leadership first directed who handles it."""
    query = select(
        directives.c.system, directives.c.document_source_id, func.min(directives.c.created_at)
    ).group_by(directives.c.system, directives.c.document_source_id)
    return {(system, source): first for system, source, first in conn.execute(query)}


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(a, b) if a is not None and b is not None else a or b


def load_secret_skips(conn: Connection) -> list[SecretSkip]:
    return [
        SecretSkip(r.unit_id, r.day, r.count)
        for r in conn.execute(
            select(secret_skips.c.unit_id, secret_skips.c.day, secret_skips.c.count)
        )
    ]


def load_unit_names(conn: Connection) -> dict[str, str]:
    """Canonical unit id → name: the store's ``units`` table over the unit table file."""
    names = {unit.id: unit.name for unit in load_unit_table().units.values()}
    names.update({r.id: r.name for r in conn.execute(select(units.c.id, units.c.name))})
    return names


def check_unit(unit: str | None, names: Mapping[str, str], facts: Iterable[TaskFacts]) -> None:
    """Refuse a unit filter nobody knows: a typo would otherwise give an all-zero report."""
    if unit is None or unit in names or any(task.unit_id == unit for task in facts):
        return
    known = ", ".join(sorted(names)) or "none yet"
    raise UnknownUnit(f"unknown unit {unit!r}; known units: {known}")


def build_report(
    engine: Engine, period: Period, unit: str | None = None, now: datetime | None = None
) -> PeriodReport:
    """Read the store and count ``period``; a period still running is counted as of now."""
    moment = now or datetime.now(UTC)
    with engine.connect() as conn:
        facts = load_facts(conn)
        skips = load_secret_skips(conn)
        names = load_unit_names(conn)
    check_unit(unit, names, facts)
    return count_report(facts, skips, names, period, min(period.last_instant, moment), unit)
