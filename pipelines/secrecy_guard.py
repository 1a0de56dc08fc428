"""The secrecy guard: is this raw record secret, and if so what little leaves with it.

docs/domain.md §3. Every stream of every system (incoming, outgoing, directives, tasks) goes
through ``secrecy_of`` before normalize reads any other field. A record is secret when

* its secrecy field (``secrecy`` in the mapping) holds a secret level, or a code the mapping
  does not know (losing a document from sync is recoverable, leaking one is not); or
* a stamp stands in one of its header fields: ``marks`` and every path the mapping lists in
  ``stamp_fields`` (abstract, title, urgency text...), read by ``secrecy.find_secrecy``.

What leaves with a secret record is ``SecretSkipped``: the unit and the day to count it under
(the day it was received; a reply: issued; a directive: written; the wall clock only when the
record says none of these), and, in memory only, its identity and what a secret reply answers,
which the store turns into keyed digests (store/secret_digests.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from mappings.loader import FieldSpec, StreamMapping
from mappings.units import UnitTable
from pipelines import secrecy, secret_answers
from pipelines.calendar import LOCAL_TZ
from schemas import Secrecy


@dataclass(frozen=True)
class SecretSkipped:
    """All that leaves normalize of a secret document: where and when to count it.

    ``identity`` (system, stream and source id, or the content hash when the record has no id)
    and ``answers`` (what a secret reply answers, in the forms reconcile links by) exist only
    in memory, to be turned into keyed digests by the store (``store/secret_digests.py``); they
    are kept out of ``repr`` and equality so no log or message can ever print them.
    """

    unit_id: str
    day: date
    identity: tuple[str, ...] = field(default=(), repr=False, compare=False)
    answers: frozenset[tuple[str, ...]] = field(default=frozenset(), repr=False, compare=False)


_RANK = {Secrecy.NONE: 0, Secrecy.CONFIDENTIAL: 1, Secrecy.SECRET: 2, Secrecy.TOP_SECRET: 3}
_DAY_FIELDS = ("received_at", "issued_at", "created_at", "promulgation_date")


def _dig(raw: dict[str, Any], mapping: StreamMapping, name: str) -> Any:
    spec = mapping.fields.get(name)
    return spec.dig(raw) if spec else None


def secrecy_of(raw: dict[str, Any], mapping: StreamMapping) -> Secrecy:
    """Secrecy by field, then by stamp in the header fields; the highest level found."""
    spec = mapping.fields.get("secrecy")
    if spec is not None:
        value = spec.dig(raw)
        if value not in (None, ""):
            translated = mapping.translate(spec.codes, value) if spec.codes else str(value)
            try:
                level = Secrecy(translated) if translated else Secrecy.TOP_SECRET
            except ValueError:
                level = Secrecy.TOP_SECRET
            if level.is_secret:
                return level
    stamps = [stamp_spec.dig(raw) for stamp_spec in mapping.stamp_fields]
    level = Secrecy.NONE
    for value in [_dig(raw, mapping, "marks"), *stamps]:
        for text in value if isinstance(value, list) else [value]:
            found = secrecy.find_secrecy(text) if isinstance(text, str) else None
            if found is not None and _RANK[Secrecy(found)] > _RANK[level]:
                level = Secrecy(found)
    return level


def _local_day(value: Any, spec: FieldSpec) -> date:
    """The local day of a date or instant as the mapping formats it (only the day is kept)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value
    elif spec.format in (None, "iso", "local"):
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    else:
        pattern = {"edxml_date": "%Y/%m/%d", "edxml_timestamp": "%Y/%m/%d %H:%M:%S"}
        moment = datetime.strptime(str(value).strip(), pattern.get(spec.format, spec.format))
    return moment.astimezone(LOCAL_TZ).date() if moment.tzinfo else moment.date()


def _secret_day(raw: dict[str, Any], mapping: StreamMapping, seen_at: datetime) -> date:
    specs = [mapping.fields.get(name) for name in _DAY_FIELDS] + [mapping.changed_at]
    for spec in specs:
        value = spec.dig(raw) if spec else None
        if spec is None or value in (None, ""):
            continue
        try:
            return _local_day(value, spec)
        except (ValueError, TypeError, OverflowError):
            continue  # unreadable: try the next; never reported (the report would be a leak)
    return seen_at.astimezone(LOCAL_TZ).date()


def secret_skip(
    raw: dict[str, Any], mapping: StreamMapping, units: UnitTable, seen_at: datetime
) -> SecretSkipped:
    # Only the handling unit's id and the day are read, and only to count; a value that fails
    # to read is counted under the unknown unit rather than reported (the report would be a
    # leak). The identity and what a reply answers stay in memory (see SecretSkipped).
    alias = (
        _dig(raw, mapping, "unit")
        or _dig(raw, mapping, "main_unit")
        or _dig(raw, mapping, "lead_unit")
    )
    day = _secret_day(raw, mapping, seen_at)
    unit = units.resolve(mapping.system, alias, day) if isinstance(alias, str | int) else None
    source_id = mapping.source_id.dig(raw)
    if isinstance(source_id, str | int) and str(source_id).strip():
        identity = (mapping.system, mapping.stream, str(source_id).strip())
    else:
        # No id: the content stands for it (escaped, so no text of any kind can make it fail).
        canonical = json.dumps(raw, sort_keys=True, default=str)
        digest = hashlib.sha256(canonical.encode("ascii")).hexdigest()
        identity = (mapping.system, mapping.stream, f"sha256:{digest}")
    answers: frozenset[tuple[str, ...]] = frozenset()
    if mapping.direction == "outgoing":
        answers = secret_answers.answered_by(raw, mapping)
    return SecretSkipped(unit_id=unit or "", day=day, identity=identity, answers=answers)
