"""Report periods: every form, ISO week edges, clear errors, and what a schedule covers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest

from pipelines.calendar import LOCAL_TZ
from pipelines.periods import PeriodError, parse_period, schedule_period


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
        ("2024-H1", "half", date(2024, 1, 1), date(2024, 6, 30), "2024-H1"),
        ("2024-h2", "half", date(2024, 7, 1), date(2024, 12, 31), "2024-H2"),
        ("2024-9M", "nine_months", date(2024, 1, 1), date(2024, 9, 30), "2024-9M"),
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
        ("2024-H3", "H1 or H2"),
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
    assert parse_period("2024-H1").title_vi() == "6 tháng đầu năm 2024"
    assert parse_period("2024-H2").title_vi() == "6 tháng cuối năm 2024"
    assert parse_period("2024-9M").title_vi() == "9 tháng năm 2024"
    assert parse_period("2024-11", cutoff=True).title_vi() == (
        "Tháng 11/2024 (số liệu từ ngày 15/10/2024 đến ngày 14/11/2024)"
    )
    assert "Nghị định 09/2019" in parse_period("2024-11", cutoff=True).basis_vi()
    assert parse_period("2024-11").basis_vi() == "Theo ngày dương lịch"


# Decree 09/2019/NĐ-CP art. 12, written out day by day (docs/domain.md §7).
@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2024-01", date(2023, 12, 15), date(2024, 1, 14)),
        ("2024-03", date(2024, 2, 15), date(2024, 3, 14)),
        ("2024-12", date(2024, 11, 15), date(2024, 12, 14)),
        ("2024-Q1", date(2023, 12, 15), date(2024, 3, 14)),
        ("2024-Q2", date(2024, 3, 15), date(2024, 6, 14)),
        ("2024-Q4", date(2024, 9, 15), date(2024, 12, 14)),
        ("2024-H1", date(2023, 12, 15), date(2024, 6, 14)),
        ("2024-H2", date(2024, 6, 15), date(2024, 12, 14)),
        ("2024-9M", date(2023, 12, 15), date(2024, 9, 14)),
        ("2024", date(2023, 12, 15), date(2024, 12, 14)),
        # Weeks and ranges have no cut-off.
        ("2024-W48", date(2024, 11, 25), date(2024, 12, 1)),
        ("2024-11-01..2024-11-30", date(2024, 11, 1), date(2024, 11, 30)),
    ],
)
def test_the_data_cut_off_of_each_period(text, first, last):
    period = parse_period(text, cutoff=True)
    assert (period.first_day, period.last_day) == (first, last)


def test_scheduled_runs_cover_the_latest_complete_period():
    thursday = date(2024, 11, 28)  # in 2024-W48
    assert schedule_period("weekly", thursday).label == "2024-W47"
    assert schedule_period("weekly", date(2025, 1, 2)).label == "2024-W52"
    # With the cut-off (the default), the run on the 15th covers up to the 14th.
    monthly = schedule_period("monthly", date(2024, 11, 15))
    assert (monthly.label, monthly.first_day, monthly.last_day) == (
        "2024-11", date(2024, 10, 15), date(2024, 11, 14)
    )  # fmt: skip
    assert schedule_period("monthly", date(2024, 11, 14)).label == "2024-10"
    assert schedule_period("quarterly", date(2024, 12, 15)).label == "2024-Q4"
    assert schedule_period("half_yearly", date(2024, 6, 15)).label == "2024-H1"
    assert schedule_period("yearly", date(2024, 12, 15)).label == "2024"
    assert schedule_period("yearly", date(2024, 12, 14)).label == "2023"
    # A plain calendar period when asked: the previous complete month.
    assert schedule_period("monthly", date(2024, 12, 1), cutoff=False).label == "2024-11"
    assert schedule_period("monthly", date(2024, 11, 30), cutoff=False).label == "2024-10"
    with pytest.raises(PeriodError, match="weekly, monthly"):
        schedule_period("daily", thursday)


@pytest.mark.parametrize("cutoff", [True, False])
@pytest.mark.parametrize("schedule", ["weekly", "monthly", "quarterly", "half_yearly", "yearly"])
def test_the_scheduled_runs_of_a_year_cover_every_day_exactly_once(schedule, cutoff):
    """Run the schedule on every day of 2023–2025 (whatever day its cron names, each run covers
    the latest complete period) and count how often each day of 2024 is covered."""
    covered: dict[date, int] = {}
    seen = set()
    day = date(2023, 1, 1)
    while day <= date(2025, 12, 31):
        period = schedule_period(schedule, day, cutoff=cutoff)
        if period.label not in seen:
            seen.add(period.label)
            span = period.first_day
            while span <= period.last_day:
                covered[span] = covered.get(span, 0) + 1
                span += timedelta(days=1)
        day += timedelta(days=1)
    day = date(2024, 1, 1)
    while day <= date(2024, 12, 31):
        assert covered.get(day) == 1, (schedule, cutoff, day)
        day += timedelta(days=1)
    # And each run's period ends before the run and starts the day after the previous one's.
    periods = sorted({schedule_period(schedule, d, cutoff) for d in _days(2024)},
                     key=lambda p: p.first_day)  # fmt: skip
    for before, after in pairwise(periods):
        assert after.first_day == before.last_day + timedelta(days=1)


def _days(year: int):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)
