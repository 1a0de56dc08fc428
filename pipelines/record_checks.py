"""One raw record's checks before it joins a page: its identity, whether the store can keep it,
and normalize's verdict made total (issue 18: one bad record never stops a page).

The secrecy guard in normalize still sees every record first: a record the store could not
keep is rejected only after normalize has said it is not secret, so no dead letter ever holds
a secret document's payload.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mappings.loader import StreamMapping
from mappings.units import UnitTable
from pipelines.field_readers import CalendarSource
from pipelines.normalize import Normalized, Outcome, Rejected, content_hash, normalize
from schemas import limits
from store.fits import fits_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Withheld:
    """A rejection whose payload is not kept: normalize failed before secrecy was settled."""

    source_id: str
    reason: str


def record_key(item: dict[str, Any], mapping: StreamMapping) -> tuple[str, str | None]:
    """The record's id for deduplication, and what makes that id unstorable, if anything
    (no text or number, too long, a character the store refuses). Such a record is keyed by
    its content hash, still normalised (the secrecy guard must see it first), then rejected."""
    raw_id = mapping.source_id.dig(item)
    path = ".".join(mapping.source_id.path)
    problem = None
    if raw_id in (None, ""):
        key = ""
    elif isinstance(raw_id, str | int) and not isinstance(raw_id, bool):
        key = str(raw_id).strip()
        if not fits_id(key):
            fault = limits.unstorable_character(key) or f"longer than {limits.SOURCE_ID} characters"
            problem = f"field 'source_id' ({path}): {fault}"
            key = ""
    else:
        problem = f"field 'source_id' ({path}): not a text or a number"
        key = ""
    if problem:
        problem += f" (value: {limits.shorten(limits.storable_text(repr(raw_id)), 80)})"
    return key or f"sha256:{content_hash(item)}", problem


def unstorable_problem(raw: dict[str, Any], canonical: str | None = None) -> str | None:
    """What in the raw record the store could not keep as JSON, naming the raw path and the
    value: NUL or a lone surrogate in any key or text, NaN or infinity, nesting deeper than
    ``limits.MAX_DEPTH``. Walked only for records about to be written (new or changed), and
    only when the record's canonical JSON (if given) does not already show it is clean."""
    if canonical is not None and limits.surely_storable(canonical):
        return None
    found = limits.unstorable_value(raw)
    if found is None:
        return None
    path, fault, value = found
    shown = limits.shorten(limits.storable_text(repr(value)), 80)
    return f"field '{path or '(record)'}': {fault} (value: {shown})"


def total_outcome(
    raw: dict[str, Any],
    key: str,
    problem: str | None,
    mapping: StreamMapping,
    units: UnitTable,
    seen_at: datetime,
    calendar: CalendarSource | None = None,
    canonical: str | None = None,
) -> Outcome | Withheld:
    """normalize's verdict (the secrecy guard first), made total: whatever it raises is a
    rejection of this record alone, and a record normalize accepts but the store could not
    keep (``problem`` with its id, or anything in its raw form) is rejected too.
    ``canonical`` is the record's canonical JSON, if the caller has it."""
    where = f"{mapping.system}/{mapping.stream} {key}"
    try:
        outcome = normalize(raw, mapping, units, seen_at=seen_at, calendar=calendar)
    except Exception as exc:
        # normalize raised before or after its secrecy guard: the payload is withheld, as for
        # any record whose secrecy could not be settled.
        log.warning("%s/%s: normalising one record raised %s", mapping.system, mapping.stream,
                    type(exc).__name__)  # fmt: skip
        # Only the kind of error: its message might quote a field of a secret document.
        return Withheld(
            key,
            f"{where}: could not be normalised: {type(exc).__name__} (payload withheld: its "
            "secrecy could not be checked)",
        )
    if isinstance(outcome, Normalized):
        problem = problem or unstorable_problem(raw, canonical)
        if problem:
            return Rejected(key, f"{where}: {problem}")
    return outcome
