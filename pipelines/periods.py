"""Report periods (docs/domain.md §7): a week, a month, a quarter, six or nine months, a year,
or a range of days, each either as plain calendar days or with the data cut-off.

``parse_period`` reads what people type::

    2024-W48                 ISO week 48 of 2024 (Monday 2024-11-25 to Sunday 2024-12-01)
    2024-11                  November 2024
    2024-Q4                  October to December 2024
    2024-H1, 2024-H2         the first or second six months of 2024
    2024-9M                  the first nine months of 2024
    2024                     the year 2024
    2024-11-01..2024-11-30   any range of days, both ends included

**Data cut-off** (thời gian chốt số liệu, Decree 09/2019/NĐ-CP art. 12): with ``cutoff=True``
a month runs from the 15th of the previous month to the 14th (``2024-11`` is 15/10/2024 to
14/11/2024); a quarter from the 15th of the month before it to the 14th of its last month; six
months from 15 December of the previous year to 14 June (second half: 15 June to 14 December);
nine months from 15 December of the previous year to 14 September; a year from 15 December of
the previous year to 14 December. Weeks and ranges have no cut-off.

A period is a range of local days (Asia/Ho_Chi_Minh). As instants it runs from local midnight
of its first day (``start``) up to, not including, local midnight after its last day (``end``).
``schedule_period`` says which complete period a scheduled report covers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from pipelines.calendar import LOCAL_TZ

FORMS = "2024-W48, 2024-11, 2024-Q4, 2024-H1, 2024-H2, 2024-9M, 2024 or 2024-11-01..2024-11-30"

_WEEK = re.compile(r"(?P<year>\d{4})-W(?P<week>\d{1,2})")
_MONTH = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})")
_QUARTER = re.compile(r"(?P<year>\d{4})-Q(?P<quarter>\d)")
_HALF = re.compile(r"(?P<year>\d{4})-H(?P<half>\d)")
_NINE = re.compile(r"(?P<year>\d{4})-9M")
_YEAR = re.compile(r"(?P<year>\d{4})")
_RANGE = re.compile(r"(?P<first>[^.]+)\.\.(?P<last>[^.]+)")

CUTOFF_DAY = 14  # the cut-off day of the month; a cut-off period starts the day after it


class PeriodError(ValueError):
    """A period that cannot be read; the message says what was wrong and the accepted forms."""


@dataclass(frozen=True)
class Period:
    kind: str  # "week" | "month" | "quarter" | "half" | "nine_months" | "year" | "range"
    first_day: date
    last_day: date
    label: str  # as the user wrote it, normalised: "2024-W48"
    cutoff: bool = False  # True: the days follow the data cut-off, not the calendar

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
        name = self._name_vi()
        if self.kind in ("week", "range"):
            return name
        if self.cutoff:
            return f"{name} (số liệu từ ngày {first:%d/%m/%Y} đến ngày {last:%d/%m/%Y})"
        return name

    def _name_vi(self) -> str:
        first, last = self.first_day, self.last_day
        year = int(self.label[:4]) if self.label[:4].isdigit() else last.year
        if self.kind == "week":
            iso = first.isocalendar()
            return f"Tuần {iso.week} năm {iso.year} (từ {first:%d/%m/%Y} đến {last:%d/%m/%Y})"
        if self.kind == "month":
            return f"Tháng {self.label[5:7]}/{year}"
        if self.kind == "quarter":
            return f"Quý {self.label[-1]} năm {year}"
        if self.kind == "half":
            return f"{'6 tháng đầu' if self.label.endswith('H1') else '6 tháng cuối'} năm {year}"
        if self.kind == "nine_months":
            return f"9 tháng năm {year}"
        if self.kind == "year":
            return f"Năm {year}"
        return f"Từ ngày {first:%d/%m/%Y} đến ngày {last:%d/%m/%Y}"

    def basis_vi(self) -> str:
        """How the days were chosen, for the cover."""
        if self.cutoff:
            return "Theo thời gian chốt số liệu (Nghị định 09/2019/NĐ-CP, Điều 12)"
        return "Theo ngày dương lịch"


def parse_period(text: str, cutoff: bool = False) -> Period:
    """Read a period in one of the forms of the module docstring; ``PeriodError`` otherwise.

    ``cutoff``: months, quarters, six and nine months and years follow the data cut-off.
    """
    value = text.strip().upper()
    if match := _RANGE.fullmatch(value):
        return _range(match["first"].strip(), match["last"].strip(), text)
    if match := _WEEK.fullmatch(value):
        return _week(int(match["year"]), int(match["week"]), text)
    if match := _QUARTER.fullmatch(value):
        return quarter(int(match["year"]), int(match["quarter"]), cutoff, text)
    if match := _HALF.fullmatch(value):
        return half(int(match["year"]), int(match["half"]), cutoff, text)
    if match := _NINE.fullmatch(value):
        return _months("nine_months", int(match["year"]), 1, 9, f"{match['year']}-9M", cutoff)
    if match := _MONTH.fullmatch(value):
        return month(int(match["year"]), int(match["month"]), cutoff, text)
    if match := _YEAR.fullmatch(value):
        return year(int(match["year"]), cutoff)
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


def _months(kind: str, year: int, first: int, last: int, label: str, cutoff: bool) -> Period:
    """Calendar months ``first``..``last`` of ``year``; with the cut-off, the 15th of the month
    before ``first`` to the 14th of ``last``."""
    if cutoff:
        before = date(year - 1, 12, CUTOFF_DAY + 1) if first == 1 else date(year, first - 1, 15)
        return Period(kind, before, date(year, last, CUTOFF_DAY), label, True)
    following = date(year + last // 12, last % 12 + 1, 1)
    return Period(kind, date(year, first, 1), following - timedelta(days=1), label)


def month(year: int, number: int, cutoff: bool = False, text: str = "") -> Period:
    if not 1 <= number <= 12:
        raise PeriodError(f"{text!r}: the month must be 01 to 12")
    return _months("month", year, number, number, f"{year}-{number:02d}", cutoff)


def quarter(year: int, number: int, cutoff: bool = False, text: str = "") -> Period:
    if not 1 <= number <= 4:
        raise PeriodError(f"{text!r}: the quarter must be Q1 to Q4")
    return _months("quarter", year, 3 * number - 2, 3 * number, f"{year}-Q{number}", cutoff)


def half(year: int, number: int, cutoff: bool = False, text: str = "") -> Period:
    if number not in (1, 2):
        raise PeriodError(f"{text!r}: the half year must be H1 or H2")
    return _months("half", year, 6 * number - 5, 6 * number, f"{year}-H{number}", cutoff)


def year(number: int, cutoff: bool = False) -> Period:
    return _months("year", number, 1, 12, str(number), cutoff)


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

SCHEDULES = ("weekly", "monthly", "quarterly", "half_yearly", "yearly")


def _periods_of(schedule: str, year_number: int, cutoff: bool) -> list[Period]:
    if schedule == "monthly":
        return [month(year_number, m, cutoff) for m in range(1, 13)]
    if schedule == "quarterly":
        return [quarter(year_number, q, cutoff) for q in range(1, 5)]
    if schedule == "half_yearly":
        return [half(year_number, h, cutoff) for h in (1, 2)]
    if schedule == "yearly":
        return [year(year_number, cutoff)]
    raise PeriodError(f"unknown schedule {schedule!r}; known: {', '.join(SCHEDULES)}")


def schedule_period(schedule: str, today: date, cutoff: bool = True) -> Period:
    """The period a scheduled report run on ``today`` covers (docs/domain.md §7): the latest
    **complete** period, the one whose last day is before ``today``.

    So consecutive runs cover consecutive periods and no item falls between two reports: the
    monthly run on the 15th covers the 15th of the previous month to the 14th (with the data
    cut-off, the default) or the previous calendar month; the weekly run covers the previous
    ISO week.
    """
    if schedule == "weekly":
        monday = today - timedelta(days=today.weekday() + 7)
        iso = monday.isocalendar()
        return _week(iso.year, iso.week, schedule)
    candidates = [
        p
        for y in (today.year - 1, today.year, today.year + 1)
        for p in _periods_of(schedule, y, cutoff)
        if p.last_day < today
    ]
    return max(candidates, key=lambda p: p.last_day)
