"""Reading one record's canonical fields through a mapping, compiled once per mapping.

A mapping is turned, the first time a record of its stream is read, into one getter per
field: the path walk (a chain of dict look-ups for a plain path) and what the field's value
is read as (code list, date, deadline, instant, legacy text or as it came) are decided then,
not per record and field. A ``Reader`` digs each field of its record at most once, since the
models ask for some fields twice (``has`` then ``text``). What a field reads as, and every
problem's wording, is what normalize always produced (tests/unit/test_normalize.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from mappings.loader import FieldSpec, StreamMapping
from pipelines import due, legacy_text
from pipelines.calendar import LOCAL_TZ, CalendarError, WorkingCalendar
from pipelines.deadlines import DeadlinePolicy

DATE_FIELDS = frozenset({"promulgation_date", "response_for_date", "source_date"})
INSTANT_FIELDS = frozenset(
    {
        "received_at",
        "issued_at",
        "stated_deadline",
        "created_at",
        "deadline",
        "completed_at",
        "original_deadline",
        "extended_at",
    }
)
# Deadlines: a value without a time of day means the end of that working day (due.py).
DEADLINE_FIELDS = frozenset({"stated_deadline", "deadline", "original_deadline"})
TEXT_FIELDS = frozenset({"title", "abstract", "content", "assigning_text", "source_abstract"})

# What a field's present value is read as, decided once per mapping field.
_CODE, _DATE, _DEADLINE, _INSTANT, _TEXT, _AS_IS = range(6)

CalendarSource = Callable[[], WorkingCalendar]


class FieldProblem(ValueError):
    """One field's raw value could not be read; the message names field, path and value."""

    def __init__(self, name: str, spec: FieldSpec | None, raw: Any, problem: str) -> None:
        path = f" ({'.'.join(spec.path)})" if spec else ""
        shown = repr(raw) if len(repr(raw)) <= 80 else repr(raw)[:77] + "..."
        super().__init__(f"field '{name}'{path}: {problem} (value: {shown})")


# --- reading raw values --------------------------------------------------------------------


def read_instant(raw: Any, fmt: str | None) -> datetime:
    """An aware instant; times without an offset are local (Asia/Ho_Chi_Minh)."""
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, str) and raw.strip():
        text = raw.strip()
        if fmt in (None, "iso", "local"):
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        elif fmt == "edxml_timestamp":
            moment = datetime.strptime(text, "%Y/%m/%d %H:%M:%S")
        elif fmt == "edxml_date":
            moment = datetime.strptime(text, "%Y/%m/%d")
        else:
            moment = datetime.strptime(text, fmt)
    else:
        raise ValueError("not a date and time")
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)


def read_deadline(
    raw: Any,
    fmt: str | None,
    policy: DeadlinePolicy | None = None,
    calendar: CalendarSource | None = None,
) -> datetime:
    """A deadline: a value given as a date is the end of that working day (docs/domain.md §6,
    "hạn D"); a value with a time of day is read as any instant. ``calendar`` gives the
    working calendar (default: loaded for this call)."""
    day = due.date_only(raw, fmt)
    if day is None:
        return read_instant(raw, fmt)
    try:
        return due.end_of_working_day(day, policy, calendar() if calendar else None)
    except CalendarError as exc:
        raise ValueError(f"the end of the working day is unknown: {exc}") from None


def read_date(raw: Any, fmt: str | None) -> date:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str) and fmt in (None, "iso", "local") and len(raw.strip()) == 10:
        return date.fromisoformat(raw.strip())
    moment = read_instant(raw, fmt)
    return moment.astimezone(LOCAL_TZ).date() if moment.tzinfo else moment.date()


# --- compiled per mapping ------------------------------------------------------------------


def _kind(name: str, spec: FieldSpec) -> int:
    if spec.codes:
        return _CODE
    if name in DATE_FIELDS:
        return _DATE
    if name in DEADLINE_FIELDS:
        return _DEADLINE
    if name in INSTANT_FIELDS:
        return _INSTANT
    if name in TEXT_FIELDS:
        return _TEXT
    return _AS_IS


class CompiledMapping:
    """One mapping's fields as getters: ``fields[name] = (spec, get, kind)``."""

    def __init__(self, mapping: StreamMapping) -> None:
        self.mapping = mapping
        self.fields = {
            name: (spec, spec.dig, _kind(name, spec)) for name, spec in mapping.fields.items()
        }


# Mappings are few and live as long as the process (the catalog loads them once); a test may
# build many, so the cache is bounded and checked by identity.
_COMPILED: dict[int, CompiledMapping] = {}
_MAX_COMPILED = 64


def compiled(mapping: StreamMapping) -> CompiledMapping:
    found = _COMPILED.get(id(mapping))
    if found is not None and found.mapping is mapping:
        return found
    if len(_COMPILED) >= _MAX_COMPILED:
        _COMPILED.clear()
    made = _COMPILED[id(mapping)] = CompiledMapping(mapping)
    return made


_MISSING = object()


class Reader:
    """Reads canonical fields of one raw record through one mapping."""

    def __init__(
        self,
        raw: dict[str, Any],
        mapping: StreamMapping,
        policy: DeadlinePolicy | None = None,
        calendar: CalendarSource | None = None,
    ) -> None:
        self.raw = raw
        self.mapping = mapping
        self.policy = policy
        self.calendar = calendar
        self._fields = compiled(mapping).fields
        self._dug: dict[str, Any] = {}

    def _raw(self, name: str) -> Any:
        value = self._dug.get(name, _MISSING)
        if value is _MISSING:
            entry = self._fields.get(name)
            value = self._dug[name] = entry[1](self.raw) if entry else None
        return value

    def has(self, name: str) -> bool:
        return name in self._fields and self._raw(name) not in (None, "", [])

    def raw_value(self, name: str) -> Any:
        return self._raw(name)

    def value(self, name: str) -> Any:
        """The field read as its canonical type, or None when absent."""
        entry = self._fields.get(name)
        if entry is None:
            return None
        spec, _, kind = entry
        raw = self._raw(name)
        if raw is None or raw == "":
            if spec.required:
                raise FieldProblem(name, spec, raw, "is required but missing")
            return None
        if kind == _AS_IS:
            return raw
        if kind == _TEXT:
            return legacy_text.to_unicode(raw) if isinstance(raw, str) else raw
        try:
            if kind == _CODE:
                return self._code(name, spec, raw)
            if kind == _DATE:
                return read_date(raw, spec.format)
            if kind == _DEADLINE:
                return read_deadline(raw, spec.format, self.policy, self.calendar)
            return read_instant(raw, spec.format)
        except (ValueError, TypeError) as exc:
            expected = f" in format {spec.format}" if spec.format else ""
            raise FieldProblem(name, spec, raw, f"not a valid date{expected}: {exc}") from None

    def _code(self, name: str, spec: FieldSpec, raw: Any) -> str:
        translated = self.mapping.translate(spec.codes or "", raw)
        if translated is None:
            known = ", ".join(sorted(self.mapping.codes.get(spec.codes or "", {})))
            raise FieldProblem(name, spec, raw, f"unknown code (code list '{spec.codes}': {known})")
        return translated

    def text(self, name: str) -> str | None:
        value = self.value(name)
        return None if value is None else str(value)
