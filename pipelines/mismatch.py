"""Mismatches: tasks whose status in the tracking system differs from what e-office data says.

docs/domain.md §7: the figures must agree with the tracking system, and any mismatch must be
listed with its cause. The e-office side says a task is done when its response document
(văn bản hoàn thành) has been issued; the tracking side says so when its status is DONE.

| e-office | tracking | likely cause, from what the store holds                                 |
|----------|----------|-------------------------------------------------------------------------|
| done     | not done | the completion's outbox row: pending/in flight → not yet pushed; dead → |
|          |          | push failed; done → pushed, tracking not read since; none → reconcile   |
|          |          | has not run since the response arrived                                   |
| not done | done     | no response linked: reconcile found two candidates (ambiguous link) or  |
|          |          | none (no link found)                                                     |

Outbox rows are keyed as reconcile writes them: ``target_id`` is the task's source id and the
operation ``report_completion``. Reconcile does not store which links were ambiguous, so they
are asked of its pure ``plan`` again, for the few tasks that need it.

The list is of the store's state now, not of a period: a mismatch is a problem to fix today.
``mismatch_table`` gives it as rows with Vietnamese column names, ready for a Prefect table
artifact (this module does not import Prefect).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Connection, Engine

from connectors import registry
from pipelines import reconcile
from pipelines.calendar import LOCAL_TZ
from pipelines.report import TaskFacts, check_unit, load_facts, load_unit_names, unit_name
from schemas import OutboxState, TrackingStatus
from store import outbox, reconcile_queries

COMPLETION = "report_completion"


class Cause(StrEnum):
    NOT_PUSHED = "not_pushed"
    PUSH_FAILED = "push_failed"
    PUSHED_NOT_RESYNCED = "pushed_not_resynced"
    NOT_RECONCILED = "not_reconciled"
    NO_LINK = "no_link"
    AMBIGUOUS_LINK = "ambiguous_link"

    @property
    def label(self) -> str:
        return CAUSE_LABELS[self]


CAUSE_LABELS = {
    Cause.NOT_PUSHED: "Chưa gửi sang hệ thống theo dõi (đang chờ gửi)",
    Cause.PUSH_FAILED: "Gửi sang hệ thống theo dõi thất bại",
    Cause.PUSHED_NOT_RESYNCED: "Đã gửi, chưa đồng bộ lại từ hệ thống theo dõi",
    Cause.NOT_RECONCILED: "Chưa đối soát từ khi có văn bản hoàn thành",
    Cause.NO_LINK: "Không tìm thấy liên kết văn bản",
    Cause.AMBIGUOUS_LINK: "Liên kết văn bản không rõ ràng (nhiều văn bản khớp)",
}


@dataclass(frozen=True)
class OutboxRow:
    """The latest completion wish for one task."""

    state: str  # an OutboxState value
    last_error: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Mismatch:
    task_id: str
    title: str
    unit_id: str
    unit_name: str
    tracking_status: TrackingStatus
    eoffice_done: bool
    response_code: str | None
    response_issued_at: datetime | None
    cause: Cause
    detail: str


# --- the decision --------------------------------------------------------------------------


def eoffice_done(task: TaskFacts, now: datetime) -> bool:
    return task.response_issued_at is not None and task.response_issued_at <= now


def suspects(facts: Iterable[TaskFacts], now: datetime) -> list[TaskFacts]:
    """Tasks the tracking system shows done with no issued response: their links need a look."""
    return [
        t
        for t in facts
        if t.tracking_status == TrackingStatus.DONE.value and not eoffice_done(t, now)
    ]


def find_mismatches(
    facts: Iterable[TaskFacts],
    completions: Mapping[str, OutboxRow],
    ambiguous: Mapping[str, str],
    unit_names: Mapping[str, str],
    now: datetime,
    unit: str | None = None,
) -> list[Mismatch]:
    """Every task (of ``unit``, if given) whose two sides disagree, with the likely cause.

    ``completions``: task source id → its latest completion outbox row. ``ambiguous``: task
    source id → why reconcile would not choose a link.
    """
    found = []
    for task in facts:
        if unit is not None and task.unit_id != unit:
            continue
        done_here = eoffice_done(task, now)
        done_there = task.tracking_status == TrackingStatus.DONE.value
        if done_here == done_there:
            continue
        if done_here:
            cause, detail = _push_cause(completions.get(task.source_id))
        else:
            cause, detail = _link_cause(task, ambiguous.get(task.source_id))
        found.append(
            Mismatch(
                task_id=task.source_id, title=task.title, unit_id=task.unit_id,
                unit_name=unit_name(task.unit_id, unit_names),
                tracking_status=TrackingStatus(task.tracking_status), eoffice_done=done_here,
                response_code=task.response_code if done_here else None,
                response_issued_at=task.response_issued_at if done_here else None,
                cause=cause, detail=detail,
            )
        )  # fmt: skip
    return sorted(found, key=lambda m: (m.unit_name, m.task_id))


def _push_cause(row: OutboxRow | None) -> tuple[Cause, str]:
    if row is None:
        return Cause.NOT_RECONCILED, "Chạy đối soát để xếp lịch gửi báo cáo hoàn thành."
    if row.state in (OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value):
        return Cause.NOT_PUSHED, "Lần gửi tiếp theo sẽ gửi báo cáo hoàn thành."
    if row.state == OutboxState.DEAD.value:
        error = row.last_error or "không rõ lỗi"
        return Cause.PUSH_FAILED, f"Lỗi khi gửi: {error}. Xem danh sách lỗi và gửi lại."
    return Cause.PUSHED_NOT_RESYNCED, (
        f"Đã gửi lúc {row.updated_at.astimezone(LOCAL_TZ):%d/%m/%Y %H:%M}; "
        "cần đồng bộ lại từ hệ thống theo dõi."
    )


def _link_cause(task: TaskFacts, ambiguity: str | None) -> tuple[Cause, str]:
    if ambiguity:
        # reconcile's own wording is English (for logs); officials get a Vietnamese one.
        count, _, names = ambiguity.partition(" ")
        many = f"{count} văn bản" if count.isdigit() else "Nhiều văn bản"
        which = f" ({names.split(': ', 1)[1]})" if ": " in names else ""
        return Cause.AMBIGUOUS_LINK, f"{many} trả lời cùng khớp{which}; cần chọn văn bản đúng."
    if not task.has_source_link:
        named = task.source_document_id or "không ghi văn bản giao"
        return Cause.NO_LINK, f"Không tìm thấy văn bản giao nhiệm vụ ({named})."
    return Cause.NO_LINK, "Đã có văn bản giao nhưng chưa tìm thấy văn bản hoàn thành."


# --- as a table ----------------------------------------------------------------------------

COLUMNS = (
    "Mã nhiệm vụ",
    "Tên nhiệm vụ",
    "Đơn vị chủ trì",
    "Trạng thái trên hệ thống theo dõi",
    "Theo văn phòng điện tử",
    "Văn bản hoàn thành",
    "Thời điểm ban hành",
    "Nguyên nhân",
    "Chi tiết",
)


def eoffice_label(mismatch: Mismatch) -> str:
    return "Đã có văn bản hoàn thành" if mismatch.eoffice_done else "Chưa có văn bản hoàn thành"


def mismatch_table(mismatches: Iterable[Mismatch]) -> list[dict[str, str]]:
    """Rows of plain strings keyed by Vietnamese column names (a Prefect table artifact)."""
    return [
        dict(
            zip(
                COLUMNS,
                (
                    m.task_id,
                    m.title,
                    m.unit_name,
                    m.tracking_status.label,
                    eoffice_label(m),
                    m.response_code or "",
                    f"{m.response_issued_at.astimezone(LOCAL_TZ):%d/%m/%Y %H:%M}"
                    if m.response_issued_at
                    else "",
                    m.cause.label,
                    m.detail,
                ),
                strict=True,
            )
        )
        for m in mismatches
    ]


# --- the store around it -------------------------------------------------------------------


def load_completions(conn: Connection) -> dict[str, OutboxRow]:
    """The latest completion outbox row of each task (by source id)."""
    rows = outbox.latest_rows_by_target(conn, COMPLETION, registry.tracking_system())
    return {target: OutboxRow(r.state, r.last_error, r.updated_at) for target, r in rows.items()}


def ambiguous_links(conn: Connection, wanted: list[TaskFacts], now: datetime) -> dict[str, str]:
    """Why reconcile's ``plan`` would not link each of ``wanted``, where it calls it ambiguous."""
    if not wanted:
        return {}
    ids = [t.source_id for t in wanted]
    rows = [
        reconcile.TaskRow(r.id, r.source_id, r.source_document_id, r.deadline, r.status,
                          r.completed_at)
        for r in reconcile_queries.tasks_by_source_ids(conn, ids)
    ]  # fmt: skip
    docs = [reconcile.doc_from_row(r) for r in reconcile_queries.all_documents(conn)]
    incoming = [d for d in docs if d.direction == "incoming"]
    outgoing = [d for d in docs if d.direction == "outgoing"]
    decided = reconcile.plan(rows, incoming, outgoing, now)
    reasons: dict[str, str] = {}
    for message in decided.ambiguous:  # "task <source id>: <why>"
        for task_id in ids:
            if message.startswith(f"task {task_id}: "):
                reasons[task_id] = message.removeprefix(f"task {task_id}: ")
    return reasons


def find_in_store(
    engine: Engine, unit: str | None = None, now: datetime | None = None
) -> list[Mismatch]:
    """The mismatches the store shows now (of ``unit``, if given)."""
    moment = now or datetime.now(UTC)
    with engine.connect() as conn:
        facts = load_facts(conn)
        names = load_unit_names(conn)
        check_unit(unit, names, facts)
        mine = [t for t in facts if unit is None or t.unit_id == unit]
        ambiguous = ambiguous_links(conn, suspects(mine, moment), moment)
        completions = load_completions(conn)
    return find_mismatches(mine, completions, ambiguous, names, moment)
