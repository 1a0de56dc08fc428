"""Reconcile's decisions, pure: which documents a task's source and response are, its
derived status, the deadlines to compute, and what to push (docs/domain.md §§5 and 6).

``plan`` takes values and returns a ``Plan``; ``pipelines/reconcile.py`` loads the store,
calls it and writes what it decided.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from connectors import registry
from pipelines import deadlines
from pipelines.calendar import (
    LOCAL_TZ,
    CalendarError,
    CalendarRangeError,
    WorkingCalendar,
    how_to_add,
    load_calendar,
)
from pipelines.parsing import parse_number_notation
from pipelines.secret_answers import QUOTED as _QUOTED
from pipelines.secret_answers import fold_code
from pipelines.status import assess_task
from schemas import LinkMethod, LinkRole, TrackingStatus
from store.queries import OutboxItem


@dataclass(frozen=True)
class Doc:
    id: int
    system: str
    source_id: str
    direction: str
    document_id: str
    organ_id: str
    day: date
    number: str
    notation: str
    abstract: str
    received_at: datetime | None = None
    issued_at: datetime | None = None
    stated_deadline: datetime | None = None
    response_for_document_id: str | None = None
    response_for_source_id: str | None = None

    @property
    def key(self) -> tuple[str, date, str, str]:
        return (self.organ_id, self.day, *fold_code(self.number, self.notation))

    @property
    def code(self) -> tuple[str, str]:
        return fold_code(self.number, self.notation)


@dataclass(frozen=True)
class TaskRow:
    id: int
    source_id: str
    source_document_id: str | None
    deadline: datetime | None
    status: str
    completed_at: datetime | None
    deadline_whole_day: bool = False  # given as a date: the whole day is on time


class AtRiskSettings(Protocol):
    """The ``[at_risk]`` settings section, as far as reconcile reads it."""

    warn_tracking: bool
    request_extension: bool
    extension_working_days: int


@dataclass(frozen=True)
class AtRiskActions:
    """What the bridge files for a task in the at-risk window with no response (settings)."""

    warn: bool = True
    request_extension: bool = False
    extension_working_days: int = 5

    @classmethod
    def from_settings(cls, settings: AtRiskSettings) -> AtRiskActions:
        return cls(
            warn=settings.warn_tracking,
            request_extension=settings.request_extension,
            extension_working_days=settings.extension_working_days,
        )


@dataclass(frozen=True)
class Link:
    task_id: int
    document_id: int
    role: LinkRole
    method: LinkMethod


@dataclass
class Plan:
    links: list[Link] = field(default_factory=list)
    statuses: dict[int, tuple[str, bool]] = field(default_factory=dict)
    outbox: list[OutboxItem] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    unlinked: list[str] = field(default_factory=list)
    deadlines: dict[int, deadlines.DeadlineResult] = field(default_factory=dict)
    # (system, source id, reason): items skipped for want of a year's calendar (§6)
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    # Tasks whose answer is a secret document: nothing is pushed for them; each shows as the
    # failure "answer is secret: report through the secret channel" (secret_answers.py).
    secret_answers: list[int] = field(default_factory=list)


# The warning window of the at-risk flag: the default one (reconcile_scope.py finds the tasks
# that enter it between two runs with the same policy).
AT_RISK_POLICY = deadlines.DEFAULT_POLICY


# --- pure decisions ------------------------------------------------------------------------


def _document_key(document_id: str) -> tuple[str, date, str, str] | None:
    try:
        organ, day, code = document_id.split(",", 2)
        number, notation = code.split("/", 1)
        return (organ, datetime.strptime(day, "%Y/%m/%d").date(), *fold_code(number, notation))
    except ValueError:
        return None


def match_responses(outgoing: Iterable[Doc], incoming: list[Doc]) -> tuple[dict, dict]:
    """incoming doc id → (method, outgoing doc), by the strongest method that found exactly
    one; and incoming doc id → why it is ambiguous. ``incoming`` in id order: of two with the
    same DocumentId, the later one is answered (reconcile and the report read them so)."""
    by_source = {(d.system, d.source_id): d for d in incoming}
    by_document_id = {d.document_id: d for d in incoming}
    by_code: dict[tuple[str, str], list[Doc]] = defaultdict(list)
    for d in incoming:
        by_code[d.code].append(d)
    found: dict[int, dict[LinkMethod, list[Doc]]] = defaultdict(lambda: defaultdict(list))
    for out in outgoing:
        if out.response_for_source_id and (out.system, out.response_for_source_id) in by_source:
            target = by_source[(out.system, out.response_for_source_id)]
            found[target.id][LinkMethod.REFERENCE].append(out)
            continue
        if out.response_for_document_id and out.response_for_document_id in by_document_id:
            target = by_document_id[out.response_for_document_id]
            found[target.id][LinkMethod.RESPONSE_FOR].append(out)
            continue
        for target in _quoted_targets(out, by_code):
            found[target.id][LinkMethod.NUMBER_MATCH].append(out)
    ambiguous_targets: dict[int, str] = {}
    chosen: dict[int, tuple[LinkMethod, Doc]] = {}
    for target_id, methods in found.items():
        for method in (LinkMethod.REFERENCE, LinkMethod.RESPONSE_FOR, LinkMethod.NUMBER_MATCH):
            candidates = methods.get(method, [])
            if len(candidates) == 1:
                chosen[target_id] = (method, candidates[0])
                break
            if len(candidates) > 1:
                names = ", ".join(f"{c.system}/{c.source_id}" for c in candidates)
                ambiguous_targets[target_id] = f"{len(candidates)} responses by {method}: {names}"
                break
    return chosen, ambiguous_targets


def quote_of(out: Doc) -> tuple[tuple[str, str], date | None] | None:
    """The folded code an abstract quotes ("phúc đáp văn bản số 1866/SXD-VP ngày 26/1/2024")
    and the day it gives (None when it gives none); None when it quotes nothing readable."""
    match = _QUOTED.search(out.abstract)
    if not match:
        return None
    parsed = parse_number_notation(match["code"])
    if parsed is None:
        return None
    quoted_day = None
    if match["d"]:
        try:
            quoted_day = date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            return None
    return fold_code(parsed.number, parsed.notation), quoted_day


def _quoted_targets(out: Doc, by_code: dict[tuple[str, str], list[Doc]]) -> list[Doc]:
    """The incoming documents an abstract quotes by number (and date, when it gives one).

    Numbers restart every year, so a quote without a date that fits two documents fits none.
    """
    quote = quote_of(out)
    if quote is None:
        return []
    code, quoted_day = quote
    candidates = by_code.get(code, [])
    if quoted_day is not None:
        candidates = [c for c in candidates if c.day == quoted_day]
    return candidates if len(candidates) == 1 else []


def plan(
    task_rows: list[TaskRow],
    incoming: list[Doc],
    outgoing: list[Doc],
    now: datetime,
    directive_texts: dict[tuple[str, str], str] | None = None,
    policy: deadlines.DeadlinePolicy = deadlines.DEFAULT_POLICY,
    actions: AtRiskActions = AtRiskActions(),
    secretly_answered: Callable[[Doc], bool] = lambda _doc: False,
    deadline_docs: Iterable[Doc] | None = None,
) -> Plan:
    """What to link, derive and push for ``task_rows``; processing deadlines are computed for
    ``deadline_docs`` (default: every incoming document). ``incoming`` and ``outgoing`` must
    hold every document those tasks' sources and responses could be (reconcile_scope.py)."""
    result = Plan()
    by_key: dict[tuple, list[Doc]] = defaultdict(list)
    for doc in incoming:
        by_key[doc.key].append(doc)
    responses, ambiguous_responses = match_responses(outgoing, incoming)
    # The working calendar, loaded once per plan rather than per item (each load checks the
    # settings file); a failed load is not kept, so each item meets the error as before.
    calendar = functools.cache(load_calendar)

    for task in task_rows:
        gap = _calendar_gap(task, now, actions, calendar)
        if gap is not None:  # this task fails; every other one goes on (docs/domain.md §6)
            result.failures.append((registry.tracking_system(), task.source_id, gap))
            continue
        key = _document_key(task.source_document_id) if task.source_document_id else None
        sources = by_key.get(key, []) if key else []
        if len(sources) > 1:
            names = ", ".join(f"{d.system}/{d.source_id}" for d in sources)
            result.ambiguous.append(
                f"task {task.source_id}: {len(sources)} source documents ({names})"
            )
            continue
        if not sources:
            result.unlinked.append(task.source_id)
            result.statuses[task.id] = _status(task, None, now)
            continue
        source = sources[0]
        result.links.append(Link(task.id, source.id, LinkRole.SOURCE, LinkMethod.DOCUMENT_KEY))
        if source.id in ambiguous_responses:
            result.ambiguous.append(f"task {task.source_id}: {ambiguous_responses[source.id]}")
        response = None
        if source.id in responses:
            method, response = responses[source.id]
            result.links.append(Link(task.id, response.id, LinkRole.RESPONSE, method))
        completed_at = response.issued_at if response and response.issued_at else None
        result.statuses[task.id] = _status(task, completed_at, now)
        answered = response is not None and completed_at is not None and completed_at <= now
        if response is None and secretly_answered(source):
            # Answered by a secret document: never pushed, no early warning either; the unit
            # reports through the secret channel.
            result.secret_answers.append(task.id)
            continue
        if answered and task.status != TrackingStatus.DONE.value:
            result.outbox.append(_completion(task, response))
        elif not answered and result.statuses[task.id][1]:
            result.outbox.extend(_at_risk_items(task, now, actions))

    texts = directive_texts or {}
    for doc in incoming if deadline_docs is None else deadline_docs:
        if doc.stated_deadline is not None or doc.received_at is None:
            continue
        try:
            computed = deadlines.compute_deadline(
                doc.received_at,
                text=[texts.get((doc.system, doc.source_id)), doc.abstract],
                doc_date=doc.day,
                policy=policy,
                calendar=calendar(),
            )
        except CalendarRangeError as exc:  # no guess and nothing pushed: a failure to fix
            what = f"processing deadline of document {doc.system}/{doc.source_id}"
            result.failures.append((doc.system, doc.source_id, _missing_year(what, exc)))
            continue
        except CalendarError:
            continue
        result.deadlines[doc.id] = computed
        # A deadline the text states but we cannot read is shown, never pushed as a guess.
        if computed.due >= now and computed.rule != "not_understood":
            result.outbox.append(
                OutboxItem(
                    idempotency_key=f"deadline:{doc.system}:{doc.source_id}",
                    target_system=doc.system,
                    operation="set_processing_deadline",
                    target_id=doc.source_id,
                    payload={
                        "document_id": doc.source_id,
                        # iOffice/iDesk hold a date, read back as the end of that working
                        # day (docs/domain.md §6): the local day of the computed deadline.
                        "deadline": computed.due.astimezone(LOCAL_TZ).date().isoformat(),
                    },
                )
            )
    return result


