"""Raw record + mapping → canonical model, a rejection naming field and value, or a secret skip.

This is the boundary the design draws for secret documents (docs/domain.md §3): on every
stream, a record marked Mật, Tối mật or Tuyệt mật (by its secrecy field or by a stamp in its
header fields) is recognised *first* by the guard (secrecy_guard.py), before any other field is
read, and leaves this step only as a ``SecretSkipped``: a count per system, unit and day
received. Nothing of it is returned, logged or stored, not even in a dead letter.

Every other problem becomes a ``Rejected`` whose reason names the record, the field (canonical
name and the raw path) and the value, for the dead-letter table; the batch goes on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from mappings.loader import StreamMapping
from mappings.units import UnitTable
from pipelines import due, parsing, secrecy_guard
from pipelines.calendar import LOCAL_TZ
from pipelines.deadlines import DeadlinePolicy
from pipelines.field_readers import CalendarSource, FieldProblem, Reader, read_instant
from pipelines.secrecy_guard import SecretSkipped
from schemas import (
    Assignment,
    Directive,
    Document,
    DocumentKey,
    DocumentType,
    HandlerRole,
    Signer,
    Task,
    describe_validation_error,
)
from schemas.limits import storable_json

# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Normalized:
    source_id: str
    record: Document | Directive | Task
    assignments: tuple[Assignment, ...] = ()
    changed_at: datetime | None = None


@dataclass(frozen=True)
class Rejected:
    source_id: str
    reason: str


Outcome = Normalized | Rejected | SecretSkipped


def canonical_json(record: Any) -> str:
    """The record in a canonical JSON form (sorted keys, no spaces): equal content, equal text.

    Never fails on what a record contains: a record too deep for the encoder is given in its
    storable form (``limits.storable_json``, nesting cut off) after a ``capped:`` prefix, so a
    hostile record still has an identity.
    """
    try:
        return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (RecursionError, ValueError, TypeError):
        return "capped:" + json.dumps(
            storable_json(record), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )


def text_hash(canonical: str) -> str:
    """sha256 of a canonical text; a lone surrogate is hashed as it came (``surrogatepass``)."""
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def content_hash(record: Any) -> str:
    """sha256 of the record's canonical JSON (``canonical_json``): equal content, equal hash."""
    return text_hash(canonical_json(record))


def _as_list(raw: Any) -> list[str]:
    """Unit lists arrive as JSON lists, or as "A, B; C" text."""
    if raw is None or raw == "":
        return []
    items = raw if isinstance(raw, list) else str(raw).replace(";", ",").split(",")
    return [str(item).strip() for item in items if str(item).strip()]


# --- per model -----------------------------------------------------------------------------


def _document(
    reader: Reader, source_id: str, units: UnitTable, changed_at: datetime | None
) -> Document:
    mapping = reader.mapping
    number, notation, type_code = _number_notation(reader)
    day = reader.value("promulgation_date")
    doc_type = reader.value("doc_type") or type_code or _type_from_title(reader)
    response_for = _referenced_key(reader, "response_for")
    signer = None
    if reader.has("signer_name"):
        signer = Signer(
            full_name=reader.text("signer_name"),
            position=reader.text("signer_position"),
            competence=reader.text("signer_competence"),
        )
    return Document(
        system=mapping.system,
        source_id=source_id,
        direction=mapping.direction,
        key=DocumentKey(
            organ_id=reader.text("organ_id") or "",
            promulgation_date=day,
            number=number,
            notation=notation,
        ),
        doc_type=doc_type or DocumentType.CONG_VAN,
        abstract=reader.text("abstract") or "",
        urgency=reader.value("urgency") or "normal",
        signer=signer,
        place=reader.text("place"),
        received_at=reader.value("received_at"),
        incoming_number=reader.text("incoming_number"),
        issued_at=reader.value("issued_at"),
        stated_deadline=reader.value("stated_deadline"),
        response_for=response_for,
        response_for_source_id=reader.text("response_for_source_id"),
        unit_id=units.resolve(mapping.system, reader.raw_value("unit"), day),
        changed_at=changed_at,
    )


