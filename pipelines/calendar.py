"""The Vietnamese public-sector working-day calendar (docs/domain.md §6, "Working days").

A day is a working day when it is Monday to Friday, is not a public holiday (Labour Code 2019,
art. 112, as listed by the ``holidays`` package for country VN in Vietnamese) and is not an
extra day off announced for that year; a Saturday the government announces as a make-up day
(làm bù) is a working day. The yearly announcements live in override files,
``mappings/calendar/<year>.toml``, because ``holidays`` has no notion of a working
Saturday and lags the announcements. Each override entry names its announcing document.

The loaded range is exactly the years that have an override file: a file is the statement that
someone checked that year's announcements. A date outside the range raises
:class:`CalendarRangeError` rather than guessing, because a guessed calendar silently moves
deadlines.

Speed (docs/design.md, "Performance facts"): the calendar is built once into a sorted table of the
working days' ordinals, so adding N working days is two bisections and index arithmetic,
O(log n), whatever N is.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays

if TYPE_CHECKING:
    from pipelines.calendar_files import YearFile

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
"""Dates are computed and shown in local time (docs/domain.md §6, "Time zone")."""

DEFAULT_OVERRIDE_DIR = Path(__file__).resolve().parent.parent / "mappings" / "calendar"

HOLIDAY_SOURCE = "Bộ luật Lao động 2019, Điều 112; dữ liệu gói holidays 0.109"

WEEKDAY_NAMES = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")

_SATURDAY, _SUNDAY = 5, 6


class CalendarError(ValueError):
    """Base of the calendar's errors; a ValueError so callers can treat it as bad input."""


class CalendarRangeError(CalendarError):
    """A date outside the years whose calendar is loaded (we never guess a year's holidays).

    ``year`` is the missing year, so a caller can name it in a failure of its own."""

    def __init__(self, message: str, year: int | None = None) -> None:
        super().__init__(message)
        self.year = year


class CalendarDataError(CalendarError):
    """A malformed override file; the message names the file and the entry."""


class OffKind(StrEnum):
    """Why a day is not a working day."""

    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    ANNOUNCED = "announced"  # an extra day off from a yearly announcement (override file)


class OverrideKind(StrEnum):
    DAY_OFF = "day_off"
    WORKING_DAY = "working_day"


@dataclass(frozen=True, slots=True)
class DayOff:
    """The reason one day is not a working day, as shown to users."""

    day: date
    kind: OffKind
    name: str
    source: str | None = None

    def describe(self) -> str:
        """Vietnamese, for explanations: the day, then why it is off and on whose authority."""
        if self.kind is OffKind.WEEKEND:
            return f"{format_day(self.day)}: nghỉ cuối tuần"
        if self.kind is OffKind.HOLIDAY:
            return f"{format_day(self.day)}: {self.name} (ngày nghỉ lễ, Tết; {self.source})"
        return f"{format_day(self.day)}: {self.name} (nguồn: {self.source})"


@dataclass(frozen=True, slots=True)
class OverrideEntry:
    """One line of a yearly announcement: a day off added, or a day made a working day."""

    day: date
    kind: OverrideKind
    name: str
    source: str
    file: str


def format_day(day: date) -> str:
    """``thứ Tư 07/02/2024``: the weekday matters to readers checking a deadline."""
    return f"{WEEKDAY_NAMES[day.weekday()]} {day:%d/%m/%Y}"


def local_date(moment: datetime | date) -> date:
    """The calendar day of an instant in Asia/Ho_Chi_Minh; a date is returned unchanged.

    Naive datetimes are refused: whether they are local or UTC is exactly the ambiguity that
    shifts deadlines by seven hours.
    """
    if not isinstance(moment, datetime):
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no UTC offset; give e.g. +07:00")
    return moment.astimezone(LOCAL_TZ).date()


