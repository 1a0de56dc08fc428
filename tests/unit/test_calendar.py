"""The working-day calendar against real Vietnamese public-sector dates (docs/domain.md §6)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.calendar import (
    CalendarDataError,
    CalendarRangeError,
    OffKind,
    load_calendar,
    read_override_file,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = load_calendar()


def test_loaded_range_is_the_years_with_override_files():
    assert list(CAL.years) == [2023, 2024, 2025, 2026, 2027]
    assert load_calendar() is CAL  # built once, then cached


@pytest.mark.parametrize(
    ("day", "working", "kind", "name_part"),
    [
        # Tết Giáp Thìn 2024: 8–14 Feb (29 Tết to mùng 5).
        (date(2024, 2, 7), True, None, None),
        (date(2024, 2, 8), False, OffKind.HOLIDAY, "29 Tết"),
        (date(2024, 2, 10), False, OffKind.HOLIDAY, "Tết Nguyên Đán"),
        (date(2024, 2, 14), False, OffKind.HOLIDAY, "Mùng năm"),
        (date(2024, 2, 15), True, None, None),
        # 30/4–1/5 2024: Monday 29/4 off, repaid on Saturday 4/5.
        (date(2024, 4, 29), False, OffKind.ANNOUNCED, "hoán đổi"),
        (date(2024, 4, 30), False, OffKind.HOLIDAY, "Chiến thắng"),
        (date(2024, 5, 1), False, OffKind.HOLIDAY, "Lao động"),
        (date(2024, 5, 4), True, None, None),
        (date(2024, 5, 11), False, OffKind.WEEKEND, None),
        # 30/4–1/5 2025: Friday 2/5 off, repaid on Saturday 26/4.
        (date(2025, 4, 26), True, None, None),
        (date(2025, 5, 2), False, OffKind.ANNOUNCED, "hoán đổi"),
        # National Day 2025: 1–2 September.
        (date(2025, 9, 1), False, OffKind.ANNOUNCED, "Quốc khánh"),
        (date(2025, 9, 2), False, OffKind.HOLIDAY, "Quốc khánh"),
        (date(2025, 9, 3), True, None, None),
        # Tết Bính Ngọ 2026: 16–20 Feb, with the weekends 14–22 Feb.
        (date(2026, 2, 13), True, None, None),
        (date(2026, 2, 16), False, OffKind.HOLIDAY, "Giao thừa"),
        (date(2026, 2, 20), False, OffKind.HOLIDAY, "Mùng bốn"),
        (date(2026, 2, 23), True, None, None),
        # 2026: 31/8 off repaid on Saturday 22/8; Vietnam Culture Day 24/11.
        (date(2026, 8, 22), True, None, None),
        (date(2026, 8, 31), False, OffKind.ANNOUNCED, "hoán đổi"),
        (date(2026, 11, 24), False, OffKind.ANNOUNCED, "Văn hóa Việt Nam"),
    ],
)
def test_real_days(day, working, kind, name_part):
    assert CAL.is_working_day(day) is working
    reason = CAL.day_off_reason(day)
    if working:
        assert reason is None
    else:
        assert reason.kind is kind
        assert name_part is None or name_part in reason.name


def test_announced_days_carry_their_source():
    reason = CAL.day_off_reason(date(2024, 4, 29))
    assert "2450/VPCP-KGVX" in reason.source
    assert "2450/VPCP-KGVX" in reason.describe()
    make_up = CAL.working_override(date(2024, 5, 4))
    assert make_up is not None and "2450/VPCP-KGVX" in make_up.source
    assert CAL.working_override(date(2024, 5, 3)) is None


def test_describe_names_weekday_date_and_reason():
    assert CAL.day_off_reason(date(2024, 2, 17)).describe() == "thứ Bảy 17/02/2024: nghỉ cuối tuần"
    tet = CAL.day_off_reason(date(2024, 2, 12)).describe()
    assert tet.startswith("thứ Hai 12/02/2024: Mùng ba Tết Nguyên Đán (ngày nghỉ lễ, Tết;")


def test_every_swap_known_to_holidays_has_its_make_up_saturday():
    """`holidays` names a swapped day "Ngày nghỉ (thay cho ngày DD/MM/YYYY)" but cannot make
    that Saturday a working day; every such Saturday must be in an override file."""
    listed = holidays.country_holidays("VN", years=CAL.years, language="vi")
    repaid = [
        datetime.strptime(m.group(1), "%d/%m/%Y").date()
        for name in listed.values()
        if (m := re.search(r"thay cho ngày (\d\d/\d\d/\d{4})", name))
    ]
    assert repaid, "expected the 2024–2026 swaps in holidays 0.109"
    for saturday in repaid:
        if saturday.year in CAL.years:
            assert CAL.is_working_day(saturday), saturday
            assert CAL.working_override(saturday) is not None, saturday


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2024, 2, 7), 5, date(2024, 2, 21)),  # over Tết 2024
        (date(2024, 4, 26), 1, date(2024, 5, 2)),  # 27/4–1/5 off
        (date(2024, 5, 3), 1, date(2024, 5, 4)),  # the make-up Saturday counts
        (date(2025, 4, 25), 1, date(2025, 4, 26)),  # the make-up Saturday counts
        (date(2025, 4, 29), 1, date(2025, 5, 5)),  # 30/4–4/5 off
        (date(2025, 8, 29), 1, date(2025, 9, 3)),  # 30/8–2/9 off
        (date(2026, 2, 13), 1, date(2026, 2, 23)),  # Tết 2026
        (date(2024, 2, 10), 1, date(2024, 2, 15)),  # from a day off
        (date(2024, 2, 15), -1, date(2024, 2, 7)),  # backwards over Tết
        (date(2024, 5, 2), -1, date(2024, 4, 26)),
        (date(2024, 5, 4), -1, date(2024, 5, 3)),
    ],
)
def test_add_working_days(start, count, expected):
    assert CAL.add_working_days(start, count) == expected


def test_next_and_previous_are_strict():
    assert CAL.next_working_day(date(2024, 2, 7)) == date(2024, 2, 15)
    assert CAL.previous_working_day(date(2024, 2, 15)) == date(2024, 2, 7)
    assert CAL.working_day_on_or_after(date(2024, 2, 15)) == date(2024, 2, 15)
    assert CAL.working_day_on_or_after(date(2024, 2, 10)) == date(2024, 2, 15)


def test_zero_days_is_refused():
    with pytest.raises(ValueError, match="non-zero"):
        CAL.add_working_days(date(2024, 2, 7), 0)


def test_count_between_instants_uses_local_days():
    # 18:00 UTC on 4 March is already 5 March in Hà Nội.
    start = datetime(2024, 3, 4, 18, 0, tzinfo=ZoneInfo("UTC"))
    end = datetime(2024, 3, 12, 9, 0, tzinfo=VN)
    assert CAL.count_working_days(start, end) == 5  # 6, 7, 8, 11, 12 March
    assert CAL.count_working_days(end, start) == -5
    assert CAL.count_working_days(date(2024, 2, 7), date(2024, 2, 21)) == 5
    with pytest.raises(ValueError, match="no UTC offset"):
        CAL.count_working_days(datetime(2024, 3, 4, 9), end)


def test_days_off_between_is_half_open():
    days = [off.day for off in CAL.days_off_between(date(2024, 4, 26), date(2024, 5, 2))]
    assert days == [date(2024, 4, d) for d in (27, 28, 29, 30)] + [date(2024, 5, 1)]


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.is_working_day(date(2028, 1, 4)),
        lambda: CAL.is_working_day(date(2022, 12, 30)),
        lambda: CAL.add_working_days(date(2027, 12, 28), 5),
        lambda: CAL.add_working_days(date(2023, 1, 3), -5),
    ],
)
def test_outside_the_loaded_years_fails_loudly(call):
    with pytest.raises(CalendarRangeError, match=r"only 2023–2027 is loaded.*\.toml"):
        call()


def test_range_error_names_the_missing_year():
    with pytest.raises(CalendarRangeError, match=r"calendar of 2028.*mappings/calendar/2028\.toml"):
        CAL.add_working_days(date(2027, 12, 28), 5)


# --- override files ------------------------------------------------------------------------

GOOD = """year = 2024
[[entries]]
date = 2024-05-04
kind = "working_day"
name = "Làm bù"
source = "Công văn X"
"""


def _write(directory: Path, year: int, text: str) -> Path:
    path = directory / f"{year}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("year = 2024", "year = 2025"), "must match the file name"),
        (GOOD.replace("2024-05-04", '"2024-05-04"'), "entry 1 .*must be a TOML date"),
        (GOOD.replace("2024-05-04", "2025-05-04"), r"entry 1 \(2025-05-04\).*not in 2024"),
        (GOOD.replace('"working_day"', '"holiday"'), "entry 1 .*'kind' must be"),
        (GOOD.replace('source = "Công văn X"', 'source = " "'), "'source' must be a non-empty"),
        (GOOD.replace('source = "Công văn X"', ""), "needs exactly the keys"),
        (GOOD.replace("2024-05-04", "2024-05-05"), "a Sunday cannot be a make-up"),
        (GOOD.replace('"working_day"', '"day_off"'), "is a weekend day already"),
        (GOOD + GOOD.split("\n", 1)[1], "2024-05-04 appears twice"),
        ("extra = 1\n" + GOOD, "unknown keys"),
        ("year = 2024\n[[entries]\n", "not valid TOML"),
    ],
)
def test_a_malformed_override_file_is_refused_naming_file_and_entry(tmp_path, text, message):
    path = _write(tmp_path, 2024, text)
    with pytest.raises(CalendarDataError, match=message) as caught:
        read_override_file(path)
    assert str(path) in str(caught.value)


def test_a_good_override_file_is_read(tmp_path):
    year, entries = read_override_file(_write(tmp_path, 2024, GOOD))
    assert year == 2024
    assert [(e.day, e.kind.value, e.source) for e in entries] == [
        (date(2024, 5, 4), "working_day", "Công văn X")
    ]


def test_override_entries_change_the_calendar(tmp_path):
    text = GOOD + '\n[[entries]]\ndate = 2024-03-08\nkind = "day_off"\nname = "Nghỉ"\n'
    text += 'source = "Thông báo Y"\n'
    _write(tmp_path, 2024, text)
    cal = load_calendar(override_dir=tmp_path)
    assert cal.is_working_day(date(2024, 5, 4))
    assert cal.day_off_reason(date(2024, 3, 8)).source == "Thông báo Y"


def test_a_gap_in_the_years_is_refused(tmp_path):
    _write(tmp_path, 2023, "year = 2023\nentries = []\n")
    _write(tmp_path, 2025, "year = 2025\nentries = []\n")
    with pytest.raises(CalendarRangeError, match=r"\[2024\]"):
        load_calendar(override_dir=tmp_path)


def test_a_subset_of_years_can_be_loaded():
    cal = load_calendar(years=[2024])
    assert list(cal.years) == [2024]
    with pytest.raises(CalendarRangeError):
        cal.is_working_day(date(2025, 1, 2))


# --- properties ----------------------------------------------------------------------------

days_in_range = st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 10, 31))
counts = st.integers(min_value=1, max_value=30)


def _naive_add(start: date, count: int) -> date:
    day = start
    while count:
        day += timedelta(days=1)
        count -= CAL.is_working_day(day)
    return day


@given(days_in_range, counts)
def test_bisect_addition_agrees_with_a_day_by_day_loop(start, count):
    assert CAL.add_working_days(start, count) == _naive_add(start, count)


# Starting after the first days of 2023 so that going back never leaves the loaded range.
@given(st.dates(min_value=date(2023, 1, 10), max_value=date(2026, 10, 31)), counts)
def test_addition_and_counting_are_inverse(start, count):
    end = CAL.add_working_days(start, count)
    assert CAL.is_working_day(end)
    assert CAL.count_working_days(start, end) == count
    # Going back as many days lands on the last working day on or before the start.
    on_or_before = start if CAL.is_working_day(start) else CAL.previous_working_day(start)
    assert CAL.add_working_days(end, -count) == on_or_before
