"""The batch deadline API equals the scalar calendar element by element (docs/domain.md §6)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import calendar_batch
from pipelines.calendar import CalendarRangeError, load_calendar
from pipelines.report import working_days_late, working_days_late_many

CAL = load_calendar()

# The days where a wrong model shows: every holiday and announced day off (Tết included) and
# every make-up Saturday, with their neighbours, on top of uniformly random days.
_SPECIAL = sorted(
    {off.day + timedelta(days=shift) for off in CAL.days_off_between(CAL.first_day, CAL.last_day)
     if off.kind != "weekend" for shift in (-1, 0, 1)}
    | {e.day + timedelta(days=shift)
       for e in CAL.working_overrides_between(CAL.first_day, CAL.last_day) for shift in (-1, 0, 1)}
)  # fmt: skip
_SPECIAL = [d for d in _SPECIAL if CAL.first_day <= d <= CAL.last_day]
receipt_days = st.one_of(
    st.dates(CAL.first_day, CAL.last_day),
    st.sampled_from(_SPECIAL),
)


def scalar_or_error(day: date, count: int) -> date | Exception:
    try:
        return CAL.add_working_days(day, count)
    except ValueError as error:  # CalendarRangeError and the zero count are ValueErrors
        return error


def test_special_days_cover_tet_and_make_up_saturdays():
    assert date(2024, 5, 4) in _SPECIAL  # làm bù Saturday
    assert CAL.working_override(date(2024, 5, 4)) is not None
    assert date(2024, 2, 10) in _SPECIAL  # Tết Giáp Thìn


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(receipt_days, st.integers(0, 60)), max_size=40))
def test_batch_equals_scalar_for_periods_0_to_60(pairs):
    check_against_scalar(pairs)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(receipt_days, st.integers(-60, 60)), max_size=40))
def test_batch_equals_scalar_backwards_too(pairs):
    check_against_scalar(pairs)


def check_against_scalar(pairs: list[tuple[date, int]]) -> None:
    expected = [scalar_or_error(day, count) for day, count in pairs]
    days = [day for day, _ in pairs]
    counts = [count for _, count in pairs]
    errors = [e for e in expected if isinstance(e, Exception)]
    if errors:
        # The first element the scalar path refuses decides the error, type and message.
        with pytest.raises(type(errors[0])) as raised:
            calendar_batch.add_working_days(CAL, days, counts)
        assert str(raised.value) == str(errors[0])
        assert getattr(raised.value, "year", None) == getattr(errors[0], "year", None)
        return
    got = calendar_batch.add_working_days(CAL, days, counts)
    assert got.dtype == np.dtype("datetime64[D]")
    assert got.astype(object).tolist() == expected


def test_known_due_days_including_make_up_saturday_and_tet():
    receipts = np.array(["2024-05-03", "2024-02-07", "2024-04-26", "2024-05-04"], "datetime64[D]")
    got = calendar_batch.add_working_days(CAL, receipts, [1, 1, 1, -1])
    assert got.tolist() == [date(2024, 5, 4), date(2024, 2, 15), date(2024, 5, 2), date(2024, 5, 3)]


def test_a_scalar_period_broadcasts_over_the_days():
    got = calendar_batch.add_working_days(CAL, [date(2024, 5, 2), date(2024, 5, 3)], 1)
    assert got.tolist() == [date(2024, 5, 3), date(2024, 5, 4)]


@pytest.mark.parametrize(
    ("days", "counts", "year"),
    [
        ([date(2024, 1, 2), date(2022, 12, 30)], [1, 1], 2022),  # receipt before the range
        ([date(2024, 1, 2), date(2028, 1, 3)], [1, 1], 2028),  # receipt after it
        ([date(2024, 1, 2), date(CAL.last_year, 12, 28)], [1, 10], CAL.last_year + 1),  # due after
        ([date(2023, 1, 3)], [-5], 2022),  # counting back past the first year
    ],
)
def test_out_of_range_raises_the_scalar_error_naming_the_year(days, counts, year):
    with pytest.raises(CalendarRangeError) as raised:
        calendar_batch.add_working_days(CAL, days, counts)
    assert raised.value.year == year
    assert str(year) in str(raised.value)
    with pytest.raises(CalendarRangeError) as scalar:
        CAL.add_working_days(days[-1], counts[-1])
    assert str(raised.value) == str(scalar.value)


def test_zero_period_is_refused_like_the_scalar_path():
    with pytest.raises(ValueError, match="non-zero"):
        calendar_batch.add_working_days(CAL, [date(2024, 3, 1)], [0])


def test_missing_day_is_refused():
    with pytest.raises(ValueError, match="NaT"):
        calendar_batch.add_working_days(CAL, np.array(["NaT"], "datetime64[D]"), [1])


def test_empty_arrays_give_empty_answers():
    due = calendar_batch.add_working_days(CAL, np.array([], "datetime64[D]"), np.array([], int))
    assert due.shape == (0,) and due.dtype == np.dtype("datetime64[D]")
    counted = calendar_batch.count_working_days(CAL, [], [])
    assert counted.shape == (0,)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(receipt_days, receipt_days), max_size=40))
def test_batch_count_equals_scalar_count(pairs):
    starts = [a for a, _ in pairs]
    ends = [b for _, b in pairs]
    got = calendar_batch.count_working_days(CAL, starts, ends)
    assert got.tolist() == [CAL.count_working_days(a, b) for a, b in pairs]


def test_batch_count_out_of_range_names_the_year():
    with pytest.raises(CalendarRangeError) as raised:
        calendar_batch.count_working_days(CAL, [date(2024, 1, 2)], [date(2028, 2, 1)])
    assert raised.value.year == 2028


def test_count_inverts_add():
    days = np.array([date(2024, 5, 3), date(2024, 2, 7), date(2025, 1, 24)], "datetime64[D]")
    counts = np.array([1, 7, 30])
    due = calendar_batch.add_working_days(CAL, days, counts)
    assert calendar_batch.count_working_days(CAL, days, due).tolist() == counts.tolist()


def test_table_is_built_once_per_calendar():
    assert calendar_batch.table(CAL) is calendar_batch.table(CAL)


# --- reports: days late of every late item at once ----------------------------------------

VN = ZoneInfo("Asia/Ho_Chi_Minh")
instants = st.datetimes(
    datetime(2022, 11, 1), datetime(2028, 2, 1), timezones=st.sampled_from([VN, UTC])
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(instants, instants), max_size=30))
def test_report_days_late_in_one_batch_equal_the_per_item_function(spans):
    """Including spans outside the loaded years: those items alone get None."""
    one = working_days_late(CAL)
    assert working_days_late_many(CAL)(spans) == [one(deadline, end) for deadline, end in spans]


def test_report_days_late_sets_aside_only_the_item_without_calendar_data():
    spans = [
        (datetime(2024, 5, 3, 17, tzinfo=VN), datetime(2024, 5, 6, 9, tzinfo=VN)),
        (datetime(2024, 5, 3, 17, tzinfo=VN), datetime(2028, 1, 5, 9, tzinfo=VN)),
        (datetime(2024, 5, 3, 17, tzinfo=VN), datetime(2024, 5, 3, 19, tzinfo=VN)),
    ]
    # 4 May is a make-up Saturday: 3 May → 6 May is two working days late; the same evening, 1.
    assert working_days_late_many(CAL)(spans) == [2, None, 1]
    assert working_days_late_many(CAL)([]) == []


def test_the_edges_of_the_loaded_years_are_reached_exactly_and_not_passed():
    """The batch looks the working days up in a table of the loaded days: the last working
    day of the last year and the first of the first are answers; one step beyond is an error."""
    late, early = CAL.last_day - timedelta(days=40), CAL.first_day + timedelta(days=40)
    to_end = CAL.count_working_days(late, CAL.last_day)  # working days in (late, last day]
    before = [CAL.first_day + timedelta(days=n) for n in range((early - CAL.first_day).days)]
    to_start = -sum(CAL.is_working_day(day) for day in before)  # those in [first day, early)
    days, counts = [late, early, late], [to_end, to_start, 1]
    due = calendar_batch.add_working_days(CAL, days, counts).astype(object).tolist()
    assert due == [CAL.add_working_days(d, n) for d, n in zip(days, counts, strict=True)]
    for day, beyond in ((late, to_end + 1), (early, to_start - 1)):
        with pytest.raises(CalendarRangeError):
            CAL.add_working_days(day, beyond)
        with pytest.raises(CalendarRangeError):
            calendar_batch.add_working_days(CAL, [day], [beyond])
