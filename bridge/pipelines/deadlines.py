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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from bridge.pipelines.calendar import (
    LOCAL_TZ,
    CalendarError,
    DayOff,
    WorkingCalendar,
    format_day,
    load_calendar,
    local_date,
)
from bridge.pipelines.deadline_phrases import (
    DeadlinePhrase,
    NotUnderstood,
    PhraseKind,
    RecurringSchedule,
    scan_deadline_phrases,
    scan_text,
)
from bridge.schemas import Urgency

# The phrase finder lives in deadline_phrases.py; its names stay importable from here.
__all__ = [
    "DEFAULT_POLICY", "LOCAL_TZ", "DeadlinePhrase", "DeadlinePolicy", "DeadlineResult",
    "NotUnderstood", "PhraseKind", "RecurringSchedule", "at_risk", "compute_deadline",
    "find_deadline_phrase", "scan_deadline_phrases", "scan_text",
]  # fmt: skip

Rule = Literal["explicit", "text", "default", "not_understood"]
"""``not_understood``: the text states a deadline that cannot be read and none that can; the
due time is then the default period, shown as a stand-in that a person must check."""

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


# --- phrases stated in text: bridge/pipelines/deadline_phrases.py --------------------------


def find_deadline_phrase(text: str, doc_date: date) -> DeadlinePhrase | RecurringSchedule | None:
    """The deadline ``text`` states: of its one-off phrases the one giving the earliest
    deadline (the order of :func:`compute_deadline`), else the first recurring schedule (so the
    caller can tell "a schedule, not a deadline"), else None.

    This is the public entry point for parsers that need the meaning of a deadline phrase.
    """
    scan = scan_text(text, doc_date)
    if not scan.phrases:
        return scan.schedules[0] if scan.schedules else None
    if len(scan.phrases) == 1:
        return scan.phrases[0]
    received = datetime.combine(doc_date, time(8, 0), LOCAL_TZ)
    try:
        return min(scan.phrases, key=lambda p: _phrase_due(p, received, doc_date))
    except CalendarError:  # a date past the loaded years: the first phrase, as written
        return scan.phrases[0]


def _phrase_due(phrase: DeadlinePhrase, received: datetime, doc_date: date | None) -> datetime:
    calendar = load_calendar()
    base = doc_date if phrase.from_doc_date and doc_date else local_date(received)
    return _stated(phrase, base, calendar, DEFAULT_POLICY).due


# --- the result ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SkippedDay:
    day: date
    reason: str  # Vietnamese: weekend, the holiday by name, or the announcement and its source


@dataclass(frozen=True)
class DeadlineResult:
    """A computed deadline with everything needed to show why (docs/domain.md §6)."""

    received_at: datetime
    due: datetime  # aware, Asia/Ho_Chi_Minh
    rule: Rule
    milestone: datetime  # draft to leadership for review (rule 4)
    start: date  # the first day counted, or the stated day the rule started from
    skipped: tuple[SkippedDay, ...]
    explanation: tuple[str, ...]  # Vietnamese, in reading order
    phrase: str | None = None  # the text that stated the deadline (rule 2)
    schedules: tuple[str, ...] = ()  # recurring phrases recognised but not used as a deadline
    not_understood: tuple[str, ...] = ()  # phrases that look like deadlines but cannot be read
    provisional_years: tuple[int, ...] = ()  # calendar years used whose data is provisional

    @property
    def rule_detail(self) -> str:
        """The rule for a log or a table: "text", or "not understood: <phrase>"."""
        if self.rule == "not_understood":
            return "; ".join(f"not understood: {text}" for text in self.not_understood)
        return self.rule

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "received": self.received_at.isoformat(),
            "due": self.due.isoformat(),
            "rule": self.rule,
            "rule_detail": self.rule_detail,
            "milestone": self.milestone.isoformat(),
            "start": self.start.isoformat(),
            "skipped": [{"day": s.day.isoformat(), "reason": s.reason} for s in self.skipped],
            "phrase": self.phrase,
            "schedules": list(self.schedules),
            "not_understood": list(self.not_understood),
            "provisional_years": list(self.provisional_years),
            "explanation": list(self.explanation),
        }

    def render_text(self) -> str:
        """For a person, in Vietnamese."""
        rule = RULE_LABELS[self.rule]
        if self.rule == "not_understood":
            rule = "; ".join(f"{NOT_UNDERSTOOD}: {text}" for text in self.not_understood)
            rule += " — hạn dưới đây chỉ tạm tính theo mặc định (quy tắc 3), cần người kiểm tra"
        head = [
            f"Hạn xử lý: {format_instant(self.due)}",
            f"Quy tắc: {rule}",
            f"Mốc trình lãnh đạo duyệt: {format_instant(self.milestone)}",
            "Giải thích:",
        ]
        return "\n".join(head + [f"  - {line}" for line in self.explanation])


