"""Working-day arithmetic on whole arrays (docs/domain.md §6, "Working days").

The same rule as the scalar :meth:`WorkingCalendar.add_working_days`, vectorised with numpy over
the same sorted table of working-day ordinals: the day of receipt is not counted and the period
starts the next day (Civil Code 2015, art. 147), so the N-th working day after ``receipt`` is
``table[searchsorted(table, receipt, side="right") + N - 1]``. Because the table *is* the
calendar, make-up Saturdays (làm bù), Tết and announced days off come out exactly as in the
scalar path — unlike ``numpy.busday_offset``, whose weekmask cannot make one Saturday a working
day.

Days are ``datetime64[D]`` local calendar days (or anything numpy converts to them, such as a
list of :class:`datetime.date`). A day outside the loaded years, a result past them, or a zero
count raises exactly the error the scalar path raises for the first such element (it is asked
to), so a caller handles :class:`CalendarRangeError` and its ``year`` the same way either path.
"""

from __future__ import annotations

import weakref
from datetime import date

import numpy as np
import numpy.typing as npt

from pipelines.calendar import WorkingCalendar

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # datetime64[D] counts days from 1970-01-01

DayArray = npt.NDArray[np.datetime64]
Days = npt.ArrayLike  # datetime64[D] values, or dates numpy converts to them
Counts = npt.ArrayLike  # integers, broadcast against the days


class WorkingDayTable:
    """One calendar's working days as a numpy array, built once per calendar (see :func:`table`).

    Every query is one or two ``searchsorted`` over the whole input, O(m log n).
    """

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        ordinals = np.asarray(calendar.working_ordinals, dtype=np.int64)
        self._days = ordinals - _EPOCH_ORDINAL  # days since 1970-01-01, like datetime64[D]
        self._first = calendar.first_day.toordinal() - _EPOCH_ORDINAL
        self._last = calendar.last_day.toordinal() - _EPOCH_ORDINAL
        # For every day of the loaded years, how many working days fall on or before it, and
        # before it: the two searchsorted answers, looked up instead of searched (a binary
        # search per element cost more than numpy.busday_offset's whole run).
        every_day = np.arange(self._first, self._last + 1, dtype=np.int64)
        self._through = np.searchsorted(self._days, every_day, side="right")
        self._before = np.searchsorted(self._days, every_day, side="left")

    def add_working_days(self, receipts: Days, counts: Counts) -> DayArray:
        """The ``counts[i]``-th working day after ``receipts[i]`` (before it when negative).

        Element by element equal to :meth:`WorkingCalendar.add_working_days`, errors included.
        """
        days, steps = _as_days(receipts), np.asarray(counts, dtype=np.int64)
        days, steps = np.broadcast_arrays(days, steps)
        raw = days.view(np.int64)
        if raw.size and raw.min() >= self._first and raw.max() <= self._last:  # NaT is least
            offset = raw - self._first
            index = self._through[offset] + steps - 1
            if steps.min() < 0:
                index = np.where(steps < 0, self._before[offset] + steps, index)
            if (index.min() >= 0 and index.max() < len(self._days)
                    and np.count_nonzero(steps) == steps.size):  # fmt: skip
                return self._days.take(index).view("datetime64[D]")
        return self._add_checked(days, steps)

    def _add_checked(self, days: DayArray, steps: npt.NDArray[np.int64]) -> DayArray:
        """``add_working_days`` element by element: the first bad element raises its error."""
        raw = days.view(np.int64)
        after = np.searchsorted(self._days, raw, side="right")
        index = after + steps - 1
        backward = steps < 0
        if backward.any():
            # Backward the day itself never counts either: start from the first working day
            # on or after it, exactly as the scalar path's bisect_left.
            before = np.searchsorted(self._days, raw, side="left")
            index = np.where(backward, before + steps, index)
        bad = self._outside(days) | (steps == 0) | (index < 0) | (index >= len(self._days))
        if bad.any():
            self._raise_first(bad, self._scalar_add, days, steps)
        return self._days[index].astype("datetime64[D]")

    def count_working_days(self, starts: Days, ends: Days) -> npt.NDArray[np.int64]:
        """Working days in each half-open span (start, end] of local calendar days; negative when
        end < start. Element by element equal to :meth:`WorkingCalendar.count_working_days`."""
        first, last = np.broadcast_arrays(_as_days(starts), _as_days(ends))
        bad = self._outside(first) | self._outside(last)
        if bad.any():
            self._raise_first(bad, self.calendar.count_working_days, first, last)
        hi = self._through[last.view(np.int64) - self._first]
        lo = self._through[first.view(np.int64) - self._first]
        return (hi - lo).astype(np.int64)

    def in_range(self, days: Days) -> npt.NDArray[np.bool_]:
        """True where a day lies in the loaded years, so a caller can set the others aside
        instead of failing the whole batch (reports: one item without calendar data)."""
        return ~self._outside(_as_days(days))

    def _scalar_add(self, day: date, count: np.int64) -> date:
        return self.calendar.add_working_days(day, int(count))

    def _outside(self, days: DayArray) -> npt.NDArray[np.bool_]:
        raw = days.view(np.int64)
        return np.isnat(days) | (raw < self._first) | (raw > self._last)

    @staticmethod
    def _raise_first(bad, scalar, *columns) -> None:
        """Let the scalar path raise its own error for the first bad element."""
        at = int(np.flatnonzero(bad.ravel())[0])
        values = [column.ravel()[at] for column in columns]
        if any(v.dtype.kind == "M" and np.isnat(v) for v in values):
            raise ValueError(f"element {at} has no day (NaT)")
        args = [v.astype(object) if v.dtype.kind == "M" else v for v in values]
        scalar(*args)
        raise AssertionError(f"element {at} was flagged but the scalar path accepted it")


_TABLES: weakref.WeakKeyDictionary[WorkingCalendar, WorkingDayTable] = weakref.WeakKeyDictionary()


def table(calendar: WorkingCalendar) -> WorkingDayTable:
    """The calendar's numpy table, built on first use and kept as long as the calendar is."""
    found = _TABLES.get(calendar)
    if found is None:
        found = _TABLES[calendar] = WorkingDayTable(calendar)
    return found


def add_working_days(calendar: WorkingCalendar, receipts: Days, counts: Counts) -> DayArray:
    """Due days for arrays of receipt days and periods; see ``WorkingDayTable``."""
    return table(calendar).add_working_days(receipts, counts)


def count_working_days(
    calendar: WorkingCalendar, starts: Days, ends: Days
) -> npt.NDArray[np.int64]:
    """Working days in (start, end] per pair; see :meth:`WorkingDayTable.count_working_days`."""
    return table(calendar).count_working_days(starts, ends)


def _as_days(values: Days) -> DayArray:
    return np.asarray(values, dtype="datetime64[D]")