def _referenced_key(reader: Reader, prefix: str) -> DocumentKey | None:
    """The key of another document this record names through ``<prefix>_number_notation``,
    ``<prefix>_organ_id`` and ``<prefix>_date``; None unless all three can be read."""
    code_text = reader.raw_value(f"{prefix}_number_notation")
    organ_id = reader.raw_value(f"{prefix}_organ_id")
    day = reader.value(f"{prefix}_date")
    if code_text in (None, "") or organ_id in (None, "") or day is None:
        return None
    code = parsing.parse_number_notation(str(code_text))
    if code is None:
        return None
    return DocumentKey(
        organ_id=str(organ_id), promulgation_date=day, number=code.number, notation=code.notation
    )


def _number_notation(reader: Reader) -> tuple[str, str, str | None]:
    if reader.has("number") and reader.has("notation"):
        return reader.text("number") or "", reader.text("notation") or "", None
    raw = reader.raw_value("number_notation")
    parsed = parsing.parse_number_notation(str(raw)) if raw is not None else None
    if parsed is None:
        spec = reader.mapping.fields.get("number_notation")
        raise FieldProblem("number_notation", spec, raw, "not a number/notation like 07/QĐ-UBND")
    return parsed.number, parsed.notation, parsed.type_code


def _type_from_title(reader: Reader) -> str | None:
    title = reader.text("title")
    return parsing.document_type_from_title(title) if title else None


def _directive(
    reader: Reader, source_id: str, units: UnitTable, changed_at: datetime | None
) -> tuple[Directive, tuple[Assignment, ...]]:
    system = reader.mapping.system
    created_at = reader.value("created_at")
    directive = Directive(
        system=system,
        source_id=source_id,
        document_source_id=reader.text("document_source_id") or "",
        title=reader.text("title"),
        content=reader.text("content") or "",
        author=reader.text("author"),
        created_at=created_at,
        changed_at=changed_at,
    )
    day = created_at.astimezone(LOCAL_TZ).date() if created_at else None
    mains = _as_list(reader.raw_value("main_unit"))
    if len(mains) > 1:
        spec = reader.mapping.fields.get("main_unit")
        raise FieldProblem("main_unit", spec, mains, "a directive names exactly one main handler")
    roles = [
        (HandlerRole.MAIN, mains),
        (HandlerRole.COORDINATING, _as_list(reader.raw_value("coordinating_units"))),
        (HandlerRole.INFORMED, _as_list(reader.raw_value("informed_units"))),
    ]
    assignments = tuple(
        Assignment(
            system=system,
            document_source_id=directive.document_source_id,
            directive_source_id=source_id,
            unit_id=units.resolve(system, alias, day) or alias,
            role=role,
            assigned_at=created_at,
        )
        for role, aliases in roles
        for alias in aliases
    )
    return directive, assignments


def _task(reader: Reader, source_id: str, units: UnitTable, changed_at: datetime | None) -> Task:
    system = reader.mapping.system
    deadline = reader.value("deadline")
    day = deadline.astimezone(LOCAL_TZ).date() if deadline else None
    source_key = _referenced_key(reader, "source")

    def unit(alias: Any) -> str | None:
        return units.resolve(system, alias, day) if alias not in (None, "") else None

    return Task(
        source_id=source_id,
        title=reader.text("title") or "",
        task_class=reader.value("task_class"),
        source_document=source_key,
        source_document_abstract=reader.text("source_abstract"),
        assigning_text=reader.text("assigning_text"),
        lead_unit_id=unit(reader.raw_value("lead_unit")) or "",
        coordinating_unit_ids=tuple(
            u for u in (unit(a) for a in _as_list(reader.raw_value("coordinating_units"))) if u
        ),
        monitor_unit_id=unit(reader.raw_value("monitor_unit")),
        deadline=deadline,
        deadline_whole_day=deadline is not None and _given_as_date(reader, "deadline"),
        original_deadline=reader.value("original_deadline"),
        extended_at=_latest_instant(reader, "extended_at"),
        status=reader.value("status") or "not_started",
        completed_at=reader.value("completed_at"),
        # The model reads the number (and refuses text, fractions and out-of-range values,
        # naming the field) rather than int() here, which names nothing.
        revision=reader.raw_value("revision") or 0,
        notes=reader.text("notes"),
        changed_at=changed_at,
    )


