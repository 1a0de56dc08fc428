"""The tracking system's deadline rules, as a mixin of SimState (docs/simulators.md).

Derived from the domain (docs/domain.md §5-§6), not from the bridge:

* a deadline held as a date (no hour) lasts the whole of that day: the task is late only from
  00:00 of the next day, and a completion received any time on the deadline day is on time;
* a deadline held as an instant is late right after that instant;
* the monitoring unit can grant an extension (a pending request, or directly): the deadline in
  force moves and the original stays visible; the rules above apply to the new deadline.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from simulators.timeutil import END_OF_DAY, local_date, local_midnight


class WriteRejected(Exception):
    """A write the target system refuses; `code` is the system's own error code."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class DeadlineRules:
    """Needs ``world``, ``clock``, ``lock``, ``extensions``, ``task_writes``, ``overlays``,
    ``task()`` and ``completion_received_at()`` from SimState."""

    world: Any
    clock: Any
    lock: Any
    extensions: dict[int, list[dict]]
    task_writes: dict[int, int]
    overlays: dict[str, Any]

    def deadline_is_date(self, fate: Any) -> bool:
        """Held as a date: a deadline typed from the document's hanXuLy, on deployments that
        keep such deadlines without an hour (WorldConfig.deadlines_as_dates)."""
        return self.world.config.deadlines_as_dates and fate.deadline_source == "structured"

    def _late_after(self, fate: Any, deadline: int | None) -> int | None:
        """The last instant that is still on time: the deadline itself, or for a deadline
        held as a date the last second of that day (the system marks late the next day)."""
        if deadline is None:
            return None
        if self.deadline_is_date(fate):
            return local_midnight(local_date(deadline) + timedelta(days=1)) - 1
        return deadline

    def _mark_delay(self, fate: Any) -> int:
        # A date deadline is marked at 00:00 of the next day; an instant right at it.
        return 1 if self.deadline_is_date(fate) else 0

    def granted(self, index: int, now: int) -> list[dict]:
        return [
            e for e in self.extensions.get(index, [])
            if e["status"] == "APPROVED" and e["decided_at"] <= now
        ]  # fmt: skip

    def deadline_in_force(self, index: int, now: int) -> int | None:
        extended = self.granted(index, now)
        return extended[-1]["granted_deadline"] if extended else self.world.fate(index).deadline

    def late_after(self, index: int, now: int) -> int | None:
        fate = self.world.fate(index)
        return self._late_after(fate, self.deadline_in_force(index, now))

    def late_mark(self, index: int, now: int) -> dict | None:
        fate = self.world.fate(index)
        if not fate.has_task:
            return None
        limit = self.late_after(index, now)
        if limit is None or now <= limit:
            return None
        received_at = self.completion_received_at(index, now)
        if received_at is not None and received_at <= limit:
            return None
        deadline = self.deadline_in_force(index, now)
        marked_at = limit + self._mark_delay(fate)
        return {"task_index": index, "deadline": deadline, "marked_at": marked_at}

    def grant_extension(self, task_id: str, deadline: int | None = None) -> dict:
        """The monitoring unit grants an extension now: the latest pending request (to its
        proposed deadline, or to ``deadline``), or, with no request, directly to ``deadline``.
        Raises WriteRejected when there is nothing to grant."""
        with self.lock:
            now = self.clock.now()
            index = self.world.task_index(task_id)
            if index is None or self.task(index, now) is None:
                raise WriteRejected("UNKNOWN_TASK", f"no task {task_id!r}", 404)
            current = self.deadline_in_force(index, now)
            if current is None:
                raise WriteRejected("NO_DEADLINE", f"task {task_id} has no deadline to extend")
            pending = [e for e in self.extensions.get(index, []) if e["status"] == "PENDING"]
            if pending:
                request = pending[-1]
            elif deadline is not None:
                request = {
                    "reason": "Gia hạn theo chỉ đạo của đơn vị theo dõi",
                    "proposed_deadline": deadline, "received_at": now, "status": "PENDING",
                }  # fmt: skip
                self.extensions.setdefault(index, []).append(request)
            else:
                raise WriteRejected("NO_REQUEST", f"task {task_id} has no pending request")
            granted = deadline if deadline is not None else request["proposed_deadline"]
            if self.deadline_is_date(self.world.fate(index)):
                granted = local_midnight(local_date(granted)) + END_OF_DAY
            if granted <= current:
                raise WriteRejected("INVALID_DEADLINE", "the new deadline is not later")
            request.update(status="APPROVED", decided_at=now, granted_deadline=granted)
            self.task_writes[index] = self.task_writes.get(index, 0) + 1
            self.overlays["tasks"].bump(index, now)
            return {"task_id": task_id, "deadline": granted, "decided_at": now}
