"""Which task a secret reply answers, without keeping anything of the reply (docs/domain.md §3).

A secret outgoing document is never stored, so reconcile cannot link it like any other reply.
Yet the task it answers must not look unanswered: it is done, and the unit must report it
through the secret channel. So when the guard skips a secret reply it notes, in memory only,
*what it answers* in the same forms reconcile links replies by (docs/domain.md §5):

* ``("ref", system, source id)``: the e-office system's explicit reference to the incoming
  document (reconcile's ``reference``);
* ``("code", number, notation, day)``: the answered document's number and notation, with its
  date when the reply gives one (ResponseFor, or the number quoted in the abstract:
  ``number_match``); ``day`` is "" when only the number is known.

The store keeps only a keyed digest of each form (``store/secret_digests.py``), never the form
itself. Reconcile computes the same forms for each task's source document and looks their
digests up: a hit means "this task's answer exists and is secret". Nothing about the reply —
its id, number, abstract, date — can be read back from a digest. A number quoted without a date
may match a document of another year with the same number; the task then shows the failure
too, which an official clears by reporting through the secret channel (a false alarm, never a
leak and never a wrong completion).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from mappings.loader import StreamMapping
from pipelines import legacy_text
from pipelines.parsing import parse_number_notation

# "văn bản số 1866/SXD-VP ngày 26/1/2024": the answered document quoted in an abstract.
QUOTED = re.compile(
    r"số\s+(?P<code>\d{1,6}(?:/\d{4})?/[^\s,;]+)(?:\s+ngày\s+(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4}))?",
    re.IGNORECASE,
)

Form = tuple[str, ...]


def fold_code(number: str, notation: str) -> tuple[str, str]:
    """Number and notation as compared across systems: no leading zeros, upper case, Đ→D."""
    folded = unicodedata.normalize("NFC", notation).upper().replace("Đ", "D").replace(" ", "")
    return str(int(number)) if number.isdigit() else number.upper(), folded


def _code_forms(text: Any, day: date | None) -> set[Form]:
    if not isinstance(text, str | int):
        return set()
    parsed = parse_number_notation(str(text))
    if parsed is None:
        return set()
    number, notation = fold_code(parsed.number, parsed.notation)
    return {("code", number, notation, day.isoformat() if day else "")}


def answered_by(raw: dict[str, Any], mapping: StreamMapping) -> frozenset[Form]:
    """What the secret reply ``raw`` answers, in every form it states; never raises."""
    forms: set[Form] = set()

    def value(name: str) -> Any:
        spec = mapping.fields.get(name)
        return spec.dig(raw) if spec else None

    try:
        reference = value("response_for_source_id")
        if isinstance(reference, str | int) and str(reference).strip():
            forms.add(("ref", mapping.system, str(reference).strip()))
        day = None
        raw_day = value("response_for_date")
        if isinstance(raw_day, str) and raw_day.strip():
            try:
                day = date.fromisoformat(raw_day.strip()[:10].replace("/", "-"))
            except ValueError:
                day = None
        forms |= _code_forms(value("response_for_number_notation"), day)
        abstract = value("abstract")
        if isinstance(abstract, str):
            match = QUOTED.search(legacy_text.to_unicode(abstract))
            if match:
                quoted = None
                if match["d"]:
                    try:
                        quoted = date(int(match["y"]), int(match["m"]), int(match["d"]))
                    except ValueError:
                        quoted = None
                forms |= _code_forms(match["code"], quoted)
    except (ValueError, TypeError, RecursionError):
        pass  # what cannot be read is not linked; it is still counted and skipped
    return frozenset(forms)


def forms_of_source(
    system: str, source_id: str, number: str, notation: str, day: date
) -> set[Form]:
    """The forms under which a reply to this incoming document would have been noted."""
    code = fold_code(number, notation)
    return {
        ("ref", system, source_id),
        ("code", *code, day.isoformat()),
        ("code", *code, ""),
    }
