"""Push: send the outbox to the other systems, confirm by reading back, never send twice.

Each outbox row carries an idempotency key (written by reconcile). Each system with due rows
gets its own senders (``push_senders``: a few threads, each with its own connector, within the
system's time budget); a sender claims a couple of that system's rows at a time (one claimer
per row, ``queries.claim_outbox``), renews each claim right before its send unless it was
made less than a third of the lease ago, while a heartbeat keeps renewing them (leases judged
by the database's clock, so a slow target or a worker whose clock is ahead never lets a second
worker send the same row), sends each with its key, reads the target back to confirm the
change is there, and only then marks the row done. A row whose answer was lost is simply sent
again with the same key: the target applies it once and answers "replayed".

A row that fails for a reason that may pass is not retried on the spot: it waits in the outbox
for its back-off (``Backoff``: doubling, capped, with jitter) and a later run sends it, so an
outage costs a run one failed request per row, not minutes of waiting. After ``max_attempts``
a row is dead and shows in `bridge failures`. Any error with one row (a payload that cannot be
built, see ``push_calls``; a refusal; an answer that is not the contract's; a library's
surprise) fails that row alone and the others go on. Counts are rows, not attempts.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from connectors import registry
from connectors.http import (
    AuthError,
    ConnectorError,
    ContractError,
    FatalError,
    RetryableError,
    redact,
)
from pipelines.push_calls import PayloadError, build_call
from pipelines.push_senders import Backoff, Senders
from schemas import OutboxState
from store import outbox, queries
from store.queries import DEFAULT_LEASE, ClaimedRow

log = logging.getLogger(__name__)

# Answers that mean the target already is in the state we wanted: the row has converged.
ALREADY_THERE = frozenset({"ALREADY_COMPLETED", "DEADLINE_EXISTS"})

# Small claims: a sender holds (and renews) only what it is about to send, so several senders
# and workers share a queue evenly, a slow target holds few rows and a spent budget hands back
# little.
BATCH_SIZE = 2


class NotConfirmed(FatalError):
    """The target accepted the write but reading it back does not show the change."""


_COUNTS_LOCK = threading.Lock()


@dataclass
class PushCounts:
    """What a push did, in rows, not attempts: a row that failed and then went through in the
    same run counts once, as done; ``retrying`` rows wait for a later run after a failure that
    may pass. ``lost`` rows were taken over by another worker before this one sent them (their
    lease ran out while this worker was stalled)."""

    outcomes: dict[int, str] = field(default_factory=dict)
    left: int = 0  # due rows left for later runs: a system's time budget was spent
    out_of_time: list[str] = field(default_factory=list)  # the systems whose budget was spent

    def record(self, row_id: int, outcome: str) -> None:
        with _COUNTS_LOCK:  # senders record from their threads while progress reads
            self.outcomes[row_id] = outcome

    def _count(self, outcome: str) -> int:
        with _COUNTS_LOCK:
            return sum(1 for value in self.outcomes.values() if value == outcome)

    @property
    def claimed(self) -> int:
        with _COUNTS_LOCK:
            return len(self.outcomes)

    @property
    def done(self) -> int:
        return self._count("done")

    @property
    def retrying(self) -> int:
        return self._count("retrying")

    @property
    def dead(self) -> int:
        return self._count("dead")

    @property
    def lost(self) -> int:
        return self._count("lost")

    def summary(self) -> str:
        """One line, in rows (the CLI's and the log's)."""
        lost = f", {self.lost} taken over by another worker" if self.lost else ""
        return (f"{self.done} done, {self.retrying} to retry later, {self.dead} dead, "
                f"{self.left} left for the next run{lost} (rows)")  # fmt: skip

    def run_counts(self) -> dict[str, int]:
        """The push run's record (``runs``)."""
        return {"pushed": self.done, "failed": self.dead, "retrying": self.retrying,
                "left_for_later": self.left}  # fmt: skip


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _already_there(error: ConnectorError) -> bool:
    """A target answers an error naming one of ``ALREADY_THERE`` (HTTP 409 DEADLINE_EXISTS
    from an e-office system) when someone made the change first."""
    return any(code in str(error) for code in ALREADY_THERE)


def _refused(answer: Mapping[str, Any]) -> str | None:
    """The target's reason when it answered but did not apply (tracking's WriteResult)."""
    if answer.get("Applied") is False and not answer.get("Replayed"):
        code = str(answer.get("Code") or "")
        if code not in ALREADY_THERE:
            return f"{code}: {answer.get('Message') or ''}".strip()
    return None


