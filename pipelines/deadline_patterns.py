"""The patterns of deadline phrases (docs/domain.md §6, "Dates stated in words") and the
numbers written in words, for pipelines.deadline_phrases, which reads text with them.

Vietnamese text is matched in NFC, case-insensitively; "a letter" is ``[^\\W\\d_]`` so that
"16 học sinh" is not an hour and "ba" is not the start of "bảy".
"""

from __future__ import annotations

import re
from enum import StrEnum


class PhraseKind(StrEnum):
    """The deadline forms of docs/domain.md §6, "Dates stated in words"."""

    ON_DAY = "on_day"  # chậm nhất / hạn / đến / trong / vào ngày D (an hour may be stated)
    BEFORE_DAY = "before_day"  # trước ngày D
    WORKING_DAYS = "working_days"  # (trong thời hạn) N ngày làm việc
    CALENDAR_DAYS = "calendar_days"  # trong (thời hạn) N ngày
    PERIOD_END = "period_end"  # trong tháng M/YYYY, trong quý I/YYYY, trong năm YYYY


# --- numbers written in words ----------------------------------------------------------------

_UNITS = {
    "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5, "nhăm": 5,
    "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9,
}  # fmt: skip
_NUMBER_WORDS = (*_UNITS, "mười", "mươi", "linh", "lẻ", "trăm", "không")
_WORD = r"(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")(?![^\W\d_])"
# Digits (with a leading zero: "05 ngày") or one to five number words ("hai mươi mốt").
_NUMBER = rf"(?<![^\W\d_])(?P<n>\d{{1,3}}|{_WORD}(?:\s+{_WORD}){{0,4}})"


def words_to_number(text: str) -> int | None:
    """ "mười lăm" → 15, "hai mươi mốt" → 21, "năm mươi tư" → 54, "một trăm linh năm" → 105;
    None for a sequence that is not a number ("mươi", "mốt", "hai hai")."""
    words = text.lower().split()
    total = 0
    if "trăm" in words:
        at = words.index("trăm")
        if at != 1 or words[0] not in _UNITS or words[0] in ("mốt", "lăm", "nhăm", "tư"):
            return None
        total, words = _UNITS[words[0]] * 100, words[2:]
        if words[:1] in (["linh"], ["lẻ"]):
            if len(words) != 2 or words[1] not in _UNITS or words[1] in ("mốt", "lăm", "nhăm"):
                return None
            return total + _UNITS[words[1]]
    if not words:
        return total or None
    rest = _tens_and_units(words)
    return None if rest is None else total + rest


def _tens_and_units(words: list[str]) -> int | None:
    if words[0] == "mười":
        tens, tail = 10, words[1:]
    elif len(words) >= 2 and words[1] == "mươi" and words[0] in _UNITS:
        if words[0] in ("một", "mốt", "lăm", "nhăm", "tư"):
            return None
        tens, tail = _UNITS[words[0]] * 10, words[2:]
    elif len(words) == 1 and words[0] in _UNITS and words[0] not in ("mốt", "lăm", "nhăm"):
        return _UNITS[words[0]]
    else:
        return None
    if not tail:
        return tens
    if len(tail) != 1 or tail[0] not in _UNITS:
        return None
    unit = tail[0]
    if unit == "mốt" and tens == 10:
        return None  # "mười mốt" is not said; "mười một" is
    if unit == "năm" and tens > 10:
        return None  # after "mươi", five is "lăm"
    return tens + _UNITS[unit]


def count_days(text: str) -> int | None:
    return int(text) if text.isdigit() else words_to_number(text)


# --- patterns ------------------------------------------------------------------------------

_DATE = (
    r"(?:(?:mùng|mồng)\s+)?(?P<d{n}>\d{{1,2}})(?:\s*[/.-]\s*|\s+tháng\s+)(?P<m{n}>\d{{1,2}})"
    r"(?:(?:\s*[/.-]\s*|\s+năm\s+)(?P<y{n}>\d{{4}}))?(?!\d)"
)
# 16h, 16h30, 16 giờ, 16 giờ 30 phút, 16g30, 16h00p, 16:30 — never followed by a letter, so
# "16 học sinh" is not an hour.
_HOUR = r"(?P<h{n}>\d{{1,2}})\s*(?:giờ|h|g|:)\s*(?P<mi{n}>\d{{2}})?\s*(?:phút|p)?(?![^\W\d_])"
_WEEKDAY = r"(?:thứ\s+(?:[2-7]|hai|ba|tư|năm|sáu|bảy)|chủ\s+nhật)"
_FROM = r"(?:\s*,?\s*(?:kể\s+)?từ\s+(?:ngày\s+)?(?P<from>nhận|ký|ban\s+hành|phát\s+hành))?"
_ON_LEAD = (
    r"(?:chậm\s+nhất(?:\s+là)?(?:\s+vào)?|(?:thời\s+)?hạn(?:\s+(?:chót|cuối|hoàn\s+thành|"
    r"xử\s+lý|báo\s+cáo|nộp))?\s*:?|đến(?:\s+hết)?)"
)
_DAY_WORD = r"(?:ngày\s+)?"
_YEAR_TAIL = r"(?:\s*/\s*|\s+năm\s+)(?P<y>\d{4})"
_QUARTER = r"(?P<q>IV|I{1,3}|[1-4])(?![^\W\d_])"
_QUARTER_YEAR_TAIL = _YEAR_TAIL.replace("(?P<y>", "(?P<qy>")


