"""The report's counting and the mismatch decision over hand-made rows: every status, secret
exclusion, the period's edges, the unit filter and every mismatch cause."""

from __future__ import annotations

from datetime import datetime

import pytest

from bridge.pipelines.calendar import LOCAL_TZ
from bridge.pipelines.mismatch import (
    COLUMNS,
    Cause,
    OutboxRow,
    find_mismatches,
    mismatch_table,
    suspects,
)
from bridge.pipelines.periods import parse_period
from bridge.pipelines.report import SecretSkip, TaskFacts, check_unit, count_report
from bridge.reports.markdown import summary_markdown
from bridge.schemas import DerivedStatus, TrackingStatus

NAMES = {"U1": "Phòng Một", "U2": "Phòng Hai", "U3": "Phòng Ba"}
NOVEMBER = parse_period("2024-11")


def at(text: str) -> datetime:
    """Local time, as people read it: "2024-11-08 10:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def task(source_id, unit, received, deadline, status="in_progress", **more) -> TaskFacts:
    return TaskFacts(
        source_id=source_id, title=f"Nhiệm vụ {source_id}", unit_id=unit,
        deadline=at(deadline) if deadline else None, tracking_status=status,
        received_at=at(received) if received else None, has_source_link=received is not None,
        **more,
    )  # fmt: skip


WORLD = [
    # U1
    task("A", "U1", "2024-11-04 09:00", "2024-11-10 17:00",
         response_issued_at=at("2024-11-08 10:00"), response_code="1/A"),
    task("B", "U1", "2024-11-05 09:00", "2024-11-12 17:00",
         response_issued_at=at("2024-11-14 08:00"), notes="Chờ ý kiến Sở Tài chính"),
    task("C", "U1", "2024-11-20 09:00", "2024-12-05 17:00", status="in_progress"),
    # no deadline; done in tracking, by hand, with no response linked: tracking's time counts
    task("H", "U1", "2024-11-10 09:00", None, status="done",
         tracking_completed_at=at("2024-11-15 09:00")),
    # the last minute of November is in; midnight is December
    task("J", "U1", "2024-11-30 23:59", "2024-12-05 17:00", status="not_started"),
    task("K", "U1", "2024-12-01 00:00", "2024-12-05 17:00", status="not_started"),
    task("G", "U1", "2024-10-31 23:59", "2024-11-05 17:00"),  # October
    # U2
    task("D", "U2", "2024-11-21 09:00", "2024-11-25 17:00", status="not_started"),
    task("E", "U2", "2024-11-28 09:00", "2024-12-10 17:00", status="not_started"),
    # answered only after November: overdue at November's end, whatever happened later
    task("F", "U2", "2024-11-06 09:00", "2024-11-20 17:00",
         response_issued_at=at("2024-12-03 09:00")),
    task("I", "U2", None, "2024-11-20 17:00"),  # no source document linked: undated
]  # fmt: skip
SKIPS = [
    SecretSkip("U1", NOVEMBER.first_day, 2),
    SecretSkip("U2", parse_period("2024-12").first_day, 5),  # December: not this report's
    SecretSkip("", parse_period("2024-11-15..2024-11-15").first_day, 1),
]


def figures_of(report, unit_id):
    (row,) = [r for r in report.units if r.unit_id == unit_id]
    return {
        name: getattr(row, name)
        for name in ("received", "done_on_time", "done_late", "in_progress", "overdue",
                     "not_started", "secret_excluded")
    }  # fmt: skip


def test_every_status_is_counted_at_the_period_end_and_they_add_up():
    report = count_report(WORLD, SKIPS, NAMES, NOVEMBER, NOVEMBER.last_instant)
    assert figures_of(report, "U1") == dict(
        received=5, done_on_time=2, done_late=1, in_progress=1, overdue=0, not_started=1,
        secret_excluded=2,
    )  # fmt: skip
    assert figures_of(report, "U2") == dict(
        received=3, done_on_time=0, done_late=0, in_progress=0, overdue=2, not_started=1,
        secret_excluded=0,
    )  # fmt: skip
    assert figures_of(report, "U3") == dict.fromkeys(figures_of(report, "U3"), 0)
    assert figures_of(report, "")["secret_excluded"] == 1
    total = report.total
    assert (total.received, total.done_on_time, total.done_late, total.in_progress) == (8, 2, 1, 1)
    assert (total.overdue, total.not_started, total.secret_excluded) == (2, 2, 3)
    assert report.undated == 1
    for row in [*report.units, total]:
        assert row.received == sum(
            (row.done_on_time, row.done_late, row.in_progress, row.overdue, row.not_started)
        )


def test_the_on_time_rate_counts_only_settled_tasks():
    report = count_report(WORLD, SKIPS, NAMES, NOVEMBER, NOVEMBER.last_instant)
    rates = {row.unit_id: row.on_time_rate for row in report.units}
    assert rates["U1"] == pytest.approx(2 / 3)  # on time A, H; late B; C and J still in time
    assert rates["U2"] == 0.0  # D and F overdue
    assert rates["U3"] is None  # nothing settled: no rate rather than a made-up 0 or 100%
    assert report.total.on_time_rate == pytest.approx(2 / 5)


def test_units_are_listed_by_name_with_the_unknown_unit_last_and_names_filled_in():
    report = count_report(WORLD, SKIPS, NAMES, NOVEMBER, NOVEMBER.last_instant)
    assert [r.unit_name for r in report.units] == [
        "Phòng Ba", "Phòng Hai", "Phòng Một", "(không rõ đơn vị)"
    ]  # fmt: skip


def test_late_and_overdue_tasks_carry_deadline_completion_days_and_reason():
    report = count_report(WORLD, SKIPS, NAMES, NOVEMBER, NOVEMBER.last_instant)
    late = {t.source_id: t for t in report.late}
    assert set(late) == {"B", "D", "F"}
    assert late["B"].status is DerivedStatus.DONE_LATE
    assert late["B"].completed_at == at("2024-11-14 08:00")
    assert late["B"].days_late == 2  # 1 day 15 hours past 12/11 17:00
    assert late["B"].reason == "Chờ ý kiến Sở Tài chính"
    assert late["F"].status is DerivedStatus.OVERDUE and late["F"].completed_at is None
    assert late["D"].days_late == 6  # 25/11 17:00 to the end of 30/11
    assert late["D"].unit_name == "Phòng Hai"


def test_a_period_still_running_is_counted_as_of_the_time_given():
    # On 22 November, D (due 25/11) was not yet overdue, F (due 20/11) already was, and E
    # (received 28/11) did not exist yet.
    report = count_report(WORLD, SKIPS, NAMES, NOVEMBER, at("2024-11-22 12:00"))
    assert figures_of(report, "U2")["received"] == 2
    assert figures_of(report, "U2")["overdue"] == 1
    assert figures_of(report, "U2")["not_started"] == 1
    # B was answered on 14/11: done late whatever the reference time after that.
    assert figures_of(report, "U1")["done_late"] == 1


def test_one_unit_only():
    report = count_report(WORLD, SKIPS, NAMES, NOVEMBER, NOVEMBER.last_instant, unit="U2")
    assert [r.unit_id for r in report.units] == ["U2"]
    assert report.total.received == 3 and report.total.secret_excluded == 0
    assert report.undated == 1
    assert {t.source_id for t in report.late} == {"D", "F"}


def test_an_unknown_unit_is_refused_with_the_known_ones():
    check_unit("U1", NAMES, WORLD)
    check_unit("tracking:TD-9", NAMES, [task("X", "tracking:TD-9", None, None)])
    with pytest.raises(ValueError, match=r"'U9'.*U1, U2, U3"):
        check_unit("U9", NAMES, WORLD)


def test_the_markdown_summary_is_vietnamese_and_carries_the_figures():
    report = count_report(WORLD, SKIPS, NAMES, NOVEMBER, NOVEMBER.last_instant)
    text = summary_markdown(report, [])
    assert "Tháng 11/2024" in text
    assert "| Phòng Một | 5 | 2 | 1 | 1 | 0 | 1 | 66,7% |" in text
    assert "| **Tổng cộng** | **8** | **2** | **1** | **1** | **2** | **2** | **40,0%** |" in text
    assert "3 văn bản mật không thống kê" in text
    assert "Không có sai lệch" in text


# --- mismatches ----------------------------------------------------------------------------

NOW = at("2024-12-02 08:00")
ISSUED = {"response_issued_at": at("2024-11-20 10:00"), "response_code": "5/STTTT-VP"}
LINKED = "2024-11-04 09:00"
MIXED = [
    task("M1", "U1", LINKED, "2024-11-30 17:00", status="in_progress", **ISSUED),
    task("M2", "U1", LINKED, "2024-11-30 17:00", status="not_started", **ISSUED),
    task("M3", "U2", LINKED, "2024-11-30 17:00", status="in_progress", **ISSUED),
    task("M4", "U2", LINKED, "2024-11-30 17:00", status="not_started", **ISSUED),
    task("M5", "U2", None, "2024-11-30 17:00", status="done",
         source_document_id="X,2024/11/01,1/A"),
    task("M6", "U1", LINKED, "2024-11-30 17:00", status="done"),
    task("M10", "U1", LINKED, "2024-11-30 17:00", status="done"),
    # agreeing: both done, neither done, and a response not issued yet at NOW
    task("M7", "U1", LINKED, "2024-11-30 17:00", status="done", **ISSUED),
    task("M8", "U1", LINKED, "2024-11-30 17:00", status="in_progress"),
    task("M9", "U1", LINKED, "2024-12-30 17:00", status="in_progress",
         response_issued_at=at("2024-12-03 08:00")),
]  # fmt: skip
OUTBOX = {
    "M1": OutboxRow("pending", None, at("2024-11-20 12:00")),
    "M2": OutboxRow("dead", "tracking report_completion: HTTP 503", at("2024-11-20 12:00")),
    "M3": OutboxRow("done", None, at("2024-11-20 12:00")),
    "M7": OutboxRow("done", None, at("2024-11-20 12:00")),
}
AMBIGUOUS = {"M6": "2 responses by number_match: ioffice/1, ioffice/2"}


def test_each_disagreement_gets_its_likely_cause():
    found = find_mismatches(MIXED, OUTBOX, AMBIGUOUS, NAMES, NOW)
    causes = {m.task_id: m.cause for m in found}
    assert causes == {
        "M1": Cause.NOT_PUSHED,
        "M2": Cause.PUSH_FAILED,
        "M3": Cause.PUSHED_NOT_RESYNCED,
        "M4": Cause.NOT_RECONCILED,
        "M5": Cause.NO_LINK,
        "M6": Cause.AMBIGUOUS_LINK,
        "M10": Cause.NO_LINK,
    }
    by_id = {m.task_id: m for m in found}
    assert "HTTP 503" in by_id["M2"].detail
    assert "X,2024/11/01,1/A" in by_id["M5"].detail
    assert by_id["M6"].detail == AMBIGUOUS["M6"]
    assert by_id["M1"].tracking_status is TrackingStatus.IN_PROGRESS and by_id["M1"].eoffice_done
    assert not by_id["M5"].eoffice_done and by_id["M5"].response_code is None
    assert {t.source_id for t in suspects(MIXED, NOW)} == {"M5", "M6", "M10"}


def test_mismatches_of_one_unit_and_as_a_table_with_vietnamese_columns():
    found = find_mismatches(MIXED, OUTBOX, AMBIGUOUS, NAMES, NOW, unit="U2")
    assert [m.task_id for m in found] == ["M3", "M4", "M5"]
    table = mismatch_table(found)
    assert [list(row) for row in table] == [list(COLUMNS)] * 3
    assert all(isinstance(value, str) for row in table for value in row.values())
    assert table[0]["Mã nhiệm vụ"] == "M3"
    assert table[0]["Trạng thái trên hệ thống theo dõi"] == "Đang thực hiện"
    assert table[0]["Thời điểm ban hành"] == "20/11/2024 10:00"
    assert table[2]["Nguyên nhân"] == "Không tìm thấy liên kết văn bản"


def test_a_directive_by_the_reference_time_means_work_started():
    directed = [
        task("P", "U3", "2024-11-10 09:00", "2024-12-20 17:00", status="not_started",
             assigned_at=at("2024-11-11 09:00")),
        task("Q", "U3", "2024-11-10 09:00", "2024-12-20 17:00", status="not_started",
             assigned_at=at("2024-12-01 09:00")),  # directed only after November
    ]  # fmt: skip
    report = count_report(directed, [], NAMES, NOVEMBER, NOVEMBER.last_instant, unit="U3")
    assert figures_of(report, "U3")["in_progress"] == 1
    assert figures_of(report, "U3")["not_started"] == 1
