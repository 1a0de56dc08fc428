"""The connector contract: what every system's connector offers and declares.

A connector is one module per system (``connectors/<system>.py``). It knows nothing of our
settings, store or mappings; it reads and writes raw records of its system. What differs
between systems is *declared* here (``Capabilities``), never special-cased by system name in
the pipelines: which streams can be read one record at a time, which outbox operations the
system accepts, how a write is seen applied when the record is read back, and the wire format
its writes travel in (push refuses text that format cannot carry).

The writes each carry an idempotency key, so a write whose answer was lost is sent again and
applied once (docs/domain.md §5). A connector offers only the writes its ``capabilities``
name; push calls them by operation name (``pipelines/push_calls.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from connectors.http import RawPage

WireFormat = Literal["json", "xml"]


@dataclass(frozen=True)
class ReadBack:
    """How push sees that a write was applied: read ``stream``'s record named by the payload's
    ``record_field`` and look at ``fields`` (dotted paths, the first one present counts).

    With ``expected`` (a payload field) the value read must start with the payload's value
    (a deadline ``2024-02-15`` matches ``2024-02-15T17:00:00+07:00``); without it, any
    non-empty value shows the write applied (a completion recorded)."""

    stream: str
    record_field: str
    fields: tuple[str, ...]
    expected: str | None = None


@dataclass(frozen=True)
class Capabilities:
    """What a connector can do, declared once beside it."""

    # Streams whose records can be read one by one (``read_one``): re-reading rejected
    # records and resync by ids use it; other streams are repaired by resyncing a range.
    read_one: frozenset[str] = frozenset()
    # Outbox operations the system accepts (report_completion, report_progress,
    # request_extension, set_processing_deadline): each is a method of the same name.
    writes: frozenset[str] = frozenset()
    # Per write operation, how its effect is read back; a write without one is confirmed by
    # its own answer only.
    read_back: dict[str, ReadBack] = field(default_factory=dict)


@runtime_checkable
class Connector(Protocol):
    """One external system. ``system`` is its registered name; ``streams`` the streams it can
    list; ``wire_format`` what its writes are encoded as."""

    system: ClassVar[str]
    streams: ClassVar[tuple[str, ...]]
    wire_format: ClassVar[WireFormat]
    capabilities: ClassVar[Capabilities]

    def check(self) -> str:
        """Connect, authenticate and read one page; a line saying what was seen."""
        ...

    def list_changed(self, stream: str, marker: str | None = None) -> Iterator[RawPage]:
        """Every record of ``stream`` changed at or after ``marker``, oldest change first, a
        page at a time; a record that is not one is a ``BadRecord`` in its page."""
        ...

    def read_one(self, stream: str, source_id: Any) -> dict[str, Any]:
        """One record of ``stream`` by its id (only for ``capabilities.read_one`` streams)."""
        ...


class TaskWrites(Protocol):
    """The writes of a task-tracking system, each with its idempotency key."""

    def report_completion(
        self, task_id: str, idempotency_key: str, evidence: dict[str, Any], completed_at: datetime
    ) -> dict[str, Any]: ...

    def report_progress(
        self, task_id: str, idempotency_key: str, text: str, percent: int, reported_at: datetime
    ) -> dict[str, Any]: ...

    def request_extension(
        self, task_id: str, idempotency_key: str, reason: str, proposed_deadline: datetime
    ) -> dict[str, Any]: ...


class DeadlineWrites(Protocol):
    """The write of an e-office system: a processing deadline on a document that has none."""

    def set_processing_deadline(
        self, document_id: Any, deadline: date, idempotency_key: str
    ) -> dict[str, Any]: ...


class UnreadableOneByOne(ValueError):
    """``read_one`` was asked for a stream the connector does not declare in ``read_one``."""

    def __init__(self, system: str, stream: str) -> None:
        super().__init__(f"{system} reads single records of {stream!r} not at all; resync a range")


Role = Literal["documents", "tasks"]


@dataclass(frozen=True)
class SystemSpec:
    """One system, declared once (``connectors/registry.py``): everything the rest of the
    bridge asks about it.

    ``role``: ``documents`` for an e-office system holding documents and directives (iOffice,
    iDesk), ``tasks`` for the task-tracking system the bridge reports to (docs/domain.md §1).
    ``connector`` is the class, built by its ``from_settings(section, **connection)``;
    ``settings_model`` the model of its settings section. Its streams are its mapping files,
    ``mappings/<name>/<stream>.toml`` or, for a system kept outside the package,
    ``<mappings_dir>/<name>/<stream>.toml``."""

    name: str
    label: str
    role: Role
    connector: type
    settings_model: type
    mappings_dir: Path | None = None  # for systems registered from outside the package
