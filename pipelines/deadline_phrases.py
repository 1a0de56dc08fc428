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
pipelines.deadlines.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, time

from pipelines.deadline_patterns import (
    ACTION,
    LOOKS_LIKE,
    MEETING,
    NOT_DEADLINES,
    ONE_OFF,
    RECURRING,
    SALUTATION,
    SENTENCE_END,
    PhraseKind,
    count_days,
    words_to_number,
)

__all__ = ["DeadlinePhrase", "NotUnderstood", "PhraseKind", "PhraseScan", "RecurringSchedule",
           "SetAside", "scan_deadline_phrases", "scan_text", "words_to_number"]  # fmt: skip


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


# --- scanning ------------------------------------------------------------------------------


def scan_text(text: str, doc_date: date) -> PhraseScan:
    """Every deadline phrase, schedule, set-aside date and unreadable deadline in ``text``.

    Text is normalised to NFC first (docs/domain.md §3, "Text"). ``doc_date`` gives the year of
    dates written without one (docs/domain.md §6).
    """
    # Every reconcile recomputes the deadline of every open task from the same texts: the scan
    # (a pure function of its arguments) is remembered, and each caller gets its own lists.
    found = _scan_cached(text, doc_date)
    return PhraseScan(
        list(found.phrases), list(found.schedules), list(found.set_aside),
        list(found.not_understood),
    )  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _scan_cached(text: str, doc_date: date) -> PhraseScan:
    text = unicodedata.normalize("NFC", text)
    scan = PhraseScan()
    for match in RECURRING.finditer(text):
        scan.schedules.append(RecurringSchedule(match.group(0).strip(), match.span()))
    taken = [item.span for item in scan.schedules]
    remaining = _blank(text, taken)
    for reason, pattern in NOT_DEADLINES:
        for match in pattern.finditer(remaining):
            if not _overlaps(match.span(), taken):
                scan.set_aside.append(SetAside(match.group(0).strip(), match.span(), reason))
                taken.append(match.span())
        remaining = _blank(text, taken)
    candidates = [
        (match, kind, weak)
        for kind, weak, pattern in ONE_OFF
        for match in pattern.finditer(remaining)
    ]
    # Earliest first, and of two at the same place the longer (it holds the hour too).
    candidates.sort(key=lambda c: (c[0].start(), -(c[0].end() - c[0].start())))
    for match, kind, weak in candidates:
        if _overlaps(match.span(), taken):
            continue
        if not _attached_to_action(text, match.span(), weak, kind):
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
    for match in LOOKS_LIKE.finditer(remaining):
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


def _attached_to_action(text: str, span: tuple[int, int], weak: bool, kind: PhraseKind) -> bool:
    """Whether a weak form ("vào / trong ngày D", "trong tháng / quý / năm") is a deadline;
    strong forms ("chậm nhất", "hạn", "trước ngày", ...) are deadlines by themselves.

    The window is the sentence of the phrase. A meeting or occasion word after the last action
    word before the phrase makes it that occasion's day ("Sở tổ chức họp vào ngày 14/6"). A day
    ("vào ngày D") stands alone as a deadline when its sentence names no occasion; a month,
    quarter or year only beside an action ("hoàn thành trong quý III"), since "trong năm 2023"
    is as often a fact as an instruction.
    """
    if not weak:
        return True
    starts = [m.end() for m in SENTENCE_END.finditer(text, 0, span[0])]
    before = SALUTATION.sub(" ", text[starts[-1] if starts else 0 : span[0]])
    end_match = SENTENCE_END.search(text, span[1])
    after = SALUTATION.sub(" ", text[span[1] : end_match.start() if end_match else len(text)])
    actions = list(ACTION.finditer(before))
    meetings = list(MEETING.finditer(before))
    last_action = actions[-1].end() if actions else -1
    if meetings and meetings[-1].start() > last_action:
        return False
    if actions or ACTION.search(after):
        return True
    return kind is PhraseKind.ON_DAY and not MEETING.search(after)


def _phrase_from_match(
    kind: PhraseKind, match: re.Match[str], text: str, doc_date: date
) -> DeadlinePhrase | None:
    """The meaning of one match, or None when it cannot be read (31/02, 25h, "mươi ngày")."""
    groups = match.groupdict()
    shown = _shown(text, match.span())
    if kind in (PhraseKind.WORKING_DAYS, PhraseKind.CALENDAR_DAYS):
        days = count_days(groups["n"])
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
    try:
        end = date(year, last_month, monthrange(year, last_month)[1])
        if inferred and end < doc_date:
            year += 1
            end = date(year, last_month, monthrange(year, last_month)[1])
    except ValueError:  # year 0000: not a date, so not understood
        return None
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
