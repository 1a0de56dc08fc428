"""A deadline given as a date means the end of that working day, on every path.

docs/domain.md §6, rule 1: "A date without an hour reads like 'hạn D'": the end of D (the
agency's end of office hours, default 17:00 local); if D is not a working day, the end of the
next working day (Civil Code 2015, art. 148). Systems send such dates in many forms (iOffice
``hanXuLy "2023-10-13"``, a tracking ``Deadline`` as an ``xsd:date``, ``13/10/2023`` under a
strptime pattern, an edXML ``DueDate 2023/10/13``); read naively they become 00:00 of that day
and a response issued that afternoon would count as late. This module decides, for a raw value
and its mapping format, whether the value carries a time of day, and places a date-only one at
the end of the working day.

The policy (end of office hours, review milestone, default period) is one setting,
``[deadline_policy]`` in the settings, used by every step through :func:`active_policy`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from pipelines.calendar import LOCAL_TZ, WorkingCalendar, load_calendar
from pipelines.deadlines import DeadlinePolicy

# ISO dates without a time of day; an xsd:date may carry a zone ("2023-10-13+07:00"), which
# names the day as written and says nothing about an hour.
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:?\d{2})?")
# strptime directives that give a time of day.
_TIME_DIRECTIVE = re.compile(r"%[HIMSfpXcTRz]")

_active: DeadlinePolicy | None = None


def policy_from_settings(settings: Any) -> DeadlinePolicy:
    """The deadline policy of ``settings.deadline_policy`` (a ``DeadlinePolicySettings``)."""
    section = settings.deadline_policy
    return DeadlinePolicy(
        end_of_day=section.end_of_day,
        milestone_working_days=section.milestone_working_days,
        default_working_days=section.default_working_days,
    )


def active_policy() -> DeadlinePolicy:
    """The agency's policy from the settings, read once per process (like the calendar)."""
    global _active
    if _active is None:
        from bridge.settings import load_settings  # settings read lazily, once

        _active = policy_from_settings(load_settings())
    return _active


def use_policy(policy: DeadlinePolicy | None) -> None:
    """Put ``policy`` in force for this process; None reads the settings again on next use."""
    global _active
    _active = policy


def date_only(raw: Any, fmt: str | None) -> date | None:
    """The day ``raw`` names when it gives a date without a time of day, else None.

    ``fmt`` is the mapping's format (``iso``/``local``/None, ``edxml_date``,
    ``edxml_timestamp`` or a strptime pattern). A pattern with a time part whose text came
    without one (``13/10/2023`` under ``%d/%m/%Y %H:%M``) is a date too: systems drop the time
    when it is empty. Raises ValueError when the text is a date in no form the format allows.
    """
    if isinstance(raw, datetime):
        return None
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    if fmt in (None, "iso", "local"):
        match = _ISO_DATE.fullmatch(text)
        return date(*map(int, match.groups())) if match else None
    if fmt == "edxml_date":
        return datetime.strptime(text, "%Y/%m/%d").date()
    if fmt == "edxml_timestamp":
        return _date_part(text, "%Y/%m/%d %H:%M:%S")
    if not _TIME_DIRECTIVE.search(fmt):
        return datetime.strptime(text, fmt).date()
    return _date_part(text, fmt)


def _date_part(text: str, fmt: str) -> date | None:
    """The date when ``text`` fits only the part of ``fmt`` before its first time directive."""
    try:
        datetime.strptime(text, fmt)
        return None  # the full pattern fits: the text carries its time
    except ValueError:
        pass
    head = fmt[: _TIME_DIRECTIVE.search(fmt).start()].rstrip(" T")  # type: ignore[union-attr]
    try:
        return datetime.strptime(text, head).date() if head else None
    except ValueError:
        return None


def end_of_working_day(
    day: date, policy: DeadlinePolicy | None = None, calendar: WorkingCalendar | None = None
) -> datetime:
    """The end of office hours of ``day``, or of the next working day when ``day`` is off
    (docs/domain.md §6, "hạn D"). Raises CalendarRangeError outside the loaded calendar."""
    policy = policy or active_policy()
    calendar = calendar or load_calendar()
    due_day = calendar.working_day_on_or_after(day)
    return datetime.combine(due_day, policy.end_of_day, tzinfo=LOCAL_TZ)


def document_deadline(stated: datetime | None, computed: datetime | None) -> datetime | None:
    """A document's deadline in force: the structured one (rule 1), except when it is the
    date the bridge itself wrote back for a computed deadline of the same day with a stated
    hour — iOffice keeps only the date, so the computed instant is the precise one."""
    if stated is None or computed is None:
        return stated or computed
    same_day = stated.astimezone(LOCAL_TZ).date() == computed.astimezone(LOCAL_TZ).date()
    return min(stated, computed) if same_day else stated


def milestone_of(
    due: datetime | None, policy: DeadlinePolicy | None = None,
    calendar: WorkingCalendar | None = None,
) -> datetime | None:  # fmt: skip
    """The review milestone of a deadline: the draft goes to leadership N working days
    before, at the same time of day (docs/domain.md §6, rule 4); None without a deadline or
    when the calendar does not cover it."""
    if due is None:
        return None
    policy = policy or active_policy()
    calendar = calendar or load_calendar()
    local = due.astimezone(LOCAL_TZ)
    n = policy.milestone_working_days
    try:
        day = calendar.add_working_days(local.date(), -n) if n else local.date()
    except ValueError:
        return None
    return datetime.combine(day, local.time(), tzinfo=LOCAL_TZ)