def _transient(error: ConnectorError) -> bool:
    """Worth another attempt later. Every outbox write carries its idempotency key, so an
    answer that is not the contract's at all (a gateway's HTML page, an empty body, JSON where
    SOAP was due: ``ContractError``) is retried like an outage; auth gets its attempts too
    (credentials get fixed). A refusal the target stated, a payload that cannot be built or a
    write that does not read back is final."""
    if isinstance(error, PayloadError | NotConfirmed):
        return False
    return isinstance(error, RetryableError | AuthError | ContractError)


def confirm(row: ClaimedRow, connector: Any) -> None:
    """Read the target back as its connector declares (``Capabilities.read_back``); raise
    ``NotConfirmed`` unless the change is visible there. An operation without a declared
    read-back (progress, extension requests) is confirmed by the write's own answer."""
    check = connector.capabilities.read_back.get(row.operation)
    if check is None:
        return
    p = row.payload
    record_id = p.get(check.record_field)
    record = connector.read_one(check.stream, record_id)
    stored = next((value for path in check.fields if (value := _dig(record, path))), None)
    if check.expected is None:
        if not stored:
            raise NotConfirmed(row.target_system, f"confirm {row.operation}",
                               "the change does not read back", record=str(record_id))  # fmt: skip
        return
    wanted = str(p.get(check.expected))
    if stored is None or not str(stored).startswith(wanted):
        raise NotConfirmed(row.target_system, f"confirm {row.operation}",
                           f"{check.expected} reads {stored!r}, wanted {wanted}",
                           record=str(record_id))  # fmt: skip


def _dig(record: Any, path: str) -> Any:
    for step in path.split("."):
        if not isinstance(record, Mapping):
            return None
        record = record.get(step)
    return record


# --- the loop ------------------------------------------------------------------------------


def push_due(
    engine: Engine,
    connectors: Mapping[str, Any],
    *,
    max_attempts: int,
    worker: str | None = None,
    limit: int = BATCH_SIZE,
    lease: timedelta = DEFAULT_LEASE,
    clock: Callable[[], datetime] | None = None,
    progress: Callable[[PushCounts], None] | None = None,
    workers: Mapping[str, int] | None = None,
    connect: Callable[[str], Any] | None = None,
    budget: timedelta | None = None,
    backoff: Backoff | None = None,
) -> PushCounts:
    """Send every due row, each system's by its own senders, until none is due or the
    system's ``budget`` is spent; what is left waits for the next run (``PushCounts.left``).

    ``workers`` is the number of senders per system (one if not named); each sender beyond the
    first gets a connector of its own from ``connect`` (without it, one sender per system).
    ``limit`` is how many rows a sender claims at a time. A row that fails for a reason that may
    pass is due again after ``backoff``, never retried inline. ``clock`` is this push's clock:
    it decides when a failed row is due again, stamps the rows and measures the budget; leases
    are judged by the database's clock whatever it says. One bad row fails alone.
    """
    now = clock or (lambda: datetime.now(UTC))
    worker = worker or worker_name()
    backoff = backoff or Backoff()
    counts = PushCounts()

    def send_row(row: ClaimedRow, connector: Any) -> None:
        if row.attempts > max_attempts:
            # Every earlier claim ended without a verdict: its worker died while holding it
            # (a row that kills its worker, say). Dead now, not resent.
            reason = (f"{row.target_system} {row.operation} (record {row.target_id}): "
                      f"claimed {row.attempts - 1} times without an outcome; the worker "
                      "stopped while holding it each time")  # fmt: skip
            _settle_failed(engine, row, worker, reason, None, max_attempts, now, counts, backoff)
        else:
            _push_row(engine, row, connector, worker, max_attempts, now, counts, backoff)

    senders = Senders(
        engine, worker, now, lease, max(limit, 1), budget, send_row,
        lost_row=lambda row: counts.record(row.id, "lost"),
    )  # fmt: skip
    senders.run(connectors, workers or {}, connect, progress=lambda: progress and progress(counts))
    if senders.out_of_time:
        due = outbox.due_counts(engine, now())
        counts.left = sum(due.get(system, 0) for system in senders.out_of_time)
        counts.out_of_time = sorted(senders.out_of_time)
        log.warning("push: time budget spent for %s; %d due row(s) left for the next run",
                    ", ".join(counts.out_of_time), counts.left)  # fmt: skip
    if progress:
        progress(counts)
    return counts


