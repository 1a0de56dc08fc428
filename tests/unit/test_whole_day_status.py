"""Statuses against a deadline given as a date (docs/domain.md §5-§6, "hạn D").

The deadline reads as the end of office hours of day D, and the day is the deadline: a
completion any time on D is on time, and the task is overdue only from the next day — what a
tracking system that keeps the deadline as a date decides. A deadline given with an hour keeps
the strict instant rule.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from pipelines.status import assess_task, derive_status, on_time_until
from schemas import DerivedStatus

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DUE = datetime(2024, 2, 21, 17, tzinfo=VN)  # "2024-02-21" read as the end of office hours


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


S = DerivedStatus


@pytest.mark.parametrize(
    ("whole_day", "completed_at", "now", "expected"),
    [
        (True, vn(2024, 2, 21, 15), vn(2024, 3, 1), S.DONE_ON_TIME),  # the afternoon of D
        (True, vn(2024, 2, 21, 17), vn(2024, 3, 1), S.DONE_ON_TIME),
        (True, vn(2024, 2, 21, 19, 30), vn(2024, 3, 1), S.DONE_ON_TIME),  # the evening of D
        (True, vn(2024, 2, 21, 23, 59, 59), vn(2024, 3, 1), S.DONE_ON_TIME),
        (True, vn(2024, 2, 22, 0, 0), vn(2024, 3, 1), S.DONE_LATE),  # the next day
        (True, vn(2024, 2, 20, 9), vn(2024, 3, 1), S.DONE_ON_TIME),
        (True, None, vn(2024, 2, 21, 18), S.IN_PROGRESS),  # after 17:00 on D: not yet overdue
        (True, None, vn(2024, 2, 22, 0, 0, 1), S.OVERDUE),
        # The day is the local day, whatever zone the values come in.
        (True, datetime(2024, 2, 21, 16, 59, tzinfo=UTC), vn(2024, 3, 1), S.DONE_ON_TIME),
        (True, datetime(2024, 2, 21, 17, 0, tzinfo=UTC), vn(2024, 3, 1), S.DONE_LATE),
        # A deadline with an hour: the instant itself.
        (False, vn(2024, 2, 21, 17), vn(2024, 3, 1), S.DONE_ON_TIME),
        (False, vn(2024, 2, 21, 17, 1), vn(2024, 3, 1), S.DONE_LATE),
        (False, None, vn(2024, 2, 21, 17, 1), S.OVERDUE),
    ],
)
def test_whole_day_deadlines(whole_day, completed_at, now, expected):
    assert derive_status(DUE, completed_at, True, now, whole_day=whole_day) is expected


def test_the_last_on_time_moment_is_the_end_of_the_local_day():
    assert on_time_until(DUE, whole_day=True) == vn(2024, 2, 21, 23, 59, 59, 999999)
    assert on_time_until(DUE.astimezone(UTC), whole_day=True) == vn(2024, 2, 21, 23, 59, 59, 999999)
    assert on_time_until(DUE) == DUE


def test_assess_task_passes_the_whole_day_on():
    late_evening = vn(2024, 2, 21, 20)
    assert assess_task(DUE, late_evening, True, vn(2024, 3, 1), whole_day=True).status is (
        S.DONE_ON_TIME
    )
    assert assess_task(DUE, late_evening, True, vn(2024, 3, 1)).status is S.DONE_LATE
