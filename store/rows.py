"""Canonical models → table rows. One function per table; no I/O."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from schemas import Assignment, Directive, Document, Task


def new_mark() -> str:
    """A fresh mark for a written document, directive or task: the next reconcile reads the
    rows marked and clears the mark it read, so a row written again meanwhile stays marked
    (pipelines/reconcile_scope.py). Random rather than a time: ingest runs on the caller's
    clock, which a simulator moves."""
    return secrets.token_hex(8)


class SecretDocumentRefused(ValueError):
    """A secret document reached the store. It must have been dropped at normalize."""


def document_row(doc: Document, now: datetime) -> dict[str, Any]:
    if doc.secrecy.is_secret:
        # Defence in depth: the secrecy guard in normalize drops these; reaching here is a bug.
        # The message names only the system and source id, never a field of the document.
        raise SecretDocumentRefused(
            f"{doc.system}/{doc.source_id}: a secret document must never be stored"
        )
    signer = doc.signer
    return {
        "system": str(doc.system),
        "source_id": doc.source_id,
        "direction": doc.direction.value,
        "document_id": doc.key.document_id,
        "organ_id": doc.key.organ_id,
        "promulgation_date": doc.key.promulgation_date,
        "number": doc.key.number,
        "notation": doc.key.notation,
        "doc_type": doc.doc_type.value,
        "abstract": doc.abstract,
        "urgency": doc.urgency.value,
        "signer_name": signer.full_name if signer else None,
        "signer_position": signer.position if signer else None,
        "signer_competence": signer.competence if signer else None,
        "place": doc.place,
        "received_at": doc.received_at,
        "incoming_number": doc.incoming_number,
        "issued_at": doc.issued_at,
        "stated_deadline": doc.stated_deadline,
        "response_for_document_id": doc.response_for.document_id if doc.response_for else None,
        "response_for_source_id": doc.response_for_source_id,
        "unit_id": doc.unit_id,
        "changed_at": doc.changed_at,
        "updated_at": now,
        "reconcile_mark": new_mark(),
    }


def directive_row(directive: Directive, now: datetime) -> dict[str, Any]:
    return {
        "system": str(directive.system),
        "source_id": directive.source_id,
        "document_source_id": directive.document_source_id,
        "title": directive.title,
        "content": directive.content,
        "author": directive.author,
        "created_at": directive.created_at,
        "changed_at": directive.changed_at,
        "updated_at": now,
        "reconcile_mark": new_mark(),
    }


def assignment_row(assignment: Assignment, now: datetime) -> dict[str, Any]:
    return {
        "system": str(assignment.system),
        "document_source_id": assignment.document_source_id,
        "directive_source_id": assignment.directive_source_id,
        "unit_id": assignment.unit_id,
        "role": assignment.role.value,
        "assigned_at": assignment.assigned_at,
        "updated_at": now,
    }


def task_row(task: Task, now: datetime) -> dict[str, Any]:
    source = task.source_document
    return {
        "system": "tracking",
        "source_id": task.source_id,
        "title": task.title,
        "task_class": task.task_class.value,
        "source_document_id": source.document_id if source else None,
        "source_document_abstract": task.source_document_abstract,
        "assigning_text": task.assigning_text,
        "lead_unit_id": task.lead_unit_id,
        "coordinating_unit_ids": list(task.coordinating_unit_ids),
        "monitor_unit_id": task.monitor_unit_id,
        "deadline": task.deadline,
        "deadline_whole_day": task.deadline_whole_day,
        "original_deadline": task.original_deadline,
        "extended_at": task.extended_at,
        "status": task.status.value,
        "completed_at": task.completed_at,
        "revision": task.revision,
        "notes": task.notes,
        "changed_at": task.changed_at,
        "updated_at": now,
        "reconcile_mark": new_mark(),
    }