class WorkingCalendar:
    """The working days of a contiguous range of years, with the reason for every day off.

    Built once by :func:`load_calendar`; every query is a bisection or a dict look-up.
    """

    def __init__(
        self,
        first_year: int,
        last_year: int,
        days_off: Mapping[date, DayOff],
        working_overrides: Mapping[date, OverrideEntry],
        provisional: Mapping[int, str] | None = None,
        directories: tuple[Path, ...] = (),
    ) -> None:
        self.provisional = dict(provisional or {})  # year → note, for years not yet confirmed
        self.directories = directories  # where the year files were read, strongest last
        self.first_year = first_year
        self.last_year = last_year
        self.first_day = date(first_year, 1, 1)
        self.last_day = date(last_year, 12, 31)
        self._days_off = dict(days_off)
        self._working_overrides = dict(working_overrides)
        ordinals = range(self.first_day.toordinal(), self.last_day.toordinal() + 1)
        off = {day.toordinal() for day in self._days_off}
        self._working: list[int] = [o for o in ordinals if o not in off]
        self._off: list[int] = sorted(off)

    def __repr__(self) -> str:
        return f"WorkingCalendar({self.first_year}–{self.last_year})"

    # --- range -----------------------------------------------------------------------------

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)

    def _check(self, day: date) -> None:
        if not self.first_day <= day <= self.last_day:
            raise self._range_error(day.year, f"date {day.isoformat()}")

    def _range_error(self, year: int, what: str) -> CalendarRangeError:
        return CalendarRangeError(
            f"{what} needs the calendar of {year}, but only {self.first_year}–{self.last_year} "
            f"is loaded. {how_to_add(year)}",
            year,
        )

    @property
    def working_ordinals(self) -> Sequence[int]:
        """The sorted ordinals of every working day in the range (read-only use: the batch
        API, pipelines/calendar_batch.py, searches the same table as the scalar path)."""
        return self._working

    def provisional_between(self, first: date, last: date) -> dict[int, str]:
        """The provisional years (year → note) among those of the days first..last."""
        return {
            year: self.provisional[year]
            for year in range(first.year, last.year + 1)
            if year in self.provisional
        }

    # --- single days -----------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        self._check(day)
        return day not in self._days_off

    def day_off_reason(self, day: date) -> DayOff | None:
        """Why ``day`` is not a working day (weekend, holiday by name, announced day off with its
        source), or None when it is a working day."""
        self._check(day)
        return self._days_off.get(day)

    def working_override(self, day: date) -> OverrideEntry | None:
        """The announcement that made ``day`` a working day (a làm bù Saturday), if any."""
        self._check(day)
        return self._working_overrides.get(day)

    # --- arithmetic ------------------------------------------------------------------------

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day``, or before it when ``count`` is negative.

        ``day`` itself never counts, working or not: the day of receipt is not counted and the
        period starts the next day (Civil Code 2015, art. 147; docs/domain.md §6). O(log n).
        """
        if count == 0:
            raise ValueError("count must be non-zero: day itself never counts (art. 147)")
        self._check(day)
        if count > 0:
            index = bisect.bisect_right(self._working, day.toordinal()) + count - 1
        else:
            index = bisect.bisect_left(self._working, day.toordinal()) + count
        if index < 0:
            raise self._range_error(self.first_year - 1, f"{count} working days from {day}")
        if index >= len(self._working):
            raise self._range_error(self.last_year + 1, f"{count} working days from {day}")
        return date.fromordinal(self._working[index])

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return self.add_working_days(day, 1)

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before ``day``."""
        return self.add_working_days(day, -1)

    def working_day_on_or_after(self, day: date) -> date:
        """``day`` if it is a working day, else the next one (Civil Code 2015, art. 148)."""
        return day if self.is_working_day(day) else self.next_working_day(day)

    def count_working_days(self, start: datetime | date, end: datetime | date) -> int:
        """Working days in the half-open span (start, end] of local calendar days.

        The start day is excluded as the receipt day is (art. 147), so
        ``count_working_days(d, add_working_days(d, n)) == n``. Negative when end < start.
        """
        first, last = local_date(start), local_date(end)
        if last < first:
            return -self.count_working_days(last, first)
        self._check(first)
        self._check(last)
        lo = bisect.bisect_right(self._working, first.toordinal())
        hi = bisect.bisect_right(self._working, last.toordinal())
        return hi - lo

    def days_off_between(self, start: date, end: date) -> list[DayOff]:
        """The days off in the half-open span (start, end], oldest first."""
        if end <= start:
            return []
        # start may be the day before the range: the span itself begins the day after it.
        self._check(start + timedelta(days=1))
        self._check(end)
        lo = bisect.bisect_right(self._off, start.toordinal())
        hi = bisect.bisect_right(self._off, end.toordinal())
        return [self._days_off[date.fromordinal(o)] for o in self._off[lo:hi]]

    def working_overrides_between(self, start: date, end: date) -> list[OverrideEntry]:
        """The make-up working days in (start, end], so explanations can name them."""
        return [e for d, e in sorted(self._working_overrides.items()) if start < d <= end]

    def holiday_dates(self) -> list[date]:
        """Weekday days off, for tools (numpy.busday_offset) that model weekends themselves."""
        return sorted(d for d in self._days_off if d.weekday() < _SATURDAY)


