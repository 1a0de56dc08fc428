"""Whether rows fit their tables, judged from the table definitions themselves.

The canonical models check the store's limits (``schemas/limits.py``), so a record that
would not fit is normally a dead letter before it reaches the store. This module is the second
line, used when a page write fails anyway: it names the column a row does not fit (length, NUL,
lone surrogate, integer range), read from ``tables.py`` so it cannot drift from the schema, and
makes a dead letter fit its own table whatever it carries.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Table
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, StatementError

from schemas.limits import (
    INT_MAX,
    INT_MIN,
    SOURCE_ID,
    shorten,
    storable_json,
    storable_text,
    unstorable_character,
    unstorable_value,
)
from store import rows as to_row
from store.tables import assignments, directives, documents, source_records, tasks

# What a write can raise because of what a row holds (as opposed to the database being away):
# the driver's refusals wrapped by SQLAlchemy, and what type processing raises before sending.
RECORD_REFUSALS = (StatementError, ValueError, TypeError, OverflowError, RecursionError)

REASON_LIMIT = 2000  # characters of a dead letter's reason
PAYLOAD_LIMIT = 1_000_000  # characters of a dead letter's payload as JSON; beyond, a prefix


def is_connection_error(exc: BaseException) -> bool:
    """The database or the connection failed, not the row: never a record's fault."""
    return isinstance(exc, OperationalError | InterfaceError | DisconnectionError)


def fits_id(text: str) -> bool:
    """Whether ``text`` can be stored as a source id or unit alias as it is."""
    return len(text) <= SOURCE_ID and unstorable_character(text) is None


def describe_refusal(exc: BaseException) -> str:
    """The database's refusal in one short line (its first line; no SQL, no parameters)."""
    original = getattr(exc, "orig", None) or exc
    first_line = (str(original).strip().splitlines() or [""])[0]
    return shorten(f"the store refused it: {type(original).__name__}: {first_line}", 300)


def row_misfit(table: Table, row: dict[str, Any]) -> str | None:
    """The first column of ``row`` that does not fit ``table``, named with its value."""
    for name, value in row.items():
        column = table.c[name]
        problem = None
        if isinstance(value, str):
            problem = unstorable_character(value)
            length = getattr(column.type, "length", None) if isinstance(column.type, String) else 0
            if problem is None and length and len(value) > length:
                problem = f"longer than {length} characters ({len(value)})"
        elif isinstance(value, int) and isinstance(column.type, Integer):
            if not INT_MIN <= value <= INT_MAX:
                problem = f"out of the range of an integer column ({INT_MIN}..{INT_MAX})"
        elif isinstance(value, list | dict):
            found = unstorable_value(value)
            problem = f"{found[0] or 'value'} {found[1]}" if found else None
        if problem:
            shown = shorten(storable_text(repr(value)), 80)
            return f"field '{table.name}.{name}': {problem} (value: {shown})"
    return None


def page_misfit(page: Any, now: datetime) -> str | None:
    """The first row of a page's records that does not fit its table, or None."""
    candidates = [
        *(
            (source_records, {"source_id": r.source_id, "payload": r.payload})
            for r in page.source_records
        ),
        *((documents, to_row.document_row(d, now)) for d in page.documents),
        *((directives, to_row.directive_row(d, now)) for d in page.directives),
        *((assignments, to_row.assignment_row(a, now)) for a in page.assignments),
        *((tasks, to_row.task_row(t, now)) for t in page.tasks),
    ]
    for table, row in candidates:
        misfit = row_misfit(table, row)
        if misfit:
            return misfit
    return None


def fitting_dead_letter(source_id: str, reason: str, payload: Any) -> dict[str, Any]:
    """A dead letter's columns made to fit: an id too long or unstorable becomes
    ``sha256:<hash of it>``, the reason is escaped and cut, the payload escaped (NUL, lone
    surrogates, NaN, nesting beyond the limit) and, if huge, kept as a prefix of its JSON."""
    source_id = str(source_id)
    if not fits_id(source_id):
        source_id = (
            "sha256:" + hashlib.sha256(source_id.encode("utf-8", "surrogatepass")).hexdigest()
        )
    kept = storable_json(payload) if payload is not None else None
    if kept is not None:
        text = json.dumps(kept, ensure_ascii=False)
        if len(text) > PAYLOAD_LIMIT:
            kept = {"truncated": text[:PAYLOAD_LIMIT], "length": len(text)}
    return {
        "source_id": source_id,
        "reason": shorten(storable_text(str(reason)), REASON_LIMIT),
        "payload": kept,
    }
