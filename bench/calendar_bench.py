"""Working-day addition throughput (docs/domain.md §6; docs/design.md, "Performance facts").

Three ways on the same random inputs (start dates across the loaded years, N in 1..30), in the
same run so the ratios are fair:

(a) ``WorkingCalendar.add_working_days``: bisect on the precomputed table, O(log n);
(b) the floor: a naive day-by-day loop over the same calendar's ``is_working_day``;
(c) ``numpy.busday_offset`` with the weekday holidays, vectorised, when numpy imports. It cannot
    model a working Saturday (làm bù), so its answers differ on those dates; the count is shown.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, timedelta

from pipelines.calendar import WorkingCalendar, load_calendar

CALLS = 200_000
SEED = 20240207


def make_inputs(calendar: WorkingCalendar, calls: int, seed: int) -> list[tuple[date, int]]:
    """Random (start, N) pairs whose results stay inside the loaded years."""
    rng = random.Random(seed)
    first = calendar.first_day.toordinal()
    last = calendar.last_day.toordinal() - 60  # room for 30 working days
    return [(date.fromordinal(rng.randint(first, last)), rng.randint(1, 30)) for _ in range(calls)]


def naive_add(calendar: WorkingCalendar, start: date, count: int) -> date:
    day = start
    while count:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count -= 1
    return day


def _time(run: Callable[[], object]) -> tuple[float, object]:
    """Best of three, to damp the noise of a shared machine."""
    best, result = float("inf"), None
    for _ in range(3):
        began = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - began)
    return best, result


def _numpy_run(calendar: WorkingCalendar, inputs: list[tuple[date, int]]):
    try:
        import numpy as np
    except ImportError:
        return None
    starts = np.array([s for s, _ in inputs], dtype="datetime64[D]")
    counts = np.array([n for _, n in inputs])
    holidays = np.array(calendar.holiday_dates(), dtype="datetime64[D]")
    busdays = np.busdaycalendar(weekmask="1111100", holidays=holidays)
    # roll="backward" then +N: the Nth business day strictly after the start, like ours.
    return lambda: np.busday_offset(starts, counts, roll="backward", busdaycal=busdays)


def main() -> None:
    calendar = load_calendar()
    inputs = make_inputs(calendar, CALLS, SEED)
    print(f"calendar {calendar.first_year}–{calendar.last_year}, {CALLS:,} calls, N in 1..30")
    ours_s, ours = _time(lambda: [calendar.add_working_days(s, n) for s, n in inputs])
    naive_s, naive = _time(lambda: [naive_add(calendar, s, n) for s, n in inputs])
    assert ours == naive, "bisect and naive loop disagree"  # a wrong fast answer is no result
    rows = [("naive day-by-day loop (floor)", naive_s), ("bisect table (ours)", ours_s)]
    numpy_run = _numpy_run(calendar, inputs)
    mismatches = None
    if numpy_run is not None:
        numpy_s, answers = _time(numpy_run)
        rows.append(("numpy.busday_offset (vectorised)", numpy_s))
        mismatches = sum(a != b for a, b in zip(answers.astype(object), ours, strict=True))
    for label, seconds in rows:
        print(f"  {label:34s} {CALLS / seconds:>12,.0f} calls/s   {naive_s / seconds:5.1f}x floor")
    if numpy_run is None:
        print("  numpy.busday_offset: numpy not installed (dev extra), skipped")
    else:
        print(
            f"  numpy differs from the calendar on {mismatches:,} of {CALLS:,} inputs: it cannot "
            "model working Saturdays (làm bù), so it is a speed reference, not a substitute"
        )
