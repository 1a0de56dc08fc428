"""Both kinds of figures over a small hand-made world, each figure worked out by hand in the
comments: a week, a month with the data cut-off, a calendar quarter and 2024-H1 with the
cut-off; the received basis; extended items apart; days late in working days (the real
working calendar: 1 January 2024 is a holiday)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from pipelines.calendar import LOCAL_TZ, load_calendar
from pipelines.periods import parse_period
from pipelines.report import SecretSkip, count_report, working_days_late_many
from pipelines.report_documents import AssignmentFacts, DocumentFacts, document_items
from pipelines.report_items import BASIS_RECEIVED
from pipelines.report_tasks import DeadlineHistory, TaskFacts, task_items
from reports.markdown import summary_markdown

NAMES = {"U1": "Phòng Một", "U2": "Phòng Hai", "U3": "Phòng Ba"}
DAYS_LATE = working_days_late_many(load_calendar())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def doc(source_id, unit, received, deadline, done=None, coordinating=(), assigned=None):
    """An incoming document; ``unit`` is named main handler by a directive at ``assigned``
    (or at receipt), the receiving unit being U3 to show the directive wins."""
    when = at(assigned) if assigned else None
    handlers = [AssignmentFacts("CD-" + source_id, unit, "main", when)]
    handlers += [AssignmentFacts("CD-" + source_id, u, "coordinating", when) for u in coordinating]
    return DocumentFacts(
        system="ioffice", source_id=source_id, code=f"{source_id}/UBND-VP",
        abstract=f"Văn bản {source_id}", receiving_unit_id="U3", received_at=at(received),
        explicit_deadline=None, computed_deadline=at(deadline), deadline_rule="default",
        response_issued_at=at(done) if done else None,
        response_code=f"R{source_id}/STTTT-VP" if done else None,
        first_directed_at=when, assignments=tuple(handlers),
    )  # fmt: skip


def task(source_id, unit, received, deadline, done=None, status="in_progress", **more):
    return TaskFacts(
        source_id=source_id, title=f"Nhiệm vụ {source_id}", unit_id=unit,
        deadline=at(deadline) if deadline else None, tracking_status=status,
        received_at=at(received), has_source_link=True,
        response_issued_at=at(done) if done else None, **more,
    )  # fmt: skip


DOCUMENTS = document_items([
    doc("D1", "U1", "2024-01-02 09:00", "2024-01-09 17:00", "2024-01-08 10:00",
        coordinating=("U2",)),
    doc("D2", "U1", "2024-01-03 09:00", "2024-01-10 17:00", "2024-01-12 09:00"),
    doc("D3", "U2", "2024-01-05 09:00", "2024-01-12 17:00", "2024-01-16 09:00",
        assigned="2024-01-05 10:00"),
    doc("D4", "U2", "2024-01-10 09:00", "2024-01-17 17:00", "2024-01-17 16:00",
        assigned="2024-01-16 08:00"),
    doc("D5", "U3", "2023-12-20 09:00", "2023-12-27 17:00", "2024-01-10 09:00"),
    doc("D6", "U1", "2024-03-20 09:00", "2024-03-27 17:00", "2024-04-02 09:00"),
    doc("D7", "U3", "2024-06-10 09:00", "2024-06-17 17:00", "2024-06-13 10:00"),
    doc("D8", "U1", "2024-01-05 09:00", "2024-01-19 17:00", "2024-01-09 09:00"),
    doc("D9", "U3", "2023-12-18 09:00", "2023-12-25 17:00", "2023-12-22 09:00"),
])  # fmt: skip
TASKS = task_items([
    task("T1", "U1", "2024-01-02 09:00", "2024-01-12 17:00", "2024-01-11 09:00", "done"),
    task("T2", "U1", "2024-01-03 09:00", "2024-07-31 17:00"),
    task("T3", "U2", "2024-01-04 09:00", "2024-01-11 17:00", "2024-01-15 09:00", "done",
         notes="Chờ ý kiến Sở Tài chính"),
    task("T4", "U3", "2024-01-08 09:00", "2024-01-19 17:00", "2024-01-18 09:00", "done"),
    task("T5", "U1", "2024-01-09 09:00", None, status="not_started"),
    task("T6", "U2", "2024-05-02 09:00", "2024-06-20 17:00"),
    task("T7", "U3", "2023-12-15 08:00", "2023-12-29 17:00", "2024-01-22 09:00", "not_started"),
    task("T8", "U2", "2024-06-03 09:00", "2024-06-14 17:00", status="not_started",
         assigned_at=at("2024-06-04 09:00")),
], {"T4": DeadlineHistory(at("2024-01-10 17:00"), True)})  # fmt: skip
SKIPS = [SecretSkip("U1", date(2024, 1, 10), 2), SecretSkip("", date(2024, 6, 20), 1)]
FIELDS = ("counted", "done_on_time", "done_late", "in_progress", "overdue", "not_started")


def report_of(text, cutoff, basis="due", as_of=None, unit=None):
    period = parse_period(text, cutoff=cutoff)
    moment = as_of or period.last_instant
    return count_report(DOCUMENTS, TASKS, SKIPS, NAMES, period, moment, DAYS_LATE, basis, unit)


def figures(kind) -> dict[str, tuple[int, ...]]:
    """unit id → (counted, on time, late, in progress, overdue, not started), units with any."""
    rows = {r.unit_id: tuple(getattr(r, f) for f in FIELDS) for r in kind.units if r.counted}
    return {**rows, "total": tuple(getattr(kind.total, f) for f in FIELDS)}


def days_late(kind) -> dict[str, int]:
    return {line.item.item_id: line.days_late for line in kind.late}


def test_the_world_is_what_the_comments_say():
    t7 = next(t for t in TASKS if t.item_id == "T7")
    assert t7.deadline == at("2023-12-29 17:00")
    d1 = next(d for d in DOCUMENTS if d.item_id == "D1")
    # The directive names U1 main handler and U2 coordinating; the receiving unit (U3) loses.
    assert (d1.unit_id, d1.coordinating_unit_ids) == ("U1", ("U2",))


def test_week_2024_w02():
    # Monday 8 to Sunday 14 January 2024, due in or done in it, as of 14/01 23:59:59.
    report = report_of("2024-W02", cutoff=True)  # weeks have no cut-off
    assert (report.period.first_day, report.period.last_day) == (date(2024, 1, 8),
                                                                 date(2024, 1, 14))  # fmt: skip
    # D1 done 8/01 (on time), D2 due 10/01 done 12/01 (late), D8 done 9/01 (on time): U1.
    # D3 due 12/01 open on 14/01 (overdue): U2. D5 done 10/01, due 27/12 (late): U3.
    # D4 is due 17/01 and done 17/01: next week.
    assert figures(report.documents) == {
        "U1": (3, 2, 1, 0, 0, 0), "U2": (1, 0, 0, 0, 1, 0), "U3": (1, 0, 1, 0, 0, 0),
        "total": (5, 2, 2, 0, 1, 0),
    }  # fmt: skip
    # D2: 11, 12 Jan. D3: 13–14 are a weekend, so the minimum of one. D5: 28, 29 Dec, then
    # 1 Jan is a holiday, 2–5 and 8–10 Jan: 9.
    assert days_late(report.documents) == {"D2": 2, "D3": 1, "D5": 9}
    assert report.documents.total.on_time_rate == pytest.approx(2 / 5)
    by_unit = {r.unit_id: r for r in report.documents.units}
    assert by_unit["U2"].coordinating == 1  # D1, shown beside, not counted
    assert by_unit["U1"].secret_excluded == 2 and report.secret_excluded == 2
    # T1 due 12/01 done 11/01 (on time): U1. T3 due 11/01, answered 15/01: overdue on 14/01.
    assert figures(report.tasks) == {
        "U1": (1, 1, 0, 0, 0, 0), "U2": (1, 0, 0, 0, 1, 0), "total": (2, 1, 0, 0, 1, 0),
    }  # fmt: skip
    assert days_late(report.tasks) == {"T3": 1}  # 12 Jan
    assert report.tasks.undated == 1  # T5: no deadline, not done, in no period
    (t3,) = report.tasks.late
    assert t3.item.notes == "Chờ ý kiến Sở Tài chính" and t3.completed_at is None


def test_month_2024_01_with_the_cut_off():
    # 15 December 2023 to 14 January 2024.
    report = report_of("2024-01", cutoff=True)
    assert (report.period.first_day, report.period.last_day) == (date(2023, 12, 15),
                                                                 date(2024, 1, 14))  # fmt: skip
    # As the week, plus D9 (due 25/12, done 22/12, on time) for U3.
    assert figures(report.documents) == {
        "U1": (3, 2, 1, 0, 0, 0), "U2": (1, 0, 0, 0, 1, 0), "U3": (2, 1, 1, 0, 0, 0),
        "total": (6, 3, 2, 0, 1, 0),
    }  # fmt: skip
    assert report.documents.total.on_time_rate == pytest.approx(3 / 6)
    # Tasks: as the week, plus T7 (due 29/12/2023, answered only 22/01): overdue, 9 working
    # days by 14/01 (2–5 and 8–12 January; 1 January is a holiday).
    assert figures(report.tasks) == {
        "U1": (1, 1, 0, 0, 0, 0), "U2": (1, 0, 0, 0, 1, 0), "U3": (1, 0, 0, 0, 1, 0),
        "total": (3, 1, 0, 0, 2, 0),
    }  # fmt: skip
    assert days_late(report.tasks) == {"T3": 1, "T7": 9}


def test_the_same_month_on_calendar_days_is_another_set():
    report = report_of("2024-01", cutoff=False)  # 1 to 31 January
    ids = {line.item.item_id for line in report.documents.items}
    # D4 (due 17/01) and D3 (done 16/01) come in; D9 (December) goes out.
    assert ids == {"D1", "D2", "D3", "D4", "D5", "D8"}


def test_quarter_2024_q1_on_calendar_days():
    report = report_of("2024-Q1", cutoff=False)  # 1 January to 31 March, as of 31/03
    # U1: D1, D8 on time, D2 late, D6 due 27/03 answered 2/04: overdue on 31/03.
    # U2: D3 late (done 16/01), D4 on time. U3: D5 late (done 10/01).
    assert figures(report.documents) == {
        "U1": (4, 2, 1, 0, 1, 0), "U2": (2, 1, 1, 0, 0, 0), "U3": (1, 0, 1, 0, 0, 0),
        "total": (7, 3, 3, 0, 1, 0),
    }  # fmt: skip
    # D3: 15, 16 Jan. D6: 28, 29 March (30–31 a weekend).
    assert days_late(report.documents) == {"D2": 2, "D3": 2, "D5": 9, "D6": 2}
    # U1: T1 on time. U2: T3 late. U3: T4 on time (extended), T7 late (done 22/01).
    assert figures(report.tasks) == {
        "U1": (1, 1, 0, 0, 0, 0), "U2": (1, 0, 1, 0, 0, 0), "U3": (2, 1, 1, 0, 0, 0),
        "total": (4, 2, 2, 0, 0, 0),
    }  # fmt: skip
    # T3: 12, 15 Jan. T7: 9 working days to 14/01, then 15–19 and 22 January: 15.
    assert days_late(report.tasks) == {"T3": 2, "T7": 15}
    assert report.tasks.total.extended == 1
    assert {r.unit_id: r.extended for r in report.tasks.units if r.extended} == {"U3": 1}
    (t4,) = [line for line in report.tasks.items if line.item.item_id == "T4"]
    assert t4.item.original_deadline == at("2024-01-10 17:00") and t4.item.extended
    assert report.tasks.total.on_time_rate == pytest.approx(2 / 4)


def test_first_half_2024_h1_with_the_cut_off():
    report = report_of("2024-H1", cutoff=True)  # 15 December 2023 to 14 June 2024
    assert (report.period.first_day, report.period.last_day) == (date(2023, 12, 15),
                                                                 date(2024, 6, 14))  # fmt: skip
    # U1: D1, D8 on time; D2, D6 late (D6 done 2/04). U2: D3 late, D4 on time.
    # U3: D5 late; D7 (done 13/06) and D9 (done 22/12) on time.
    assert figures(report.documents) == {
        "U1": (4, 2, 2, 0, 0, 0), "U2": (2, 1, 1, 0, 0, 0), "U3": (3, 2, 1, 0, 0, 0),
        "total": (9, 5, 4, 0, 0, 0),
    }  # fmt: skip
    # D6: 28, 29 March, 1, 2 April.
    assert days_late(report.documents) == {"D2": 2, "D3": 2, "D5": 9, "D6": 4}
    assert report.documents.total.on_time_rate == pytest.approx(5 / 9)
    # As the quarter, plus T8 (due 14/06 17:00, open at the end of that day: overdue, one
    # day). T6 is due 20/06: after the cut-off, so in the next report.
    assert figures(report.tasks) == {
        "U1": (1, 1, 0, 0, 0, 0), "U2": (2, 0, 1, 0, 1, 0), "U3": (2, 1, 1, 0, 0, 0),
        "total": (5, 2, 2, 0, 1, 0),
    }  # fmt: skip
    assert days_late(report.tasks) == {"T3": 2, "T7": 15, "T8": 1}
    assert report.secret_excluded == 2  # the one seen on 20/06 is after the cut-off


def test_received_in_the_period_instead():
    report = report_of("2024-01", cutoff=True, basis=BASIS_RECEIVED)
    assert report.basis == BASIS_RECEIVED
    # Received 15/12–14/01: D1, D2, D8 (U1); D3 overdue, D4 not started yet (U2: directed
    # only on 16/01); D5 late, D9 on time (U3).
    assert figures(report.documents) == {
        "U1": (3, 2, 1, 0, 0, 0), "U2": (2, 0, 0, 0, 1, 1), "U3": (2, 1, 1, 0, 0, 0),
        "total": (7, 3, 2, 0, 1, 1),
    }  # fmt: skip
    # T1 on time, T2 in progress (due 31/07), T5 not started (no deadline): U1.
    # T3 overdue: U2. T4 in progress (done only 18/01), T7 overdue: U3.
    assert figures(report.tasks) == {
        "U1": (3, 1, 0, 1, 0, 1), "U2": (1, 0, 0, 0, 1, 0), "U3": (2, 0, 0, 1, 1, 0),
        "total": (6, 1, 0, 2, 2, 1),
    }  # fmt: skip
    assert report.tasks.undated == 0


def test_a_period_still_running_counts_what_stands_now():
    # On Wednesday 10/01 noon: D1 (done 8/01) on time; D2 due 10/01 17:00 and D3 due 12/01
    # are open, D3 directed (in progress), D2 not (not started); D8 done 9/01; D5 done
    # 10/01 09:00, late.
    report = report_of("2024-W02", cutoff=False, as_of=at("2024-01-10 12:00"))
    assert figures(report.documents)["total"] == (5, 2, 1, 1, 0, 1)
    assert {line.item.item_id for line in report.documents.items} == {"D1", "D2", "D3", "D5",
                                                                      "D8"}  # fmt: skip


def test_one_unit_with_the_documents_it_coordinates_beside():
    report = report_of("2024-W02", cutoff=True, unit="U2")
    assert [r.unit_id for r in report.documents.units] == ["U2"]
    (row,) = report.documents.units
    assert (row.counted, row.overdue, row.coordinating) == (1, 1, 1)
    assert report.documents.total.counted == 1


def test_every_row_adds_up_and_every_counted_item_is_listed():
    for text, cutoff in (("2024-W02", False), ("2024-01", True), ("2024-Q1", False),
                         ("2024-H1", True)):  # fmt: skip
        report = report_of(text, cutoff)
        for kind in report.kinds:
            for row in [*kind.units, kind.total]:
                assert row.counted == sum(getattr(row, f) for f in FIELDS[1:])
            assert len(kind.items) == kind.total.counted
            for row in kind.units:
                mine = [line for line in kind.items if line.item.unit_id == row.unit_id]
                assert len(mine) == row.counted
                for status in FIELDS[1:]:
                    assert sum(line.status.value == status for line in mine) == getattr(row, status)


def test_the_markdown_summary_carries_both_kinds():
    text = summary_markdown(report_of("2024-01", cutoff=True), [])
    assert "Tháng 01/2024 (số liệu từ ngày 15/12/2023 đến ngày 14/01/2024)" in text
    assert "### Văn bản đến có thời hạn xử lý: 6, tỷ lệ đúng hạn **50,0%**" in text
    assert "| Phòng Ba | 2 | 1 | 1 | 0 | 0 | 0 | 50,0% |" in text
    assert "### Nhiệm vụ được giao: 3" in text
    assert "2 văn bản mật không thống kê" in text and "Không có sai lệch" in text


def test_the_bridges_own_warning_is_not_a_units_reason():
    (item,) = task_items(
        [task("W", "U1", "2024-01-02 09:00", "2024-01-05 17:00",
              notes="Cảnh báo sớm: nhiệm vụ đến hạn lúc 17:00 ngày 05/01/2024, chưa có văn "
                    "bản hoàn thành.")], {},
    )  # fmt: skip
    assert item.notes is None and not item.extended and item.original_deadline is None
