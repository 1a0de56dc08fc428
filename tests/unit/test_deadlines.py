"""The deadline rules of docs/domain.md §6, with real dates around Tết and the swaps."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.calendar import CalendarRangeError, load_calendar
from pipelines.deadlines import (
    DeadlinePhrase,
    DeadlinePolicy,
    PhraseKind,
    RecurringSchedule,
    at_risk,
    compute_deadline,
    find_deadline_phrase,
    scan_deadline_phrases,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = load_calendar()


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def _skipped_lines(result) -> list[str]:
    return [line for line in result.explanation if line.startswith("Bỏ qua ")]


# --- rule 3: the default period ------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        # Tết 2024 (8–14 Feb): counted days are 15, 16, 19, 20, 21 Feb.
        (vn(2024, 2, 7, 9, 15), 5, vn(2024, 2, 21, 17)),
        # 30/4–1/5 2024: 27/4–1/5 off; Saturday 4/5 is a working day: 2, 3, 4, 6, 7 May.
        (vn(2024, 4, 26, 10), 5, vn(2024, 5, 7, 17)),
        # 2025: Saturday 26/4 works, 30/4–4/5 off: 25/4, 26/4, 28/4, 29/4, 5/5.
        (vn(2025, 4, 24, 8), 5, vn(2025, 5, 5, 17)),
        # National Day 2025: 30/8–2/9 off: 29/8, 3/9, 4/9.
        (vn(2025, 8, 28, 16), 3, vn(2025, 9, 4, 17)),
        # Tết 2026 (14–22 Feb off): 13/2, 23/2, 24/2, 25/2, 26/2.
        (vn(2026, 2, 12, 11), 5, vn(2026, 2, 26, 17)),
        # Received on a Saturday or on a Tết day: the receipt day still never counts.
        (vn(2024, 2, 17, 10), 5, vn(2024, 2, 23, 17)),
        (vn(2024, 2, 12, 10), 5, vn(2024, 2, 21, 17)),
        # Received on the make-up Saturday 4/5/2024 (a working day): counting starts on 6/5.
        (vn(2024, 5, 4, 9), 1, vn(2024, 5, 6, 17)),
    ],
)
def test_default_working_days(received, days, due):
    result = compute_deadline(received, policy=DeadlinePolicy(default_working_days=days))
    assert result.rule == "default"
    assert result.due == due
    assert result.due.utcoffset() == timedelta(hours=7)
    assert result.start == received.date() + timedelta(days=1)


def test_tet_2024_explanation_lists_start_and_every_skipped_day():
    result = compute_deadline(vn(2024, 2, 7, 9, 15))
    assert [s.day for s in result.skipped] == [
        date(2024, 2, d) for d in (8, 9, 10, 11, 12, 13, 14)
    ] + [
        date(2024, 2, 17),
        date(2024, 2, 18),
    ]
    assert result.skipped[0].reason.startswith("thứ Năm 08/02/2024: 29 Tết")
    assert "Bắt đầu tính từ thứ Năm 08/02/2024." in result.explanation
    assert (
        "Các ngày làm việc được tính (5): 15/02, 16/02, 19/02, 20/02, 21/02." in result.explanation
    )
    assert any("Điều 147" in line for line in result.explanation)
    assert result.milestone == vn(2024, 2, 20, 17)


def test_make_up_saturday_is_named_with_its_source():
    result = compute_deadline(vn(2024, 4, 26, 10))
    line = next(x for x in result.explanation if x.startswith("Tính thứ Bảy 04/05/2024"))
    assert "2450/VPCP-KGVX" in line
    assert "2450/VPCP-KGVX" in next(s.reason for s in result.skipped if s.day == date(2024, 4, 29))


@pytest.mark.parametrize("hour", [(0, 1), (9, 15), (16, 59), (23, 59)])
def test_the_hour_of_receipt_does_not_matter(hour):
    assert compute_deadline(vn(2024, 2, 7, *hour)).due == vn(2024, 2, 21, 17)


def test_receipt_day_is_the_local_day_not_the_utc_day():
    # 18:00 UTC on Monday 4 March 2024 is 01:00 on Tuesday 5 March in Hà Nội.
    result = compute_deadline(datetime(2024, 3, 4, 18, tzinfo=ZoneInfo("UTC")))
    assert result.due == vn(2024, 3, 12, 17)


def test_naive_receipt_time_is_refused():
    with pytest.raises(ValueError, match="no UTC offset"):
        compute_deadline(datetime(2024, 2, 7, 9, 15))


@pytest.mark.parametrize(
    ("kwargs", "days"),
    [
        ({}, 5),
        ({"agency": "000.00.31.H41"}, 7),
        ({"doc_type": "BC"}, 3),
        ({"agency": "000.00.31.H41", "doc_type": "BC"}, 3),
        ({"urgency": "urgent"}, 2),
        ({"urgency": "normal"}, 5),
        ({"doc_type": "BC", "urgency": "flash"}, 2),
    ],
)
def test_default_period_is_configurable_per_agency_type_and_urgency(kwargs, days):
    policy = DeadlinePolicy(
        agency_working_days={"000.00.31.H41": 7},
        doc_type_working_days={"BC": 3},
        urgent_working_days=2,
    )
    result = compute_deadline(vn(2024, 3, 4, 9), policy=policy, **kwargs)
    assert CAL.count_working_days(date(2024, 3, 4), result.due.date()) == days


def test_end_of_day_and_milestone_are_configurable():
    policy = DeadlinePolicy(end_of_day=time(16, 30), milestone_working_days=2)
    result = compute_deadline(vn(2024, 2, 7, 9, 15), policy=policy)
    assert result.due == vn(2024, 2, 21, 16, 30)
    assert result.milestone == vn(2024, 2, 19, 16, 30)
    same = compute_deadline(vn(2024, 2, 7), policy=DeadlinePolicy(milestone_working_days=0))
    assert same.milestone == same.due


def test_milestone_skips_tet():
    result = compute_deadline(vn(2024, 2, 6, 9), policy=DeadlinePolicy(default_working_days=2))
    assert result.due == vn(2024, 2, 15, 17)
    assert result.milestone == vn(2024, 2, 7, 17)


def test_policy_refuses_nonsense():
    with pytest.raises(ValueError, match="at least 1"):
        DeadlinePolicy(default_working_days=0)


def test_a_deadline_beyond_the_loaded_years_fails_loudly():
    with pytest.raises(CalendarRangeError, match="2028"):
        compute_deadline(vn(2027, 12, 28, 9))
    with pytest.raises(CalendarRangeError, match="2028"):
        compute_deadline(vn(2027, 12, 1, 9), text="chậm nhất ngày 10/1/2028")


# --- rule 1: explicit ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("explicit", "due"),
    [
        (date(2024, 2, 20), vn(2024, 2, 20, 17)),
        # A date alone reads like "hạn D": Saturday 10/2/2024 (Tết) moves to 15/2 (art. 148).
        (date(2024, 2, 10), vn(2024, 2, 15, 17)),
        (date(2025, 9, 1), vn(2025, 9, 3, 17)),
        # A stated time is kept, even in UTC.
        (vn(2024, 2, 20, 10, 30), vn(2024, 2, 20, 10, 30)),
        (datetime(2024, 2, 20, 3, 30, tzinfo=ZoneInfo("UTC")), vn(2024, 2, 20, 10, 30)),
    ],
)
def test_explicit_deadline(explicit, due):
    result = compute_deadline(vn(2024, 2, 1, 9), explicit=explicit)
    assert result.rule == "explicit"
    assert result.due == due
    assert str(result.due.tzinfo) == "Asia/Ho_Chi_Minh"


def test_explicit_wins_over_text():
    result = compute_deadline(
        vn(2024, 2, 1, 9), explicit=date(2024, 2, 20), text="chậm nhất ngày 10/3/2024"
    )
    assert (result.rule, result.due) == ("explicit", vn(2024, 2, 20, 17))


def test_explicit_naive_time_is_refused():
    with pytest.raises(ValueError, match="no UTC offset"):
        compute_deadline(vn(2024, 2, 1, 9), explicit=datetime(2024, 2, 20, 10))


# --- rule 2: stated in text ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "received", "doc_date", "due"),
    [
        # "chậm nhất / hạn / đến / trong ngày D": the end of D, or of the next working day.
        ("chậm nhất ngày 10/3/2024", vn(2024, 3, 1, 9), None, vn(2024, 3, 11, 17)),  # Sunday
        ("Chậm nhất là ngày 20/02/2024", vn(2024, 2, 1, 9), None, vn(2024, 2, 20, 17)),
        ("hạn 20/2/2024", vn(2024, 2, 1, 9), None, vn(2024, 2, 20, 17)),
        ("đến ngày 10/2/2024", vn(2024, 2, 1, 9), None, vn(2024, 2, 15, 17)),  # Tết
        ("trong ngày 2/9/2025", vn(2025, 8, 25, 9), None, vn(2025, 9, 3, 17)),
        ("hạn 17/2/2026", vn(2026, 2, 2, 9), None, vn(2026, 2, 23, 17)),  # Tết 2026
        ("chậm nhất ngày 15 tháng 12 năm 2023", vn(2023, 12, 1, 9), None, vn(2023, 12, 15, 17)),
        # "trước ngày D": the last working day before D.
        ("trước ngày 1/5/2024", vn(2024, 4, 2, 9), None, vn(2024, 4, 26, 17)),
        ("trước ngày 15/2/2024", vn(2024, 2, 1, 9), None, vn(2024, 2, 7, 17)),
        ("trước ngày 3/9/2025", vn(2025, 8, 20, 9), None, vn(2025, 8, 29, 17)),
        ("trước ngày 23/2/2026", vn(2026, 2, 2, 9), None, vn(2026, 2, 13, 17)),
        ("trước ngày 6/5/2025", vn(2025, 4, 20, 9), None, vn(2025, 5, 5, 17)),
        ("trước ngày 28/4/2025", vn(2025, 4, 20, 9), None, vn(2025, 4, 26, 17)),  # làm bù
        # A stated hour is kept: 16h30, 16h, 16 giờ, 16g30, 16h00p.
        ("trước 16h30 ngày 10/3/2023", vn(2023, 3, 1, 9), None, vn(2023, 3, 10, 16, 30)),
        ("hạn 16h ngày 20/2/2024", vn(2024, 2, 1, 9), None, vn(2024, 2, 20, 16)),
        ("chậm nhất 16 giờ ngày 20/2/2024", vn(2024, 2, 1, 9), None, vn(2024, 2, 20, 16)),
        ("trước 16g30 ngày 20/2/2024", vn(2024, 2, 1, 9), None, vn(2024, 2, 20, 16, 30)),
        ("trước 16h00p ngày 20/2/2024", vn(2024, 2, 1, 9), None, vn(2024, 2, 20, 16)),
        ("trước 8 giờ 30 phút ngày 20/2/2024", vn(2024, 2, 1, 9), None, vn(2024, 2, 20, 8, 30)),
        ("chậm nhất ngày 20/2/2024 lúc 10h", vn(2024, 2, 1, 9), None, vn(2024, 2, 20, 10)),
        # An hour on a day off: the last working day before, same hour; a stated moment never
        # moves later (docs/domain.md §6; this case used to move to 15/2, after the moment).
        ("trước 16h30 ngày 10/2/2024", vn(2024, 2, 1, 9), None, vn(2024, 2, 7, 16, 30)),
        # No year: the document's year, or the next one if already past at issue.
        ("trước ngày 15/12", vn(2023, 11, 22, 9), date(2023, 11, 20), vn(2023, 12, 14, 17)),
        ("hạn 10/1", vn(2023, 12, 22, 9), date(2023, 12, 20), vn(2024, 1, 10, 17)),
        ("hạn 20/12", vn(2023, 12, 22, 9), date(2023, 12, 20), vn(2023, 12, 20, 17)),
        # No document date: the receipt day stands in for it.
        ("hạn 10/1", vn(2023, 12, 22, 9), None, vn(2024, 1, 10, 17)),
        # Working-day periods.
        ("trong thời hạn 05 ngày làm việc", vn(2024, 2, 7, 9), None, vn(2024, 2, 21, 17)),
        ("3 ngày làm việc", vn(2024, 5, 2, 9), None, vn(2024, 5, 6, 17)),
        # Calendar-day periods: end on a day off moves to the next working day (art. 148).
        ("trong 10 ngày", vn(2024, 2, 1, 9), None, vn(2024, 2, 15, 17)),
        ("trong vòng 7 ngày", vn(2025, 4, 24, 9), None, vn(2025, 5, 5, 17)),
        ("trong thời hạn 15 ngày", vn(2024, 3, 1, 9), None, vn(2024, 3, 18, 17)),
        ("trong 10 ngày kể từ ngày ký", vn(2024, 2, 1, 9), date(2024, 1, 29), vn(2024, 2, 15, 17)),
    ],
)
def test_deadline_stated_in_text(text, received, doc_date, due):
    result = compute_deadline(
        received, text=f"Đề nghị các đơn vị báo cáo {text}.", doc_date=doc_date
    )
    assert result.rule == "text"
    assert result.due == due
    assert result.phrase is not None and result.phrase in text


def test_text_in_nfd_and_capitals_is_read():
    nfd = unicodedata.normalize("NFD", "CHẬM NHẤT NGÀY 10/3/2024")
    assert nfd != unicodedata.normalize("NFC", nfd)
    result = compute_deadline(vn(2024, 3, 1, 9), text=nfd)
    assert (result.rule, result.due) == ("text", vn(2024, 3, 11, 17))


def test_before_day_explains_the_days_passed_over():
    result = compute_deadline(vn(2024, 4, 2, 9), text="trước ngày 1/5/2024")
    assert [s.day for s in result.skipped] == [date(2024, 4, d) for d in (27, 28, 29, 30)]
    assert any("«Trước ngày 01/05/2024»" in line for line in result.explanation)
    assert result.start == date(2024, 5, 1)


def test_on_day_cites_article_148_when_it_moves():
    result = compute_deadline(vn(2024, 3, 1, 9), text="chậm nhất ngày 10/3/2024")
    assert [s.day for s in result.skipped] == [date(2024, 3, 10)]
    assert any("Điều 148" in line for line in result.explanation)


@pytest.mark.parametrize(
    "text",
    [
        "Các đơn vị báo cáo trước 16h00 thứ 5 hàng tuần",
        "gửi báo cáo vào ngày 10 hàng tháng",
        "báo cáo năm trước ngày 15/12 hằng năm",
        "báo cáo định kỳ hàng quý",
    ],
)
def test_recurring_phrases_are_schedules_not_deadlines(text):
    found = find_deadline_phrase(text, date(2024, 3, 1))
    assert isinstance(found, RecurringSchedule)
    result = compute_deadline(vn(2024, 3, 4, 9), text=text)
    assert result.rule == "default"
    assert result.due == vn(2024, 3, 11, 17)
    assert result.schedules and any("định kỳ" in line for line in result.explanation)


def test_a_one_off_deadline_beside_a_schedule_is_used():
    text = "Báo cáo trước 16h00 thứ 5 hàng tuần; hoàn thành chậm nhất ngày 20/3/2024."
    found = scan_deadline_phrases(text, date(2024, 3, 1))
    assert [type(x) for x in found] == [RecurringSchedule, DeadlinePhrase]
    result = compute_deadline(vn(2024, 3, 4, 9), text=text)
    assert (result.rule, result.due) == ("text", vn(2024, 3, 20, 17))


@pytest.mark.parametrize(
    "text",
    [
        "Kính gửi các đơn vị.",
        "Quyết định số 07 ngày 22/9/2017 của UBND tỉnh",  # "07 ngày" is a number, not a period
        "16 học sinh",
    ],
)
def test_text_without_a_deadline_falls_back_to_the_default(text):
    result = compute_deadline(vn(2024, 3, 4, 9), text=text)
    assert result.rule == "default"
    assert result.not_understood == ()


@pytest.mark.parametrize(
    "text",
    [
        "hạn 31/2/2024",  # no such date
        "trước 25h ngày 20/2/2024 hoặc không",  # no such hour; no other deadline either
    ],
)
def test_an_unreadable_deadline_is_reported_not_defaulted(text):
    # These used to fall silently to the default; docs/domain.md §6 says they are reported.
    result = compute_deadline(vn(2024, 3, 4, 9), text=text)
    assert result.rule == "not_understood"
    assert result.not_understood and result.not_understood[0] in text


@pytest.mark.parametrize(
    ("text", "kind", "at"),
    [
        ("trước 16h30 ngày 10/3/2023", PhraseKind.ON_DAY, time(16, 30)),
        ("trước ngày 15/12/2023", PhraseKind.BEFORE_DAY, None),
        ("trong thời hạn 05 ngày làm việc", PhraseKind.WORKING_DAYS, None),
        ("trong 10 ngày", PhraseKind.CALENDAR_DAYS, None),
    ],
)
def test_phrase_finder_is_public_and_typed(text, kind, at):
    phrase = find_deadline_phrase(text, date(2023, 3, 1))
    assert isinstance(phrase, DeadlinePhrase)
    assert (phrase.kind, phrase.at, phrase.text) == (kind, at, text)


def test_json_and_text_forms():
    result = compute_deadline(vn(2024, 2, 7, 9, 15))
    data = result.to_json_dict()
    assert data["due"] == "2024-02-21T17:00:00+07:00"
    assert data["milestone"] == "2024-02-20T17:00:00+07:00"
    assert data["rule"] == "default"
    assert data["explanation"] == list(result.explanation)
    text = result.render_text()
    assert text.startswith("Hạn xử lý: 17:00 thứ Tư 21/02/2024")


# --- at risk -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (vn(2024, 2, 7, 10), True),  # Tết lies between: 15/2 is the next working day
        (vn(2024, 2, 15, 16), True),  # due today
        (vn(2024, 2, 6, 10), False),  # two working days ahead
        (vn(2024, 2, 15, 17, 1), False),  # overdue, not "at risk"
    ],
)
def test_at_risk_window(now, expected):
    assert at_risk(vn(2024, 2, 15, 17), now) is expected


def test_at_risk_window_is_configurable():
    assert at_risk(vn(2024, 2, 15, 17), vn(2024, 2, 6, 10), DeadlinePolicy(at_risk_working_days=2))


# --- properties (docs/domain.md §6) ------------------------------------------------------

# From mid-January 2023, so that the milestone before an early deadline stays in the range.
receipts = st.datetimes(min_value=datetime(2023, 1, 15), max_value=datetime(2026, 10, 31)).map(
    lambda naive: naive.replace(tzinfo=VN)
)
periods = st.integers(min_value=1, max_value=30)


def _days(policy_days: int) -> DeadlinePolicy:
    return DeadlinePolicy(default_working_days=policy_days)


@given(receipts, periods)
def test_deadline_is_never_on_a_day_off(received, days):
    result = compute_deadline(received, policy=_days(days))
    assert CAL.is_working_day(result.due.date())
    assert CAL.is_working_day(result.milestone.date())


@given(receipts, periods)
def test_more_days_never_give_an_earlier_deadline(received, days):
    shorter = compute_deadline(received, policy=_days(days))
    longer = compute_deadline(received, policy=_days(days + 1))
    assert longer.due > shorter.due


@given(receipts, periods)
def test_the_receipt_day_never_counts(received, days):
    result = compute_deadline(received, policy=_days(days))
    assert result.due.date() > received.date()
    assert CAL.count_working_days(received.date(), result.due.date()) == days
    # Whatever the hour of receipt, the same day gives the same deadline.
    at_midnight = received.replace(hour=0, minute=0, second=0, microsecond=0)
    assert compute_deadline(at_midnight, policy=_days(days)).due == result.due


@given(receipts, periods)
def test_explanation_lists_exactly_the_days_skipped(received, days):
    result = compute_deadline(received, policy=_days(days))
    span = (result.due.date() - received.date()).days
    off = [
        received.date() + timedelta(days=i)
        for i in range(1, span + 1)
        if not CAL.is_working_day(received.date() + timedelta(days=i))
    ]
    assert [s.day for s in result.skipped] == off
    assert _skipped_lines(result) == [f"Bỏ qua {s.reason}." for s in result.skipped]


stated_days = st.dates(min_value=date(2023, 2, 1), max_value=date(2026, 11, 30))


@given(stated_days)
def test_before_day_is_the_last_working_day_before(day):
    result = compute_deadline(vn(2023, 1, 10, 9), text=f"trước ngày {day:%d/%m/%Y}")
    due = result.due.date()
    assert due < day and CAL.is_working_day(due)
    assert all(not CAL.is_working_day(due + timedelta(days=i)) for i in range(1, (day - due).days))
    assert [s.day for s in result.skipped] == [
        due + timedelta(days=i) for i in range(1, (day - due).days)
    ]


@given(stated_days)
def test_on_day_is_that_day_or_the_next_working_day(day):
    result = compute_deadline(vn(2023, 1, 10, 9), text=f"chậm nhất ngày {day:%d/%m/%Y}")
    due = result.due.date()
    assert due >= day and CAL.is_working_day(due)
    assert all(not CAL.is_working_day(day + timedelta(days=i)) for i in range((due - day).days))
    assert [s.day for s in result.skipped] == [
        day + timedelta(days=i) for i in range((due - day).days)
    ]


def test_a_document_received_in_late_december_gets_a_january_deadline():
    # Today's documents must never fail for want of next year's calendar (2027.toml).
    result = compute_deadline(vn(2026, 12, 29, 10))
    assert result.due == vn(2027, 1, 6, 17)  # 30/12, 31/12, (1/1 holiday, weekend), 4/1, 5/1, 6/1
    assert any("Tết Dương lịch" in line for line in result.explanation)
