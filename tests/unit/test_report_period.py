"""Report periods: every form, ISO week edges, clear errors, and what a schedule covers."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bridge.pipelines.calendar import LOCAL_TZ
from bridge.pipelines.periods import PeriodError, parse_period, schedule_period


@pytest.mark.parametrize(
    ("text", "kind", "first", "last", "label"),
    [
        ("2024-W48", "week", date(2024, 11, 25), date(2024, 12, 1), "2024-W48"),
        ("2024-w01", "week", date(2024, 1, 1), date(2024, 1, 7), "2024-W01"),
        # Week 1 of 2025 starts on Monday 30 December 2024.
        ("2025-W01", "week", date(2024, 12, 30), date(2025, 1, 5), "2025-W01"),
        # 2020 started on a Wednesday in a leap year: it has a week 53, ending in 2021.
        ("2020-W53", "week", date(2020, 12, 28), date(2021, 1, 3), "2020-W53"),
        # Week 1 of 2021 therefore starts on 4 January.
        ("2021-W1", "week", date(2021, 1, 4), date(2021, 1, 10), "2021-W01"),
        ("2024-11", "month", date(2024, 11, 1), date(2024, 11, 30), "2024-11"),
        ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29), "2024-02"),
        ("2024-12", "month", date(2024, 12, 1), date(2024, 12, 31), "2024-12"),
        ("2024-Q4", "quarter", date(2024, 10, 1), date(2024, 12, 31), "2024-Q4"),
        ("2024-q1", "quarter", date(2024, 1, 1), date(2024, 3, 31), "2024-Q1"),
        ("2024", "year", date(2024, 1, 1), date(2024, 12, 31), "2024"),
        (" 2024-11-01..2024-11-30 ", "range", date(2024, 11, 1), date(2024, 11, 30),
         "2024-11-01..2024-11-30"),
        ("2024-11-05..2024-11-05", "range", date(2024, 11, 5), date(2024, 11, 5),
         "2024-11-05..2024-11-05"),
    ],
)  # fmt: skip
def test_each_form_reads_as_its_days(text, kind, first, last, label):
    period = parse_period(text)
    assert (period.kind, period.first_day, period.last_day, period.label) == (
        kind,
        first,
        last,
        label,
    )


def test_2024_w01_starts_in_2023_where_the_iso_year_says():
    # 2024-01-01 is a Monday, so ISO week 1 of 2024 is exactly 1–7 January; the Sunday before
    # (31 December 2023) still belongs to 2023-W52.
    assert parse_period("2024-W01").first_day == date(2024, 1, 1)
    assert date(2023, 12, 31).isocalendar()[:2] == (2023, 52)
    # Week 1 of 2026 starts on 29 December 2025, in the year before.
    assert parse_period("2026-W01").first_day == date(2025, 12, 29)


def test_instants_are_local_midnights_and_the_end_is_exclusive():
    period = parse_period("2024-11")
    assert period.start == datetime(2024, 11, 1, tzinfo=LOCAL_TZ)
    assert period.end == datetime(2024, 12, 1, tzinfo=LOCAL_TZ)
    assert period.contains(datetime(2024, 11, 30, 23, 59, tzinfo=LOCAL_TZ))
    assert not period.contains(period.end)
    assert period.contains(period.last_instant)
    assert period.end - period.last_instant == timedelta(microseconds=1)
    # 31 October 17:30 UTC is 1 November 00:30 in Hà Nội: inside November.
    assert period.contains(datetime.fromisoformat("2024-10-31T17:30:00+00:00"))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2021-W53", "weeks 1 to 52"),
        ("2020-W54", "weeks 1 to 53"),
        ("2024-W00", "weeks 1 to 52"),
        ("2024-13", "month must be 01 to 12"),
        ("2024-00", "month must be 01 to 12"),
        ("2024-Q5", "Q1 to Q4"),
        ("2024-11-31..2024-12-01", "YYYY-MM-DD"),
        ("2024-12-01..2024-11-01", "ends before it starts"),
        ("November", "is not a period"),
        ("", "is not a period"),
        ("24-11", "is not a period"),
    ],
)
def test_a_bad_period_says_what_is_wrong(text, says):
    with pytest.raises(PeriodError, match=says) as caught:
        parse_period(text)
    assert repr(text) in str(caught.value)


def test_titles_are_vietnamese():
    assert parse_period("2024-W48").title_vi() == "Tuần 48 năm 2024 (từ 25/11/2024 đến 01/12/2024)"
    assert parse_period("2024-11").title_vi() == "Tháng 11/2024"
    assert parse_period("2024-Q4").title_vi() == "Quý 4 năm 2024"
    assert parse_period("2024").title_vi() == "Năm 2024"


def test_schedules_cover_the_previous_week_and_the_running_month_quarter_year():
    thursday = date(2024, 11, 28)  # in 2024-W48
    assert schedule_period("weekly", thursday).label == "2024-W47"
    assert schedule_period("weekly", date(2025, 1, 2)).label == "2024-W52"
    assert schedule_period("monthly", date(2024, 11, 25)).label == "2024-11"
    assert schedule_period("quarterly", date(2024, 12, 25)).label == "2024-Q4"
    assert schedule_period("yearly", date(2024, 12, 10)).label == "2024"
    with pytest.raises(PeriodError, match="weekly, monthly"):
        schedule_period("daily", thursday)
