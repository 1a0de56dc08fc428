"""What every canonical model shares: NFC text, UTC-aware instants, readable validation errors."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from schemas.limits import unstorable_character


def to_nfc(value: Any) -> Any:
    """Vietnamese text arrives composed (NFC) or decomposed (NFD); we compare and store NFC.

    Surrounding white space is dropped and inner runs of white space fold to one space, because
    the same abstract copied between systems differs in exactly that.
    """
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFC", value).split())
    return value


def _require_aware(value: datetime) -> datetime:
    # A naive time is ambiguous (local or UTC?) and was the cause of off-by-seven-hours deadlines
    # in hand-written integrations; refuse it at the boundary instead of guessing.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("time must carry a UTC offset (e.g. +07:00); a naive time is ambiguous")
    try:
        # Stored in UTC: a time at the very edge of the calendar has no UTC form.
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("time is out of the range that can be stored") from None
    return value


def _storable(value: str) -> str:
    # PostgreSQL refuses NUL and UTF-8 cannot carry a lone surrogate: refuse them here, naming
    # the field, so the database is never the first to refuse (schemas/limits.py).
    problem = unstorable_character(value)
    if problem:
        raise ValueError(f"text {problem}")
    return value


Text = Annotated[str, BeforeValidator(to_nfc), AfterValidator(_storable)]
"""A text field: stored NFC, white space folded, storable on every database."""

Instant = Annotated[datetime, AfterValidator(_require_aware)]
"""A point in time with an offset. Stored as UTC; shown in Asia/Ho_Chi_Minh."""


class CanonicalModel(BaseModel):
    """Base of the canonical models: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def utc(value: datetime) -> datetime:
    """The same instant in UTC (for storage and comparison)."""
    return _require_aware(value).astimezone(UTC)


def describe_validation_error(exc: ValidationError, record: str | None = None) -> str:
    """One line per problem, naming the record, the field and the value that was refused.

    This is the text that goes into a dead letter's reason and in front of IT staff, so it says
    where to look rather than how pydantic works.
    """
    where = f"{record}: " if record else ""
    problems = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "(record)"
        value = error.get("input")
        shown = repr(value) if not isinstance(value, dict) else "(object)"
        if len(shown) > 80:
            shown = shown[:77] + "..."
        problems.append(f"field '{field}': {error['msg']} (value: {shown})")
    return where + "; ".join(problems)
