"""The periodic report's facts, assembled from the store's rows (docs/domain.md §7); the
queries themselves are in ``store/report_queries.py``.

* tasks: ``load_facts`` joins each task with its linked documents: received = the linked
  source document's ``received_at``; completion = the first linked response's ``issued_at``;
  work started = the first directive on the source document;
* documents: ``load_documents`` reads the incoming documents with their deadline, their
  assignments (main and coordinating handlers) and their answering document, found as
  reconcile finds it (a reference, the edXML ResponseFor, or the number quoted);
* ``task_deadline_history``: the one place that says whether a task's deadline was extended;
* secret documents: only the counts of ``secret_skips``;
* unit names: the store's ``units`` table over the unit table file.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Connection

from mappings.units import load_unit_table
from pipelines import extensions, reconcile
from pipelines.report_documents import AssignmentFacts, DocumentFacts
from pipelines.report_tasks import DeadlineHistory, TaskFacts
from schemas import LinkRole
from store import report_queries


def load_facts(conn: Connection) -> list[TaskFacts]:
    """Every task, joined with the documents linked to it (earliest one per role)."""
    linked = report_queries.task_links(conn)
    directed = _first_directives(conn)
    received: dict[int, datetime | None] = {}
    assigned: dict[int, datetime | None] = {}
    responses: dict[int, tuple[datetime, str]] = {}
    for link in linked:
        if link.role == LinkRole.SOURCE.value:
            previous = received.get(link.task_id)
            received[link.task_id] = _earliest(previous, link.received_at)
            directive = directed.get((link.system, link.source_id))
            assigned[link.task_id] = _earliest(assigned.get(link.task_id), directive)
        elif link.role == LinkRole.RESPONSE.value and link.issued_at is not None:
            # Should reconcile ever link a second response, the first issued completed it.
            earlier = responses.get(link.task_id)
            if earlier is None or link.issued_at < earlier[0]:
                responses[link.task_id] = (link.issued_at, f"{link.number}/{link.notation}")
    facts = []
    for t in report_queries.all_tasks(conn):
        issued, code = responses.get(t.id, (None, None))
        facts.append(
            TaskFacts(
                source_id=t.source_id, title=t.title, unit_id=t.lead_unit_id,
                deadline=t.deadline, tracking_status=t.status,
                tracking_completed_at=t.completed_at, notes=t.notes,
                source_document_id=t.source_document_id, received_at=received.get(t.id),
                has_source_link=t.id in received, response_issued_at=issued, response_code=code,
                assigned_at=assigned.get(t.id),
                coordinating_unit_ids=tuple(t.coordinating_unit_ids or ()),
                deadline_whole_day=t.deadline_whole_day,
            )
        )  # fmt: skip
    return facts


def task_deadline_history(conn: Connection) -> dict[str, DeadlineHistory]:
    """Task source id → its original deadline and whether it was extended, from the deadline
    history reconcile keeps (``extensions.record_deadlines``): a task with extensions counted,
    or whose original deadline differs from the one in force, was extended."""
    original_of = extensions.originals(conn)
    history: dict[str, DeadlineHistory] = {}
    rows = report_queries.task_deadlines(conn)
    for row in rows:
        original = original_of.get(row.id) or row.original_deadline
        extended = row.extension_count > 0 or (
            original is not None and row.deadline is not None and original != row.deadline
        )
        if extended:
            history[row.source_id] = DeadlineHistory(original, True)
    return history


def load_documents(conn: Connection) -> list[DocumentFacts]:
    """Incoming documents with their handlers and answering document (outgoing documents are
    read only to find the answers)."""
    docs = report_queries.all_documents(conn)
    incoming = [reconcile.doc_from_row(r) for r in docs if r.direction == "incoming"]
    outgoing = [reconcile.doc_from_row(r) for r in docs if r.direction == "outgoing"]
    # The same linking reconcile uses for tasks, so a document and its task agree on when
    # they were done; an ambiguous answer is no answer here either.
    answers, _ambiguous = reconcile.match_responses(outgoing, incoming)
    by_document: dict[tuple[str, str], list[AssignmentFacts]] = defaultdict(list)
    for a in report_queries.all_assignments(conn):
        by_document[(a.system, a.document_source_id)].append(
            AssignmentFacts(a.directive_source_id, a.unit_id, a.role, a.assigned_at)
        )
    directed = _first_directives(conn)
    facts = []
    for row in docs:
        if row.direction != "incoming":
            continue
        answer = answers.get(row.id)
        response = answer[1] if answer else None
        facts.append(
            DocumentFacts(
                system=row.system, source_id=row.source_id,
                code=f"{row.number}/{row.notation}", abstract=row.abstract,
                receiving_unit_id=row.unit_id, received_at=row.received_at,
                explicit_deadline=row.stated_deadline, computed_deadline=row.computed_deadline,
                deadline_rule=row.deadline_rule,
                response_issued_at=response.issued_at if response else None,
                response_code=f"{response.number}/{response.notation}" if response else None,
                first_directed_at=directed.get((row.system, row.source_id)),
                assignments=tuple(by_document.get((row.system, row.source_id), ())),
            )
        )  # fmt: skip
    return facts


def _first_directives(conn: Connection) -> dict[tuple[str, str], datetime]:
    """(system, document source id) → when leadership first directed who handles it."""
    return report_queries.first_directives(conn)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(a, b) if a is not None and b is not None else a or b


def load_secret_skips(conn: Connection) -> list[tuple[str, object, int]]:
    """(unit id, day, count) rows; the unit id is "" when it could not be read."""
    return list(report_queries.secret_skip_counts(conn))


def load_unit_names(conn: Connection) -> dict[str, str]:
    """Canonical unit id → name: the store's ``units`` table over the unit table file."""
    names = {unit.id: unit.name for unit in load_unit_table().units.values()}
    names.update(report_queries.unit_names(conn))
    return names
