"""Periodic on-time/late figures per unit, of documents and of tasks (docs/domain.md §7).

A report holds two kinds of figures for one period, each per unit with a total row:

* **documents** (``report_documents``): incoming documents with a processing deadline, for
  their main handler unit, coordinating units beside;
* **tasks** (``report_tasks``): the tracking system's tasks, for their lead unit.

Which items a period holds (the basis, a setting: items due or done in it, or received in
it), how statuses are derived and how days late are counted is said in ``report_items``. The
secret documents appear only as counts of ``secret_skips`` whose day falls in the period
(the day the document was received — a reply: issued; a directive: written —, each
document counted once however often it is read: store/secret_digests.py), beside the documents.

``count_report`` is pure over plain rows; ``build_report`` reads the store once
(``report_store``) and counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
from sqlalchemy import Engine

from pipelines import calendar_batch
from pipelines.calendar import CalendarError, WorkingCalendar, load_calendar, local_date
from pipelines.periods import Period
from pipelines.report_documents import DocumentFacts, document_items
from pipelines.report_items import (
    BASIS_DUE,
    KIND_DOCUMENT,
    KIND_TASK,
    DaysLate,
    DaysLateMany,
    KindReport,
    ReportItem,
    UnitFigures,
    count_kind,
    unit_name,
)
from pipelines.report_store import (
    load_documents,
    load_facts,
    load_secret_skips,
    load_unit_names,
    task_deadline_history,
)
from pipelines.report_tasks import DeadlineHistory, TaskFacts, task_items

__all__ = [
    "PeriodReport",
    "SecretSkip",
    "TaskFacts",
    "UnitFigures",
    "UnknownUnit",
    "build_report",
    "check_unit",
    "count_report",
    "load_facts",
    "load_unit_names",
    "unit_name",
    "working_days_late",
    "working_days_late_many",
]  # fmt: skip


class UnknownUnit(ValueError):
    """A unit filter that names no unit the store or the unit table knows."""


@dataclass(frozen=True)
class SecretSkip:
    unit_id: str  # "" when the unit could not be read
    day: date
    count: int


@dataclass
class PeriodReport:
    period: Period
    as_of: datetime  # the period's end, or now if the period has not ended yet
    unit: str | None  # the unit asked for; None = every unit
    basis: str  # report_items.BASIS_DUE | BASIS_RECEIVED
    documents: KindReport
    tasks: KindReport

    @property
    def kinds(self) -> tuple[KindReport, KindReport]:
        return (self.documents, self.tasks)

    @property
    def secret_excluded(self) -> int:
        return self.documents.total.secret_excluded


def working_days_late(calendar: WorkingCalendar) -> DaysLate:
    """Working days after the deadline's day up to the end's day, at least one for a late item
    (late the same evening is one day late); None past the calendar's years."""

    def days(deadline: datetime, end: datetime) -> int | None:
        try:
            return max(1, calendar.count_working_days(deadline, end))
        except CalendarError:
            return None

    return days


def working_days_late_many(calendar: WorkingCalendar) -> DaysLateMany:
    """:func:`working_days_late` for every late item of a report at once: one numpy search over
    the working-day table (pipelines/calendar_batch.py); an item whose days lie outside the
    calendar's years gets None alone, the others are still counted."""
    table = calendar_batch.table(calendar)

    def days(spans: Sequence[tuple[datetime, datetime]]) -> list[int | None]:
        if not spans:
            return []
        deadlines = np.array([local_date(deadline) for deadline, _ in spans], "datetime64[D]")
        ends = np.array([local_date(end) for _, end in spans], "datetime64[D]")
        known = table.in_range(deadlines) & table.in_range(ends)
        anyday = np.datetime64(calendar.first_day, "D")  # stands in for the unknown ones
        counted = table.count_working_days(
            np.where(known, deadlines, anyday), np.where(known, ends, anyday)
        )
        return [
            max(1, count) if ok else None
            for count, ok in zip(counted.tolist(), known.tolist(), strict=True)
        ]

    return days


def count_report(
    documents: Iterable[ReportItem],
    tasks: Iterable[ReportItem],
    skips: Iterable[SecretSkip],
    unit_names: Mapping[str, str],
    period: Period,
    as_of: datetime,
    days_late: DaysLateMany,
    basis: str = BASIS_DUE,
    unit: str | None = None,
) -> PeriodReport:
    """The figures of ``period`` for ``unit`` (None: every unit), statuses as of ``as_of``."""
    docs = count_kind(KIND_DOCUMENT, documents, unit_names, period, as_of, days_late, basis, unit)
    work = count_kind(KIND_TASK, tasks, unit_names, period, as_of, days_late, basis, unit)
    rows = {row.unit_id: row for row in docs.units}
    for skip in skips:
        wanted = unit is None or skip.unit_id == unit
        if wanted and period.first_day <= skip.day <= period.last_day:
            if skip.unit_id not in rows:
                rows[skip.unit_id] = UnitFigures(skip.unit_id, unit_name(skip.unit_id, unit_names))
                docs.units.append(rows[skip.unit_id])
            rows[skip.unit_id].secret_excluded += skip.count
            docs.total.secret_excluded += skip.count
    return PeriodReport(period, as_of, unit, basis, docs, work)


def check_unit(unit: str | None, names: Mapping[str, str], facts: Iterable[TaskFacts]) -> None:
    """Refuse a unit filter nobody knows: a typo would otherwise give an all-zero report."""
    if unit is None or unit in names or any(task.unit_id == unit for task in facts):
        return
    known = ", ".join(sorted(names)) or "none yet"
    raise UnknownUnit(f"unknown unit {unit!r}; known units: {known}")


@dataclass
class StoreRows:
    """What the report reads from the store, read once."""

    tasks: list[TaskFacts]
    history: dict[str, DeadlineHistory]
    documents: list[DocumentFacts]
    skips: list[SecretSkip]
    names: dict[str, str]


def read_store(engine: Engine) -> StoreRows:
    with engine.connect() as conn:
        return StoreRows(
            tasks=load_facts(conn),
            history=task_deadline_history(conn),
            documents=load_documents(conn),
            skips=[SecretSkip(*row) for row in load_secret_skips(conn)],  # type: ignore[arg-type]
            names=load_unit_names(conn),
        )


def build_report(
    engine: Engine,
    period: Period,
    unit: str | None = None,
    now: datetime | None = None,
    basis: str = BASIS_DUE,
    calendar: WorkingCalendar | None = None,
) -> PeriodReport:
    """Read the store and count ``period``; a period still running is counted as of now."""
    moment = now or datetime.now(UTC)
    rows = read_store(engine)
    check_unit(unit, rows.names, rows.tasks)
    return count_report(
        document_items(rows.documents),
        task_items(rows.tasks, rows.history),
        rows.skips,
        rows.names,
        period,
        min(period.last_instant, moment),
        working_days_late_many(calendar or load_calendar()),
        basis,
        unit,
    )
