"""Reports and extensions (docs/domain.md §6-§7): statuses against the deadline in force, the
extended tasks shown apart with their original deadline, a date-only deadline on time all day."""

from __future__ import annotations

from datetime import datetime

from pipelines.calendar import LOCAL_TZ, load_calendar
from pipelines.periods import parse_period
from pipelines.report import count_report, working_days_late_many
from pipelines.report_tasks import DeadlineHistory, TaskFacts, task_items
from schemas import DerivedStatus

NAMES = {"U1": "Phòng Một"}
NOVEMBER = parse_period("2024-11", cutoff=False)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def task(source_id, deadline, issued=None, whole_day=False) -> TaskFacts:
    return TaskFacts(
        source_id=source_id, title=f"Nhiệm vụ {source_id}", unit_id="U1",
        deadline=at(deadline), tracking_status="in_progress",
        received_at=at("2024-11-04 09:00"), has_source_link=True,
        response_issued_at=at(issued) if issued else None, deadline_whole_day=whole_day,
    )  # fmt: skip


def test_statuses_use_the_deadline_in_force_and_extended_tasks_are_apart():
    facts = [
        # extended from 8/11 to 15/11, done on 13/11: on time against the new deadline
        task("E1", "2024-11-15 17:00", issued="2024-11-13 10:00"),
        # extended, still late against the new deadline
        task("E2", "2024-11-15 17:00", issued="2024-11-18 10:00"),
        # done at 15:00 on the deadline day: on time
        task("N1", "2024-11-08 17:00", issued="2024-11-08 15:00"),
        # a date-only deadline (read as 17:00) answered at 19:00 that day: still on time
        task("W1", "2024-11-08 17:00", issued="2024-11-08 19:00", whole_day=True),
        # the same answer against a deadline with a stated hour: late
        task("H1", "2024-11-08 17:00", issued="2024-11-08 19:00"),
    ]
    original = at("2024-11-08 17:00")
    history = {
        "E1": DeadlineHistory(original, True),
        "E2": DeadlineHistory(original, True),
    }
    items = task_items(facts, history)
    report = count_report(
        [], items, [], NAMES, NOVEMBER, at("2024-11-30 23:59"),
        working_days_late_many(load_calendar()),
    )  # fmt: skip
    statuses = {line.item.item_id: line.status for line in report.tasks.items}
    assert statuses == {
        "E1": DerivedStatus.DONE_ON_TIME, "E2": DerivedStatus.DONE_LATE,
        "N1": DerivedStatus.DONE_ON_TIME, "W1": DerivedStatus.DONE_ON_TIME,
        "H1": DerivedStatus.DONE_LATE,
    }  # fmt: skip
    assert report.tasks.total.extended == 2
    late = {line.item.item_id: line for line in report.tasks.late}
    assert set(late) == {"E2", "H1"}
    assert late["E2"].item.extended and late["E2"].item.original_deadline == original
    # counted in working days from the deadline in force (Fri 15/11 17:00 → Mon 18/11)
    assert late["E2"].days_late == 1
