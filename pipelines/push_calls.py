"""What each outbox operation sends: a row's payload turned into one connector call.

Payloads by operation (what reconcile writes):

* ``report_completion``: ``task_id``, ``completed_at`` (ISO), ``evidence`` {NumberNotation,
  IssuerCode, IssuedAt, Abstract}
* ``report_progress``: ``task_id``, ``text``, ``percent``, ``reported_at``
* ``request_extension``: ``task_id``, ``reason``, ``proposed_deadline``
* ``set_processing_deadline``: ``document_id``, ``deadline`` (YYYY-MM-DD)

A payload that cannot be built (a field missing or of the wrong kind, a character the target's
wire format cannot carry) is a ``PayloadError`` naming the field, never its content. Nothing is
sanitised on the way: what cannot be sent as it is fails, so nobody's text is altered silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from connectors.http import FatalError
from store.queries import ClaimedRow


class PayloadError(FatalError):
    """A row's payload cannot be turned into the call: a field is missing, of the wrong kind,
    or holds a character the wire format cannot carry. Retrying cannot fix it: the row is dead
    at once, its reason naming the field (never its content)."""


# --- building one row's call --------------------------------------------------------------


def _xml_unsafe(text: str) -> tuple[int, str] | None:
    """The first character XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/F)
    as (offset, "U+XXXX"); None when the text can be sent as it is."""
    for offset, char in enumerate(text):
        code = ord(char)
        if code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD:
            continue
        if code >= 0x10000:
            continue
        return offset, f"U+{code:04X}"
    return None


class _Payload:
    """Typed access to a row's payload; every problem names the field, never its value."""

    def __init__(self, row: ClaimedRow, *, xml: bool) -> None:
        self.row = row
        self.xml = xml  # the target speaks XML (SOAP): refuse what XML cannot carry

    def _error(self, path: str, problem: str) -> PayloadError:
        row = self.row
        return PayloadError(row.target_system, row.operation, f"payload field {path!r} {problem}",
                            record=row.target_id)  # fmt: skip

    def value(self, path: str) -> Any:
        current: Any = self.row.payload
        for part in path.split("."):
            if not isinstance(current, Mapping) or current.get(part) is None:
                raise self._error(path, "is missing")
            current = current[part]
        return current

    def text(self, path: str, *, required: bool = True) -> str | None:
        try:
            value = self.value(path)
        except PayloadError:
            if required:
                raise
            return None
        if not isinstance(value, str):
            raise self._error(path, f"is of type {type(value).__name__}, not text")
        unsafe = _xml_unsafe(value) if self.xml else None
        if unsafe:
            offset, code = unsafe
            raise self._error(
                path,
                f"holds a character XML cannot carry ({code} at offset {offset}); correct it "
                "at its source — the bridge never alters what it sends",
            )
        return value

    def instant(self, path: str) -> datetime:
        try:
            return datetime.fromisoformat(self.text(path) or "")
        except ValueError:
            raise self._error(path, "is not an ISO 8601 instant") from None

    def day(self, path: str) -> date:
        try:
            return date.fromisoformat(self.text(path) or "")
        except ValueError:
            raise self._error(path, "is not an ISO 8601 date (YYYY-MM-DD)") from None

    def integer(self, path: str) -> int:
        value = self.value(path)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self._error(path, f"is of type {type(value).__name__}, not a whole number")
        try:
            return int(value)
        except ValueError:
            raise self._error(path, "is not a whole number") from None


def build_call(row: ClaimedRow, connector: Any) -> Callable[[], dict[str, Any]]:
    """The write ``row`` asks for, ready to send; ``PayloadError`` if it cannot be built."""
    p = _Payload(row, xml=getattr(connector, "wire_format", None) == "xml")
    key = row.idempotency_key
    if row.operation == "report_completion":
        evidence: dict[str, Any] = {
            "NumberNotation": p.text("evidence.NumberNotation"),
            "IssuerCode": p.text("evidence.IssuerCode"),
            "IssuedAt": p.instant("evidence.IssuedAt"),
        }
        abstract = p.text("evidence.Abstract", required=False)
        if abstract is not None:
            evidence["Abstract"] = abstract
        task_id, completed_at = p.text("task_id"), p.instant("completed_at")
        return lambda: connector.report_completion(task_id, key, evidence, completed_at)
    if row.operation == "report_progress":
        task_id, text = p.text("task_id"), p.text("text")
        percent, reported_at = p.integer("percent"), p.instant("reported_at")
        return lambda: connector.report_progress(task_id, key, text, percent, reported_at)
    if row.operation == "request_extension":
        task_id, reason = p.text("task_id"), p.text("reason")
        proposed = p.instant("proposed_deadline")
        return lambda: connector.request_extension(task_id, key, reason, proposed)
    if row.operation == "set_processing_deadline":
        document_id = p.value("document_id")
        if isinstance(document_id, str):
            document_id = p.text("document_id")
        deadline = p.day("deadline")
        return lambda: connector.set_processing_deadline(document_id, deadline, key)
    raise PayloadError(row.target_system, row.operation, "unknown outbox operation",
                       record=row.target_id)  # fmt: skip
