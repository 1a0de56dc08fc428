"""Deadlines: which rule applies, the instant it gives, and why (docs/domain.md §6).

The rules, in order (docs/domain.md §6, "Rules, in order"):

1. ``explicit`` — a structured deadline on the task or document wins. A date without an hour
   reads like "hạn D".
2. ``text`` — else a deadline stated in the directive or the document's own abstract and body
   (docs/domain.md §4 and §6; phrases in deadline_phrases.py, their meaning in
   deadline_rules.py). Of several stated deadlines the earliest wins; periods, cut-offs, cited
   documents' dates and meetings are not deadlines. Recurring phrases ("hàng tuần", "ngày 10
   hàng tháng") are a schedule, not a deadline, and fall through to rule 3.
3. ``default`` — else the agency default, 5 working days from receipt (per agency, per document
   type, shorter for urgent documents when configured). When the text states a deadline that
   cannot be read, the rule is ``not_understood``: the default is shown only as a stand-in, and
   the phrase is named ("không đọc được: …"), never silently dropped.
4. The review milestone: the draft goes to leadership at least 1 working day before the deadline.

Every answer that uses a provisional calendar year says so (docs/domain.md §6, "Calendar data").

Every function here is pure: values in, values out. The only I/O is the calendar's override
files, read once by :func:`pipelines.calendar.load_calendar`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

from pipelines.calendar import (
    LOCAL_TZ,
    CalendarError,
    WorkingCalendar,
    load_calendar,
    local_date,
)
from pipelines.deadline_phrases import (
    DeadlinePhrase,
    NotUnderstood,
    PhraseKind,
    RecurringSchedule,
    scan_deadline_phrases,
    scan_text,
)
from pipelines.deadline_rules import (
    Outcome,
    explicit_deadline,
    format_instant,
    received_line,
    review_milestone,
    schedule_lines,
    stated_deadline,
    working_days_deadline,
)
from schemas import Urgency

# The phrase finder lives in deadline_phrases.py; its names stay importable from here.
__all__ = [
    "DEFAULT_POLICY", "LOCAL_TZ", "DeadlinePhrase", "DeadlinePolicy", "DeadlineResult",
    "NotUnderstood", "PhraseKind", "RecurringSchedule", "at_risk", "compute_deadline",
    "find_deadline_phrase", "scan_deadline_phrases", "scan_text",
]  # fmt: skip

Rule = Literal["explicit", "text", "default", "not_understood"]
"""``not_understood``: the text states a deadline that cannot be read and none that can; the
due time is then the default period, shown as a stand-in that a person must check."""


# --- policy --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlinePolicy:
    """The configurable values of docs/domain.md §6 (defaults as written there).

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


# --- phrases stated in text: pipelines/deadline_phrases.py --------------------------


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
    return stated_deadline(phrase, base, calendar, DEFAULT_POLICY).due


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
    if explicit is not None:
        texts = []  # rule 1 wins: the text is not read at all
    scans = [scan_text(t, doc_date or received_day) for t in texts if t.strip()]
    schedules = tuple(i.text for scan in scans for i in scan.schedules)
    unreadable = tuple(dict.fromkeys(i.text for scan in scans for i in scan.not_understood))
    stated = [phrase for scan in scans for phrase in scan.phrases]
    phrase_text: str | None = None
    notes: list[str] = []
    if explicit is not None:
        rule: Rule = "explicit"
        outcome = explicit_deadline(explicit, calendar, policy)
    elif stated:
        rule = "text"
        outcomes = [
            (stated_deadline(p, _base(p, received_day, doc_date), calendar, policy), p)
            for p in stated
        ]
        outcome, chosen = min(outcomes, key=lambda pair: pair[0].due)  # reading order on ties
        phrase_text = chosen.text
        notes += _other_phrase_lines(outcomes, chosen)
    else:
        days, why = policy.default_period(agency, doc_type, urgency)
        rule = "not_understood" if unreadable else "default"
        stand_in = f"Tạm tính theo quy tắc 3: {days} ngày làm việc ({why})." if unreadable else None
        outcome = working_days_deadline(received_day, days, calendar, policy, why, stand_in)
    notes += [f"«{i.text}»: {i.reason}." for scan in scans for i in scan.set_aside]
    notes += _unreadable_lines(unreadable, rule)
    milestone, milestone_line = review_milestone(outcome.due, calendar, policy)
    lines = [received_line(received_local, calendar), *schedule_lines(schedules)]
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
    outcomes: list[tuple[Outcome, DeadlinePhrase]], chosen: DeadlinePhrase
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


def at_risk(
    due: datetime,
    now: datetime,
    policy: DeadlinePolicy = DEFAULT_POLICY,
    calendar: WorkingCalendar | None = None,
) -> bool:
    """True when the deadline has not passed and falls within the warning window: at most
    ``policy.at_risk_working_days`` working days after ``now``'s day (docs/domain.md §5).

    Completion is the caller's concern (see pipelines.status). Past the deadline the
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