def _push_row(
    engine: Engine,
    row: ClaimedRow,
    connector: Any,
    worker: str,
    max_attempts: int,
    now: Callable[[], datetime],
    counts: PushCounts,
    backoff: Backoff,
) -> None:
    try:
        if connector is None:
            raise FatalError(row.target_system, row.operation, "system is not configured",
                             record=row.target_id)  # fmt: skip
        answer = build_call(row, connector)()
        refusal = _refused(answer)
        if refusal:
            raise FatalError(row.target_system, row.operation, f"refused: {refusal}",
                             record=row.target_id)  # fmt: skip
        confirm(row, connector)
    except ConnectorError as exc:
        if _already_there(exc):
            _settle_done(engine, row, worker, now, counts)
            return
        transient = exc if _transient(exc) else None
        _settle_failed(engine, row, worker, str(exc), transient, max_attempts, now, counts, backoff)
        return
    except Exception as exc:  # one row's surprise must not stop the queue
        # A library refusing our request (zeep, lxml) or a bug: retried with back-off, dead
        # after the last attempt. The class and a redacted, short message say what it was.
        problem = f"unexpected {exc.__class__.__name__}: {redact(str(exc))[:200]}"
        reason = f"{row.target_system} {row.operation} (record {row.target_id}): {problem}"
        _settle_failed(engine, row, worker, reason, exc, max_attempts, now, counts, backoff)
        return
    _settle_done(engine, row, worker, now, counts)


def _settle_done(
    engine: Engine, row: ClaimedRow, worker: str, now: Callable[[], datetime], counts: PushCounts
) -> None:
    if queries.mark_outbox_done(engine, row.id, worker, now()):
        counts.record(row.id, "done")
    else:
        counts.record(row.id, "lost")


def _settle_failed(
    engine: Engine,
    row: ClaimedRow,
    worker: str,
    reason: str,
    transient: Exception | None,
    max_attempts: int,
    now: Callable[[], datetime],
    counts: PushCounts,
    backoff: Backoff,
) -> None:
    """``transient`` is the error when another attempt may succeed, None when it cannot."""
    # Retrying cannot fix a refusal or a payload that cannot be built: dead now, with the
    # reason. Transient failures get the full attempts (outages end, credentials get fixed),
    # each after its back-off: the row waits in the outbox, not in this run.
    state = queries.mark_outbox_failed(
        engine, row.id, worker, reason, now(),
        max_attempts=max_attempts if transient is not None else row.attempts,
        retry_in=backoff.delay(row.attempts, getattr(transient, "retry_after", None)),
    )  # fmt: skip
    if state is OutboxState.DEAD:
        counts.record(row.id, "dead")
        log.error("outbox %d is dead after %d attempts: %s", row.id, row.attempts, reason)
    elif state is OutboxState.PENDING:
        counts.record(row.id, "retrying")
        log.warning("outbox %d failed (attempt %d), will retry: %s", row.id, row.attempts, reason)
    else:
        counts.record(row.id, "lost")


# --- dry run -------------------------------------------------------------------------------

_DESCRIPTIONS = {
    "report_completion": "Báo cáo hoàn thành nhiệm vụ {task_id} với văn bản {number} "
    "(ban hành {issued})",
    "report_progress": "Báo cáo tiến độ nhiệm vụ {task_id}: {percent}% — {text}",
    "request_extension": "Xin gia hạn nhiệm vụ {task_id} đến {proposed}: {reason}",
    "set_processing_deadline": "Đặt hạn xử lý {deadline} cho văn bản đến {document_id}",
}


def describe(operation: str, target_system: str, payload: Mapping[str, Any]) -> str:
    """What a row would do, in Vietnamese, for `bridge push --dry-run`."""
    evidence = payload.get("evidence") or {}
    fields = {
        **payload,
        "number": evidence.get("NumberNotation", "?"),
        "issued": str(evidence.get("IssuedAt", "?"))[:16].replace("T", " "),
        "proposed": str(payload.get("proposed_deadline", "?"))[:16].replace("T", " "),
    }
    template = _DESCRIPTIONS.get(operation, operation + " {target}")
    target = registry.label(target_system)
    return f"[{target}] " + template.format_map(_Default(fields))


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def dry_run(engine: Engine, now: datetime | None = None) -> list[str]:
    """The due rows, described; nothing is claimed or sent."""
    moment = now or datetime.now(UTC)
    return [
        f"#{row.id} {describe(row.operation, row.target_system, row.payload)}"
        for row in outbox.due_rows(engine, moment)
    ]
