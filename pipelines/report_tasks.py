"""Tasks of the tracking system as report items (docs/domain.md §5, §7). Pure.

``TaskFacts`` is a task joined with its linked documents, as ``report_store.load_facts`` reads
it; the mismatch list uses it too. ``task_items`` turns it into ``ReportItem``s, with the
deadline history that ``report_store.task_deadline_history`` gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pipelines.report_items import KIND_TASK, ReportItem
from pipelines.status import assess_task
from schemas import DerivedStatus, TrackingStatus


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
    coordinating_unit_ids: tuple[str, ...] = ()
    deadline_whole_day: bool = False  # given as a date: a completion that day is on time

    @property
    def completed_at(self) -> datetime | None:
        """Completion is the response's issue time (docs/domain.md §5), else what tracking
        says."""
        return self.response_issued_at or self.tracking_completed_at

    def work_started(self, moment: datetime) -> bool:
        assigned = self.assigned_at is not None and self.assigned_at <= moment
        return assigned or self.tracking_status != TrackingStatus.NOT_STARTED.value

    def status_at(self, moment: datetime) -> DerivedStatus:
        started = self.work_started(moment)
        return assess_task(
            self.deadline, self.completed_at, started, moment, whole_day=self.deadline_whole_day
        ).status


# The bridge's own early warning goes to the tracking system as a progress report, so it comes
# back as the task's notes (reconcile writes it); it is not the unit's reason and is left out.
BRIDGE_WARNING_PREFIX = "Cảnh báo sớm:"


def unit_notes(notes: str | None) -> str | None:
    """The task's notes as the unit's own words, or None."""
    text = (notes or "").strip()
    return text if text and not text.startswith(BRIDGE_WARNING_PREFIX) else None


@dataclass(frozen=True)
class DeadlineHistory:
    """A task's deadline before any extension, and whether it was extended (docs/domain.md
    §6 "Extensions")."""

    original_deadline: datetime | None
    extended: bool


def task_items(
    facts: Iterable[TaskFacts], history: Mapping[str, DeadlineHistory]
) -> list[ReportItem]:
    """``history``: task source id → its deadline history; a task missing there was never
    extended as far as the store knows."""
    items = []
    for task in facts:
        known = history.get(task.source_id)
        items.append(
            ReportItem(
                kind=KIND_TASK, item_id=task.source_id, code=task.source_id, title=task.title,
                unit_id=task.unit_id, deadline=task.deadline, received_at=task.received_at,
                completed_at=task.completed_at, response_code=task.response_code,
                started_at=task.assigned_at,
                started_anyway=task.tracking_status != TrackingStatus.NOT_STARTED.value,
                coordinating_unit_ids=task.coordinating_unit_ids, notes=unit_notes(task.notes),
                original_deadline=known.original_deadline if known else None,
                extended=known.extended if known else False,
                deadline_whole_day=task.deadline_whole_day,
            )
        )  # fmt: skip
    return items
