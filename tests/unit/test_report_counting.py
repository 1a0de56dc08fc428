"""The mismatch decision over hand-made rows: every mismatch cause, the unit filter, the
Vietnamese table (the figures themselves: test_report_figures.py)."""

from __future__ import annotations

from datetime import datetime

import pytest

from pipelines.calendar import LOCAL_TZ
from pipelines.mismatch import (
    COLUMNS,
    Cause,
    OutboxRow,
    find_mismatches,
    mismatch_table,
    suspects,
)
from pipelines.report import TaskFacts, check_unit
from schemas import TrackingStatus

NAMES = {"U1": "Phòng Một", "U2": "Phòng Hai", "U3": "Phòng Ba"}


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


def test_an_unknown_unit_is_refused_with_the_known_ones():
    world = [task("A", "U1", None, None)]
    check_unit("U1", NAMES, world)
    check_unit("tracking:TD-9", NAMES, [task("X", "tracking:TD-9", None, None)])
    with pytest.raises(ValueError, match=r"'U9'.*U1, U2, U3"):
        check_unit("U9", NAMES, world)


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
    assert by_id["M6"].detail == (
        "2 văn bản trả lời cùng khớp (ioffice/1, ioffice/2); cần chọn văn bản đúng."
    )
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