def _date(n: int = 1) -> str:
    return _DATE.format(n=n)


def _hour(n: int = 1) -> str:
    return _HOUR.format(n=n)


_FLAGS = re.IGNORECASE
RECURRING = re.compile(
    rf"(?:(?:trước|chậm\s+nhất|vào|lúc|trong)\s+)?(?:{_hour()}\s*,?\s*)?(?:vào\s+)?"
    rf"(?:{_WEEKDAY}|(?:ngày\s+)?\d{{1,2}}(?:\s*/\s*\d{{1,2}})?)\s*,?\s*"
    r"(?:hàng|hằng|mỗi)\s+(?:tuần|tháng|quý|năm)"
    r"|(?:hàng|hằng|mỗi|định\s+kỳ)\s+(?:tuần|tháng|quý|năm)",
    _FLAGS,
)

# Dates that are not deadlines (docs/domain.md §6): set aside before any deadline is read.
_DOC_TYPES = (
    r"(?:quyết\s+định|công\s+văn|kế\s+hoạch|thông\s+báo|nghị\s+quyết|chỉ\s+thị|thông\s+tư|"
    r"nghị\s+định|văn\s+bản|tờ\s+trình|luật|hướng\s+dẫn|giấy\s+mời|chương\s+trình|"
    r"kết\s+luận|thông\s+tư\s+liên\s+tịch|pháp\s+lệnh)"
)
NOT_DEADLINES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "kỳ/khoảng thời gian được nêu, không phải hạn xử lý",
        re.compile(
            rf"từ\s+{_DAY_WORD}{_date(1)}\s*(?:đến|tới|-|–)\s*(?:hết\s+)?{_DAY_WORD}{_date(2)}",
            _FLAGS,
        ),
    ),
    (
        "mốc số liệu, không phải hạn xử lý",
        re.compile(
            r"(?:(?:số\s+liệu|tính|cập\s+nhật|thống\s+kê)\s+(?:[^\s.;,:]+\s+){0,3}?"
            rf"(?:đến|tới|từ)|tính\s+từ|tính\s+đến)\s+(?:hết\s+)?{_DAY_WORD}{_date()}",
            _FLAGS,
        ),
    ),
    (
        "ngày của văn bản được dẫn, không phải hạn xử lý",
        re.compile(
            rf"(?:(?:{_DOC_TYPES}\s+)?(?:số\s+)?\d{{1,6}}(?:/\d{{2,4}})?[/-][^\s,;]*"
            rf"[^\W\d_][^\s,;]*|{_DOC_TYPES}(?:\s+số\s+[^\s,;]+)?)\s*,?\s+"
            rf"(?:ban\s+hành\s+|ký\s+)?ngày\s+{_date()}",
            _FLAGS,
        ),
    ),
)

