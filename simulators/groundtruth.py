"""What the simulated systems hold, exported for tests and benchmarks to compare against.

Every kind is an iterator of plain dicts (snake_case, instants as ISO 8601 with +07:00), produced
one record at a time so a large world can be streamed as JSON lines.
"""

from __future__ import annotations

from collections.abc import Iterator

from simulators import catalog
from simulators.state import SimState
from simulators.timeutil import iso_local
from simulators.world import OUTGOING_ID_BASE

KINDS = ("documents", "directives", "outgoing", "tasks", "writes", "late_marks", "units")


def _iso(epoch: int | None) -> str | None:
    return iso_local(epoch) if epoch is not None else None


def iterate(state: SimState, kind: str) -> Iterator[dict]:
    if kind not in KINDS:
        raise ValueError(f"unknown ground-truth kind {kind!r}; known: {', '.join(KINDS)}")
    now = state.clock.now()
    if kind == "units":
        yield from (
            {"key": u.key, "name": u.name, "ioffice_id": u.ioffice_id, "idesk_id": u.ioffice_id,
             "tracking_id": u.tracking_id}
            for u in catalog.UNITS
        )  # fmt: skip
        return
    if kind == "writes":
        with state.lock:
            ledger = list(state.ledger)
        for entry in ledger:
            yield {**entry, "received_at": _iso(entry["received_at"])}
        return
    for index in range(state.world.arrived_count(now)):
        with state.lock:
            record = _one(state, kind, index, now)
        if record is not None:
            yield record


def _one(state: SimState, kind: str, index: int, now: int) -> dict | None:
    fate = state.world.fate(index)
    if kind == "documents":
        doc = state.document(index, now)
        if doc is None:
            return None
        answered = fate.response_at is not None and fate.response_at <= now
        return {
            "id": doc["id"],
            "document_key": f"{doc['organ_id']},{doc['promulgated_on'].replace('-', '/')},"
            f"{doc['number_notation']}",
            "number_notation": doc["number_notation"],
            "organ_id": doc["organ_id"],
            "promulgated_on": doc["promulgated_on"],
            "doc_type": doc["doc_type"],
            "secrecy": doc["secrecy"],
            "text_encoding": doc["text_encoding"],
            "received_at": _iso(doc["received_at"]),
            "processing_deadline": doc["processing_deadline"],
            "deadline_set_by": doc["deadline_set_by"],
            "main_unit": doc["main_unit"].key,
            "coordinating_units": [u.key for u in doc["coordinating_units"]],
            "task_id": state.world.task_id(index) if fate.has_task else None,
            "deadline_source": fate.deadline_source,
            "stated_deadline_phrase": fate.stated_phrase,
            "tracking_deadline": _iso(fate.deadline),
            "response_id": OUTGOING_ID_BASE + index if answered else None,
            "response_secrecy": fate.response_secrecy if answered else None,
            "response_outcome": fate.response_outcome,
            "changed_at": _iso(doc["changed_at"]),
        }
    if kind == "directives":
        d = state.directive(index, now)
        if d is None:
            return None
        return {
            "id": d["id"], "document_id": d["document_id"], "created_at": _iso(d["created_at"]),
            "main_unit": d["main_unit"].key,
            "coordinating_units": [u.key for u in d["coordinating_units"]],
            "stated_deadline_phrase": fate.stated_phrase, "changed_at": _iso(d["changed_at"]),
            "secrecy": fate.directive_secrecy, "title": d["title"], "content": d["content"],
        }  # fmt: skip
    if kind == "outgoing":
        o = state.outgoing(index, now)
        if o is None:
            return None
        return {
            "id": o["id"], "number_notation": o["number_notation"],
            "issued_at": _iso(o["issued_at"]), "answers_document_id": state.world.incoming(
                index)["id"], "reference_mode": fate.reference_mode,
            "task_id": state.world.task_id(index), "outcome": fate.response_outcome,
            "secrecy": fate.response_secrecy, "abstract": o["abstract"],
        }  # fmt: skip
    if kind == "tasks":
        t = state.task(index, now)
        if t is None:
            return None
        done = t["completion"]
        return {
            "id": t["id"],
            "source_document_id": t["source"]["id"],
            "lead_unit": t["lead_unit"].key,
            "deadline": _iso(t["deadline"]),
            "task_class": t["task_class"],
            "status": t["status"],
            "timeliness": t["timeliness"],
            "revision": t["revision"],
            "completion_received_at": _iso(done["received_at"]) if done else None,
            "completed_at": _iso(done["completed_at"]) if done else None,
            "completion_source": done["source"] if done else None,
            "late_marked_at": _iso(t["late_mark"]["marked_at"]) if t["late_mark"] else None,
            "extension_requests": len(t["extensions"]),
            "original_deadline": _iso(t["original_deadline"]),
            "deadline_is_date": t["deadline_is_date"],
            "changed_at": _iso(t["changed_at"]),
        }
    if kind == "late_marks":
        mark = state.late_mark(index, now)
        if mark is None:
            return None
        return {
            "task_id": state.world.task_id(index),
            "deadline": _iso(mark["deadline"]),
            "marked_at": _iso(mark["marked_at"]),
        }
    return None
