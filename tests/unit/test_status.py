"""The derived status table of docs/domain.md §5, at a reference time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pipelines.status import assess_task, derive_status
from schemas import DerivedStatus

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DUE = datetime(2024, 2, 21, 17, tzinfo=VN)  # 5 working days after 7/2/2024, over Tết


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


@pytest.mark.parametrize(
    ("deadline", "completed_at", "started", "now", "expected"),
    [
        (DUE, vn(2024, 2, 21, 17), True, vn(2024, 3, 1), DerivedStatus.DONE_ON_TIME),  # = deadline
        (DUE, vn(2024, 2, 21, 17, 1), True, vn(2024, 3, 1), DerivedStatus.DONE_LATE),
        (DUE, None, True, vn(2024, 2, 21, 17), DerivedStatus.IN_PROGRESS),  # t = deadline
        (DUE, None, True, vn(2024, 2, 21, 17, 1), DerivedStatus.OVERDUE),
        (DUE, None, False, vn(2024, 2, 21, 17, 1), DerivedStatus.OVERDUE),
        (DUE, None, False, vn(2024, 2, 15, 9), DerivedStatus.NOT_STARTED),
        # A completion issued after the reference time did not exist yet at that time.
        (DUE, vn(2024, 2, 22, 9), True, vn(2024, 2, 20, 9), DerivedStatus.IN_PROGRESS),
        (DUE, vn(2024, 2, 22, 9), True, vn(2024, 2, 21, 18), DerivedStatus.OVERDUE),
        # Times in UTC compare as instants: 10:00 UTC is 17:00 in Hà Nội.
        (
            DUE,
            datetime(2024, 2, 21, 10, tzinfo=ZoneInfo("UTC")),
            True,
            vn(2024, 3, 1),
            DerivedStatus.DONE_ON_TIME,
        ),
        # Classes 3–4, no deadline: never overdue or late.
        (None, None, False, vn(2026, 1, 1), DerivedStatus.NOT_STARTED),
        (None, None, True, vn(2026, 1, 1), DerivedStatus.IN_PROGRESS),
        (None, vn(2025, 1, 1), True, vn(2026, 1, 1), DerivedStatus.DONE_ON_TIME),
    ],
)
def test_section_5_table(deadline, completed_at, started, now, expected):
    assert derive_status(deadline, completed_at, started, now) is expected


@pytest.mark.parametrize("field", ["deadline", "completed_at", "now"])
def test_naive_times_are_refused(field):
    values = {"deadline": DUE, "completed_at": vn(2024, 2, 20), "now": vn(2024, 2, 20)}
    values[field] = values[field].replace(tzinfo=None)
    with pytest.raises(ValueError, match=f"{field}=.*no UTC offset"):
        derive_status(values["deadline"], values["completed_at"], True, values["now"])


@pytest.mark.parametrize(
    ("deadline", "completed_at", "now", "status", "risky"),
    [
        # Tết lies between 7/2 and 15/2: one working day away, so at risk.
        (vn(2024, 2, 15, 17), None, vn(2024, 2, 7, 10), DerivedStatus.IN_PROGRESS, True),
        (vn(2024, 2, 15, 17), None, vn(2024, 2, 6, 10), DerivedStatus.IN_PROGRESS, False),
        (
            vn(2024, 2, 15, 17),
            vn(2024, 2, 7, 11),
            vn(2024, 2, 7, 12),
            DerivedStatus.DONE_ON_TIME,
            False,
        ),
        (vn(2024, 2, 15, 17), None, vn(2024, 2, 16, 9), DerivedStatus.OVERDUE, False),
        (None, None, vn(2024, 2, 7, 10), DerivedStatus.IN_PROGRESS, False),
    ],
)
def test_at_risk_flag(deadline, completed_at, now, status, risky):
    assessment = assess_task(deadline, completed_at, True, now)
    assert (assessment.status, assessment.at_risk) == (status, risky)
