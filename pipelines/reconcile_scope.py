"""What one reconcile run reads: everything (a full run), or only what changed since the last
run and what that may change (an incremental run), so freshness holds at any store size.

Why not a time watermark: ingest stamps rows with the caller's clock (a simulator moves it)
and a page committed while reconcile runs may carry an earlier time than the run. So every
write marks its row with a random ``reconcile_mark`` and a run clears exactly the marks it
read (store/reconcile_changes.py): nothing written meanwhile is lost, whatever the clocks.

What may change when an item changes follows from how ``plan`` matches (reconcile_plan.py):
two items affect each other only through a key they share, a **token** — an incoming
document's tolerant key, folded code, DocumentId and (system, source id); an outgoing one's
reference, ResponseFor DocumentId and quoted code; a task's source key. Each item's tokens as
last reconciled are stored, so a changed item reaches what its old and its new keys tie it to.
From the changed items (the seeds) the run takes, a query each:

1. every item sharing a seed's old or new token (A);
2. every item sharing a token of an outgoing document in A (the documents it may answer);
3. the tasks of every incoming document so far: the tasks to decide again;
4. the incoming documents those tasks may have as source;
5. the outgoing documents that may answer those;
6. the incoming documents those may answer instead (a rival makes a quote ambiguous).

``plan`` over (3) with (4-6) as documents decides exactly what it would over the whole store
(tests/integration/test_reconcile_incremental.py checks it against a full run, step by step).

Seeds that no row change shows, from time alone, between the last run's reference time and
this one's: tasks whose deadline (or end of a whole-day deadline) passed, whose at-risk window
opened, whose completion time came; responses whose issue time came; items failing for want
of a year's calendar. And when the secret replies noted since the last run name documents
(store/secret_digests.py), those documents: each is searched for among every incoming
document's forms (a few columns and three digests a document; a secret reply is rare, and no
token of it may be stored). A run is full when there is no state, on demand, when the
fingerprint (calendar, policies, settings, matching logic) differs, when time went back, or
after a purge deleted records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection

from connectors import registry
from pipelines.calendar import LOCAL_TZ, CalendarError, load_calendar
from pipelines.reconcile_plan import AT_RISK_POLICY, Doc, TaskRow, _document_key, quote_of
from store import reconcile_changes as changes
from store import reconcile_queries

# Bump when matching or deciding changes meaning: the next run is then a full one.
LOGIC_VERSION = "1"


@dataclass
class Scope:
    """What a run decides over, and what it must note once its decisions are written."""

    full: bool
    reason: str
    tasks: list[TaskRow]
    incoming: list[Doc]
    outgoing: list[Doc]
    deadline_docs: list[Doc]
    texts: dict[tuple[str, str], str]
    # (id, mark) read per table: cleared once the decisions are written
    marks: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    # tokens to store for the items read as changed (all items: a full run)
    doc_tokens: dict[int, set[str]] = field(default_factory=dict)
    task_tokens: dict[int, set[str]] = field(default_factory=dict)
    deadline_doc_ids: set[int] = field(default_factory=set)  # milestones to recompute

    @property
    def task_ids(self) -> list[int]:
        return [t.id for t in self.tasks]


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


def task_from_row(r: Any) -> TaskRow:
    return TaskRow(r.id, r.source_id, r.source_document_id, r.deadline, r.status,
                   r.completed_at, r.deadline_whole_day)  # fmt: skip


# --- tokens (pure) -------------------------------------------------------------------------


def _token(text: str) -> str:
    # A hash keeps the column small; two keys sharing a hash only make a run read more.
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def doc_tokens(doc: Doc) -> set[str]:
    if doc.direction == "incoming":
        keys = (f"k:{doc.key!r}", f"c:{doc.code!r}", f"d:{doc.document_id}",
                f"s:{doc.system}|{doc.source_id}")  # fmt: skip
        return {_token(key) for key in keys}
    found = set()
    if doc.response_for_source_id:
        found.add(_token(f"s:{doc.system}|{doc.response_for_source_id}"))
    if doc.response_for_document_id:
        found.add(_token(f"d:{doc.response_for_document_id}"))
    quote = quote_of(doc)
    if quote is not None:
        found.add(_token(f"c:{quote[0]!r}"))
    return found


def task_tokens(task: TaskRow) -> set[str]:
    key = _document_key(task.source_document_id) if task.source_document_id else None
    return {_token(f"k:{key!r}")} if key else set()


# --- time-driven spans (pure) --------------------------------------------------------------


def deadline_spans(last: datetime, now: datetime) -> list[tuple[datetime, datetime, bool]]:
    """Deadline ranges [start, end] of the tasks whose status may change with time alone in
    (last, now], each with whether it holds whole-day deadlines only: the deadline passed; a
    whole-day deadline's day ended; the at-risk window opened (on the day the deadline comes
    within N working days). The last two change only when the local day does."""
    spans = [(last, now, False)]
    last_day, now_day = last.astimezone(LOCAL_TZ).date(), now.astimezone(LOCAL_TZ).date()
    if now_day > last_day:
        # deadline days from the last run's day to yesterday: their end came meanwhile
        spans.append((_day_end(last_day - timedelta(days=1)),
                      _day_end(now_day - timedelta(days=1)), True))  # fmt: skip
        start, end = _risk_horizon(last_day), _risk_horizon(now_day)
        if end > start:
            # deadlines on the days after the last horizon, up to this one's
            spans.append((_day_end(start), _day_end(end), False))
    return spans


def _risk_horizon(day: date) -> date:
    """The last deadline day at risk on ``day``: at most N working days after it. Where the
    calendar ends, the last day it knows (an item beyond fails and is retried every run)."""
    calendar = load_calendar()
    limit = AT_RISK_POLICY.at_risk_working_days
    horizon = day
    for _ in range(366):
        following = horizon + timedelta(days=1)
        try:
            if calendar.count_working_days(day, following) > limit:
                return horizon
        except CalendarError:
            return horizon
        horizon = following
    return horizon


def _day_end(day: date) -> datetime:
    """The last instant of the local ``day``."""
    following = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
    return following - timedelta(microseconds=1)


def fingerprint(*parts: object, answers: Iterable[str] = ()) -> str:
    """What a run's decisions rest on besides the records, in two halves: the first names
    the calendar, policies and ``parts`` (another: a full run); the second the secret-answer
    digests noted (another: the documents they answer are read again, ``load``)."""
    calendar = load_calendar()
    days_off = calendar.days_off_between(calendar.first_day - timedelta(days=1),
                                         calendar.last_day)  # fmt: skip
    text = repr((LOGIC_VERSION, calendar.first_year, calendar.last_year, days_off,
                 sorted(calendar.provisional), AT_RISK_POLICY, *parts))  # fmt: skip
    noted = "\n".join(sorted(answers))
    return _half(text) + _half(noted)


def _half(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:_HALF]


_HALF = 32  # two halves in the state's 64 characters


# --- loading -------------------------------------------------------------------------------


def load(
    conn: Connection,
    now: datetime,
    print_: str,
    full: bool,
    secretly_answered: Callable[[Any], bool] = lambda _doc: False,
) -> Scope:
    """The scope of a run at ``now`` whose ``fingerprint`` is ``print_``;
    ``secretly_answered`` tells of a document (its system, source id, number, notation and
    day) whether a secret reply answers it."""
    state = changes.read_state(conn)
    reason = (
        "asked" if full
        else "first run" if state is None
        else "records deleted" if state.full_needed
        else "calendar, policy or settings changed" if state.fingerprint[:_HALF] != print_[:_HALF]
        else "time went back" if now < state.last_now
        else ""
    )  # fmt: skip
    if reason:
        return _full(conn, reason)
    answered: list[int] = []
    if state.fingerprint[_HALF:] != print_[_HALF:]:  # secret replies noted since the last run
        answered = [row.id for row in changes.incoming_codes(conn) if secretly_answered(row)]
    return _Incremental(conn).scope(state.last_now, now, answered)


def _full(conn: Connection, reason: str) -> Scope:
    doc_rows = reconcile_queries.all_documents(conn)
    task_rows = reconcile_queries.all_tasks(conn)
    docs = [doc_from_row(r) for r in doc_rows]
    incoming = [d for d in docs if d.direction == "incoming"]
    marks = {
        "documents": [(r.id, r.reconcile_mark) for r in doc_rows if r.reconcile_mark],
        "tasks": [(r.id, r.reconcile_mark) for r in task_rows if r.reconcile_mark],
        "directives": [(r.id, r.reconcile_mark) for r in changes.marked(conn, "directives")],
    }
    task_list = [task_from_row(r) for r in task_rows]
    return Scope(
        full=True, reason=reason, tasks=task_list, incoming=incoming,
        outgoing=[d for d in docs if d.direction == "outgoing"], deadline_docs=incoming,
        texts=reconcile_queries.directive_texts(conn), marks=marks,
        doc_tokens={d.id: doc_tokens(d) for d in docs},
        task_tokens={t.id: task_tokens(t) for t in task_list},
        deadline_doc_ids={d.id for d in docs},
    )  # fmt: skip


class _Incremental:
    """Reads the seeds, then the six steps of the module docstring."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.docs: dict[int, Doc] = {}
        self.tasks: dict[int, TaskRow] = {}
        # a seed's tokens: old (stored) and new; anything else's stored ones are its own
        self.seed_doc_tokens: dict[int, set[str]] = {}
        self.seed_task_tokens: dict[int, set[str]] = {}

    def scope(self, last: datetime, now: datetime, answered: Iterable[int] = ()) -> Scope:
        """``answered``: ids of documents a secret reply noted since ``last`` answers."""
        conn = self.conn
        doc_rows, task_rows = changes.marked(conn, "documents"), changes.marked(conn, "tasks")
        directive_rows = changes.marked(conn, "directives")
        failing_docs, failing_tasks = changes.failing_items(conn, registry.tracking_system())
        timed_tasks = changes.tasks_crossing(conn, deadline_spans(last, now), last, now)
        seed_docs = [*doc_rows, *failing_docs, *changes.issued_between(conn, last, now),
                     *changes.rows_by_ids(conn, "documents", answered)]  # fmt: skip
        self._seed(seed_docs, [*task_rows, *failing_tasks, *timed_tasks])
        directed = changes.documents_by_keys(
            conn, {(r.system, r.document_source_id) for r in directive_rows}
        )
        self._add_docs(directed)

        found = self._sharing(self._tokens_of(self.docs, self.tasks))  # step 1
        outgoing = [i for i in found[0] | set(self.docs) if self.docs[i].direction == "outgoing"]
        found2 = self._sharing(self._tokens_of(outgoing, []))  # step 2
        incoming = [i for i in found[0] | found2[0] | set(self.docs)
                    if self.docs[i].direction == "incoming"]  # fmt: skip
        decide = set(self.tasks) | found[1] | found2[1]
        decide |= self._sharing(self._tokens_of(incoming, []))[1]  # step 3
        sources = self._sharing(self._tokens_of([], decide))[0]  # step 4
        sources = {i for i in sources if self.docs[i].direction == "incoming"}
        answers = {i for i in self._sharing(self._tokens_of(sources, []))[0]  # step 5
                   if self.docs[i].direction == "outgoing"}  # fmt: skip
        rivals = self._sharing(self._tokens_of(answers, []))[0]  # step 6
        context_in = {i for i in sources | rivals | set(incoming)
                      if self.docs[i].direction == "incoming"}  # fmt: skip

        deadline_ids = {r.id for r in [*doc_rows, *failing_docs, *directed]}
        deadline_docs = [self.docs[i] for i in sorted(deadline_ids)
                         if i in self.docs and self.docs[i].direction == "incoming"]  # fmt: skip
        texts = changes.directive_texts_of(conn, {(d.system, d.source_id) for d in deadline_docs})
        marked_docs = {r.id for r in doc_rows}
        marked_tasks = {r.id for r in task_rows}
        return Scope(
            full=False, reason="changes", tasks=[self.tasks[i] for i in sorted(decide)],
            incoming=[self.docs[i] for i in sorted(context_in)],
            outgoing=[self.docs[i] for i in sorted(answers)],
            deadline_docs=deadline_docs, texts=texts,
            marks={"documents": [(r.id, r.reconcile_mark) for r in doc_rows],
                   "tasks": [(r.id, r.reconcile_mark) for r in task_rows],
                   "directives": [(r.id, r.reconcile_mark) for r in directive_rows]},
            doc_tokens={i: doc_tokens(self.docs[i]) for i in marked_docs},
            task_tokens={i: task_tokens(self.tasks[i]) for i in marked_tasks},
            deadline_doc_ids=deadline_ids | marked_docs,
        )  # fmt: skip

    def _seed(self, doc_rows: list[Any], task_rows: list[Any]) -> None:
        self._add_docs(doc_rows)
        for r in task_rows:
            self.tasks[r.id] = task_from_row(r)
        stored_docs = changes.tokens_of(self.conn, changes.DOCUMENT, self.docs)
        stored_tasks = changes.tokens_of(self.conn, changes.TASK, self.tasks)
        for i, doc in self.docs.items():
            self.seed_doc_tokens[i] = doc_tokens(doc) | stored_docs.get(i, set())
        for i, task in self.tasks.items():
            self.seed_task_tokens[i] = task_tokens(task) | stored_tasks.get(i, set())

    def _add_docs(self, rows: Iterable[Any]) -> None:
        for r in rows:
            self.docs.setdefault(r.id, doc_from_row(r))

    def _tokens_of(self, doc_ids: Iterable[int], task_ids: Iterable[int]) -> set[str]:
        found: set[str] = set()
        for i in doc_ids:
            found |= self.seed_doc_tokens.get(i) or doc_tokens(self.docs[i])
        for i in task_ids:
            found |= self.seed_task_tokens.get(i) or task_tokens(self.tasks[i])
        return found

    def _sharing(self, tokens: set[str]) -> tuple[set[int], set[int]]:
        """(document ids, task ids) sharing any of ``tokens``: stored ones, and seeds by their
        new tokens (not stored yet); every one of them loaded."""
        doc_ids, task_ids = changes.sharing(self.conn, tokens)
        doc_ids |= {i for i, own in self.seed_doc_tokens.items() if own & tokens}
        task_ids |= {i for i, own in self.seed_task_tokens.items() if own & tokens}
        self._add_docs(changes.rows_by_ids(self.conn, "documents", doc_ids - set(self.docs)))
        for r in changes.rows_by_ids(self.conn, "tasks", task_ids - set(self.tasks)):
            self.tasks[r.id] = task_from_row(r)
        # A token row whose item was deleted meanwhile points at nothing: drop it.
        return doc_ids & set(self.docs), task_ids & set(self.tasks)
