"""End to end on the simulators (real HTTP): a deadline given as a date is the whole working day.

docs/domain.md §5-§6. The tracking deployment here keeps deadlines typed from hanXuLy as dates
(``deadlines_as_dates``): it marks a task late only from the next day. A task whose response is
issued on the afternoon of its deadline day, and that the bridge only syncs and pushes in the
evening of that day, is on time in the tracking system, in the bridge's statuses and in the
report. Read as 00:00 of the day, it would have been "done late" everywhere.

An extension granted by the monitoring unit is seen by sync: the task keeps its history
(original, then the extension with its grant time), its status uses the new deadline and the
report shows it extended.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import requests
from sqlalchemy import select

from connectors.http import RetryPolicy
from connectors.ioffice import IOfficeConnector
from connectors.tracking import LgspToken, TrackingConnector
from pipelines import extensions, push, reconcile, sync
from pipelines.calendar import load_calendar
from pipelines.periods import parse_period
from pipelines.report import build_report
from schemas import DerivedStatus
from simulators.harness import SimulatorCluster
from simulators.timeutil import LOCAL_TZ
from store.tables import documents, tasks

FAST = RetryPolicy(max_attempts=4, backoff_initial_s=0.01, backoff_max_s=0.05)


@pytest.fixture
def sim():
    with SimulatorCluster(size=400, seed=9, deadlines_as_dates=True) as cluster:
        yield cluster


def _local(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, LOCAL_TZ)


def _cycle(sim, engine) -> None:
    token = LgspToken(sim.token_url, **sim.tracking_credentials, policy=FAST)
    connectors = {
        "ioffice": IOfficeConnector(sim.ioffice_url, **sim.ioffice_credentials, policy=FAST),
        "tracking": TrackingConnector(sim.tracking_url, token=token, policy=FAST),
    }
    catalog = sync.Catalog.load()
    for connector in connectors.values():
        sync.sync_system(engine, connector, catalog)
    reconcile.reconcile(engine, datetime.fromisoformat(sim.now()))
    push.push_due(engine, connectors, max_attempts=5)


def _fates(sim, outcome: str):
    """Tasks with a structured (date) deadline after the clock's start and the given outcome.

    The simulated systems know weekends only; a deadline day that is a public holiday would
    be a real disagreement (the bridge moves it to the next working day, docs/domain.md §6),
    so the scenario takes a deadline day both calendars agree is a working day.
    """
    world, start = sim.simulation.world, sim.simulation.clock.now()
    calendar = load_calendar()
    for index in range(world.total):
        fate = world.fate(index)
        if (
            fate.has_task and fate.deadline_source == "structured"
            and fate.response_outcome == outcome and fate.arrival > start
            and fate.directive_at is not None
            and calendar.is_working_day(_local(fate.deadline).date())
        ):  # fmt: skip
            yield index, fate


def _stored_task(engine, task_id: str):
    with engine.connect() as conn:
        return conn.execute(select(tasks).where(tasks.c.source_id == task_id)).one()


def _truth(sim, task_id: str) -> dict:
    return next(t for t in sim.ground_truth("tasks") if t["id"] == task_id)


@pytest.mark.slow
def test_a_response_on_the_deadline_day_afternoon_is_on_time_everywhere(sim, engine):
    index, fate = next(
        (i, f) for i, f in _fates(sim, "on") if _local(f.response_at).hour >= 13
    )  # an afternoon response on the deadline day
    world = sim.simulation.world
    task_id = world.task_id(index)
    deadline_day = _local(fate.deadline).date()
    issued = _local(fate.response_at)
    assert issued.date() == deadline_day

    _cycle(sim, engine)  # the clock's start: the task does not exist yet
    # Sync next in the evening of the deadline day: after 17:00, before the day ends.
    sim.advance(until=datetime.combine(deadline_day, time(18, 30), LOCAL_TZ))
    _cycle(sim, engine)
    sim.advance(until=datetime.combine(deadline_day + timedelta(days=1), time(9), LOCAL_TZ))
    _cycle(sim, engine)

    # The tracking system: the completion arrived the same evening, so on time, no late mark.
    truth = _truth(sim, task_id)
    assert truth["deadline_is_date"]
    assert (truth["status"], truth["timeliness"], truth["late_marked_at"]) == (
        "DONE", "ON_TIME", None,
    )  # fmt: skip
    writes = [
        w for w in sim.ground_truth("writes")
        if w["target"] == task_id and w["operation"] == "ReportCompletion"
    ]  # fmt: skip
    assert [w["outcome"] for w in writes] == ["applied"]
    assert writes[0]["result"]["result"]["onTime"] is True
    assert datetime.fromisoformat(writes[0]["received_at"]) > datetime.combine(
        deadline_day, time(17), LOCAL_TZ
    )  # pushed after 17:00: only the whole-day rule makes it on time

    # The bridge: the date-only deadline is 17:00 of that day; the status is done on time.
    row = _stored_task(engine, task_id)
    assert row.deadline == datetime.combine(deadline_day, time(17), LOCAL_TZ)
    assert row.deadline_whole_day  # the day is the deadline: the evening of it is on time
    assert row.derived_status == DerivedStatus.DONE_ON_TIME.value
    assert row.deadline_milestone < row.deadline
    with engine.connect() as conn:
        stated = conn.execute(
            select(documents.c.stated_deadline).where(
                documents.c.system == "ioffice",
                documents.c.source_id == str(world.incoming(index)["id"]),
            )
        ).scalar_one()
    assert stated == datetime.combine(deadline_day, time(17), LOCAL_TZ)  # hanXuLy, a date

    # The report of the month the task is due in: listed, done on time, not among the late.
    report = build_report(engine, parse_period(f"{deadline_day:%Y-%m}"), now=datetime.now(LOCAL_TZ))
    lines = {line.item.item_id: line for line in report.tasks.items}
    assert lines[task_id].status == DerivedStatus.DONE_ON_TIME
    assert task_id not in {line.item.item_id for line in report.tasks.late}
    assert report.tasks.total.done_on_time >= 1


@pytest.mark.slow
def test_an_extension_is_kept_in_the_history_and_used_by_statuses_and_reports(sim, engine):
    index, fate = next(
        (i, f) for i, f in _fates(sim, "after") if f.response_at - f.deadline < 4 * 86400
    )
    world = sim.simulation.world
    task_id = world.task_id(index)
    deadline_day = _local(fate.deadline).date()
    new_day = _local(fate.response_at).date() + timedelta(days=3)

    sim.advance(until=_local(fate.task_created_at + 60))
    _cycle(sim, engine)
    # The monitoring unit extends the task the day before its deadline.
    sim.advance(until=datetime.combine(deadline_day - timedelta(days=1), time(10), LOCAL_TZ))
    granted = requests.post(
        f"{sim.url('tracking')}/admin/tracking/grant-extension",
        json={"task_id": task_id, "deadline": f"{new_day.isoformat()}T17:00:00+07:00"},
        timeout=10,
    )
    assert granted.status_code == 200, granted.text
    sim.advance(until=_local(fate.response_at + 3600))
    _cycle(sim, engine)

    history = extensions.history_of(engine, task_id)
    assert [(h["kind"], h["deadline"].astimezone(LOCAL_TZ).date()) for h in history] == [
        ("original", deadline_day), ("extension", new_day),
    ]  # fmt: skip
    assert history[1]["granted_at"] == datetime.fromisoformat(granted.json()["decided_at"])
    row = _stored_task(engine, task_id)
    assert row.extension_count == 1
    # Answered after the original deadline, before the new one: on time against the new one.
    assert row.derived_status == DerivedStatus.DONE_ON_TIME.value
    truth = _truth(sim, task_id)
    assert (truth["timeliness"], truth["late_marked_at"]) == ("ON_TIME", None)
    # The report of the month of the deadline in force: on time, shown as extended, with the
    # original deadline beside it.
    report = build_report(engine, parse_period(f"{new_day:%Y-%m}"), now=datetime.now(LOCAL_TZ))
    line = {line.item.item_id: line for line in report.tasks.items}[task_id]
    assert line.status == DerivedStatus.DONE_ON_TIME
    assert line.item.extended
    assert line.item.original_deadline.astimezone(LOCAL_TZ).date() == deadline_day
    assert report.tasks.total.extended >= 1
