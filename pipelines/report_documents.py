"""Incoming documents with a processing deadline as report items (docs/domain.md §4, §6, §7).
Pure.

A document counts for its **main handler** (xử lý chính) named by the leadership directive in
force, the latest one that names a main handler; the coordinating units (phối hợp) of that
directive are shown beside it. A document no directive has assigned yet counts for the unit
that received it. Its deadline is the explicit one (the structured field), else the one the
bridge computed (stated in the text, or the 5-working-day default). It is done when its
answering document is issued.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pipelines.report_items import KIND_DOCUMENT, ReportItem
from schemas import HandlerRole

RULE_EXPLICIT = "explicit"


@dataclass(frozen=True)
class AssignmentFacts:
    directive_source_id: str | None
    unit_id: str
    role: str  # a HandlerRole value
    assigned_at: datetime | None


@dataclass(frozen=True)
class DocumentFacts:
    system: str
    source_id: str
    code: str  # "1866/SXD-VP"
    abstract: str
    receiving_unit_id: str | None
    received_at: datetime | None
    explicit_deadline: datetime | None  # the structured field (hạn xử lý)
    computed_deadline: datetime | None  # computed by the bridge (stated text or the default)
    deadline_rule: str | None
    response_issued_at: datetime | None = None
    response_code: str | None = None
    first_directed_at: datetime | None = None
    assignments: tuple[AssignmentFacts, ...] = ()


def handlers(doc: DocumentFacts) -> tuple[str, tuple[str, ...]]:
    """(main handler, coordinating units) of the assignment in force."""
    mains = [a for a in doc.assignments if a.role == HandlerRole.MAIN.value]
    if not mains:
        return doc.receiving_unit_id or "", ()
    latest = max(mains, key=lambda a: (a.assigned_at is not None, a.assigned_at or 0))
    coordinating = tuple(
        dict.fromkeys(
            a.unit_id
            for a in doc.assignments
            if a.role == HandlerRole.COORDINATING.value
            and a.directive_source_id == latest.directive_source_id
            and a.unit_id != latest.unit_id
        )
    )
    return latest.unit_id, coordinating


def document_items(docs: Iterable[DocumentFacts]) -> list[ReportItem]:
    """The documents with a processing deadline; one without any (no calendar for its year)
    cannot be on time or late and is left out."""
    items = []
    for doc in docs:
        deadline = doc.explicit_deadline or doc.computed_deadline
        if deadline is None:
            continue
        unit, coordinating = handlers(doc)
        first_assigned = min(
            (a.assigned_at for a in doc.assignments if a.assigned_at is not None), default=None
        )
        started = [t for t in (doc.first_directed_at, first_assigned) if t is not None]
        items.append(
            ReportItem(
                kind=KIND_DOCUMENT, item_id=doc.source_id, code=doc.code, title=doc.abstract,
                unit_id=unit, deadline=deadline, received_at=doc.received_at,
                completed_at=doc.response_issued_at, response_code=doc.response_code,
                started_at=min(started) if started else None, coordinating_unit_ids=coordinating,
                deadline_rule=RULE_EXPLICIT if doc.explicit_deadline else doc.deadline_rule,
            )
        )  # fmt: skip
    return items
