"""The tracking simulator's own rules for deadlines held as dates and for extensions.

Derived from docs/domain.md §5-§6, not from the bridge: a deadline held as a date lasts the
whole of that day, so the system marks a task late only from 00:00 of the next day and a
completion received any time on the deadline day is on time. A granted extension moves the
deadline in force; the original stays visible.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import requests

from simulators.harness import SimulatorCluster
from simulators.timeutil import LOCAL_TZ, iso_local, local_date, parse_instant
from tests.simulators.conftest import TDNV, Tracking


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorCluster]:
    with SimulatorCluster(size=300, seed=23, deadlines_as_dates=True) as cluster:
        yield cluster


def _open_date_tasks(sim: SimulatorCluster) -> list[dict]:
    now = sim.now()
    return [
        t for t in sim.ground_truth("tasks")
        if t["deadline_is_date"] and t["deadline"] > now and t["status"] != "DONE"
        and not t["extension_requests"]
    ]  # fmt: skip


def _at(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ).isoformat()


def _evidence(issued_at: str) -> dict:
    return {"NumberNotation": "21/STTTT-CNTT", "IssuerCode": "000.00.30.H41",
            "IssuedAt": issued_at, "Abstract": "V/v báo cáo kết quả"}  # fmt: skip


def _task(tracking: Tracking, task_id: str):
    return tracking.call("GetTaskRequest", TaskId=task_id).find(f"{{{TDNV}}}Task")


def _text(task, name: str) -> str | None:
    return task.findtext(f"{{{TDNV}}}{name}")


def test_a_structured_deadline_is_sent_as_a_date(sim) -> None:
    task = _open_date_tasks(sim)[0]
    element = _task(Tracking(sim), task["id"])
    assert _text(element, "Deadline") == task["deadline"][:10]


def test_no_late_mark_during_the_deadline_day_evening_then_late_the_next_day(sim) -> None:
    tasks = _open_date_tasks(sim)
    day = local_date(parse_instant(tasks[0]["deadline"]))
    # Pick the tasks sharing the earliest deadline day, so one clock walk serves them all.
    same_day = [t for t in tasks if local_date(parse_instant(t["deadline"])) == day]
    sim.advance(until=_at(day, 23, 59))
    marks = {m["task_id"] for m in sim.ground_truth("late_marks")}
    assert not marks & {t["id"] for t in same_day}
    sim.advance(until=_at(day + timedelta(days=1), 0, 0))
    sim.advance(seconds=1)
    marks = {m["task_id"]: m for m in sim.ground_truth("late_marks")}
    for t in same_day:
        assert t["id"] in marks
        assert marks[t["id"]]["marked_at"] == _at(day + timedelta(days=1), 0)


def test_a_completion_received_at_19h_on_the_deadline_day_is_on_time(sim) -> None:
    task = _open_date_tasks(sim)[0]
    day = local_date(parse_instant(task["deadline"]))
    sim.advance(until=_at(day, 19))
    tracking = Tracking(sim)
    answer = tracking.call(
        "ReportCompletionRequest", TaskId=task["id"], IdempotencyKey=str(uuid.uuid4()),
        Evidence=_evidence(_at(day, 15)), CompletedAt=_at(day, 15),
    )  # fmt: skip
    assert answer.findtext(f"{{{TDNV}}}OnTime") == "true"
    sim.advance(until=_at(day + timedelta(days=2), 9))
    truth = next(t for t in sim.ground_truth("tasks") if t["id"] == task["id"])
    assert truth["timeliness"] == "ON_TIME"
    assert truth["late_marked_at"] is None


def test_a_granted_extension_moves_the_deadline_and_keeps_the_original(sim) -> None:
    task = _open_date_tasks(sim)[0]
    original_day = local_date(parse_instant(task["deadline"]))
    tracking = Tracking(sim)
    proposed = _at(original_day + timedelta(days=7), 17)
    answer = tracking.call(
        "RequestExtensionRequest", TaskId=task["id"], IdempotencyKey=str(uuid.uuid4()),
        Reason="Cần thêm thời gian lấy ý kiến", ProposedDeadline=proposed,
    )  # fmt: skip
    assert answer.findtext(f"{{{TDNV}}}ExtensionStatus") == "PENDING"
    granted = requests.post(
        f"{sim.url('tracking')}/admin/tracking/grant-extension",
        json={"task_id": task["id"]},
        timeout=10,
    )
    assert granted.status_code == 200, granted.text
    element = _task(tracking, task["id"])
    assert _text(element, "Deadline") == (original_day + timedelta(days=7)).isoformat()
    assert _text(element, "OriginalDeadline") == original_day.isoformat()
    request = element.find(f"{{{TDNV}}}ExtensionRequest")
    assert request.findtext(f"{{{TDNV}}}Status") == "APPROVED"
    assert request.findtext(f"{{{TDNV}}}DecidedAt") == granted.json()["decided_at"]
    # Past the original day, the task is not late: the deadline in force is the new one.
    sim.advance(until=_at(original_day + timedelta(days=1), 9))
    truth = next(t for t in sim.ground_truth("tasks") if t["id"] == task["id"])
    assert truth["late_marked_at"] is None
    assert truth["timeliness"] == "WITHIN_DEADLINE"
    assert truth["original_deadline"] == iso_local(parse_instant(task["deadline"]))


def test_granting_without_a_request_needs_a_later_deadline(sim) -> None:
    task = _open_date_tasks(sim)[0]
    url = f"{sim.url('tracking')}/admin/tracking/grant-extension"
    nothing = requests.post(url, json={"task_id": task["id"]}, timeout=10)
    assert nothing.status_code == 400 and nothing.json()["code"] == "NO_REQUEST"
    earlier = requests.post(
        url, json={"task_id": task["id"], "deadline": task["deadline"]}, timeout=10
    )
    assert earlier.status_code == 400 and earlier.json()["code"] == "INVALID_DEADLINE"
    unknown = requests.post(url, json={"task_id": "NV2024-nope"}, timeout=10)
    assert unknown.status_code == 404


def test_deadlines_held_as_instants_keep_the_instant_rule() -> None:
    with SimulatorCluster(size=200, seed=23) as cluster:
        task = next(
            t for t in cluster.ground_truth("tasks")
            if t["deadline"] and t["deadline"] > cluster.now() and t["status"] != "DONE"
        )  # fmt: skip
        assert not task["deadline_is_date"]
        cluster.advance(until=task["deadline"])
        cluster.advance(seconds=1)
        marks = {m["task_id"]: m for m in cluster.ground_truth("late_marks")}
        assert marks[task["id"]]["marked_at"] == task["deadline"]
