"""Reports and extensions (docs/domain.md §6-§7): statuses against the deadline in force, the
extended tasks shown apart, the original deadline in the late list."""

from __future__ import annotations

from datetime import datetime

from bridge.pipelines.calendar import LOCAL_TZ
from bridge.pipelines.periods import parse_period
from bridge.pipelines.report import TaskFacts, count_report
from bridge.reports.markdown import summary_markdown
from bridge.schemas import DerivedStatus

NAMES = {"U1": "Phòng Một"}
NOVEMBER = parse_period("2024-11")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def task(source_id, deadline, original=None, issued=None) -> TaskFacts:
    return TaskFacts(
        source_id=source_id, title=f"Nhiệm vụ {source_id}", unit_id="U1",
        deadline=at(deadline), tracking_status="in_progress",
        received_at=at("2024-11-04 09:00"), has_source_link=True,
        response_issued_at=at(issued) if issued else None,
        original_deadline=at(original) if original else None,
    )  # fmt: skip


def test_statuses_use_the_deadline_in_force_and_extended_tasks_are_listed():
    facts = [
        # extended from 8/11 to 15/11, done on 13/11: on time against the new deadline
        task("E1", "2024-11-15 17:00", original="2024-11-08 17:00", issued="2024-11-13 10:00"),
        # extended, still late against the new deadline
        task("E2", "2024-11-15 17:00", original="2024-11-08 17:00", issued="2024-11-18 10:00"),
        # the original equals the deadline in force: not extended
        task("N1", "2024-11-08 17:00", original="2024-11-08 17:00", issued="2024-11-08 15:00"),
        # done at 15:00 on the deadline day: on time
        task("N2", "2024-11-08 17:00", issued="2024-11-08 15:00"),
    ]
    report = count_report(facts, [], NAMES, NOVEMBER, at("2024-11-30 23:59"))
    statuses = {f.source_id: f.status_at(report.as_of) for f in facts}
    assert statuses == {
        "E1": DerivedStatus.DONE_ON_TIME, "E2": DerivedStatus.DONE_LATE,
        "N1": DerivedStatus.DONE_ON_TIME, "N2": DerivedStatus.DONE_ON_TIME,
    }  # fmt: skip
    assert report.extended == ["E1", "E2"]
    (late,) = report.late
    assert (late.source_id, late.extended) == ("E2", True)
    assert late.original_deadline == at("2024-11-08 17:00")
    assert late.days_late == 3  # counted from the deadline in force, 15/11 17:00
    assert "2 nhiệm vụ đã được gia hạn" in summary_markdown(report, [])