# Strong forms are deadlines by themselves; weak forms (``weak=True``) only beside an action.
ONE_OFF: tuple[tuple[PhraseKind, bool, re.Pattern[str]], ...] = (
    # "trước 16h30 ngày 10/3/2023": the hour is kept (docs/domain.md §6).
    (
        PhraseKind.ON_DAY,
        False,
        re.compile(
            rf"(?:trước|{_ON_LEAD}|trong)\s*(?:lúc\s+)?{_hour()}\s*,?\s*"
            rf"(?:{_WEEKDAY}\s*,?\s*)?{_DAY_WORD}{_date()}",
            _FLAGS,
        ),
    ),
    (
        PhraseKind.ON_DAY,
        True,
        re.compile(
            rf"(?:vào\s+)?lúc\s+{_hour()}\s*,?\s*(?:{_WEEKDAY}\s*,?\s*)?{_DAY_WORD}{_date()}",
            _FLAGS,
        ),
    ),
    # "chậm nhất ngày D", "hạn D", "đến ngày D", "trong ngày D", optionally "... lúc 16h".
    (
        PhraseKind.ON_DAY,
        False,
        re.compile(
            rf"{_ON_LEAD}\s*{_DAY_WORD}{_date()}"
            rf"(?:\s*,?\s*(?:lúc|trước|vào\s+lúc)\s+{_hour(2)})?",
            _FLAGS,
        ),
    ),
    # "vào / trong ngày D": a deadline only beside an action (a meeting's day is not).
    (
        PhraseKind.ON_DAY,
        True,
        re.compile(
            rf"(?:vào|trong)\s+(?:{_WEEKDAY}\s*,?\s*)?ngày\s+{_date()}"
            rf"(?:\s*,?\s*(?:lúc|trước|vào\s+lúc)\s+{_hour(2)})?",
            _FLAGS,
        ),
    ),
    (PhraseKind.BEFORE_DAY, False, re.compile(rf"trước\s+{_DAY_WORD}{_date()}", _FLAGS)),
    (
        PhraseKind.WORKING_DAYS,
        False,
        re.compile(
            r"(?:(?:trong(?:\s+(?:thời\s+hạn|vòng))?|thời\s+hạn|hạn)\s+)?"
            rf"{_NUMBER}\s+ngày\s+làm\s+việc{_FROM}",
            _FLAGS,
        ),
    ),
    (
        PhraseKind.CALENDAR_DAYS,
        False,
        re.compile(
            rf"(?:trong(?:\s+(?:thời\s+hạn|vòng))?|thời\s+hạn|hạn)\s+{_NUMBER}\s+ngày"
            rf"(?!\s+làm\s+việc)(?![^\W\d_])(?!\s*\d){_FROM}",
            _FLAGS,
        ),
    ),
    (
        PhraseKind.PERIOD_END,
        True,
        re.compile(
            r"trong\s+(?:(?P<month>tháng\s+(?P<mo>\d{1,2})(?!\s*/\s*\d{1,2}\s*/)"
            rf"(?:{_YEAR_TAIL})?)|(?P<quarter>quý\s+{_QUARTER}(?:{_QUARTER_YEAR_TAIL})?)"
            r"|(?P<year>năm(?:\s+(?P<yy>\d{4})|\s+nay)?"
            r"(?!\s*(?:mươi|trăm|ngày|học|tài\s+chính|tới|sau|trước|qua|\d))))(?!\d)",
            _FLAGS,
        ),
    ),
)

# What looks like a deadline and is read by no pattern above ("hạn chót ngày 31/02" is read by
# one but is no date; these catch "trước ngày mùng mười", "trong thời hạn vài ngày").
LOOKS_LIKE = re.compile(
    r"(?:chậm\s+nhất(?:\s+là)?|hạn\s+(?:chót|cuối|nộp|báo\s+cáo|hoàn\s+thành|xử\s+lý)|trước|"
    r"trong\s+thời\s+hạn|trong\s+vòng|thời\s+hạn|đến\s+hết)\s*:?\s*(?:[^\s.;,:]+\s+){0,2}?"
    r"(?:ngày|tháng|quý|tuần|giờ)(?![^\W\d_])(?:\s+[^\s.;,:]+){0,2}",
    _FLAGS,
)

ACTION = re.compile(
    r"(?<![^\W\d_])(?:gửi|nộp|báo\s+cáo|hoàn\s+thành|hoàn\s+tất|trình|xong|cung\s+cấp|"
    r"phản\s+hồi|trả\s+lời|góp\s+ý|tham\s+mưu|đề\s+xuất|xử\s+lý|thực\s+hiện|triển\s+khai|"
    r"tổng\s+hợp|giải\s+quyết|kết\s+thúc|ban\s+hành)(?![^\W\d_])",
    _FLAGS,
)
# Meetings and other occasions whose day is not a deadline, and "đã" (a fact already past).
MEETING = re.compile(
    r"(?<![^\W\d_])(?:họp|hội\s+nghị|hội\s+thảo|tọa\s+đàm|toạ\s+đàm|buổi\s+làm\s+việc|"
    r"giao\s+ban|khai\s+mạc|bế\s+mạc|tập\s+huấn|khai\s+giảng|diễn\s+ra|hiệu\s+lực|"
    r"kỷ\s+niệm|đã)(?![^\W\d_])",
    _FLAGS,
)
SENTENCE_END = re.compile(r"[.;!?\n]")
SALUTATION = re.compile(r"kính\s+gửi", _FLAGS)  # a salutation, not an action
