"""Push: send the outbox to the other systems, confirm by reading back, never send twice.

Each outbox row carries an idempotency key (written by reconcile). Push claims due rows (one
claimer per row, ``queries.claim_outbox``), sends each with its key, reads the target back to
confirm the change is there, and only then marks the row done. A row whose answer was lost is
simply sent again with the same key: the target applies it once and answers "replayed".
After ``max_attempts`` a row is dead and shows in `bridge failures`.

Payloads by operation (what reconcile writes):

* ``report_completion``: ``task_id``, ``completed_at`` (ISO), ``evidence`` {NumberNotation,
  IssuerCode, IssuedAt, Abstract}
* ``report_progress``: ``task_id``, ``text``, ``percent``, ``reported_at``
* ``request_extension``: ``task_id``, ``reason``, ``proposed_deadline``
* ``set_processing_deadline``: ``document_id``, ``deadline`` (YYYY-MM-DD)
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from bridge.connectors.http import AuthError, ConnectorError, FatalError, RetryableError
from bridge.schemas import OutboxState
from bridge.store import queries
from bridge.store.queries import ClaimedRow
from bridge.store.tables import outbox

log = logging.getLogger(__name__)

# Answers that mean the target already is in the state we wanted: the row has converged.
ALREADY_THERE = frozenset({"ALREADY_COMPLETED", "DEADLINE_EXISTS"})


class NotConfirmed(FatalError):
    """The target accepted the write but reading it back does not show the change."""


@dataclass
class PushCounts:
    claimed: int = 0
    done: int = 0
    retrying: int = 0
    dead: int = 0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes, at most an hour: quick for blips, patient for outages."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


# --- sending one row -----------------------------------------------------------------------


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def send(row: ClaimedRow, connector: Any) -> dict[str, Any]:
    """Send one row's change through ``connector``; the answer as the target gave it."""
    p = row.payload
    key = row.idempotency_key
    if row.operation == "report_completion":
        evidence = dict(p["evidence"])
        evidence["IssuedAt"] = _instant(evidence["IssuedAt"])
        return connector.report_completion(p["task_id"], key, evidence, _instant(p["completed_at"]))
    if row.operation == "report_progress":
        return connector.report_progress(
            p["task_id"], key, p["text"], int(p["percent"]), _instant(p["reported_at"])
        )
    if row.operation == "request_extension":
        return connector.request_extension(
            p["task_id"], key, p["reason"], _instant(p["proposed_deadline"])
        )
    if row.operation == "set_processing_deadline":
        return connector.set_processing_deadline(
            p["document_id"], date.fromisoformat(p["deadline"]), key
        )
    raise FatalError(row.target_system, row.operation, "unknown outbox operation", record=key)


def _already_there(error: ConnectorError) -> bool:
    """iOffice answers HTTP 409 DEADLINE_EXISTS when someone set the deadline first."""
    return any(code in str(error) for code in ALREADY_THERE)


def _refused(answer: Mapping[str, Any]) -> str | None:
    """The target's reason when it answered but did not apply (tracking's WriteResult)."""
    if answer.get("Applied") is False and not answer.get("Replayed"):
        code = str(answer.get("Code") or "")
        if code not in ALREADY_THERE:
            return f"{code}: {answer.get('Message') or ''}".strip()
    return None


def confirm(row: ClaimedRow, connector: Any) -> None:
    """Read the target back; raise ``NotConfirmed`` unless the change is visible there."""
    p = row.payload
    if row.operation == "report_completion":
        task = connector.get_task(p["task_id"])
        if not task.get("Completion"):
            raise NotConfirmed(row.target_system, "confirm completion", "no completion recorded",
                               record=p["task_id"])  # fmt: skip
    elif row.operation == "set_processing_deadline":
        document = (
            connector.get("incoming", p["document_id"])
            if row.target_system == "ioffice"
            else connector.get(p["document_id"])
        )
        stored = document.get("hanXuLy") or document.get("ProcessingDeadline")
        if stored is None or str(stored)[:10] != p["deadline"]:
            raise NotConfirmed(row.target_system, "confirm deadline",
                               f"deadline reads {stored!r}, wanted {p['deadline']}",
                               record=str(p["document_id"]))  # fmt: skip
    # Progress and extension requests have no stable read-back beyond the write's own answer.