def _calendar_gap(
    task: TaskRow, now: datetime, actions: AtRiskActions, loaded: Callable[[], WorkingCalendar]
) -> str | None:
    """Why ``task`` cannot be assessed for want of a year's calendar, else None: its deadline
    day (the at-risk window counts working days up to it) and the extension it may propose."""
    if task.deadline is None:
        return None
    calendar = loaded()
    due_day = task.deadline.astimezone(LOCAL_TZ).date()
    try:
        calendar.is_working_day(due_day)
        if actions.request_extension and task.deadline >= now:
            calendar.add_working_days(due_day, actions.extension_working_days)
    except CalendarRangeError as exc:
        return _missing_year(f"deadline of task {task.source_id}", exc)
    return None


def _missing_year(what: str, exc: CalendarRangeError) -> str:
    year = exc.year
    return f"{what} needs the calendar of {year}, which is not loaded. {how_to_add(year or 0)}"


def _status(task: TaskRow, completed_at: datetime | None, now: datetime) -> tuple[str, bool]:
    completion = completed_at or task.completed_at
    started = task.status != TrackingStatus.NOT_STARTED.value
    assessment = assess_task(
        task.deadline, completion, started, now, policy=AT_RISK_POLICY,
        whole_day=task.deadline_whole_day,
    )  # fmt: skip
    return assessment.status.value, assessment.at_risk


