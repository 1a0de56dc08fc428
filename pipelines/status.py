"""The derived status of a task at a reference time (docs/domain.md §5 table).

The bridge derives statuses from facts and never invents them:

| derived status | rule at reference time ``now``                                             |
|----------------|-----------------------------------------------------------------------------|
| done on time   | completed, completion time ≤ deadline                                       |
| done late      | completed, completion time > deadline                                       |
| in progress    | work started, not completed, now ≤ deadline                                 |
| overdue        | not completed, now > deadline                                               |
| not started    | nothing recorded, now ≤ deadline                                            |
| at risk (flag) | not completed and the deadline falls within the warning window (1 working day)|

"Completed" means the response document was issued at or before ``now``: a completion recorded
later than the reference time did not exist yet at that time. Tasks without a deadline (classes
3 and 4) are never overdue, late or at risk.

A deadline given as a date (``whole_day``) is shown as the end of office hours of that day, but
the day is the deadline: a completion any time on it is on time and the task is overdue only from
the next day — as the tracking system judges such a deadline (docs/domain.md §6, "hạn D").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from pipelines.calendar import LOCAL_TZ, WorkingCalendar
from pipelines.deadlines import DEFAULT_POLICY, DeadlinePolicy, at_risk
from schemas import DerivedStatus


@dataclass(frozen=True)
class StatusAssessment:
    status: DerivedStatus
    at_risk: bool


def on_time_until(deadline: datetime, whole_day: bool = False) -> datetime:
    """The last moment that is still on time: the deadline, or for a deadline given as a date
    the end of that (local) day."""
    if not whole_day:
        return deadline
    day = deadline.astimezone(LOCAL_TZ).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ) - timedelta(microseconds=1)


def derive_status(
    deadline: datetime | None,
    completed_at: datetime | None,
    work_started: bool,
    now: datetime,
    *,
    whole_day: bool = False,
) -> DerivedStatus:
    """The docs/domain.md §5 status at ``now``. All times must carry a UTC offset."""
    _require_aware(deadline=deadline, completed_at=completed_at, now=now)
    limit = on_time_until(deadline, whole_day) if deadline is not None else None
    if completed_at is not None and completed_at <= now:
        if limit is None or completed_at <= limit:
            return DerivedStatus.DONE_ON_TIME
        return DerivedStatus.DONE_LATE
    if limit is not None and now > limit:
        return DerivedStatus.OVERDUE
    return DerivedStatus.IN_PROGRESS if work_started else DerivedStatus.NOT_STARTED


def assess_task(
    deadline: datetime | None,
    completed_at: datetime | None,
    work_started: bool,
    now: datetime,
    *,
    policy: DeadlinePolicy = DEFAULT_POLICY,
    calendar: WorkingCalendar | None = None,
    whole_day: bool = False,
) -> StatusAssessment:
    """The status and the at-risk flag: not completed and the deadline within the warning
    window (docs/domain.md §5)."""
    status = derive_status(deadline, completed_at, work_started, now, whole_day=whole_day)
    risky = (
        deadline is not None
        and status in (DerivedStatus.IN_PROGRESS, DerivedStatus.NOT_STARTED)
        and at_risk(deadline, now, policy, calendar)
    )
    return StatusAssessment(status, risky)


def _require_aware(**moments: datetime | None) -> None:
    # A naive time is ambiguous (local or UTC?); comparing it would silently be off by 7 hours.
    for name, moment in moments.items():
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
            raise ValueError(f"{name}={moment.isoformat()} has no UTC offset; give e.g. +07:00")