# --- the loop ------------------------------------------------------------------------------


def push_due(
    engine: Engine,
    connectors: Mapping[str, Any],
    *,
    max_attempts: int,
    worker: str | None = None,
    limit: int = 50,
    clock: Callable[[], datetime] | None = None,
    progress: Callable[[PushCounts], None] | None = None,
) -> PushCounts:
    """Claim and send every due row, batch after batch, until none is due."""
    now = clock or (lambda: datetime.now(UTC))
    worker = worker or worker_name()
    counts = PushCounts()
    while batch := queries.claim_outbox(engine, worker, now(), limit=limit):
        counts.claimed += len(batch)
        for row in batch:
            _push_row(engine, row, connectors, worker, max_attempts, now, counts)
        if progress:
            progress(counts)
    return counts


def _push_row(
    engine: Engine,
    row: ClaimedRow,
    connectors: Mapping[str, Any],
    worker: str,
    max_attempts: int,
    now: Callable[[], datetime],
    counts: PushCounts,
) -> None:
    connector = connectors.get(row.target_system)
    try:
        if connector is None:
            raise FatalError(row.target_system, row.operation, "system is not configured",
                             record=row.target_id)  # fmt: skip
        answer = send(row, connector)
        refusal = _refused(answer)
        if refusal:
            raise FatalError(row.target_system, row.operation, f"refused: {refusal}",
                             record=row.target_id)  # fmt: skip
        confirm(row, connector)
    except ConnectorError as exc:
        if _already_there(exc):
            queries.mark_outbox_done(engine, row.id, worker, now())
            counts.done += 1
            return
        # Retrying cannot fix a refusal or a broken contract: dead now, with the reason. Auth
        # and transient errors get the full attempts (credentials get fixed, outages end).
        transient = isinstance(exc, RetryableError | AuthError)
        state = queries.mark_outbox_failed(
            engine, row.id, worker, str(exc), now(),
            max_attempts=max_attempts if transient else row.attempts,
            retry_in=retry_delay(row.attempts),
        )  # fmt: skip
        if state is OutboxState.DEAD:
            counts.dead += 1
            log.error("outbox %d is dead after %d attempts: %s", row.id, row.attempts, exc)
        else:
            counts.retrying += 1
            log.warning("outbox %d failed (attempt %d), will retry: %s", row.id, row.attempts, exc)
        return
    if queries.mark_outbox_done(engine, row.id, worker, now()):
        counts.done += 1


# --- dry run -------------------------------------------------------------------------------

_DESCRIPTIONS = {
    "report_completion": "Báo cáo hoàn thành nhiệm vụ {task_id} với văn bản {number} "
    "(ban hành {issued})",
    "report_progress": "Báo cáo tiến độ nhiệm vụ {task_id}: {percent}% — {text}",
    "request_extension": "Xin gia hạn nhiệm vụ {task_id} đến {proposed}: {reason}",
    "set_processing_deadline": "Đặt hạn xử lý {deadline} cho văn bản đến {document_id}",
}
_SYSTEM_NAMES = {"tracking": "Hệ thống theo dõi nhiệm vụ", "ioffice": "iOffice", "idesk": "iDesk"}


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
    target = _SYSTEM_NAMES.get(target_system, target_system)
    return f"[{target}] " + template.format_map(_Default(fields))


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def dry_run(engine: Engine, now: datetime | None = None) -> list[str]:
    """The due rows, described; nothing is claimed or sent."""
    moment = now or datetime.now(UTC)
    query = (
        select(outbox.c.id, outbox.c.operation, outbox.c.target_system, outbox.c.payload)
        .where(outbox.c.state == OutboxState.PENDING.value, outbox.c.next_attempt_at <= moment)
        .order_by(outbox.c.id)
    )
    with engine.connect() as conn:
        return [
            f"#{row.id} {describe(row.operation, row.target_system, row.payload)}"
            for row in conn.execute(query)
        ]
