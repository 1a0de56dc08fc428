"""The items a periodic report counts, and the pure counting of one kind (docs/domain.md §7).

Two kinds of items share one model, ``ReportItem``:

* **documents**: incoming documents with a processing deadline (explicit, stated in the text,
  or the 5-working-day default), done when the answering document is issued; they count for
  their main handler unit (xử lý chính), coordinating units (phối hợp) are shown beside;
* **tasks** of the tracking system, done when their response document is issued (else when
  the tracking system says so); they count for their lead unit (chủ trì).

**Which items a period holds** (``BASIS_DUE``, the default): the items whose deadline falls in
the period, plus the items done in it. An item done before the period its deadline falls in
counts only where it was done; an item still open at the end of its deadline's period counts
there as overdue, and again, as done late, in the period it is finally done. ``BASIS_RECEIVED``
counts the items received in the period instead. Either way an item received after the moment
the figures stand (``as_of``) did not exist yet and is left out.

Statuses are derived at ``as_of`` with ``status.derive_status`` against the deadline in force;
an extended item (gia hạn) counts in its status like any other and is counted again apart, in
``extended``. Days late are **working days** (calendar.py): the working days after the
deadline's day up to the day of completion (or ``as_of``), at least one for a late item.

Everything here is pure: plain rows in, figures out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pipelines.periods import Period
from pipelines.status import derive_status
from schemas import DerivedStatus

BASIS_DUE = "due"  # items due in the period, plus items done in it
BASIS_RECEIVED = "received"  # items received in the period
BASES = (BASIS_DUE, BASIS_RECEIVED)
BASIS_LABELS = {
    BASIS_DUE: "Việc đến hạn trong kỳ và việc hoàn thành trong kỳ",
    BASIS_RECEIVED: "Việc tiếp nhận trong kỳ",
}

KIND_DOCUMENT = "document"
KIND_TASK = "task"
KIND_LABELS = {KIND_DOCUMENT: "Văn bản đến có thời hạn xử lý", KIND_TASK: "Nhiệm vụ được giao"}

UNKNOWN_UNIT_NAME = "(không rõ đơn vị)"

# (deadline, end) → working days late, or None when the calendar has no data for those years.
DaysLate = Callable[[datetime, datetime], int | None]
# The same for every late item of a report at once, in order (report.working_days_late_many).
DaysLateMany = Callable[[Sequence[tuple[datetime, datetime]]], list[int | None]]


@dataclass(frozen=True)
class ReportItem:
    """One document or task, with the facts a report needs, already joined."""

    kind: str  # KIND_DOCUMENT | KIND_TASK
    item_id: str  # the source system's id
    code: str  # what people look it up by: "1866/SXD-VP", or the task id
    title: str
    unit_id: str  # main handler (documents) or lead unit (tasks); "" when unknown
    deadline: datetime | None  # the deadline in force
    received_at: datetime | None = None
    completed_at: datetime | None = None  # issue time of the answering document
    response_code: str | None = None
    started_at: datetime | None = None  # when work was first recorded (an assignment)
    started_anyway: bool = False  # the source system shows work started (history unknown)
    coordinating_unit_ids: tuple[str, ...] = ()
    deadline_rule: str | None = None  # explicit | stated | default (documents)
    notes: str | None = None  # the unit's own words: reasons for lateness, proposals
    original_deadline: datetime | None = None  # before any extension; None when not known
    extended: bool = False
    deadline_whole_day: bool = False  # given as a date: a completion that day is on time

    def work_started(self, moment: datetime) -> bool:
        started = self.started_at is not None and self.started_at <= moment
        return started or self.started_anyway

    def status_at(self, moment: datetime) -> DerivedStatus:
        return derive_status(
            self.deadline, self.completed_at, self.work_started(moment), moment,
            whole_day=self.deadline_whole_day,
        )  # fmt: skip


@dataclass(frozen=True)
class ItemLine:
    """A counted item with its status at ``as_of``: one row of the list of every item."""

    item: ReportItem
    unit_name: str
    coordinating_names: tuple[str, ...]
    status: DerivedStatus
    days_late: int | None  # working days; None when on time, open in time, or unknown
    completed_at: datetime | None  # None unless done by ``as_of``

    @property
    def late(self) -> bool:
        return self.status in (DerivedStatus.DONE_LATE, DerivedStatus.OVERDUE)


COUNTS = (
    "counted", "done_on_time", "done_late", "in_progress", "overdue", "not_started", "extended",
)  # fmt: skip
STATUS_COUNTS = ("done_on_time", "done_late", "in_progress", "overdue", "not_started")


@dataclass
class UnitFigures:
    unit_id: str
    unit_name: str
    counted: int = 0
    done_on_time: int = 0
    done_late: int = 0
    in_progress: int = 0
    overdue: int = 0
    not_started: int = 0
    extended: int = 0  # of the counted items, those whose deadline was extended
    coordinating: int = 0  # documents the unit coordinates on (not in ``counted``)
    secret_excluded: int = 0  # secret documents, counted only (documents kind)

    @property
    def settled(self) -> int:
        """Items whose timeliness is decided: done, or already past the deadline."""
        return self.done_on_time + self.done_late + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        """Done on time over the settled items; None when nothing is settled yet.

        Items still within their deadline are left out: they may yet be on time or late.
        """
        return self.done_on_time / self.settled if self.settled else None

    def add(self, status: DerivedStatus, extended: bool) -> None:
        self.counted += 1
        attribute = status.value  # the DerivedStatus values are these attributes' names
        setattr(self, attribute, getattr(self, attribute) + 1)
        self.extended += int(extended)

    def __iadd__(self, other: UnitFigures) -> UnitFigures:
        for name in (*COUNTS, "coordinating", "secret_excluded"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


@dataclass
class KindReport:
    """The figures of one kind (documents or tasks) for one period."""

    kind: str
    units: list[UnitFigures]
    total: UnitFigures
    items: list[ItemLine] = field(default_factory=list)
    undated: int = 0  # items the basis cannot place in any period

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def late(self) -> list[ItemLine]:
        return [line for line in self.items if line.late]


def unit_name(unit_id: str, names: Mapping[str, str]) -> str:
    if not unit_id:
        return UNKNOWN_UNIT_NAME
    return names.get(unit_id, unit_id)


def placeable(item: ReportItem, basis: str) -> bool:
    """Whether the basis can put the item in any period at all."""
    if basis == BASIS_RECEIVED:
        return item.received_at is not None
    return item.deadline is not None or item.completed_at is not None


def in_period(item: ReportItem, period: Period, as_of: datetime, basis: str) -> bool:
    """Whether ``period`` (its figures standing at ``as_of``) counts ``item``."""
    if item.received_at is not None and item.received_at > as_of:
        return False  # not received yet at that moment
    if basis == BASIS_RECEIVED:
        return item.received_at is not None and period.contains(item.received_at)
    done = item.completed_at
    if done is not None and done <= as_of and period.contains(done):
        return True
    if item.deadline is not None and period.contains(item.deadline):
        # Done before the period: it counted in the period it was done in. A deadline still
        # ahead in a running period counts too, as the item stands now.
        return done is None or done >= period.start
    return False


def count_kind(
    kind: str,
    items: Iterable[ReportItem],
    unit_names: Mapping[str, str],
    period: Period,
    as_of: datetime,
    days_late: DaysLateMany,
    basis: str = BASIS_DUE,
    unit: str | None = None,
) -> KindReport:
    """The figures of ``kind`` in ``period`` for ``unit`` (None: every unit) at ``as_of``.

    Every known unit gets a row even when it had nothing, so it shows a zero instead of going
    missing.
    """
    if basis not in BASES:
        raise ValueError(f"unknown report basis {basis!r}; known: {', '.join(BASES)}")
    rows: dict[str, UnitFigures] = {}

    def row(unit_id: str) -> UnitFigures:
        if unit_id not in rows:
            rows[unit_id] = UnitFigures(unit_id, unit_name(unit_id, unit_names))
        return rows[unit_id]

    for unit_id in unit_names:
        if unit is None or unit_id == unit:
            row(unit_id)
    counted: list[tuple[ReportItem, DerivedStatus]] = []
    undated = 0
    for item in items:
        mine = unit is None or item.unit_id == unit
        coordinates = unit is None or unit in item.coordinating_unit_ids
        if not (mine or coordinates):
            continue
        if not placeable(item, basis):
            undated += int(mine)
            continue
        if not in_period(item, period, as_of, basis):
            continue
        for coordinator in item.coordinating_unit_ids:
            if unit is None or coordinator == unit:
                row(coordinator).coordinating += 1
        if not mine:
            continue
        status = item.status_at(as_of)
        row(item.unit_id).add(status, item.extended)
        counted.append((item, status))
    lines = _lines(counted, as_of, unit_names, days_late)

    ordered = sorted(rows.values(), key=lambda r: (r.unit_id == "", r.unit_name, r.unit_id))
    total = UnitFigures("", "Tổng cộng")
    for figures in ordered:
        total += figures
    lines.sort(key=lambda line: (line.unit_name, line.item.deadline is None,
                                 line.item.deadline or as_of, line.item.item_id))  # fmt: skip
    return KindReport(kind, ordered, total, lines, undated)


def _lines(
    counted: Sequence[tuple[ReportItem, DerivedStatus]],
    as_of: datetime,
    names: Mapping[str, str],
    days_late: DaysLateMany,
) -> list[ItemLine]:
    """One line per counted item; the days late of every late item in one call, since a report
    of a province holds tens of thousands of items (pipelines/calendar_batch.py)."""
    # Done after as_of is not done yet at the moment the figures stand.
    done = [item.completed_at if _done_by(item, as_of) else None for item, _ in counted]
    late_at = [
        i
        for i, (item, status) in enumerate(counted)
        if status in (DerivedStatus.DONE_LATE, DerivedStatus.OVERDUE) and item.deadline is not None
    ]
    spans = [(counted[i][0].deadline, done[i] or as_of) for i in late_at]
    late = dict(zip(late_at, days_late(spans), strict=True))  # type: ignore[arg-type]
    return [
        ItemLine(
            item=item,
            unit_name=unit_name(item.unit_id, names),
            coordinating_names=tuple(unit_name(u, names) for u in item.coordinating_unit_ids),
            status=status,
            days_late=late.get(i),
            completed_at=done[i],
        )
        for i, (item, status) in enumerate(counted)
    ]


def _done_by(item: ReportItem, as_of: datetime) -> bool:
    return item.completed_at is not None and item.completed_at <= as_of
