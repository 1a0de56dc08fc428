"""Deadlines: which rule applies, the instant it gives, and why (DOMAIN.md section 6).

The rules, in order (DOMAIN.md section 6, "Rules, in order"):

1. ``explicit`` — a structured deadline on the task or document wins. A date without an hour
   reads like "hạn D".
2. ``text`` — else a deadline stated in the directive or document text (DOMAIN.md sections 4
   and 6): "chậm nhất/hạn/đến/trong ngày D", "trước ngày D", a stated hour, a date without a
   year, "N ngày làm việc", "N ngày" (calendar days). Recurring phrases ("hàng tuần",
   "ngày 10 hàng tháng") are a schedule, not a deadline, and fall through to rule 3.
3. ``default`` — else the agency default, 5 working days from receipt (per agency, per document
   type, shorter for urgent documents when configured).
4. The review milestone: the draft goes to leadership at least 1 working day before the deadline.

Counting follows the Civil Code 2015: the day of receipt is not counted (art. 147) and a period
whose last day is not a working day ends at the end of the next working day (art. 148).

Every function here is pure: values in, values out. The only I/O is the calendar's override
files, read once by :func:`bridge.pipelines.calendar.load_calendar`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Literal

from bridge.pipelines.calendar import (
    LOCAL_TZ,
    DayOff,
    WorkingCalendar,
    format_day,
    load_calendar,
    local_date,
)
from bridge.schemas import Urgency

Rule = Literal["explicit", "text", "default"]

CIVIL_CODE_147 = "Bộ luật Dân sự 2015, Điều 147"
CIVIL_CODE_148 = "Bộ luật Dân sự 2015, Điều 148"


# --- policy --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlinePolicy:
    """The configurable values of DOMAIN.md section 6 (defaults as written there).

    Default period precedence: the document type's setting, else the agency's, else
    ``default_working_days``; an urgent document then gets ``urgent_working_days`` if that is
    shorter. Keys of the mappings are agency codes and document-type abbreviations ("BC", "QĐ").
    """

    end_of_day: time = time(17, 0)
    default_working_days: int = 5
    agency_working_days: Mapping[str, int] = field(default_factory=dict)
    doc_type_working_days: Mapping[str, int] = field(default_factory=dict)
    urgent_working_days: int | None = None
    milestone_working_days: int = 1
    at_risk_working_days: int = 1

    def __post_init__(self) -> None:
        periods = [self.default_working_days, *self.agency_working_days.values()]
        periods += [*self.doc_type_working_days.values(), self.urgent_working_days or 1]
        if any(n < 1 for n in periods):
            raise ValueError("working-day periods must be at least 1")
        if self.milestone_working_days < 0 or self.at_risk_working_days < 0:
            raise ValueError("milestone and at-risk windows cannot be negative")
        if self.end_of_day.tzinfo is not None:
            raise ValueError("end_of_day is a local wall-clock time; give it without a zone")

    def default_period(
        self, agency: str | None, doc_type: str | None, urgency: str | None
    ) -> tuple[int, str]:
        """The default number of working days and, in Vietnamese, which setting gave it."""
        if doc_type is not None and doc_type in self.doc_type_working_days:
            days, why = self.doc_type_working_days[doc_type], f"theo loại văn bản {doc_type}"
        elif agency is not None and agency in self.agency_working_days:
            days, why = self.agency_working_days[agency], f"theo cấu hình của cơ quan {agency}"
        else:
            days, why = self.default_working_days, "mặc định của cơ quan"
        is_urgent = urgency is not None and Urgency(urgency) is not Urgency.NORMAL
        if is_urgent and self.urgent_working_days and self.urgent_working_days < days:
            days, why = self.urgent_working_days, f"văn bản {Urgency(urgency).label}"
        return days, why


DEFAULT_POLICY = DeadlinePolicy()


# --- phrases stated in text ----------------------------------------------------------------


class PhraseKind(StrEnum):
    """The deadline forms of DOMAIN.md section 6, "Dates stated in words"."""

    ON_DAY = "on_day"  # chậm nhất / hạn / đến / trong ngày D (an hour may be stated)
    BEFORE_DAY = "before_day"  # trước ngày D
    WORKING_DAYS = "working_days"  # (trong thời hạn) N ngày làm việc
    CALENDAR_DAYS = "calendar_days"  # trong (thời hạn) N ngày


@dataclass(frozen=True)
class DeadlinePhrase:
    """A one-off deadline found in text. ``day`` for dated forms, ``days`` for periods."""

    kind: PhraseKind
    text: str
    span: tuple[int, int]
    day: date | None = None
    at: time | None = None
    days: int | None = None
    year_inferred: bool = False
    from_doc_date: bool = False  # "kể từ ngày ký/ban hành": count from the document's date


@dataclass(frozen=True)
class RecurringSchedule:
    """A recurring phrase ("trước 16h00 thứ 5 hàng tuần"): a schedule, never one deadline
    (DOMAIN.md sections 6 and 7)."""

    text: str
    span: tuple[int, int]


_DATE = (
    r"(?P<d{n}>\d{{1,2}})(?:\s*[/.-]\s*|\s+tháng\s+)(?P<m{n}>\d{{1,2}})"
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
_ONE_OFF: tuple[tuple[PhraseKind, re.Pattern[str]], ...] = (
    # "trước 16h30 ngày 10/3/2023": the hour is kept (DOMAIN.md section 6).
    (
        PhraseKind.ON_DAY,
        re.compile(
            rf"(?:trước|{_ON_LEAD}|trong|vào)\s*(?:lúc\s+)?{_hour()}\s*,?\s*"
            rf"(?:{_WEEKDAY}\s*,?\s*)?(?:ngày\s+)?{_date()}",
            _FLAGS,
        ),
    ),
    # "chậm nhất ngày D", "hạn D", "đến ngày D", optionally "... lúc 16h".
    (
        PhraseKind.ON_DAY,
        re.compile(
            rf"(?:{_ON_LEAD}\s*(?:ngày\s+)?|trong\s+ngày\s+){_date()}"
            rf"(?:\s*,?\s*(?:lúc|trước|vào\s+lúc)\s+{_hour(2)})?",
            _FLAGS,
        ),
    ),
    (PhraseKind.BEFORE_DAY, re.compile(rf"trước\s+(?:ngày\s+)?{_date()}", _FLAGS)),
    (
        PhraseKind.WORKING_DAYS,
        re.compile(
            r"(?:(?:trong(?:\s+(?:thời\s+hạn|vòng))?|thời\s+hạn|hạn)\s+)?"
            rf"(?P<n>\d{{1,3}})\s+ngày\s+làm\s+việc{_FROM}",
            _FLAGS,
        ),
    ),
    (
        PhraseKind.CALENDAR_DAYS,
        re.compile(
            r"(?:trong(?:\s+(?:thời\s+hạn|vòng))?|thời\s+hạn|hạn)\s+(?P<n>\d{1,3})\s+ngày"
            rf"(?!\s+làm\s+việc)(?![^\W\d_]){_FROM}",
            _FLAGS,
        ),
    ),
)


def scan_deadline_phrases(text: str, doc_date: date) -> list[DeadlinePhrase | RecurringSchedule]:
    """Every deadline phrase and recurring schedule in ``text``, in reading order.

    Text is normalised to NFC first (DOMAIN.md section 3, "Text"). Recurring phrases are found
    first and blanked, so "ngày 15/12 hàng năm" is never read as a one-off 15 December.
    ``doc_date`` gives the year of dates written without one (DOMAIN.md section 6).
    """
    text = unicodedata.normalize("NFC", text)
    found: list[DeadlinePhrase | RecurringSchedule] = []
    for match in _RECURRING.finditer(text):
        found.append(RecurringSchedule(match.group(0).strip(), match.span()))
    remaining = _blank(text, [item.span for item in found])
    taken = [item.span for item in found]
    candidates = [
        (match, kind) for kind, pattern in _ONE_OFF for match in pattern.finditer(remaining)
    ]
    # Earliest first, and of two at the same place the longer (it holds the hour too).
    candidates.sort(key=lambda c: (c[0].start(), -(c[0].end() - c[0].start())))
    for match, kind in candidates:
        if any(match.start() < end and start < match.end() for start, end in taken):
            continue
        phrase = _phrase_from_match(kind, match, text, doc_date)
        if phrase is not None:
            found.append(phrase)
            taken.append(match.span())
    return sorted(found, key=lambda item: item.span)


def find_deadline_phrase(text: str, doc_date: date) -> DeadlinePhrase | RecurringSchedule | None:
    """The deadline ``text`` states: the first one-off phrase, else the first recurring
    schedule (so the caller can tell "a schedule, not a deadline"), else None.

    This is the public entry point for parsers that need the meaning of a deadline phrase.
    """
    found = scan_deadline_phrases(text, doc_date)
    one_off = [item for item in found if isinstance(item, DeadlinePhrase)]
    return one_off[0] if one_off else (found[0] if found else None)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _phrase_from_match(
    kind: PhraseKind, match: re.Match[str], text: str, doc_date: date
) -> DeadlinePhrase | None:
    groups = match.groupdict()
    shown = text[match.start() : match.end()].strip()
    if kind in (PhraseKind.WORKING_DAYS, PhraseKind.CALENDAR_DAYS):
        days = int(groups["n"])
        if days < 1:
            return None
        from_doc = groups.get("from") is not None and groups["from"].lower() != "nhận"
        return DeadlinePhrase(kind, shown, match.span(), days=days, from_doc_date=from_doc)
    resolved = _resolve_date(groups["d1"], groups["m1"], groups["y1"], doc_date)
    hours = [
        _resolve_hour(groups.get("h1"), groups.get("mi1")),
        _resolve_hour(groups.get("h2"), groups.get("mi2")),
    ]
    if resolved is None or any(hour is False for hour in hours):
        return None  # 31/2, 25h: not a date or hour, so not a deadline
    day, inferred = resolved
    at = next((hour for hour in hours if isinstance(hour, time)), None)
    return DeadlinePhrase(kind, shown, match.span(), day=day, at=at, year_inferred=inferred)


def _resolve_date(
    day_text: str, month_text: str, year_text: str | None, doc_date: date
) -> tuple[date, bool] | None:
    """A date without a year takes the document's year, or the next year if the date would
    already be past when the document was issued (DOMAIN.md section 6)."""
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


# --- the result ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SkippedDay:
    day: date
    reason: str  # Vietnamese: weekend, the holiday by name, or the announcement and its source


@dataclass(frozen=True)
class DeadlineResult:
    """A computed deadline with everything needed to show why (DOMAIN.md section 6)."""

    received_at: datetime
    due: datetime  # aware, Asia/Ho_Chi_Minh
    rule: Rule
    milestone: datetime  # draft to leadership for review (rule 4)
    start: date  # the first day counted, or the stated day the rule started from
    skipped: tuple[SkippedDay, ...]
    explanation: tuple[str, ...]  # Vietnamese, in reading order
    phrase: str | None = None  # the text that stated the deadline (rule 2)
    schedules: tuple[str, ...] = ()  # recurring phrases recognised but not used as a deadline

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "received": self.received_at.isoformat(),
            "due": self.due.isoformat(),
            "rule": self.rule,
            "milestone": self.milestone.isoformat(),
            "start": self.start.isoformat(),
            "skipped": [{"day": s.day.isoformat(), "reason": s.reason} for s in self.skipped],
            "phrase": self.phrase,
            "schedules": list(self.schedules),
            "explanation": list(self.explanation),
        }

    def render_text(self) -> str:
        """For a person, in Vietnamese."""
        head = [
            f"Hạn xử lý: {format_instant(self.due)}",
            f"Quy tắc: {RULE_LABELS[self.rule]}",
            f"Mốc trình lãnh đạo duyệt: {format_instant(self.milestone)}",
            "Giải thích:",
        ]
        return "\n".join(head + [f"  - {line}" for line in self.explanation])


RULE_LABELS: Mapping[str, str] = {
    "explicit": "hạn ghi trong trường hạn xử lý (quy tắc 1)",
    "text": "hạn nêu trong nội dung văn bản / ý kiến chỉ đạo (quy tắc 2)",
    "default": "hạn mặc định theo số ngày làm việc (quy tắc 3)",
}


def format_instant(moment: datetime) -> str:
    """``17:00 thứ Tư 21/02/2024`` in local time."""
    local = moment.astimezone(LOCAL_TZ)
    return f"{local:%H:%M} {format_day(local.date())}"


@dataclass(frozen=True)
class _Outcome:
    """What one rule decided, before the milestone is added."""

    due: datetime
    start: date
    skipped: tuple[DayOff, ...]
    lines: tuple[str, ...]


# --- the rules -----------------------------------------------------------------------------


def compute_deadline(
    received_at: datetime,
    *,
    explicit: date | datetime | None = None,
    text: str | None = None,
    doc_date: date | None = None,
    agency: str | None = None,
    doc_type: str | None = None,
    urgency: str | None = None,
    policy: DeadlinePolicy = DEFAULT_POLICY,
    calendar: WorkingCalendar | None = None,
) -> DeadlineResult:
    """The deadline of a document received at ``received_at`` (aware), by the rules of
    DOMAIN.md section 6 in order: explicit, then text, then the default; plus the milestone.

    Raises CalendarRangeError when a day needed lies outside the loaded calendar, and
    ValueError for a naive ``received_at`` or ``explicit`` time.
    """
    calendar = calendar or load_calendar()
    received_day = local_date(received_at)
    received_local = received_at.astimezone(LOCAL_TZ)
    schedules: tuple[str, ...] = ()
    phrase_text: str | None = None
    if explicit is not None:
        rule: Rule = "explicit"
        outcome = _explicit(explicit, calendar, policy)
    else:
        found = scan_deadline_phrases(text, doc_date or received_day) if text else []
        schedules = tuple(i.text for i in found if isinstance(i, RecurringSchedule))
        stated = next((i for i in found if isinstance(i, DeadlinePhrase)), None)
        if stated is not None:
            rule, phrase_text = "text", stated.text
            base = doc_date if stated.from_doc_date and doc_date else received_day
            outcome = _stated(stated, base, calendar, policy)
        else:
            rule = "default"
            days, why = policy.default_period(agency, doc_type, urgency)
            outcome = _working_days(received_day, days, calendar, policy, why)
    milestone, milestone_line = _milestone(outcome.due, calendar, policy)
    lines = [_received_line(received_local, calendar), *_schedule_lines(schedules)]
    lines += [*outcome.lines, f"Hạn xử lý: {format_instant(outcome.due)} (giờ Việt Nam, UTC+7)."]
    if outcome.due < received_local:
        lines.append("Lưu ý: hạn này đã qua trước khi nhận văn bản; cần báo cáo ngay.")
    lines.append(milestone_line)
    return DeadlineResult(
        received_at=received_local,
        due=outcome.due,
        rule=rule,
        milestone=milestone,
        start=outcome.start,
        skipped=tuple(SkippedDay(off.day, off.describe()) for off in outcome.skipped),
        explanation=tuple(lines),
        phrase=phrase_text,
        schedules=schedules,
    )


def _explicit(
    value: date | datetime, calendar: WorkingCalendar, policy: DeadlinePolicy
) -> _Outcome:
    """Rule 1. A date alone reads like "hạn D"; a stated time is kept as given."""
    if isinstance(value, datetime):
        local_date(value)  # refuses a naive time
        due = value.astimezone(LOCAL_TZ)
        line = f"Quy tắc 1: hạn ghi trong trường hạn xử lý, giữ nguyên giờ: {format_instant(due)}."
        return _Outcome(due, due.date(), (), (line,))
    first = f"Quy tắc 1: hạn ghi trong trường hạn xử lý là ngày {format_day(value)}, không ghi giờ."
    return _on_day(value, None, calendar, policy, first)


def _stated(
    phrase: DeadlinePhrase, base: date, calendar: WorkingCalendar, policy: DeadlinePolicy
) -> _Outcome:
    """Rule 2: a deadline stated in words, one branch per form of DOMAIN.md section 6."""
    first = f"Quy tắc 2: hạn nêu trong văn bản: «{phrase.text}»."
    if phrase.year_inferred and phrase.day is not None:
        first += f" Ngày không ghi năm, hiểu là năm {phrase.day.year} (theo ngày văn bản)."
    if phrase.kind is PhraseKind.WORKING_DAYS:
        return _working_days(base, phrase.days or 0, calendar, policy, None, first)
    if phrase.kind is PhraseKind.CALENDAR_DAYS:
        return _calendar_days(base, phrase.days or 0, calendar, policy, first)
    assert phrase.day is not None
    if phrase.kind is PhraseKind.BEFORE_DAY:
        return _before_day(phrase.day, calendar, policy, first)
    return _on_day(phrase.day, phrase.at, calendar, policy, first)


def _on_day(
    day: date, at: time | None, calendar: WorkingCalendar, policy: DeadlinePolicy, first: str
) -> _Outcome:
    """The end of ``day`` (or the stated hour); if ``day`` is not a working day, the next
    working day (Civil Code 2015, art. 148)."""
    due_day = calendar.working_day_on_or_after(day)
    skipped = tuple(calendar.days_off_between(day - timedelta(days=1), due_day))
    lines = [first]
    if due_day != day:
        lines += [f"Bỏ qua {off.describe()}." for off in skipped]
        lines.append(
            f"Ngày {format_day(day)} không phải ngày làm việc: hạn chuyển sang ngày làm việc "
            f"tiếp theo {format_day(due_day)} ({CIVIL_CODE_148})."
        )
    return _Outcome(_at(due_day, at or policy.end_of_day), day, skipped, tuple(lines))


def _before_day(
    day: date, calendar: WorkingCalendar, policy: DeadlinePolicy, first: str
) -> _Outcome:
    """ "trước ngày D": the end of the last working day before D. Moving later would break the
    instruction, so this is the one form that moves earlier (DOMAIN.md section 6)."""
    due_day = calendar.previous_working_day(day)
    skipped = tuple(calendar.days_off_between(due_day, day - timedelta(days=1)))
    lines = [first, *(f"Bỏ qua {off.describe()}." for off in skipped)]
    lines.append(
        f"«Trước ngày {day:%d/%m/%Y}»: hạn là cuối ngày làm việc cuối cùng trước ngày đó, "
        f"{format_day(due_day)} (không lùi sang sau vì sẽ trái chỉ đạo)."
    )
    return _Outcome(_at(due_day, policy.end_of_day), day, skipped, tuple(lines))


def _working_days(
    received_day: date,
    days: int,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy,
    setting: str | None,
    first: str | None = None,
) -> _Outcome:
    """The end of the Nth working day after the receipt day; the receipt day never counts,
    whatever the hour and even on a weekend or holiday (Civil Code 2015, art. 147)."""
    due_day = calendar.add_working_days(received_day, days)
    start = received_day + timedelta(days=1)
    skipped = tuple(calendar.days_off_between(received_day, due_day))
    off_days = {off.day for off in skipped}
    counted = [
        received_day + timedelta(days=i)
        for i in range(1, (due_day - received_day).days + 1)
        if received_day + timedelta(days=i) not in off_days
    ]
    lines = [first or f"Quy tắc 3: văn bản không nêu hạn; {days} ngày làm việc ({setting})."]
    lines.append(f"Bắt đầu tính từ {format_day(start)}.")
    lines += [f"Bỏ qua {off.describe()}." for off in skipped]
    for entry in calendar.working_overrides_between(received_day, due_day):
        lines.append(
            f"Tính {format_day(entry.day)} là ngày làm việc: {entry.name} (nguồn: {entry.source})."
        )
    shown = ", ".join(f"{d:%d/%m}" for d in counted)
    lines.append(f"Các ngày làm việc được tính ({days}): {shown}.")
    return _Outcome(_at(due_day, policy.end_of_day), start, skipped, tuple(lines))


def _calendar_days(
    received_day: date, days: int, calendar: WorkingCalendar, policy: DeadlinePolicy, first: str
) -> _Outcome:
    """ "N ngày" without "làm việc": N calendar days after the receipt day (art. 147); if the
    last one is not a working day, the next working day (art. 148)."""
    last = received_day + timedelta(days=days)
    head = (
        f"{first} {days} ngày theo lịch, không tính ngày nhận ({CIVIL_CODE_147}): "
        f"ngày cuối là {format_day(last)}."
    )
    outcome = _on_day(last, None, calendar, policy, head)
    return _Outcome(outcome.due, received_day + timedelta(days=1), outcome.skipped, outcome.lines)


def _milestone(
    due: datetime, calendar: WorkingCalendar, policy: DeadlinePolicy
) -> tuple[datetime, str]:
    """Rule 4: the draft goes to leadership at least N working days before the deadline, at
    the same time of day."""
    n = policy.milestone_working_days
    if n == 0:
        return due, f"Mốc trình lãnh đạo duyệt dự thảo: cùng lúc với hạn, {format_instant(due)}."
    milestone = _at(calendar.add_working_days(due.date(), -n), due.timetz().replace(tzinfo=None))
    return milestone, (
        f"Mốc trình lãnh đạo duyệt dự thảo: {format_instant(milestone)} "
        f"(trước hạn ít nhất {n} ngày làm việc)."
    )


def _received_line(received: datetime, calendar: WorkingCalendar) -> str:
    day = received.date()
    off = calendar.day_off_reason(day)
    state = "" if off is None else f" (ngày nghỉ: {off.describe().split(': ', 1)[1]})"
    return (
        f"Nhận văn bản lúc {format_instant(received)}{state}; ngày nhận không tính "
        f"({CIVIL_CODE_147})."
    )


def _schedule_lines(schedules: tuple[str, ...]) -> list[str]:
    return [
        f"«{text}» là lịch báo cáo định kỳ, không phải một hạn xử lý; không dùng để tính hạn."
        for text in schedules
    ]


def _at(day: date, wall_clock: time) -> datetime:
    return datetime.combine(day, wall_clock, tzinfo=LOCAL_TZ)


def at_risk(
    due: datetime,
    now: datetime,
    policy: DeadlinePolicy = DEFAULT_POLICY,
    calendar: WorkingCalendar | None = None,
) -> bool:
    """True when the deadline has not passed and falls within the warning window: at most
    ``policy.at_risk_working_days`` working days after ``now``'s day (DOMAIN.md section 5).

    Completion is the caller's concern (see bridge.pipelines.status). Past the deadline the
    task is overdue, which is a status, not this flag.
    """
    calendar = calendar or load_calendar()
    if now > due:
        return False
    return calendar.count_working_days(now, due) <= policy.at_risk_working_days


# --- reading times typed by a person (the `bridge deadline` command) ----------------------


def parse_local_instant(text: str) -> datetime:
    """``2024-02-07T09:15`` (local time, Asia/Ho_Chi_Minh) or with an offset; a bare date is
    the start of that day. Raises ValueError naming the text."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"'{text}' is not a date and time; use e.g. 2024-02-07T09:15 (local time)"
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=LOCAL_TZ)


def parse_date_or_instant(text: str) -> date | datetime:
    """A date alone (``2024-02-20``) stays a date, so it reads like "hạn D" (rule 1)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return parse_local_instant(text)


def parse_local_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a date; use e.g. 2024-02-01") from None
