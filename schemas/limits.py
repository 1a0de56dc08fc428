"""The store's limits, in one place: the tables are declared with them and the models check them.

schemas import nothing of the bridge, so the store's column lengths live here and
``store/tables.py`` declares its columns with these names; a model that checks a value
against the same name is checked against the column. The database is then never the first to
refuse a record: a value that would not fit is a validation error naming the field, which
becomes a dead letter, instead of an error that fails a whole page (docs/architecture.md).

Besides lengths, every text is storable on both databases: PostgreSQL refuses the NUL character
in text and in JSON, and a lone surrogate (U+D800..U+DFFF) cannot be encoded as UTF-8 at all.
"""

from __future__ import annotations

import math
import re
from typing import Any

SYSTEM = 16  # a registered system's name (connectors/registry.py), "lgsp"
STREAM = 32  # "incoming", "outgoing", "directives", "tasks"...
SOURCE_ID = 128  # a record's id in its system; a unit alias
UNIT_ID = 64  # a canonical unit id (documents.unit_id, units.id)
ORGAN_ID = 64  # electronic identifier code of an agency
KEY = 256  # edXML DocumentId: organ id, date, number/notation
NUMBER = 16  # số of số/ký hiệu
NOTATION = 64  # ký hiệu of số/ký hiệu
INCOMING_NUMBER = 32  # số đến
CODE = 16  # a stored code-list value (direction, urgency, status, role, rule)
DOC_TYPE = 8
TASK_CLASS = 32
IDEMPOTENCY_KEY = 200
OPERATION = 32
WORKER = 128

INT_MAX = 2**31 - 1  # an Integer column: 32-bit signed on PostgreSQL
INT_MIN = -(2**31)

# How deep a raw record may nest and still be stored (as JSON) and hashed. Real records nest
# three or four levels; the limit only has to stop a hostile record before Python's recursion
# limit or PostgreSQL's stack does.
MAX_DEPTH = 64

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_character(text: str) -> str | None:
    """Why ``text`` cannot be stored as text on both databases, or None if it can."""
    if text.isascii() and "\x00" not in text:
        return None
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character (U+0000), which PostgreSQL cannot store"
    return (
        f"contains a lone surrogate (U+{ord(found.group()):04X}), which is not valid Unicode text"
    )


def storable_text(text: str) -> str:
    """The text with NUL and lone surrogates escaped (``\\x00``, ``\\ud800``), so it can be kept."""
    if unstorable_character(text) is None:
        return text
    return _UNSTORABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def unstorable_value(value: Any, path: str = "", depth: int = 0) -> tuple[str, str, Any] | None:
    """The first part of a raw JSON value that cannot be stored, as (path, problem, value).

    Checks every key and string for NUL and lone surrogates, every number for the JSON range
    (NaN and infinities are not JSON), and the nesting depth.
    """
    if depth > MAX_DEPTH:
        return path, f"nested deeper than {MAX_DEPTH} levels", "(nested value)"
    if isinstance(value, str):
        problem = unstorable_character(value)
        return (path, problem, value) if problem else None
    if isinstance(value, float) and not math.isfinite(value):
        return path, "is not a finite number (NaN or infinity cannot be stored as JSON)", value
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (problem := unstorable_character(key)):
                return where, f"field name {problem}", key
            found = unstorable_value(item, where, depth + 1)
            if found:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = unstorable_value(item, f"{path}[{index}]", depth + 1)
            if found:
                return found
    return None


def surely_storable(canonical: str) -> bool:
    """Whether a value's JSON text (``json.dumps`` with ``ensure_ascii=False``) shows that
    ``unstorable_value`` would find nothing in it: no escaped NUL, no lone surrogate, no NaN
    or infinity token, and fewer brackets than the nesting limit. False only means "walk the
    value to be sure" (a text may merely mention "NaN")."""
    return (
        "\\u0000" not in canonical
        and "NaN" not in canonical
        and "Infinity" not in canonical
        and canonical.count("{") + canonical.count("[") <= MAX_DEPTH
        and _UNSTORABLE.search(canonical) is None
    )


def storable_json(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` that can always be stored as JSON: NUL and lone surrogates escaped,
    NaN and infinities as text, anything nested deeper than ``MAX_DEPTH`` replaced by a note."""
    if depth > MAX_DEPTH:
        return f"(nested deeper than {MAX_DEPTH} levels: not kept)"
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        return {storable_text(str(k)): storable_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(item, depth + 1) for item in value]
    return storable_text(repr(value))


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."
