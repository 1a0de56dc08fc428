"""Deadline phrases in Vietnamese text: which dates are deadlines, and which are not.

docs/domain.md §6, "Dates stated in words". A text holds many dates; only the one attached to
an action (gửi, nộp, báo cáo, hoàn thành, trình, ...) is a deadline. Read in this order:

1. recurring phrases ("trước 16h00 thứ 5 hàng tuần") are a schedule, never one deadline;
2. dates that are not deadlines are set aside, each with its reason: a period a report covers
   ("từ ngày 01/01 đến ngày 30/6"), a data cut-off ("số liệu tính đến ngày 14/12") and a cited
   document's date ("Quyết định số 54/2023/QĐ-UBND ngày 04/10/2023");
3. the deadline forms: "chậm nhất / hạn / đến / trong ngày D", "trước ngày D", a stated hour,
   "N ngày làm việc", "(trong) N ngày" (N in digits or in words, "mười lăm"), and the weak
   forms "vào ngày D" and "trong tháng / quý / năm", which count only when an action is
   stated beside them (a meeting "vào ngày D" is not a deadline);
4. what still looks like a deadline but cannot be read ("hạn chót ngày 31/02", "trước ngày
   mùng mười", "trong thời hạn vài ngày") is reported as not understood, never dropped.

Pure functions over text; the meaning in time (working days, the end of day) is computed by
bridge.pipelines.deadlines.
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum


class PhraseKind(StrEnum):
    """The deadline forms of docs/domain.md §6, "Dates stated in words"."""

    ON_DAY = "on_day"  # chậm nhất / hạn / đến / trong / vào ngày D (an hour may be stated)
    BEFORE_DAY = "before_day"  # trước ngày D
    WORKING_DAYS = "working_days"  # (trong thời hạn) N ngày làm việc
    CALENDAR_DAYS = "calendar_days"  # trong (thời hạn) N ngày
    PERIOD_END = "period_end"  # trong tháng M/YYYY, trong quý I/YYYY, trong năm YYYY


@dataclass(frozen=True)
class DeadlinePhrase:
    """A one-off deadline found in text. ``day`` for dated forms (for PERIOD_END, the period's
    last calendar day), ``days`` for periods."""

    kind: PhraseKind
    text: str
    span: tuple[int, int]
    day: date | None = None
    at: time | None = None
    days: int | None = None
    year_inferred: bool = False
    from_doc_date: bool = False  # "kể từ ngày ký/ban hành": count from the document's date
    period: str | None = None  # PERIOD_END: "tháng 12/2024", "quý IV/2024", "năm 2024"


@dataclass(frozen=True)
class RecurringSchedule:
    """A recurring phrase ("trước 16h00 thứ 5 hàng tuần"): a schedule, never one deadline
    (docs/domain.md §6 and §7)."""

    text: str
    span: tuple[int, int]


@dataclass(frozen=True)
class SetAside:
    """A date in the text that is not a deadline, and why (Vietnamese, for explanations)."""

    text: str
    span: tuple[int, int]
    reason: str


@dataclass(frozen=True)
class NotUnderstood:
    """A phrase that looks like a deadline but cannot be read: reported, never dropped."""

    text: str
    span: tuple[int, int]


@dataclass
class PhraseScan:
    """Everything the scan found in one text, each list in reading order."""

    phrases: list[DeadlinePhrase] = field(default_factory=list)
    schedules: list[RecurringSchedule] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)
    not_understood: list[NotUnderstood] = field(default_factory=list)


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


def _count(text: str) -> int | None:
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
_RECURRING = re.compile(
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
_NOT_DEADLINES: tuple[tuple[str, re.Pattern[str]], ...] = (
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
_ONE_OFF: tuple[tuple[PhraseKind, bool, re.Pattern[str]], ...] = (
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
            rf"(?:{_ON_LEAD}\s*{_DAY_WORD}|trong\s+ngày\s+){_date()}"
            rf"(?:\s*,?\s*(?:lúc|trước|vào\s+lúc)\s+{_hour(2)})?",
            _FLAGS,
        ),
    ),
    # "vào ngày D": a deadline only beside an action (a meeting "vào ngày D" is not).
    (
        PhraseKind.ON_DAY,
        True,
        re.compile(
            rf"vào\s+(?:{_WEEKDAY}\s*,?\s*)?ngày\s+{_date()}"
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
_LOOKS_LIKE = re.compile(
    r"(?:chậm\s+nhất(?:\s+là)?|hạn\s+(?:chót|cuối|nộp|báo\s+cáo|hoàn\s+thành|xử\s+lý)|trước|"
    r"trong\s+thời\s+hạn|trong\s+vòng|thời\s+hạn|đến\s+hết)\s*:?\s*(?:[^\s.;,:]+\s+){0,2}?"
    r"(?:ngày|tháng|quý|tuần|giờ)(?![^\W\d_])(?:\s+[^\s.;,:]+){0,2}",
    _FLAGS,
)

_ACTION = re.compile(
    r"(?<![^\W\d_])(?:gửi|nộp|báo\s+cáo|hoàn\s+thành|hoàn\s+tất|trình|xong|cung\s+cấp|"
    r"phản\s+hồi|trả\s+lời|góp\s+ý|tham\s+mưu|đề\s+xuất|xử\s+lý|thực\s+hiện|triển\s+khai|"
    r"tổng\s+hợp|giải\s+quyết|kết\s+thúc|ban\s+hành)(?![^\W\d_])",
    _FLAGS,
)
_MEETING = re.compile(
    r"(?<![^\W\d_])(?:họp|hội\s+nghị|hội\s+thảo|tọa\s+đàm|toạ\s+đàm|buổi\s+làm\s+việc|"
    r"giao\s+ban|khai\s+mạc|tập\s+huấn)(?![^\W\d_])",
    _FLAGS,
)
_SENTENCE_END = re.compile(r"[.;!?\n]")
_KÍNH_GỬI = re.compile(r"kính\s+gửi", _FLAGS)  # a salutation, not an action


# --- scanning ------------------------------------------------------------------------------


def scan_text(text: str, doc_date: date) -> PhraseScan:
    """Every deadline phrase, schedule, set-aside date and unreadable deadline in ``text``.

    Text is normalised to NFC first (docs/domain.md §3, "Text"). ``doc_date`` gives the year of
    dates written without one (docs/domain.md §6).
    """
    text = unicodedata.normalize("NFC", text)
    scan = PhraseScan()
    for match in _RECURRING.finditer(text):
        scan.schedules.append(RecurringSchedule(match.group(0).strip(), match.span()))
    taken = [item.span for item in scan.schedules]
    remaining = _blank(text, taken)
    for reason, pattern in _NOT_DEADLINES:
        for match in pattern.finditer(remaining):
            if not _overlaps(match.span(), taken):
                scan.set_aside.append(SetAside(match.group(0).strip(), match.span(), reason))
                taken.append(match.span())
        remaining = _blank(text, taken)
    candidates = [
        (match, kind, weak)
        for kind, weak, pattern in _ONE_OFF
        for match in pattern.finditer(remaining)
    ]
    # Earliest first, and of two at the same place the longer (it holds the hour too).
    candidates.sort(key=lambda c: (c[0].start(), -(c[0].end() - c[0].start())))
    for match, kind, weak in candidates:
        if _overlaps(match.span(), taken):
            continue
        if not _attached_to_action(text, match.span(), weak):
            if kind is not PhraseKind.PERIOD_END:
                why = "ngày họp/sự kiện hoặc không gắn với việc phải làm, không phải hạn xử lý"
                scan.set_aside.append(SetAside(_shown(text, match.span()), match.span(), why))
                taken.append(match.span())
            continue
        phrase = _phrase_from_match(kind, match, text, doc_date)
        if phrase is None:
            scan.not_understood.append(NotUnderstood(_shown(text, match.span()), match.span()))
        else:
            scan.phrases.append(phrase)
        taken.append(match.span())
    remaining = _blank(text, taken)
    for match in _LOOKS_LIKE.finditer(remaining):
        scan.not_understood.append(NotUnderstood(_shown(text, match.span()), match.span()))
    scan.phrases.sort(key=lambda p: p.span)
    scan.not_understood.sort(key=lambda p: p.span)
    scan.set_aside.sort(key=lambda p: p.span)
    return scan


def scan_deadline_phrases(text: str, doc_date: date) -> list[DeadlinePhrase | RecurringSchedule]:
    """The deadline phrases and recurring schedules in ``text``, in reading order."""
    scan = scan_text(text, doc_date)
    found: list[DeadlinePhrase | RecurringSchedule] = [*scan.phrases, *scan.schedules]
    return sorted(found, key=lambda item: item.span)


def _shown(text: str, span: tuple[int, int]) -> str:
    return " ".join(text[span[0] : span[1]].split())


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _attached_to_action(text: str, span: tuple[int, int], weak: bool) -> bool:
    """Whether a phrase belongs to an action of its sentence, not to a meeting.

    The window is the sentence up to the phrase (and, for weak forms, the rest of the
    sentence: "Trong tháng 12/2024, các đơn vị hoàn thành ..."). A meeting word after the last
    action word before the phrase makes it a meeting date.
    """
    starts = [m.end() for m in _SENTENCE_END.finditer(text, 0, span[0])]
    before = _KÍNH_GỬI.sub(" ", text[starts[-1] if starts else 0 : span[0]])
    end_match = _SENTENCE_END.search(text, span[1])
    after = _KÍNH_GỬI.sub(" ", text[span[1] : end_match.start() if end_match else len(text)])
    actions = list(_ACTION.finditer(before))
    meetings = list(_MEETING.finditer(before))
    last_action = actions[-1].end() if actions else -1
    if meetings and meetings[-1].start() > last_action:
        return False
    if not weak:
        return True
    return bool(actions) or bool(_ACTION.search(after))


def _phrase_from_match(
    kind: PhraseKind, match: re.Match[str], text: str, doc_date: date
) -> DeadlinePhrase | None:
    """The meaning of one match, or None when it cannot be read (31/02, 25h, "mươi ngày")."""
    groups = match.groupdict()
    shown = _shown(text, match.span())
    if kind in (PhraseKind.WORKING_DAYS, PhraseKind.CALENDAR_DAYS):
        days = _count(groups["n"])
        if days is None or days < 1:
            return None
        from_doc = groups.get("from") is not None and groups["from"].lower() != "nhận"
        return DeadlinePhrase(kind, shown, match.span(), days=days, from_doc_date=from_doc)
    if kind is PhraseKind.PERIOD_END:
        return _period_end(groups, shown, match.span(), doc_date)
    resolved = _resolve_date(groups["d1"], groups["m1"], groups["y1"], doc_date)
    hours = [
        _resolve_hour(groups.get("h1"), groups.get("mi1")),
        _resolve_hour(groups.get("h2"), groups.get("mi2")),
    ]
    if resolved is None or any(hour is False for hour in hours):
        return None
    day, inferred = resolved
    at = next((hour for hour in hours if isinstance(hour, time)), None)
    return DeadlinePhrase(kind, shown, match.span(), day=day, at=at, year_inferred=inferred)


_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}


def _period_end(
    groups: dict[str, str | None], shown: str, span: tuple[int, int], doc_date: date
) -> DeadlinePhrase | None:
    """ "trong tháng M/YYYY", "trong quý I/YYYY", "trong năm YYYY": the period's last day. A
    period without a year is the document's, or the next one if it had already ended."""
    if groups.get("month"):
        month = int(groups["mo"] or 0)
        if not 1 <= month <= 12:
            return None
        year_text, first_month, months, label = groups.get("y"), month, 1, "tháng"
    elif groups.get("quarter"):
        quarter_text = (groups["q"] or "").upper()
        quarter = _ROMAN.get(quarter_text) or int(quarter_text)
        year_text, first_month, months, label = groups.get("qy"), 3 * quarter - 2, 3, "quý"
    else:
        year_text, first_month, months, label = groups.get("yy"), 1, 12, "năm"
    inferred = year_text is None
    year = int(year_text) if year_text else doc_date.year
    last_month = first_month + months - 1
    end = date(year, last_month, monthrange(year, last_month)[1])
    if inferred and end < doc_date:
        year += 1
        end = date(year, last_month, monthrange(year, last_month)[1])
    period = {
        "tháng": f"tháng {first_month:02d}/{year}",
        "quý": f"quý {['I', 'II', 'III', 'IV'][(first_month - 1) // 3]}/{year}",
        "năm": f"năm {year}",
    }[label]
    return DeadlinePhrase(
        PhraseKind.PERIOD_END, shown, span, day=end, year_inferred=inferred, period=period
    )


def _resolve_date(
    day_text: str, month_text: str, year_text: str | None, doc_date: date
) -> tuple[date, bool] | None:
    """A date without a year takes the document's year, or the next year if the date would
    already be past when the document was issued (docs/domain.md §6)."""
    day, month = int(day_text), int(month_text)
    try:
        if year_text is not None:
            return date(int(year_text), month, day), False
        candidate = date(doc_date.year, month, day)
        if candidate < doc_date:
            candidate = date(doc_date.year + 1, month, day)
    except ValueError:
        return None
    return candidate, True


def _resolve_hour(hour_text: str | None, minute_text: str | None) -> time | bool | None:
    """The stated wall-clock time; None when no hour was written, False when it is impossible."""
    if hour_text is None:
        return None
    hour, minute = int(hour_text), int(minute_text or 0)
    if hour > 23 or minute > 59:
        return False
    return time(hour, minute)