NOT_UNDERSTOOD = "không đọc được"

RULE_LABELS: Mapping[str, str] = {
    "explicit": "hạn ghi trong trường hạn xử lý (quy tắc 1)",
    "text": "hạn nêu trong nội dung văn bản / ý kiến chỉ đạo (quy tắc 2)",
    "default": "hạn mặc định theo số ngày làm việc (quy tắc 3)",
    "not_understood": f"{NOT_UNDERSTOOD} hạn nêu trong văn bản (quy tắc 2)",
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
    text: str | Sequence[str | None] | None = None,
    doc_date: date | None = None,
    agency: str | None = None,
    doc_type: str | None = None,
    urgency: str | None = None,
    policy: DeadlinePolicy = DEFAULT_POLICY,
    calendar: WorkingCalendar | None = None,
) -> DeadlineResult:
    """The deadline of a document received at ``received_at`` (aware), by the rules of
    docs/domain.md §6 in order: explicit, then text, then the default; plus the milestone.

    ``text`` is one text or several (the directive, the document's abstract, its body): every
    deadline they state is read and the earliest wins, so the result is never later than any
    deadline the texts state. A phrase that looks like a deadline but cannot be read is
    reported (``not_understood``, and in the explanation), never silently replaced.

    Raises CalendarRangeError when a day needed lies outside the loaded calendar, and
    ValueError for a naive ``received_at`` or ``explicit`` time.
    """
    calendar = calendar or load_calendar()
    received_day = local_date(received_at)
    received_local = received_at.astimezone(LOCAL_TZ)
    texts = [text] if isinstance(text, str) else [t for t in (text or ()) if t]
    scans = [scan_text(t, doc_date or received_day) for t in texts if t.strip()]
    schedules = tuple(i.text for scan in scans for i in scan.schedules)
    unreadable = tuple(dict.fromkeys(i.text for scan in scans for i in scan.not_understood))
    stated = [phrase for scan in scans for phrase in scan.phrases]
    phrase_text: str | None = None
    notes: list[str] = []
    if explicit is not None:
        rule: Rule = "explicit"
        outcome = _explicit(explicit, calendar, policy)
    elif stated:
        rule = "text"
        outcomes = [
            (_stated(p, _base(p, received_day, doc_date), calendar, policy), p) for p in stated
        ]
        outcome, chosen = min(outcomes, key=lambda pair: pair[0].due)  # reading order on ties
        phrase_text = chosen.text
        notes += _other_phrase_lines(outcomes, chosen)
    else:
        days, why = policy.default_period(agency, doc_type, urgency)
        rule = "not_understood" if unreadable else "default"
        stand_in = f"Tạm tính theo quy tắc 3: {days} ngày làm việc ({why})." if unreadable else None
        outcome = _working_days(received_day, days, calendar, policy, why, stand_in)
    if explicit is None:
        notes += [f"«{i.text}»: {i.reason}." for scan in scans for i in scan.set_aside]
        notes += _unreadable_lines(unreadable, rule)
    milestone, milestone_line = _milestone(outcome.due, calendar, policy)
    lines = [_received_line(received_local, calendar), *_schedule_lines(schedules)]
    if rule == "not_understood":
        lines += notes + list(outcome.lines)
    else:
        lines += list(outcome.lines) + notes
    lines.append(f"Hạn xử lý: {format_instant(outcome.due)} (giờ Việt Nam, UTC+7).")
    if outcome.due < received_local:
        lines.append("Lưu ý: hạn này đã qua trước khi nhận văn bản; cần báo cáo ngay.")
    lines.append(milestone_line)
    touched = [received_day, outcome.start, outcome.due.date(), milestone.date()]
    provisional = calendar.provisional_between(min(touched), max(touched))
    lines += [provisional_line(year, note) for year, note in provisional.items()]
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
        not_understood=unreadable,
        provisional_years=tuple(provisional),
    )


def provisional_line(year: int, note: str) -> str:
    """The warning every answer that uses a provisional year carries (docs/domain.md §6)."""
    why = f" ({note})" if note else ""
    return (
        f"Lưu ý: lịch ngày làm việc năm {year} là TẠM THỜI, chưa có thông báo chính thức về "
        f"ngày nghỉ lễ, Tết và ngày làm bù{why}; hạn có thể thay đổi khi có thông báo."
    )


