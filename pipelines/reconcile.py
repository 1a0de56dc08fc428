"""Reconcile: link tasks to their documents, derive their status, decide what to push.

docs/domain.md §5. For each tracking task:

1. its **source document**: the incoming document whose key (issuer, date, number, notation)
   matches the task's, compared tolerantly (leading zeros, case, D typed for Đ);
2. its **response document** (văn bản hoàn thành): an outgoing document that answers the
   source, found by an explicit reference in the e-office system (``reference``), an edXML
   ResponseFor key (``response_for``), or the number and date quoted in its abstract
   ("V/v phúc đáp văn bản số 1866/SXD-VP ngày 26/1/2024", ``number_match``). Two candidates
   found the same way are never guessed between: the task is reported as ambiguous;
3. its **derived status** at ``now``, completion time being the response's issue time;
4. the **outbox**: a completion report for every answered task the tracking system does not
   show as done, keyed so that running reconcile again wishes the same thing, not a second;
   and, once a task enters the at-risk window with no response, an early warning (a progress
   report carrying the last known percentage) and, if the agency enables it, an extension
   request — one of each per deadline.

Incoming documents that have no processing deadline get one computed (docs/domain.md §6;
the directive's text first, else the agency default) and written back to the e-office system
while it is still ahead of us.

The decisions are pure (``plan``, in ``reconcile_plan.py``); ``reconcile`` loads the store
(``store/reconcile_queries.py``), plans and writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from connectors import registry
from pipelines import due, extensions
from pipelines.reconcile_plan import (  # noqa: F401 - re-exported, where callers find them
    AtRiskActions,
    AtRiskSettings,
    Doc,
    Link,
    Plan,
    TaskRow,
    _responses,
    fold_code,
    plan,
)
from pipelines.secret_answers import forms_of_source
from schemas import LinkRole
from store import queries, reconcile_queries, secret_digests
from store.queries import OutboxItem

# No [at_risk] settings given: warn, request no extension (the settings' defaults).
DEFAULT_ACTIONS = AtRiskActions()


# --- the store around it -------------------------------------------------------------------


@dataclass
class ReconcileReport:
    tasks: int
    linked_source: int
    linked_response: int
    completions_queued: int
    deadlines_queued: int
    ambiguous: list[str]
    unlinked: list[str]
    warnings_queued: int = 0
    extensions_queued: int = 0
    calendar_failures: int = 0
    secret_answers: int = 0


def doc_from_row(row: Any) -> Doc:
    """A ``documents`` row as reconcile reads it."""
    return Doc(
        id=row.id, system=row.system, source_id=row.source_id, direction=row.direction,
        document_id=row.document_id, organ_id=row.organ_id, day=row.promulgation_date,
        number=row.number, notation=row.notation, abstract=row.abstract,
        received_at=row.received_at, issued_at=row.issued_at,
        stated_deadline=row.stated_deadline,
        response_for_document_id=row.response_for_document_id,
        response_for_source_id=row.response_for_source_id,
    )  # fmt: skip


def reconcile(
    engine: Engine,
    now: datetime | None = None,
    actions: AtRiskActions = DEFAULT_ACTIONS,
) -> ReconcileReport:
    moment = now or datetime.now(UTC)
    with engine.connect() as conn:
        docs = [doc_from_row(row) for row in reconcile_queries.all_documents(conn)]
        task_rows = [
            TaskRow(r.id, r.source_id, r.source_document_id, r.deadline, r.status,
                    r.completed_at, r.deadline_whole_day)
            for r in reconcile_queries.all_tasks(conn)
        ]  # fmt: skip
        texts = reconcile_queries.directive_texts(conn)
    incoming = [d for d in docs if d.direction == "incoming"]
    outgoing = [d for d in docs if d.direction == "outgoing"]
    policy = due.active_policy()  # the agency's [deadline_policy]: end of office hours...
    decided = plan(
        task_rows, incoming, outgoing, moment, texts, policy, actions,
        secretly_answered=_secret_answer_lookup(engine, moment),
    )  # fmt: skip
    _keep_last_percent(engine, decided.outbox)
    _write(engine, decided, moment)
    queries.replace_calendar_failures(engine, decided.failures, moment)
    extensions.record_deadlines(engine, moment, policy)  # history and review milestones
    queued = {
        operation: queries.enqueue_outbox(
            engine, [item for item in decided.outbox if item.operation == operation], moment
        )
        for operation in (
            "report_completion", "set_processing_deadline", "report_progress", "request_extension"
        )
    }  # fmt: skip
    return ReconcileReport(
        tasks=len(task_rows),
        linked_source=sum(1 for link in decided.links if link.role is LinkRole.SOURCE),
        linked_response=sum(1 for link in decided.links if link.role is LinkRole.RESPONSE),
        completions_queued=queued["report_completion"],
        deadlines_queued=queued["set_processing_deadline"],
        ambiguous=decided.ambiguous,
        unlinked=decided.unlinked,
        warnings_queued=queued["report_progress"],
        extensions_queued=queued["request_extension"],
        calendar_failures=len(decided.failures),
        secret_answers=len(decided.secret_answers),
    )


def _secret_answer_lookup(engine: Engine, now: datetime) -> Callable[[Doc], bool]:
    """Whether a secret reply answers this source document: its forms' digests looked up
    among those the guard noted (secret_answers.py, store/secret_digests.py)."""
    with engine.begin() as conn:
        key, noted = secret_digests.answer_digests(conn, now)
    if not noted:
        return lambda _doc: False

    def lookup(doc: Doc) -> bool:
        forms = forms_of_source(doc.system, doc.source_id, doc.number, doc.notation, doc.day)
        return any(secret_digests.digest(key, form) in noted for form in forms)

    return lookup


def _keep_last_percent(engine: Engine, outbox: list[OutboxItem]) -> None:
    """A warning must not reset the unit's reported progress: carry the percentage the
    tracking system last showed (its raw record), 0 when nothing was ever reported."""
    warnings = {item.target_id: item for item in outbox if item.operation == "report_progress"}
    if not warnings:
        return
    payloads = reconcile_queries.tracking_task_payloads(
        engine, warnings, registry.tracking_system()
    )
    for source_id, payload in payloads.items():
        progress = (payload or {}).get("Progress") or {}
        percent = str(progress.get("Percent") or "0")
        warnings[source_id].payload["percent"] = int(percent) if percent.isdigit() else 0


def _write(engine: Engine, decided: Plan, now: datetime) -> None:
    """Links, derived statuses and computed deadlines, in one transaction, a statement each."""
    links = [
        {"task_id": link.task_id, "document_id": link.document_id, "role": link.role.value,
         "method": link.method.value, "found_at": now}
        for link in decided.links
    ]  # fmt: skip
    statuses = [
        {"row_id": task_id, "derived": status, "risky": risky}
        for task_id, (status, risky) in decided.statuses.items()
    ]
    computed = [
        {"row_id": doc_id, "due": result.due, "rule": result.rule,
         "why": list(result.explanation)}
        for doc_id, result in decided.deadlines.items()
    ]  # fmt: skip
    reconcile_queries.write_decisions(
        engine, now, links, decided.secret_answers, statuses, computed
    )