# --- building ------------------------------------------------------------------------------


def how_to_add(year: int) -> str:
    """How to add a year's calendar: the file name and where it goes (docs/deadlines.md)."""
    return (
        f"Add mappings/calendar/{year}.toml with that year's announced days off and "
        f"make-up Saturdays (see the existing files), or put {year}.toml in the directory named "
        "by the setting [calendar] directory (BRIDGE_CALENDAR__DIRECTORY), then retry."
    )


def build_calendar(
    first_year: int,
    last_year: int,
    entries: Iterable[OverrideEntry],
    provisional: Mapping[int, str] | None = None,
    directories: tuple[Path, ...] = (),
) -> WorkingCalendar:
    """Weekends, then `holidays` (VN, Vietnamese names), then the announcements, in that order
    of precedence from weakest to strongest (docs/domain.md §6)."""
    days_off: dict[date, DayOff] = {}
    day = date(first_year, 1, 1)
    while day.year <= last_year:
        if day.weekday() in (_SATURDAY, _SUNDAY):
            days_off[day] = DayOff(day, OffKind.WEEKEND, "Nghỉ cuối tuần")
        day += timedelta(days=1)
    years = range(first_year, last_year + 1)
    # language="vi" explicitly: the default language is a package detail that could change.
    for holiday, name in holidays.country_holidays("VN", years=years, language="vi").items():
        days_off[holiday] = DayOff(holiday, OffKind.HOLIDAY, name, HOLIDAY_SOURCE)
    working: dict[date, OverrideEntry] = {}
    for entry in entries:
        if entry.kind is OverrideKind.DAY_OFF:
            days_off[entry.day] = DayOff(entry.day, OffKind.ANNOUNCED, entry.name, entry.source)
        else:
            days_off.pop(entry.day, None)
            working[entry.day] = entry
    return WorkingCalendar(first_year, last_year, days_off, working, provisional, directories)


# --- reading the year files: pipelines/calendar_files.py ----------------------------
# Imported when called, since calendar_files builds on the types above.


def load_calendar(
    years: Iterable[int] | None = None,
    override_dir: Path | str | None = None,
    extra_dir: Path | str | None = None,
) -> WorkingCalendar:
    """The calendar of ``years``, built once; see :func:`calendar_files.load_calendar`."""
    from pipelines import calendar_files

    return calendar_files.load_calendar(years, override_dir, extra_dir)


def read_override_file(path: Path) -> tuple[int, list[OverrideEntry]]:
    from pipelines import calendar_files

    return calendar_files.read_override_file(path)


def read_year_file(path: Path) -> YearFile:
    from pipelines import calendar_files

    return calendar_files.read_year_file(path)


def configured_directory() -> Path | None:
    from pipelines import calendar_files

    return calendar_files.configured_directory()


def available_years(override_dir: Path | None = None) -> list[int]:
    from pipelines import calendar_files

    return calendar_files.available_years(override_dir)
