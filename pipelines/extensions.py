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

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, bindparam, or_, select, update

from pipelines import due
from pipelines.calendar import LOCAL_TZ
from pipelines.deadlines import DeadlinePolicy
from schemas import LinkRole
from store.queries import _upsert
from store.tables import deadline_history, documents, task_document_links, tasks

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
    engine: Engine, now: datetime, policy: DeadlinePolicy | None = None
) -> dict[str, int]:
    """Deadline history for every task and the review milestone of every deadline; counts."""
    policy = policy or due.active_policy()
    with engine.connect() as conn:
        known: dict[int, list[HistoryEntry]] = defaultdict(list)
        for row in conn.execute(select(deadline_history).order_by(deadline_history.c.id)):
            known[row.task_id].append(
                HistoryEntry(row.task_id, row.deadline, row.kind, row.seen_at, row.granted_at)
            )
        task_rows = conn.execute(
            select(tasks.c.id, tasks.c.deadline, tasks.c.original_deadline, tasks.c.extended_at,
                   tasks.c.changed_at, tasks.c.deadline_milestone, tasks.c.extension_count)
        ).all()  # fmt: skip
        doc_rows = conn.execute(
            select(documents.c.id, documents.c.stated_deadline, documents.c.computed_deadline,
                   documents.c.deadline_milestone)
        ).all()  # fmt: skip
    new: list[HistoryEntry] = []
    task_updates = []
    for row in task_rows:
        shown = TaskDeadline(row.id, row.deadline, row.original_deadline, row.extended_at,
                             row.changed_at)  # fmt: skip
        added = plan_history(shown, known[row.id], now)
        new += added
        entries = known[row.id] + added
        milestone = due.milestone_of(row.deadline, policy)
        count = sum(1 for e in entries if e.kind == EXTENSION)
        if milestone != row.deadline_milestone or count != row.extension_count:
            task_updates.append({"row_id": row.id, "milestone": milestone, "count": count})
    doc_updates = []
    for row in doc_rows:
        deadline = due.document_deadline(row.stated_deadline, row.computed_deadline)
        milestone = due.milestone_of(deadline, policy)
        if milestone != row.deadline_milestone:
            doc_updates.append({"row_id": row.id, "milestone": milestone})
    history_rows = [
        {"task_id": e.task_id, "deadline": e.deadline, "kind": e.kind, "seen_at": e.seen_at,
         "granted_at": e.granted_at, "milestone": due.milestone_of(e.deadline, policy)}
        for e in new
    ]  # fmt: skip
    with engine.begin() as conn:
        _upsert(conn, deadline_history, history_rows, ("task_id", "deadline"),
                update_existing=False)  # fmt: skip
        if task_updates:
            conn.execute(
                update(tasks)
                .where(tasks.c.id == bindparam("row_id"))
                .values(deadline_milestone=bindparam("milestone"),
                        extension_count=bindparam("count")),
                task_updates,
            )  # fmt: skip
        if doc_updates:
            conn.execute(
                update(documents)
                .where(documents.c.id == bindparam("row_id"))
                .values(deadline_milestone=bindparam("milestone")),
                doc_updates,
            )
    return {"history_added": len(new), "extensions_added": sum(e.kind == EXTENSION for e in new)}


def history_of(engine: Engine, task_source_id: str) -> list[dict[str, Any]]:
    """One task's deadline history, oldest first, for people and tests."""
    query = (
        select(deadline_history)
        .join(tasks, tasks.c.id == deadline_history.c.task_id)
        .where(tasks.c.source_id == task_source_id)
        .order_by(deadline_history.c.id)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def originals(conn: Any, task_ids: Iterable[int] | None = None) -> Mapping[int, datetime]:
    """The original deadline of each extended task (task id → deadline)."""
    query = select(deadline_history.c.task_id, deadline_history.c.deadline).where(
        deadline_history.c.kind == ORIGINAL
    )
    if task_ids is not None:
        query = query.where(deadline_history.c.task_id.in_(list(task_ids)))
    return {row.task_id: row.deadline for row in conn.execute(query)}


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
        tasks.c.deadline_milestone <= now, tasks.c.deadline >= now, tasks.c.status != "done",
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
        found = [
            ReviewDue("task", r.system, r.source_id, r.title, r.lead_unit_id,
                      r.deadline_milestone, r.deadline, r.extension_count > 0)
            for r in conn.execute(task_query)
        ] + [
            ReviewDue("document", r.system, r.source_id, r.abstract, r.unit_id,
                      r.deadline_milestone,
                      due.document_deadline(r.stated_deadline, r.computed_deadline))
            for r in conn.execute(doc_query)
        ]  # fmt: skip
    found = [item for item in found if item.deadline >= now]  # the deadline in force
    return sorted(found, key=lambda item: (item.deadline, item.kind, item.source_id))
