"""Extensions (gia hạn) and review milestones (docs/domain.md §6, "Extensions", rule 4).

Each task keeps its deadline history: the original deadline, then each extension with when it
was granted (as the tracking system says, when it says) and when the bridge first saw it. The
tracking system holds the deadline in force; statuses are derived against it, and reports show
which tasks were extended. Every deadline, of a task or a document, is stored with its review
milestone: the draft goes to leadership N working days before (``[deadline_policy]``).

``plan_history`` decides (pure); ``record_deadlines`` reads the store, decides and writes, and
runs at the end of every reconcile. ``review_due`` lists what the deadline watch shows: items
whose milestone has come with no response yet.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from pipelines import due
from pipelines.calendar import LOCAL_TZ, load_calendar
from pipelines.deadlines import DeadlinePolicy
from store import extension_queries

ORIGINAL = "original"
EXTENSION = "extension"  # a later deadline
CHANGE = "change"  # an earlier deadline: a correction, not an extension


@dataclass(frozen=True)
class TaskDeadline:
    """What the tracking system shows of one task's deadline now."""

    task_id: int
    deadline: datetime | None
    original_deadline: datetime | None = None  # shown by the system once extended
    extended_at: datetime | None = None  # the latest grant, as the system says
    changed_at: datetime | None = None


@dataclass(frozen=True)
class HistoryEntry:
    task_id: int
    deadline: datetime
    kind: str
    seen_at: datetime
    granted_at: datetime | None = None


def plan_history(
    task: TaskDeadline, known: list[HistoryEntry], now: datetime
) -> list[HistoryEntry]:
    """The entries to add for ``task``, given its ``known`` history (oldest first)."""
    if task.deadline is None:
        return []
    if not known:
        original = task.original_deadline
        if original is not None and original != task.deadline:
            kind = EXTENSION if task.deadline > original else CHANGE
            return [
                HistoryEntry(task.task_id, original, ORIGINAL, now),
                HistoryEntry(task.task_id, task.deadline, kind, now, task.extended_at),
            ]
        return [HistoryEntry(task.task_id, task.deadline, ORIGINAL, now)]
    if any(entry.deadline == task.deadline for entry in known):
        return []  # unchanged, or back to an earlier deadline: nothing new to record
    last = known[-1]
    kind = EXTENSION if task.deadline > last.deadline else CHANGE
    # A grant time the system shows counts only if it is newer than what we recorded last.
    granted = task.extended_at
    if granted is not None and last.granted_at is not None and granted <= last.granted_at:
        granted = None
    return [HistoryEntry(task.task_id, task.deadline, kind, now, granted)]


def record_deadlines(
    engine: Engine,
    now: datetime,
    policy: DeadlinePolicy | None = None,
    *,
    task_ids: Collection[int] | None = None,
    doc_ids: Collection[int] | None = None,
) -> dict[str, int]:
    """Deadline history for every task and the review milestone of every deadline (of
    ``task_ids`` and ``doc_ids`` only, when given: what an incremental reconcile read); counts."""
    policy = policy or due.active_policy()
    # The working calendar, loaded once per run at the first deadline, not once per deadline.
    loaded = functools.cache(load_calendar)

    def milestone_of(deadline: datetime | None) -> datetime | None:
        return None if deadline is None else due.milestone_of(deadline, policy, loaded())

    history, task_rows, doc_rows = extension_queries.deadline_state(engine, task_ids, doc_ids)
    known: dict[int, list[HistoryEntry]] = defaultdict(list)
    for row in history:
        known[row.task_id].append(
            HistoryEntry(row.task_id, row.deadline, row.kind, row.seen_at, row.granted_at)
        )
    new: list[HistoryEntry] = []
    task_updates = []
    for row in task_rows:
        shown = TaskDeadline(row.id, row.deadline, row.original_deadline, row.extended_at,
                             row.changed_at)  # fmt: skip
        added = plan_history(shown, known[row.id], now)
        new += added
        entries = known[row.id] + added
        milestone = milestone_of(row.deadline)
        count = sum(1 for e in entries if e.kind == EXTENSION)
        if milestone != row.deadline_milestone or count != row.extension_count:
            task_updates.append({"row_id": row.id, "milestone": milestone, "count": count})
    doc_updates = []
    for row in doc_rows:
        deadline = due.document_deadline(row.stated_deadline, row.computed_deadline)
        milestone = milestone_of(deadline)
        if milestone != row.deadline_milestone:
            doc_updates.append({"row_id": row.id, "milestone": milestone})
    history_rows = [
        {"task_id": e.task_id, "deadline": e.deadline, "kind": e.kind, "seen_at": e.seen_at,
         "granted_at": e.granted_at, "milestone": milestone_of(e.deadline)}
        for e in new
    ]  # fmt: skip
    extension_queries.write_deadlines(engine, history_rows, task_updates, doc_updates)
    return {"history_added": len(new), "extensions_added": sum(e.kind == EXTENSION for e in new)}


def history_of(engine: Engine, task_source_id: str) -> list[dict[str, Any]]:
    """One task's deadline history, oldest first, for people and tests."""
    return extension_queries.history_of(engine, task_source_id)


def originals(conn: Any, task_ids: Iterable[int] | None = None) -> Mapping[int, datetime]:
    """The original deadline of each extended task (task id → deadline)."""
    return extension_queries.deadlines_of_kind(conn, ORIGINAL, task_ids)


# --- the deadline watch: milestones reached with no response -------------------------------


@dataclass(frozen=True)
class ReviewDue:
    """An item whose review milestone has come and that has no response yet."""

    kind: str  # "task" | "document"
    system: str
    source_id: str
    title: str
    unit_id: str | None
    milestone: datetime
    deadline: datetime
    extended: bool = False

    def as_row(self) -> dict[str, Any]:
        """A row of the deadline watch's table, in Vietnamese."""
        return {
            "Loại": "Nhiệm vụ" if self.kind == "task" else "Văn bản đến",
            "Mã": f"{self.system}/{self.source_id}",
            "Nội dung": self.title,
            "Đơn vị": self.unit_id or "",
            "Mốc trình duyệt": self.milestone.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y"),
            "Hạn xử lý": self.deadline.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y"),
            "Đã gia hạn": "Có" if self.extended else "",
        }


def review_due(engine: Engine, now: datetime) -> list[ReviewDue]:
    """Tasks and incoming documents whose review milestone is at or before ``now`` and that
    have no response yet (a task neither linked to an issued response nor shown done; a
    document answered by no outgoing document), nearest deadline first. Items already past
    their deadline are the overdue list's business, not this one's."""
    task_rows, doc_rows = extension_queries.unanswered_at_milestone(engine, now)
    found = [
        ReviewDue("task", r.system, r.source_id, r.title, r.lead_unit_id,
                  r.deadline_milestone, r.deadline, r.extension_count > 0)
        for r in task_rows
    ] + [
        ReviewDue("document", r.system, r.source_id, r.abstract, r.unit_id,
                  r.deadline_milestone,
                  due.document_deadline(r.stated_deadline, r.computed_deadline))
        for r in doc_rows
    ]  # fmt: skip
    found = [item for item in found if item.deadline >= now]  # the deadline in force
    return sorted(found, key=lambda item: (item.deadline, item.kind, item.source_id))