def _at_risk_items(task: TaskRow, now: datetime, actions: AtRiskActions) -> list[OutboxItem]:
    """The early warning and the optional extension request, keyed by task and deadline so a
    moved deadline warns again and the same deadline never twice."""
    if task.deadline is None or task.status == TrackingStatus.DONE.value:
        return []
    due_local = task.deadline.astimezone(LOCAL_TZ)
    stamp = due_local.strftime("%Y%m%dT%H%M")
    items = []
    if actions.warn:
        items.append(
            OutboxItem(
                idempotency_key=f"warning:{task.source_id}:{stamp}",
                target_system=registry.tracking_system(),
                operation="report_progress",
                target_id=task.source_id,
                payload={
                    "task_id": task.source_id,
                    "percent": 0,  # the last known percentage is filled in by reconcile()
                    "reported_at": now.isoformat(),
                    "text": (
                        f"Cảnh báo sớm: nhiệm vụ đến hạn lúc {due_local:%H:%M ngày %d/%m/%Y}, "
                        "chưa có văn bản hoàn thành."
                    ),
                },
            )
        )
    if actions.request_extension:
        calendar = load_calendar()
        proposed_day = calendar.add_working_days(due_local.date(), actions.extension_working_days)
        proposed = due_local.replace(
            year=proposed_day.year, month=proposed_day.month, day=proposed_day.day
        )
        items.append(
            OutboxItem(
                idempotency_key=f"extension:{task.source_id}:{stamp}",
                target_system=registry.tracking_system(),
                operation="request_extension",
                target_id=task.source_id,
                payload={
                    "task_id": task.source_id,
                    "proposed_deadline": proposed.isoformat(),
                    "reason": (
                        f"Đề nghị gia hạn đến {proposed:%d/%m/%Y}: sắp đến hạn "
                        f"{due_local:%d/%m/%Y}, chưa có văn bản hoàn thành."
                    ),
                },
            )
        )
    return items


def _completion(task: TaskRow, response: Doc) -> OutboxItem:
    issued = response.issued_at.isoformat() if response.issued_at else None
    return OutboxItem(
        idempotency_key=f"completion:{task.source_id}:{response.system}:{response.source_id}",
        target_system=registry.tracking_system(),
        operation="report_completion",
        target_id=task.source_id,
        payload={
            "task_id": task.source_id,
            "completed_at": issued,
            "evidence": {
                "NumberNotation": f"{response.number}/{response.notation}",
                "IssuerCode": response.organ_id,
                "IssuedAt": issued,
                "Abstract": response.abstract,
            },
        },
    )