def _given_as_date(reader: Reader, name: str) -> bool:
    """The field's raw value is a date without a time of day (already read successfully)."""
    spec = reader.mapping.fields[name]
    try:
        return due.date_only(spec.dig(reader.raw), spec.format) is not None
    except (ValueError, TypeError):
        return False


def _latest_instant(reader: Reader, name: str) -> datetime | None:
    """The latest of the instants a ``*`` path finds (one per extension request)."""
    raw = reader.raw_value(name)
    if not isinstance(raw, list):
        return reader.value(name)
    spec = reader.mapping.fields[name]
    moments = []
    for item in raw:
        if item in (None, ""):
            continue
        try:
            moments.append(read_instant(item, spec.format))
        except (ValueError, TypeError) as exc:
            raise FieldProblem(name, spec, item, f"not a valid date and time: {exc}") from None
    return max(moments, default=None)


# --- the entry point -----------------------------------------------------------------------


def normalize(
    raw: dict[str, Any],
    mapping: StreamMapping,
    units: UnitTable,
    *,
    seen_at: datetime,
    policy: DeadlinePolicy | None = None,
    calendar: CalendarSource | None = None,
) -> Outcome:
    """One raw record → ``Normalized``, ``Rejected`` or ``SecretSkipped``; never raises for
    anything the record contains. ``policy`` places date-only deadlines (default: the
    settings' ``[deadline_policy]``) on the working calendar ``calendar`` gives (default:
    loaded per deadline; ingest loads it once per page)."""
    if not isinstance(raw, dict):
        return Rejected(f"sha256:{content_hash(repr(raw))}", "record is not an object")
    # The guard comes before anything else is read (see the module docstring).
    if secrecy_guard.secrecy_of(raw, mapping).is_secret:
        return secrecy_guard.secret_skip(raw, mapping, units, seen_at)

    source_id_raw = mapping.source_id.dig(raw)
    if source_id_raw in (None, ""):
        return Rejected(f"sha256:{content_hash(raw)}", "field 'source_id': missing (value: None)")
    source_id = str(source_id_raw).strip()
    reader = Reader(raw, mapping, policy, calendar)
    where = f"{mapping.system}/{mapping.stream} {source_id}"
    try:
        changed_at = _changed_at(raw, mapping)
        if mapping.model == "document":
            document = _document(reader, source_id, units, changed_at)
            return Normalized(source_id, document, changed_at=changed_at)
        if mapping.model == "directive":
            directive, assignments = _directive(reader, source_id, units, changed_at)
            return Normalized(source_id, directive, assignments, changed_at)
        return Normalized(source_id, _task(reader, source_id, units, changed_at), (), changed_at)
    except ValidationError as exc:
        return Rejected(source_id, describe_validation_error(exc, where))
    except (FieldProblem, ValueError, TypeError) as exc:
        return Rejected(source_id, f"{where}: {exc}")


def _changed_at(raw: dict[str, Any], mapping: StreamMapping) -> datetime | None:
    spec = mapping.changed_at
    value = spec.dig(raw) if spec else None
    if spec is None or value in (None, ""):
        return None
    try:
        return read_instant(value, spec.format)
    except (ValueError, TypeError) as exc:
        raise FieldProblem("changed_at", spec, value, f"not a valid date and time: {exc}") from None
