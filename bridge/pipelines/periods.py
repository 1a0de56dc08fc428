"""Report periods: an ISO week, a month, a quarter, a year or a range of days (DOMAIN.md §7).

``parse_period`` reads what people type::

    2024-W48                 ISO week 48 of 2024 (Monday 2024-11-25 to Sunday 2024-12-01)
    2024-11                  November 2024
    2024-Q4                  October to December 2024
    2024                     the year 2024
    2024-11-01..2024-11-30   any range of days, both ends included

A period is a range of local days (Asia/Ho_Chi_Minh). As instants it runs from local midnight
of its first day (``start``) up to, not including, local midnight after its last day (``end``).
``schedule_period`` says which period a scheduled report covers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bridge.pipelines.calendar import LOCAL_TZ

FORMS = "2024-W48, 2024-11, 2024-Q4, 2024 or 2024-11-01..2024-11-30"

_WEEK = re.compile(r"(?P<year>\d{4})-W(?P<week>\d{1,2})")
_MONTH = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})")
_QUARTER = re.compile(r"(?P<year>\d{4})-Q(?P<quarter>\d)")
_YEAR = re.compile(r"(?P<year>\d{4})")
_RANGE = re.compile(r"(?P<first>[^.]+)\.\.(?P<last>[^.]+)")


class PeriodError(ValueError):
    """A period that cannot be read; the message says what was wrong and the accepted forms."""


@dataclass(frozen=True)
class Period:
    kind: str  # "week" | "month" | "quarter" | "year" | "range"
    first_day: date
    last_day: date
    label: str  # as the user wrote it, normalised: "2024-W48"

    @property
    def start(self) -> datetime:
        """Local midnight at the start of the first day."""
        return datetime.combine(self.first_day, time.min, LOCAL_TZ)

    @property
    def end(self) -> datetime:
        """Local midnight after the last day (exclusive)."""
        return datetime.combine(self.last_day + timedelta(days=1), time.min, LOCAL_TZ)

    @property
    def last_instant(self) -> datetime:
        """The period's closing instant: statuses "as of the period's end" are taken here, so
        a response issued at 23:59 on the last day counts and one at midnight does not."""
        return self.end - timedelta(microseconds=1)

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def title_vi(self) -> str:
        """The period as a report heading says it."""
        first, last = self.first_day, self.last_day
        if self.kind == "week":
            return (
                f"Tuần {first.isocalendar().week} năm {first.isocalendar().year} "
                f"(từ {first:%d/%m/%Y} đến {last:%d/%m/%Y})"
            )
        if self.kind == "month":
            return f"Tháng {first.month:02d}/{first.year}"
        if self.kind == "quarter":
            return f"Quý {(first.month - 1) // 3 + 1} năm {first.year}"
        if self.kind == "year":
            return f"Năm {first.year}"
        return f"Từ ngày {first:%d/%m/%Y} đến ngày {last:%d/%m/%Y}"


def parse_period(text: str) -> Period:
    """Read a period in one of the forms of the module docstring; ``PeriodError`` otherwise."""
    value = text.strip().upper()
    if match := _RANGE.fullmatch(value):
        return _range(match["first"].strip(), match["last"].strip(), text)
    if match := _WEEK.fullmatch(value):
        return _week(int(match["year"]), int(match["week"]), text)
    if match := _QUARTER.fullmatch(value):
        return _quarter(int(match["year"]), int(match["quarter"]), text)
    if match := _MONTH.fullmatch(value):
        return _month(int(match["year"]), int(match["month"]), text)
    if match := _YEAR.fullmatch(value):
        year = int(match["year"])
        return Period("year", date(year, 1, 1), date(year, 12, 31), str(year))
    raise PeriodError(f"{text!r} is not a period; write one of {FORMS}")


def _week(year: int, week: int, text: str) -> Period:
    # ISO weeks: week 1 holds the year's first Thursday, so it may start in December, and only
    # years starting on a Thursday (or leap years starting on a Wednesday) have a week 53.
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        weeks = date(year, 12, 28).isocalendar().week
        raise PeriodError(f"{text!r}: ISO year {year} has weeks 1 to {weeks}") from None
    return Period("week", monday, monday + timedelta(days=6), f"{year}-W{week:02d}")


def _month(year: int, month: int, text: str) -> Period:
    if not 1 <= month <= 12:
        raise PeriodError(f"{text!r}: the month must be 01 to 12")
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period("month", first, following - timedelta(days=1), f"{year}-{month:02d}")


def _quarter(year: int, quarter: int, text: str) -> Period:
    if not 1 <= quarter <= 4:
        raise PeriodError(f"{text!r}: the quarter must be Q1 to Q4")
    first = date(year, 3 * quarter - 2, 1)
    last = _month(year, 3 * quarter, text).last_day
    return Period("quarter", first, last, f"{year}-Q{quarter}")


def _range(first_text: str, last_text: str, text: str) -> Period:
    try:
        first, last = date.fromisoformat(first_text), date.fromisoformat(last_text)
    except ValueError:
        raise PeriodError(
            f"{text!r}: a range is two dates YYYY-MM-DD joined by '..', e.g. 2024-11-01..2024-11-30"
        ) from None
    if last < first:
        raise PeriodError(f"{text!r}: the range ends before it starts")
    return Period("range", first, last, f"{first.isoformat()}..{last.isoformat()}")


# --- which period a scheduled report covers ------------------------------------------------

SCHEDULES = ("weekly", "monthly", "quarterly", "yearly")


def schedule_period(schedule: str, today: date) -> Period:
    """The period a scheduled report run on ``today`` covers (DOMAIN.md section 7).

    Weekly statistics go out on Thursday for the previous, complete ISO week. Monthly,
    quarterly and yearly reports go out before their period ends (the 30th, the 30th of the
    quarter's last month, 15 December), so they cover the period in progress, as of the run.
    """
    if schedule == "weekly":
        monday = today - timedelta(days=today.weekday() + 7)
        iso = monday.isocalendar()
        return _week(iso.year, iso.week, schedule)
    if schedule == "monthly":
        return _month(today.year, today.month, schedule)
    if schedule == "quarterly":
        return _quarter(today.year, (today.month - 1) // 3 + 1, schedule)
    if schedule == "yearly":
        return parse_period(str(today.year))
    raise PeriodError(f"unknown schedule {schedule!r}; known: {', '.join(SCHEDULES)}")
