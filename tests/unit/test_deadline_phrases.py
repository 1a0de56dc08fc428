"""Deadline phrases, table by table, from the rules of docs/domain.md §6 ("Dates stated in
words"): which of a text's dates is the deadline, numbers in words, "vào/trong ngày", "trong
tháng/quý/năm", a stated hour on a day off, and what cannot be read.

Each expected instant is worked out from the rule and the working-day calendar written beside
it (weekends, the holidays of each year, the make-up Saturdays), not read off the code.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.deadline_phrases import PhraseKind, scan_text, words_to_number
from pipelines.deadlines import compute_deadline, find_deadline_phrase

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


# Monday 3 June 2024, 09:00; the document is dated Saturday 1 June 2024.
RECEIVED = vn(2024, 6, 3, 9)
DOC_DATE = date(2024, 6, 1)


def due_of(text, received=RECEIVED, doc_date=DOC_DATE):  # type: ignore[no-untyped-def]
    return compute_deadline(received, text=text, doc_date=doc_date)


# --- 1. the deadline among all the dates of a text ----------------------------------------

CHOICE = [
    # The period a report covers is not the deadline; "trước ngày 10/7" (Wed) → Tue 9/7.
    ("Báo cáo kết quả từ ngày 01/01 đến ngày 30/6, gửi trước ngày 10/7", vn(2024, 7, 9, 17)),
    # A data cut-off is not the deadline; "trước ngày 20/12" (Fri) → Thu 19/12.
    ("Số liệu tính đến ngày 14/12; gửi trước ngày 20/12", vn(2024, 12, 19, 17)),
    # A cited document's date is not the deadline.
    (
        "Thực hiện Quyết định số 54/2023/QĐ-UBND ngày 04/10/2023, đề nghị báo cáo chậm nhất "
        "ngày 14/6/2024",
        vn(2024, 6, 14, 17),
    ),
    # Cited plan; "trước ngày 15/6" (Sat) → the last working day before, Fri 14/6.
    (
        "Căn cứ Kế hoạch số 12/KH-UBND ngày 5/1/2024 của UBND tỉnh, các đơn vị gửi báo cáo "
        "trước ngày 15/6/2024",
        vn(2024, 6, 14, 17),
    ),
    # A meeting date is not the deadline; "trước ngày 7/6" (Fri) → Thu 6/6.
    (
        "Sở tổ chức họp vào ngày 10/6/2024; đề nghị gửi ý kiến trước ngày 7/6/2024",
        vn(2024, 6, 6, 17),
    ),
    ("Kỳ báo cáo từ 01/01/2024 đến 31/5/2024. Hạn nộp: 12/6/2024", vn(2024, 6, 12, 17)),
    # Cited letter; 5 working days from Mon 3/6: 4, 5, 6, 7, 10 June.
    (
        "Công văn số 1866/SXD-VP ngày 26/1/2024 của Sở Xây dựng; đề nghị phản hồi trong thời "
        "hạn 05 ngày làm việc",
        vn(2024, 6, 10, 17),
    ),
    # Two deadlines: the earlier wins (before Fri 14/6 → Thu 13/6).
    (
        "Gửi dự thảo chậm nhất ngày 20/6/2024; gửi báo cáo chính thức trước ngày 14/6/2024",
        vn(2024, 6, 13, 17),
    ),
    ("báo cáo số liệu từ ngày 01/5 đến hết ngày 31/5, chậm nhất ngày 5/6", vn(2024, 6, 5, 17)),
    (
        "Tình hình tính đến hết ngày 31/5/2024: gửi báo cáo trước 16h00 ngày 6/6/2024",
        vn(2024, 6, 6, 16),
    ),
    # A meeting's hour and day are not a deadline; "trước ngày 10/6" (Mon) → Fri 7/6.
    (
        "Hội nghị khai mạc lúc 8h00 ngày 12/6/2024. Các đơn vị đăng ký danh sách trước ngày "
        "10/6/2024",
        vn(2024, 6, 7, 17),
    ),
    # A party conclusion cited in its form number-TYPE/ISSUER; before Thu 20/6 → Wed 19/6.
    (
        "Thực hiện Kết luận số 25-KL/TW ngày 4/1/2024, báo cáo trước ngày 20/6/2024",
        vn(2024, 6, 19, 17),
    ),
    # 10 calendar days (Thu 13/6) against "trước ngày 8/6" (Sat → Fri 7/6): the earlier.
    ("Đề nghị hoàn thành trong 10 ngày, báo cáo trước ngày 8/6/2024", vn(2024, 6, 7, 17)),
    (
        "Thực hiện Quyết định 07/2024/QĐ-UBND ngày 2/2/2024. Hạn báo cáo ngày 17/6/2024",
        vn(2024, 6, 17, 17),
    ),
    # The data cut-off comes after the deadline in the sentence: still not a deadline.
    ("Gửi báo cáo trước ngày 12/6/2024, số liệu tính đến ngày 31/5/2024", vn(2024, 6, 11, 17)),
    # A strong form is a deadline even when a meeting is named before it.
    ("Gửi báo cáo phục vụ hội nghị trước ngày 10/6/2024", vn(2024, 6, 7, 17)),
    # Range written with a dash.
    ("Báo cáo giai đoạn từ 01/01/2024 - 31/5/2024, chậm nhất ngày 7/6/2024", vn(2024, 6, 7, 17)),
    # Cited document in "ngày … tháng … năm …".
    (
        "Theo Công văn số 210/UBND-VX ngày 04 tháng 3 năm 2024, đề nghị gửi trước ngày 11/6/2024",
        vn(2024, 6, 10, 17),
    ),
]


@pytest.mark.parametrize(("text", "due"), CHOICE)
def test_the_deadline_is_the_date_attached_to_an_action(text, due):
    result = due_of(text)
    assert (result.rule, result.due) == ("text", due)
    assert result.not_understood == ()


@pytest.mark.parametrize(
    "text",
    [
        "Thời gian thực hiện từ ngày 01/7/2024 đến ngày 31/12/2024",
        "Giấy mời họp vào lúc 14h00 ngày 5/6/2024",
        "Số liệu tính đến ngày 31/5/2024",
        "Thực hiện Quyết định số 54/2023/QĐ-UBND ngày 04/10/2023",
        "Sở tổ chức họp vào ngày 14/6/2024",
        "Hội nghị diễn ra trong ngày 14/6/2024 tại Hội trường",
    ],
)
def test_a_text_whose_dates_are_none_of_them_deadlines_gets_the_default(text):
    result = due_of(text)
    assert result.rule == "default"
    assert result.due == vn(2024, 6, 10, 17)  # 5 working days: 4, 5, 6, 7, 10 June
    assert any("không phải hạn xử lý" in line for line in result.explanation)


def test_several_texts_are_read_and_the_earliest_deadline_wins():
    directive = "Giao Phòng Kế hoạch tham mưu, báo cáo trước ngày 25/6/2024"
    abstract = "V/v báo cáo kết quả 6 tháng đầu năm, gửi trước ngày 20/6/2024"
    result = compute_deadline(RECEIVED, text=[directive, None, abstract], doc_date=DOC_DATE)
    assert (result.due, result.phrase) == (vn(2024, 6, 19, 17), "trước ngày 20/6/2024")
    assert any("trước ngày 25/6/2024" in line for line in result.explanation)


def test_the_phrase_finder_names_the_phrase_compute_chooses():
    text = "Gửi dự thảo chậm nhất ngày 20/6/2024; gửi báo cáo chính thức trước ngày 14/6/2024"
    assert find_deadline_phrase(text, DOC_DATE).text == due_of(text).phrase


# --- 2. numbers in words ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "number"),
    [
        ("một", 1), ("ba", 3), ("bốn", 4), ("năm", 5), ("bảy", 7), ("mười", 10),
        ("mười một", 11), ("mười lăm", 15), ("mười năm", 15), ("hai mươi", 20),
        ("hai mươi mốt", 21), ("hai mươi tư", 24), ("ba mươi lăm", 35), ("bốn mươi bốn", 44),
        ("năm mươi tư", 54), ("bảy mươi", 70), ("chín mươi", 90), ("chín mươi chín", 99),
        ("một trăm", 100), ("một trăm linh năm", 105), ("Mười Lăm", 15),
        # Not numbers: reported by the caller as not understood.
        ("mươi", None), ("mốt", None), ("hai hai", None), ("mười mốt", None), ("lăm", None),
        ("hai mươi năm", None), ("một mươi", None),
    ],
)  # fmt: skip
def test_numbers_in_words(words, number):
    assert words_to_number(words) == number


@pytest.mark.parametrize(
    ("text", "due"),
    [
        # Working days from Mon 3/6: 4, 5, 6 June.
        ("Các đơn vị gửi báo cáo trong ba ngày làm việc", vn(2024, 6, 6, 17)),
        ("trong năm ngày làm việc", vn(2024, 6, 10, 17)),
        # 4–7, 10–14, 17 June.
        ("trong mười ngày làm việc", vn(2024, 6, 17, 17)),
        ("trong thời hạn 05 ngày làm việc", vn(2024, 6, 10, 17)),
        ("hai ngày làm việc kể từ ngày nhận", vn(2024, 6, 5, 17)),
        # Calendar days from 3/6 (art. 147), the last day moved past a day off (art. 148).
        ("trong mười ngày", vn(2024, 6, 13, 17)),
        ("trong thời hạn mười lăm ngày", vn(2024, 6, 18, 17)),
        ("trong hai mươi mốt ngày", vn(2024, 6, 24, 17)),
        ("trong ba mươi lăm ngày", vn(2024, 7, 8, 17)),
        ("trong vòng năm mươi tư ngày", vn(2024, 7, 29, 17)),  # Sat 27/7 → Mon 29/7
        ("trong chín mươi ngày", vn(2024, 9, 4, 17)),  # Sun 1/9, 2–3/9 National Day → 4/9
        ("Trong vòng bảy ngày", vn(2024, 6, 10, 17)),
        ("trong 05 ngày", vn(2024, 6, 10, 17)),  # Sat 8/6 → Mon 10/6
        ("thời hạn hai mươi ngày", vn(2024, 6, 24, 17)),  # Sun 23/6 → Mon 24/6
        ("trong vòng bốn mươi tư ngày", vn(2024, 7, 17, 17)),
    ],
)
def test_periods_written_in_words_or_with_a_leading_zero(text, due):
    result = due_of(f"Đề nghị báo cáo {text}.")
    assert (result.rule, result.due) == ("text", due)


# --- 3. vào / trong ngày, trong tháng / quý / năm ------------------------------------------

ON_AND_WITHIN = [
    ("gửi báo cáo vào ngày 14/6/2024", RECEIVED, vn(2024, 6, 14, 17)),
    ("gửi báo cáo vào ngày 15/6/2024", RECEIVED, vn(2024, 6, 17, 17)),  # Sat → Mon (art. 148)
    ("nộp hồ sơ trong ngày 7/6/2024", RECEIVED, vn(2024, 6, 7, 17)),
    ("hoàn thành trong ngày 2/9/2024", vn(2024, 8, 20, 9), vn(2024, 9, 4, 17)),  # 2–3/9 off
    ("hoàn thành vào ngày 1/5/2025", vn(2025, 4, 20, 9), vn(2025, 5, 5, 17)),  # 1–4/5 off
    # The end of the last working day of the month, quarter or year.
    ("hoàn thành trong tháng 6/2024", RECEIVED, vn(2024, 6, 28, 17)),  # 30/6 is a Sunday
    ("hoàn thành trong tháng 8/2024", vn(2024, 8, 1, 9), vn(2024, 8, 30, 17)),  # Sat 31/8
    ("hoàn thành trong tháng 12 năm 2024", RECEIVED, vn(2024, 12, 31, 17)),
    ("hoàn thành trong tháng 5", RECEIVED, vn(2025, 5, 30, 17)),  # May 2024 is past: 2025
    ("hoàn thành trong quý III/2024", RECEIVED, vn(2024, 9, 30, 17)),
    ("hoàn thành trong quý II năm 2024", RECEIVED, vn(2024, 6, 28, 17)),
    ("hoàn thành trong quý 4/2024", RECEIVED, vn(2024, 12, 31, 17)),
    ("hoàn thành trong quý I", RECEIVED, vn(2025, 3, 31, 17)),  # Q1 2024 is past: 2025
    ("hoàn thành trong năm 2024", RECEIVED, vn(2024, 12, 31, 17)),
    ("hoàn thành trong năm 2025", RECEIVED, vn(2025, 12, 31, 17)),
    ("hoàn thành trong năm nay", RECEIVED, vn(2024, 12, 31, 17)),
    ("Trong tháng 7/2024, các đơn vị hoàn thành việc rà soát", RECEIVED, vn(2024, 7, 31, 17)),
    ("trình UBND tỉnh trong quý IV/2025", RECEIVED, vn(2025, 12, 31, 17)),
    # A day stands alone as a deadline when its sentence names no meeting or occasion.
    ("vào ngày 15/6/2024", RECEIVED, vn(2024, 6, 17, 17)),
    ("trong ngày 14/6/2024", RECEIVED, vn(2024, 6, 14, 17)),
]


@pytest.mark.parametrize(("text", "received", "due"), ON_AND_WITHIN)
def test_on_a_day_and_within_a_month_quarter_or_year(text, received, due):
    result = compute_deadline(received, text=text, doc_date=received.date() - timedelta(days=2))
    assert (result.rule, result.due) == ("text", due)


@pytest.mark.parametrize(
    "text",
    [
        "Trong tháng 5/2024 đã tiếp nhận 120 hồ sơ",  # no action: a fact, not a deadline
        "Sở tổ chức họp vào ngày 14/6/2024",  # a meeting
        "Trong năm 2023, tỉnh đã có nhiều cố gắng",
        "Tổ chức hội nghị vào ngày 20/6/2024, gửi kèm tài liệu",  # the meeting is the date
        "Quyết định có hiệu lực vào ngày 1/7/2024",  # an occasion, not a deadline
        "hoàn thành",  # an action alone states no deadline
        "trong quý III/2024",  # a quarter alone is as often a fact as an instruction
    ],
)
def test_weak_forms_without_an_action_are_not_deadlines(text):
    assert due_of(text).rule == "default"


def test_period_phrases_are_typed():
    scan = scan_text("hoàn thành trong quý II năm 2024", DOC_DATE)
    [phrase] = scan.phrases
    assert (phrase.kind, phrase.day, phrase.period) == (
        PhraseKind.PERIOD_END,
        date(2024, 6, 30),
        "quý II/2024",
    )


# --- 4. a stated hour on a day off moves to the previous working day, never later ---------

STATED_HOUR = [
    ("trước 16h30 ngày 16/6/2024", RECEIVED, vn(2024, 6, 14, 16, 30)),  # Sunday → Friday
    ("trước 16h30 ngày 15/6/2024", RECEIVED, vn(2024, 6, 14, 16, 30)),  # Saturday → Friday
    ("trước 16h30 ngày 14/6/2024", RECEIVED, vn(2024, 6, 14, 16, 30)),  # a working day
    ("chậm nhất 10h ngày 9/6/2024", RECEIVED, vn(2024, 6, 7, 10)),
    ("hạn 16h ngày 10/2/2024", vn(2024, 2, 1, 9), vn(2024, 2, 7, 16)),  # Tết → Wed 7/2
    ("trước 16 giờ ngày 14/2/2024", vn(2024, 2, 1, 9), vn(2024, 2, 7, 16)),
    ("trước 9h ngày 15/2/2024", vn(2024, 2, 1, 9), vn(2024, 2, 15, 9)),  # first day after Tết
    ("chậm nhất ngày 1/5/2024 lúc 15h", vn(2024, 4, 20, 9), vn(2024, 4, 26, 15)),  # 27/4–1/5
    ("trước 16h30 ngày 4/5/2024", vn(2024, 4, 20, 9), vn(2024, 5, 4, 16, 30)),  # làm bù Sat
    ("trước 16h30 ngày 5/5/2024", vn(2024, 4, 20, 9), vn(2024, 5, 4, 16, 30)),  # Sun → làm bù
    ("trước 8h00 ngày 2/9/2025", vn(2025, 8, 20, 9), vn(2025, 8, 29, 8)),  # 30/8–2/9 off
    ("trước 14h00 ngày 27/4/2025", vn(2025, 4, 15, 9), vn(2025, 4, 26, 14)),  # Sat 26/4 works
    ("trước 17h ngày 1/1/2025", vn(2024, 12, 20, 9), vn(2024, 12, 31, 17)),  # New Year
    ("chậm nhất 11 giờ 30 phút ngày 24/11/2026", vn(2026, 11, 10, 9), vn(2026, 11, 23, 11, 30)),
    ("gửi báo cáo vào lúc 15h ngày 16/6/2024", RECEIVED, vn(2024, 6, 14, 15)),
    ("trước 16h30, Chủ nhật, ngày 16/6/2024", RECEIVED, vn(2024, 6, 14, 16, 30)),
    ("trước 16g30 ngày 30/4/2024", vn(2024, 4, 20, 9), vn(2024, 4, 26, 16, 30)),
]


@pytest.mark.parametrize(("text", "received", "due"), STATED_HOUR)
def test_a_stated_hour_on_a_day_off_moves_to_the_previous_working_day(text, received, due):
    result = compute_deadline(received, text=f"Đề nghị báo cáo {text}.")
    assert (result.rule, result.due) == ("text", due)


@given(
    st.dates(min_value=date(2023, 2, 1), max_value=date(2026, 11, 30)),
    st.integers(7, 17),
    st.sampled_from([0, 30]),
)
def test_a_stated_moment_never_moves_later(day, hour, minute):
    from pipelines.calendar import load_calendar

    calendar = load_calendar()
    result = compute_deadline(
        vn(2023, 1, 10, 9), text=f"trước {hour}h{minute:02d} ngày {day:%d/%m/%Y}"
    )
    stated = vn(day.year, day.month, day.day, hour, minute)
    assert result.due <= stated
    assert (result.due.hour, result.due.minute) == (hour, minute)
    assert calendar.is_working_day(result.due.date())
    # Only days off lie between the moved deadline and the stated day.
    between = range(1, (day - result.due.date()).days + 1)
    assert all(not calendar.is_working_day(result.due.date() + timedelta(days=i)) for i in between)


# --- 5. a phrase that looks like a deadline but cannot be read ----------------------------

UNREADABLE = [
    ("hạn chót ngày 31/02", "hạn chót ngày 31/02"),
    ("báo cáo trước ngày mùng mười", "trước ngày mùng mười"),
    ("trong thời hạn vài ngày", "trong thời hạn vài ngày"),
    ("chậm nhất ngày 30/2/2024", "chậm nhất ngày 30/2/2024"),
    ("hạn 32/1/2024", "hạn 32/1/2024"),
    ("trước 25h ngày 20/6/2024", "trước 25h ngày 20/6/2024"),
    ("chậm nhất 16h75 ngày 20/6/2024", "chậm nhất 16h75 ngày 20/6/2024"),
    ("gửi trước ngày 15/13/2024", "trước ngày 15/13/2024"),
    ("trong thời hạn mươi ngày", "trong thời hạn mươi ngày"),
    ("trong vòng dăm ngày", "trong vòng dăm ngày"),
    ("nộp chậm nhất là cuối tháng", "chậm nhất là cuối tháng"),
    ("hạn chót: thứ Sáu tuần sau", "hạn chót: thứ Sáu tuần sau"),
    ("nộp trước ngày khai giảng", "trước ngày khai giảng"),
    ("trong thời hạn 0 ngày làm việc", "trong thời hạn 0 ngày làm việc"),
    ("chậm nhất trong tháng này", "chậm nhất trong tháng này"),
    ("hạn nộp ngày 29/2/2023", "hạn nộp ngày 29/2/2023"),  # 2023 is not a leap year
    ("trước tháng Sáu", "trước tháng Sáu"),
]


@pytest.mark.parametrize(("text", "phrase"), UNREADABLE)
def test_an_unreadable_deadline_is_reported_never_silently_defaulted(text, phrase):
    result = due_of(text)
    assert result.rule == "not_understood"
    assert phrase in result.not_understood
    assert any(f"không đọc được: {phrase}" in line for line in result.explanation)
    assert result.rule_detail == f"not understood: {phrase}"
    assert f"không đọc được: {phrase}" in result.render_text()
    data = result.to_json_dict()
    assert (data["rule"], data["not_understood"]) == ("not_understood", [phrase])


def test_an_unreadable_phrase_beside_a_readable_deadline_is_still_reported():
    result = due_of("Gửi báo cáo trước ngày 20/6/2024; hạn chót ngày 31/02")
    assert (result.rule, result.due) == ("text", vn(2024, 6, 19, 17))
    assert result.not_understood == ("hạn chót ngày 31/02",)
    assert any("không đọc được: hạn chót ngày 31/02" in line for line in result.explanation)


# --- property: never later than any deadline the text states ------------------------------

stated_days = st.dates(min_value=date(2024, 1, 10), max_value=date(2025, 12, 20))
hours = st.tuples(st.integers(7, 17), st.sampled_from([0, 15, 30]))
DEADLINE_FORMS = (
    "chậm nhất ngày {d}", "gửi trước ngày {d}", "hạn {d}", "trước {h} ngày {d}",
    "gửi báo cáo vào ngày {d}", "nộp hồ sơ trong ngày {d}", "trong {n} ngày làm việc",
    "trong thời hạn {n} ngày", "hạn chót ngày {d}", "báo cáo chậm nhất {h} ngày {d}",
)  # fmt: skip
NOISE_FORMS = (
    "số liệu tính đến ngày {d}", "kỳ báo cáo từ ngày {d} đến ngày {d2}",
    "thực hiện Quyết định số 12/QĐ-UBND ngày {d}", "Sở tổ chức họp vào ngày {d}",
    "Kính gửi các đơn vị",
)  # fmt: skip


@st.composite
def phrase_texts(draw):  # type: ignore[no-untyped-def]
    """(combined text, the deadline phrases in it) from phrases and dates that are not."""

    def fill(form: str) -> str:
        day, (hour, minute) = draw(stated_days), draw(hours)
        return form.format(
            d=f"{day:%d/%m/%Y}", d2=f"{day + timedelta(days=30):%d/%m/%Y}",
            h=f"{hour}h{minute:02d}", n=draw(st.integers(1, 60)),
        )  # fmt: skip

    deadlines = [
        fill(f) for f in draw(st.lists(st.sampled_from(DEADLINE_FORMS), min_size=1, max_size=4))
    ]
    noise = [fill(f) for f in draw(st.lists(st.sampled_from(NOISE_FORMS), max_size=3))]
    parts = draw(st.permutations(deadlines + noise))
    return ". ".join(part[0].upper() + part[1:] for part in parts), deadlines


@given(phrase_texts())
def test_the_chosen_deadline_is_no_later_than_any_deadline_the_text_states(case):
    text, deadlines = case
    received = vn(2024, 1, 2, 9)
    result = compute_deadline(received, text=text, doc_date=received.date())
    assert result.rule == "text", text
    for phrase in deadlines:
        alone = compute_deadline(received, text=phrase, doc_date=received.date())
        assert alone.rule == "text", phrase
        assert result.due <= alone.due, (text, phrase)


def test_an_explicit_deadline_wins_and_the_text_is_not_read():
    result = compute_deadline(RECEIVED, explicit=date(2024, 6, 20), text="hạn chót ngày 31/02")
    assert (result.rule, result.not_understood) == ("explicit", ())


# --- property: every number from 1 to 99 said the way Vietnamese says it ------------------

_DIGITS = ["", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]


def _say(n: int) -> str:
    """Vietnamese number words: "mười" for the teens, "X mươi" above; after "mươi" one is
    "mốt", four may be "tư", and five after a ten is "lăm"."""
    tens, unit = divmod(n, 10)
    if tens == 0:
        return _DIGITS[unit]
    head = "mười" if tens == 1 else f"{_DIGITS[tens]} mươi"
    if unit == 0:
        return head
    tail = {1: "một" if tens == 1 else "mốt", 4: "tư" if tens > 1 else "bốn", 5: "lăm"}
    return f"{head} {tail.get(unit, _DIGITS[unit])}"


@given(st.integers(1, 99))
def test_every_number_in_words_up_to_ninety_nine_is_read(n):
    assert words_to_number(_say(n)) == n
    phrase = find_deadline_phrase(f"báo cáo trong {_say(n)} ngày làm việc", DOC_DATE)
    assert phrase.days == n


# --- property: no text stops a run ---------------------------------------------------------

TOKENS = (
    "trước", "ngày", "chậm nhất", "hạn", "hạn chót", "trong", "tháng", "quý", "năm", "vào",
    "lúc", "16h30", "0h", "99h", "31/02", "29/2/2023", "0/0/0000", "12/2024", "IV", "0000",
    "9999", "mười", "mươi", "lăm", "mốt", "làm việc", "kể từ ngày ký", "hàng tuần", "gửi",
    "báo cáo", "họp", "từ", "đến", "tính đến", "số", "54/2023/QĐ-UBND", ",", ";", ".", ":", "-",
    "\n", "05", "000", "999", "thứ 5", "mùng", "nay",
)  # fmt: skip


@given(st.lists(st.sampled_from(TOKENS), max_size=25))
def test_any_text_gives_a_deadline_or_names_the_missing_calendar_year(tokens):
    from pipelines.calendar import CalendarRangeError

    text = " ".join(tokens)
    try:
        result = compute_deadline(RECEIVED, text=text, doc_date=DOC_DATE)
    except CalendarRangeError as exc:
        assert exc.year is not None
        return
    assert result.rule in ("text", "default", "not_understood")
    assert result.due.tzinfo is not None
