"""The deadline rules of docs/domain.md §6, one function per form: each gives the instant, the
first day it counted from, the days it skipped and its Vietnamese explanation lines.

Split from pipelines.deadlines, which decides which rule applies (explicit, text,
default) and assembles the result; these are pure functions of a day and the calendar.
Counting follows the Civil Code 2015: the day of receipt is not counted (art. 147) and a
period whose last day is not a working day ends at the end of the next working day (art. 148).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from pipelines.calendar import LOCAL_TZ, DayOff, WorkingCalendar, format_day, local_date
from pipelines.deadline_phrases import DeadlinePhrase, PhraseKind

if TYPE_CHECKING:
    from pipelines.deadlines import DeadlinePolicy

CIVIL_CODE_147 = "Bộ luật Dân sự 2015, Điều 147"
CIVIL_CODE_148 = "Bộ luật Dân sự 2015, Điều 148"


def format_instant(moment: datetime) -> str:
    """``17:00 thứ Tư 21/02/2024`` in local time."""
    local = moment.astimezone(LOCAL_TZ)
    return f"{local:%H:%M} {format_day(local.date())}"


@dataclass(frozen=True)
class Outcome:
    """What one rule decided, before the milestone is added."""

    due: datetime
    start: date
    skipped: tuple[DayOff, ...]
    lines: tuple[str, ...]


def explicit_deadline(
    value: date | datetime, calendar: WorkingCalendar, policy: DeadlinePolicy
) -> Outcome:
    """Rule 1. A date alone reads like "hạn D"; a stated time is kept as given."""
    if isinstance(value, datetime):
        local_date(value)  # refuses a naive time
        due = value.astimezone(LOCAL_TZ)
        line = f"Quy tắc 1: hạn ghi trong trường hạn xử lý, giữ nguyên giờ: {format_instant(due)}."
        return Outcome(due, due.date(), (), (line,))
    first = f"Quy tắc 1: hạn ghi trong trường hạn xử lý là ngày {format_day(value)}, không ghi giờ."
    return _on_day(value, None, calendar, policy, first)


def stated_deadline(
    phrase: DeadlinePhrase, base: date, calendar: WorkingCalendar, policy: DeadlinePolicy
) -> Outcome:
    """Rule 2: a deadline stated in words, one branch per form of docs/domain.md §6."""
    first = f"Quy tắc 2: hạn nêu trong văn bản: «{phrase.text}»."
    if phrase.year_inferred and phrase.day is not None and phrase.kind is PhraseKind.PERIOD_END:
        first += f" Không ghi năm, hiểu là {phrase.period} (theo ngày văn bản)."
    elif phrase.year_inferred and phrase.day is not None:
        first += f" Ngày không ghi năm, hiểu là năm {phrase.day.year} (theo ngày văn bản)."
    if phrase.kind is PhraseKind.WORKING_DAYS:
        return working_days_deadline(base, phrase.days or 0, calendar, policy, None, first)
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


def _at_stated_hour(day: date, at: time, calendar: WorkingCalendar, first: str) -> Outcome:
    """A stated hour on ``day``; on a day off, the last working day before it at that hour. A
    stated moment never moves later (docs/domain.md §6)."""
    if calendar.is_working_day(day):
        return Outcome(at_local(day, at), day, (), (first,))
    due_day = calendar.previous_working_day(day)
    skipped = tuple(calendar.days_off_between(due_day, day))
    lines = [first, *(f"Bỏ qua {off.describe()}." for off in skipped)]
    lines.append(
        f"Ngày {format_day(day)} không phải ngày làm việc và văn bản nêu giờ {at:%H:%M}: hạn là "
        f"{at:%H:%M} ngày làm việc liền trước, {format_day(due_day)} (không lùi sang sau vì "
        "sẽ muộn hơn thời điểm đã nêu)."
    )
    return Outcome(at_local(due_day, at), day, skipped, tuple(lines))


def _period_end(
    phrase: DeadlinePhrase, calendar: WorkingCalendar, policy: DeadlinePolicy, first: str
) -> Outcome:
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
    return Outcome(at_local(due_day, policy.end_of_day), last, skipped, tuple(lines))


def _on_day(
    day: date, at: time | None, calendar: WorkingCalendar, policy: DeadlinePolicy, first: str
) -> Outcome:
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
    return Outcome(at_local(due_day, at or policy.end_of_day), day, skipped, tuple(lines))


def _before_day(
    day: date, calendar: WorkingCalendar, policy: DeadlinePolicy, first: str
) -> Outcome:
    """ "trước ngày D": the end of the last working day before D. Moving later would break the
    instruction, so this is the one form that moves earlier (docs/domain.md §6)."""
    due_day = calendar.previous_working_day(day)
    skipped = tuple(calendar.days_off_between(due_day, day - timedelta(days=1)))
    lines = [first, *(f"Bỏ qua {off.describe()}." for off in skipped)]
    lines.append(
        f"«Trước ngày {day:%d/%m/%Y}»: hạn là cuối ngày làm việc cuối cùng trước ngày đó, "
        f"{format_day(due_day)} (không lùi sang sau vì sẽ trái chỉ đạo)."
    )
    return Outcome(at_local(due_day, policy.end_of_day), day, skipped, tuple(lines))


def working_days_deadline(
    received_day: date,
    days: int,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy,
    setting: str | None,
    first: str | None = None,
) -> Outcome:
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
    return Outcome(at_local(due_day, policy.end_of_day), start, skipped, tuple(lines))


def _calendar_days(
    received_day: date, days: int, calendar: WorkingCalendar, policy: DeadlinePolicy, first: str
) -> Outcome:
    """ "N ngày" without "làm việc": N calendar days after the receipt day (art. 147); if the
    last one is not a working day, the next working day (art. 148)."""
    last = received_day + timedelta(days=days)
    head = (
        f"{first} {days} ngày theo lịch, không tính ngày nhận ({CIVIL_CODE_147}): "
        f"ngày cuối là {format_day(last)}."
    )
    outcome = _on_day(last, None, calendar, policy, head)
    return Outcome(outcome.due, received_day + timedelta(days=1), outcome.skipped, outcome.lines)


def review_milestone(
    due: datetime, calendar: WorkingCalendar, policy: DeadlinePolicy
) -> tuple[datetime, str]:
    """Rule 4: the draft goes to leadership at least N working days before the deadline, at
    the same time of day."""
    n = policy.milestone_working_days
    if n == 0:
        return due, f"Mốc trình lãnh đạo duyệt dự thảo: cùng lúc với hạn, {format_instant(due)}."
    milestone = at_local(
        calendar.add_working_days(due.date(), -n), due.timetz().replace(tzinfo=None)
    )
    return milestone, (
        f"Mốc trình lãnh đạo duyệt dự thảo: {format_instant(milestone)} "
        f"(trước hạn ít nhất {n} ngày làm việc)."
    )


def received_line(received: datetime, calendar: WorkingCalendar) -> str:
    day = received.date()
    off = calendar.day_off_reason(day)
    state = "" if off is None else f" (ngày nghỉ: {off.describe().split(': ', 1)[1]})"
    return (
        f"Nhận văn bản lúc {format_instant(received)}{state}; ngày nhận không tính "
        f"({CIVIL_CODE_147})."
    )


def schedule_lines(schedules: tuple[str, ...]) -> list[str]:
    return [
        f"«{text}» là lịch báo cáo định kỳ, không phải một hạn xử lý; không dùng để tính hạn."
        for text in schedules
    ]


def at_local(day: date, wall_clock: time) -> datetime:
    return datetime.combine(day, wall_clock, tzinfo=LOCAL_TZ)