def _base(phrase: DeadlinePhrase, received_day: date, doc_date: date | None) -> date:
    return doc_date if phrase.from_doc_date and doc_date else received_day


def _other_phrase_lines(
    outcomes: list[tuple[_Outcome, DeadlinePhrase]], chosen: DeadlinePhrase
) -> list[str]:
    return [
        f"Văn bản còn nêu hạn «{phrase.text}» ({format_instant(outcome.due)}), muộn hơn hoặc "
        "bằng; lấy hạn sớm nhất."
        for outcome, phrase in outcomes
        if phrase is not chosen
    ]


def _unreadable_lines(unreadable: tuple[str, ...], rule: Rule) -> list[str]:
    if rule == "not_understood":
        return [
            f"Quy tắc 2 — {NOT_UNDERSTOOD}: {text} (trông như một hạn xử lý nhưng không hiểu "
            "được ngày, giờ hay số ngày). Hạn dưới đây chỉ TẠM TÍNH theo mặc định (quy tắc 3); "
            "cần người kiểm tra và nhập hạn đúng."
            for text in unreadable
        ]
    return [
        f"Lưu ý — {NOT_UNDERSTOOD}: {text} (trông như một hạn xử lý nhưng không hiểu được); "
        "cần người kiểm tra xem hạn này có sớm hơn hạn đã chọn không."
        for text in unreadable
    ]


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
    if phrase.year_inferred and phrase.day is not None and phrase.kind is PhraseKind.PERIOD_END:
        first += f" Không ghi năm, hiểu là {phrase.period} (theo ngày văn bản)."
    elif phrase.year_inferred and phrase.day is not None:
        first += f" Ngày không ghi năm, hiểu là năm {phrase.day.year} (theo ngày văn bản)."
    if phrase.kind is PhraseKind.WORKING_DAYS:
        return _working_days(base, phrase.days or 0, calendar, policy, None, first)
    if phrase.kind is PhraseKind.CALENDAR_DAYS:
        return _calendar_days(base, phrase.days or 0, calendar, policy, first)
    assert phrase.day is not None
    if phrase.kind is PhraseKind.BEFORE_DAY:
        return _before_day(phrase.day, calendar, policy, first)
    if phrase.kind is PhraseKind.PERIOD_END:
        return _period_end(phrase, calendar, policy, first)
    if phrase.at is not None:
        return _at_stated_hour(phrase.day, phrase.at, calendar, first)
    return _on_day(phrase.day, None, calendar, policy, first)


def _at_stated_hour(day: date, at: time, calendar: WorkingCalendar, first: str) -> _Outcome:
    """A stated hour on ``day``; on a day off, the last working day before it at that hour. A
    stated moment never moves later (docs/domain.md §6)."""
    if calendar.is_working_day(day):
        return _Outcome(_at(day, at), day, (), (first,))
    due_day = calendar.previous_working_day(day)
    skipped = tuple(calendar.days_off_between(due_day, day))
    lines = [first, *(f"Bỏ qua {off.describe()}." for off in skipped)]
    lines.append(
        f"Ngày {format_day(day)} không phải ngày làm việc và văn bản nêu giờ {at:%H:%M}: hạn là "
        f"{at:%H:%M} ngày làm việc liền trước, {format_day(due_day)} (không lùi sang sau vì "
        "sẽ muộn hơn thời điểm đã nêu)."
    )
    return _Outcome(_at(due_day, at), day, skipped, tuple(lines))


def _period_end(
    phrase: DeadlinePhrase, calendar: WorkingCalendar, policy: DeadlinePolicy, first: str
) -> _Outcome:
    """ "trong tháng / quý / năm": the end of the last working day of that period."""
    assert phrase.day is not None
    last = phrase.day
    due_day = last if calendar.is_working_day(last) else calendar.previous_working_day(last)
    skipped = tuple(calendar.days_off_between(due_day, last))
    lines = [first, *(f"Bỏ qua {off.describe()}." for off in skipped)]
    lines.append(
        f"«Trong {phrase.period}»: hạn là cuối ngày làm việc cuối cùng của {phrase.period}, "
        f"{format_day(due_day)}."
    )
    return _Outcome(_at(due_day, policy.end_of_day), last, skipped, tuple(lines))


def _on_day(
    day: date, at: time | None, calendar: WorkingCalendar, policy: DeadlinePolicy, first: str
) -> _Outcome:
    """The end of ``day``; if ``day`` is not a working day, the end of the next working day
    (Civil Code 2015, art. 148). A stated hour goes through :func:`_at_stated_hour` instead."""
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
