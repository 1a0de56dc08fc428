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
(``store/reconcile_queries.py``), plans and writes. A run reads only what changed since the
last one and what that may change (``reconcile_scope.py``), so a response reaches the outbox
in the same time at any store size; ``full=True`` reads everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from connectors import registry
from pipelines import due, extensions, reconcile_scope
from pipelines.reconcile_plan import (  # noqa: F401 - re-exported, where callers find them
    AtRiskActions,
    AtRiskSettings,
    Doc,
    Link,
    Plan,
    TaskRow,
    fold_code,
    match_responses,
    plan,
)
from pipelines.reconcile_scope import doc_from_row  # noqa: F401 - re-exported
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
    full: bool = True  # read everything, or only what changed (scope_reason says why)
    scope_reason: str = ""


def reconcile(
    engine: Engine,
    now: datetime | None = None,
    actions: AtRiskActions = DEFAULT_ACTIONS,
    *,
    full: bool = False,
) -> ReconcileReport:
    """Decide and write for what changed since the last run (everything: ``full``, or when
    ``reconcile_scope.load`` finds a full run needed). The counts are of this run's scope."""
    moment = now or datetime.now(UTC)
    policy = due.active_policy()  # the agency's [deadline_policy]: end of office hours...
    secretly_answered, noted = _secret_answer_lookup(engine, moment)
    print_ = reconcile_scope.fingerprint(policy, actions, answers=noted)
    with engine.connect() as conn:
        scope = reconcile_scope.load(conn, moment, print_, full, secretly_answered)
    decided = plan(
        scope.tasks, scope.incoming, scope.outgoing, moment, scope.texts, policy, actions,
        secretly_answered=secretly_answered, deadline_docs=scope.deadline_docs,
    )  # fmt: skip
    _keep_last_percent(engine, decided.outbox)
    _write(engine, decided, moment, None if scope.full else scope.task_ids)
    queries.replace_calendar_failures(engine, decided.failures, moment)
    # deadline history and review milestones, of what this run read
    extensions.record_deadlines(
        engine, moment, policy, task_ids=None if scope.full else scope.task_ids,
        doc_ids=None if scope.full else scope.deadline_doc_ids,
    )  # fmt: skip
    queued = {
        operation: queries.enqueue_outbox(
            engine, [item for item in decided.outbox if item.operation == operation], moment
        )
        for operation in (
            "report_completion", "set_processing_deadline", "report_progress", "request_extension"
        )
    }  # fmt: skip
    # Last, so a run that fails before this point leaves its changes marked for the next one.
    reconcile_queries.note_reconciled(engine, scope, moment, print_)
    return ReconcileReport(
        tasks=len(scope.tasks),
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
        full=scope.full,
        scope_reason=scope.reason,
    )


def _secret_answer_lookup(engine: Engine, now: datetime) -> tuple[Callable[[Doc], bool], set[str]]:
    """Whether a secret reply answers this source document: its forms' digests looked up
    among those the guard noted (secret_answers.py, store/secret_digests.py); and the digests,
    whose change since the last run makes it read the documents they answer again."""
    with engine.begin() as conn:
        key, noted = secret_digests.answer_digests(conn, now)
    if not noted:
        return (lambda _doc: False), noted

    def lookup(doc: Doc) -> bool:
        forms = forms_of_source(doc.system, doc.source_id, doc.number, doc.notation, doc.day)
        return any(secret_digests.digest(key, form) in noted for form in forms)

    return lookup, noted


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


def _write(engine: Engine, decided: Plan, now: datetime, task_ids: list[int] | None) -> None:
    """Links, derived statuses and computed deadlines, in one transaction, a statement each;
    secret-answer marks of ``task_ids`` (every task: None)."""
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
        engine, now, links, decided.secret_answers, statuses, computed, task_ids
    )
