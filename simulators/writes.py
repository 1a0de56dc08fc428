"""The writes the simulated systems accept, as a mixin of SimState (docs/simulators.md).

Each write is checked the way the real system checks it (a deadline that is a date, a task
that exists and is not completed, an extension asked for in time), applied to the overlay, and
recorded in one ledger (``ground_truth("writes")``); an idempotency key seen before replays
the first result instead of applying twice, and only applied writes are remembered, so a
rejected write may be sent again once fixed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from simulators.deadline_rules import WriteRejected


class SimWrites:
    """Needs ``clock``, ``lock``, the overlay's dicts (``deadline_writes``, ``completions``,
    ``progress``, ``extensions``, ``task_writes``, ``overlays``), the ledger (``ledger``,
    ``idempotency``) and the reads ``document()``, ``holds()``, ``task()``, ``completion()``,
    ``late_after()``, ``late_mark()`` and ``deadline_in_force()`` from SimState."""

    clock: Any
    lock: Any
    deadline_writes: dict[int, dict]
    completions: dict[int, dict]
    progress: dict[int, dict]
    extensions: dict[int, list[dict]]
    task_writes: dict[int, int]
    overlays: dict[str, Any]
    ledger: list[dict]
    idempotency: dict[tuple[str, str], dict]

    def set_processing_deadline(
        self, system: str, index: int, deadline_text: str, key: str
    ) -> dict:
        """Set hanXuLy of a document that has none; a repeated key replays the first result."""
        with self.lock:
            now = self.clock.now()
            replay = self._replay(system, key, "SetProcessingDeadline", str(index), now)
            if replay is not None:
                return replay
            try:
                if not key:
                    raise WriteRejected("IDEMPOTENCY_KEY_REQUIRED", "idempotencyKey is required")
                try:
                    deadline = date.fromisoformat(deadline_text[:10])
                except (TypeError, ValueError):
                    raise WriteRejected(
                        "INVALID_DATE", f"hanXuLy {deadline_text!r} is not a date"
                    ) from None
                doc = self.document(index, now) if self.holds(system, index) else None
                if doc is None:
                    raise WriteRejected("NOT_FOUND", f"no document {index}", 404)
                if doc["secrecy"]:
                    raise WriteRejected("SECRET_DOCUMENT", "secret documents are read-only", 403)
                if doc["processing_deadline"] is not None:
                    raise WriteRejected(
                        "DEADLINE_EXISTS",
                        f"document already has hanXuLy {doc['processing_deadline']}",
                        409,
                    )
            except WriteRejected as rejected:
                return self._record(
                    system, "SetProcessingDeadline", str(index), key, now, {}, rejected
                )
            self.deadline_writes[index] = {
                "deadline": deadline.isoformat(),
                "applied_at": now,
                "key": key,
                "system": system,
            }
            self.overlays["incoming"].bump(index, now)
            return self._record(
                system, "SetProcessingDeadline", str(index), key, now,
                {"deadline": deadline.isoformat()}, None,
            )  # fmt: skip

    def report_progress(
        self, index: int | None, task_id: str, key: str, text: str, percent: int, reported_at: int
    ) -> dict:
        def apply(i: int, now: int) -> dict:
            if self.completion(i, now) is not None:
                raise WriteRejected("ALREADY_COMPLETED", f"task {task_id} is already completed")
            if not 0 <= percent <= 100:
                raise WriteRejected("INVALID_PERCENT", "percent must be within 0..100")
            self.progress[i] = {
                "text": text, "percent": percent, "reported_at": reported_at, "received_at": now,
            }  # fmt: skip
            return {"percent": percent}

        return self._task_write("ReportProgress", index, task_id, key, apply)

    def report_completion(
        self, index: int | None, task_id: str, key: str, evidence: dict, completed_at: int
    ) -> dict:
        def apply(i: int, now: int) -> dict:
            if self.completion(i, now) is not None:
                raise WriteRejected("ALREADY_COMPLETED", f"task {task_id} is already completed")
            if not evidence.get("number_notation"):
                raise WriteRejected("EVIDENCE_REQUIRED", "the evidence document needs a number")
            limit = self.late_after(i, now)
            self.completions[i] = {
                "received_at": now,
                "completed_at": completed_at,
                "evidence": evidence,
                "source": "bridge",
                "key": key,
            }
            on_time = limit is None or now <= limit
            return {"onTime": on_time, "lateMarkKept": self.late_mark(i, now) is not None}

        return self._task_write("ReportCompletion", index, task_id, key, apply)

    def request_extension(
        self, index: int | None, task_id: str, key: str, reason: str, proposed: int
    ) -> dict:
        def apply(i: int, now: int) -> dict:
            deadline = self.deadline_in_force(i, now)
            limit = self.late_after(i, now)
            if deadline is None or limit is None:
                raise WriteRejected("NO_DEADLINE", f"task {task_id} has no deadline to extend")
            if now > limit:
                raise WriteRejected("DEADLINE_PASSED", "extensions must be requested in time")
            if proposed <= deadline:
                raise WriteRejected("INVALID_DEADLINE", "the proposed deadline is not later")
            request = {
                "reason": reason, "proposed_deadline": proposed, "received_at": now,
                "status": "PENDING",
            }  # fmt: skip
            self.extensions.setdefault(i, []).append(request)
            return {"status": "PENDING"}

        return self._task_write("RequestExtension", index, task_id, key, apply)

    def _task_write(self, operation: str, index: int | None, task_id: str, key: str, apply):
        with self.lock:
            now = self.clock.now()
            replay = self._replay("tracking", key, operation, task_id, now)
            if replay is not None:
                return replay
            try:
                if not key:
                    raise WriteRejected("IDEMPOTENCY_KEY_REQUIRED", "idempotencyKey is required")
                if index is None or self.task(index, now) is None:
                    raise WriteRejected("UNKNOWN_TASK", f"no task {task_id!r}", 404)
                result = apply(index, now)
            except WriteRejected as rejected:
                return self._record("tracking", operation, task_id, key, now, {}, rejected)
            self.task_writes[index] = self.task_writes.get(index, 0) + 1
            self.overlays["tasks"].bump(index, now)
            return self._record("tracking", operation, task_id, key, now, result, None)

    # -- ledger ----------------------------------------------------------------------------
    def _replay(self, system: str, key: str, operation: str, target: str, now: int) -> dict | None:
        original = self.idempotency.get((system, key)) if key else None
        if original is None:
            return None
        self.ledger.append(
            {
                "seq": len(self.ledger) + 1, "system": system, "operation": operation,
                "target": target, "idempotency_key": key, "received_at": now,
                "outcome": "replayed", "result": original,
            }
        )  # fmt: skip
        return {**original, "replayed": True}

    def _record(
        self, system: str, operation: str, target: str, key: str, now: int,
        result: dict, rejected: WriteRejected | None,
    ) -> dict:  # fmt: skip
        outcome = {
            "applied": rejected is None,
            "code": "OK" if rejected is None else rejected.code,
            "message": "applied" if rejected is None else rejected.message,
            "status": 200 if rejected is None else rejected.status,
            "result": result,
            "seq": len(self.ledger) + 1,
            "replayed": False,
        }
        self.ledger.append(
            {
                "seq": outcome["seq"], "system": system, "operation": operation,
                "target": target, "idempotency_key": key, "received_at": now,
                "outcome": "applied" if rejected is None else "rejected", "result": outcome,
            }
        )  # fmt: skip
        if key and rejected is None:
            # Only applied writes are remembered: a rejected write may be retried once fixed.
            self.idempotency[(system, key)] = outcome
        return outcome
