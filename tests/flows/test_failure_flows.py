"""Failures as a view of their own: the standing ``open-failures`` table every run refreshes
(every open failure, not only the run's; the retry command first, the reason in Vietnamese),
and the retry-failures flow, read back through the Prefect API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

import flows
from reports.artifacts import local
from store import database, queries
from store.tables import outbox
from tests.flows.test_flows import _queue_completion, artifacts

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

COLUMNS = ["Thử lại bằng", "Lý do", "Hệ thống", "Từ lúc", "Số lần", "Bản ghi"]
NOTHING_OPEN = [{"Thử lại bằng": "", "Lý do": "Không có lỗi nào đang mở"}]


def _open(url: str) -> dict[str, queries.Failure]:
    engine = database.connect(url)
    try:
        return {f.tag: f for f in queries.list_failures(engine)}
    finally:
        engine.dispose()


def _a_letter_and_a_dead_update(url: str, sim) -> tuple[str, str, object]:
    """A record corrupted on the way (a resync reads no rejects again) and a completion the
    tracking system refused to take; their tags and the last run's state."""
    sim.set_faults("ioffice", malformed={"next": 1})
    assert flows.resync("ioffice", streams=["incoming"], return_state=True).is_failed()
    sim.clear_faults()
    _queue_completion(url, sim)
    sim.set_faults("tracking", http_5xx={"rate": 1.0})
    pushed = flows.push_updates(return_state=True)
    assert pushed.is_failed()
    sim.clear_faults()
    tags = _open(url)
    (letter,) = [t for t in tags if t.startswith("L")]
    (row,) = [t for t in tags if t.startswith("O")]
    return letter, row, pushed


def test_every_run_refreshes_the_table_of_every_open_failure(configured, sim):
    clean = flows.sync_system("ioffice", return_state=True)
    assert clean.is_completed(), clean.message
    assert artifacts(clean)["open-failures"] == NOTHING_OPEN

    letter, row, pushed = _a_letter_and_a_dead_update(configured, sim)
    failures = _open(configured)
    table = artifacts(pushed)["open-failures"]
    # The push run met only the update; the table still lists the letter a resync left open.
    assert {r["Thử lại bằng"] for r in table} == {
        f"bridge failures --retry {letter}",
        f"bridge failures --retry {row}",
    }
    assert all(list(r) == COLUMNS for r in table), table
    by_command = {r["Thử lại bằng"].rsplit(" ", 1)[1]: r for r in table}
    seen = by_command[letter]
    assert seen["Hệ thống"] == "iOffice" and seen["Số lần"] == 1
    assert seen["Từ lúc"] == local(failures[letter].since, "Asia/Ho_Chi_Minh")
    assert seen["Bản ghi"] == f"Văn bản đến {failures[letter].source_id}"
    assert by_command[row]["Hệ thống"] == "Theo dõi nhiệm vụ"
    # Officials read Vietnamese: the technical reason (English) is not in the table.
    assert failures[row].reason not in str(table) and failures[letter].reason not in str(table)


def test_the_retry_flow_resolves_a_letter_only_once_its_record_was_read(configured, sim):
    letter, row, _ = _a_letter_and_a_dead_update(configured, sim)

    sim.set_faults("ioffice", http_5xx={"rate": 1.0})
    failing = flows.retry_failures(which="ids", ids=[letter.lower()], return_state=True)
    assert failing.is_failed() and f"1 still failing, 0 not retried ({letter})" in failing.message
    (said,) = artifacts(failing)["retry-failures"]
    assert said["Kết quả"] == "Vẫn lỗi: lỗi vẫn mở"
    assert said["Thử lại bằng"] == f"bridge failures --retry {letter}"
    assert len(artifacts(failing)["open-failures"]) == 2
    assert set(_open(configured)) == {letter, row}

    sim.clear_faults()
    healed = flows.retry_failures(which="system", system="ioffice", return_state=True)
    assert healed.is_completed(), healed.message
    (said,) = artifacts(healed)["retry-failures"]
    assert said["Kết quả"] == "Đã đọc lại thành công: lỗi đã đóng"
    (still,) = artifacts(healed)["open-failures"]
    assert still["Thử lại bằng"] == f"bridge failures --retry {row}"

    queued = flows.retry_failures(return_state=True)  # which="all"
    assert queued.is_completed(), queued.message
    assert [r["Kết quả"] for r in artifacts(queued)["retry-failures"]] == [
        "Đã xếp lại hàng đợi: lượt gửi tới sẽ gửi"
    ]
    assert artifacts(queued)["open-failures"] == NOTHING_OPEN
    engine = database.connect(configured)
    with engine.connect() as conn:
        assert conn.execute(select(outbox.c.state)).scalar_one() == "pending"
    engine.dispose()


def test_the_retry_form_refuses_a_choice_without_what_it_needs(configured, sim):
    later = datetime.now(UTC).date() + timedelta(days=2)
    none = flows.retry_failures(which="time_range", since=later, return_state=True)
    assert none.is_completed(), none.message
    assert artifacts(none)["retry-failures"] == [{"Kết quả": "Không có lỗi nào khớp lựa chọn"}]

    for which in ("system", "ids", "time_range"):
        state = flows.retry_failures(which=which, return_state=True)
        assert state.is_failed() and f"which={which} needs" in state.message
    backwards = flows.retry_failures(
        which="time_range", since=date(2024, 3, 1), until=date(2024, 2, 1), return_state=True
    )
    assert backwards.is_failed() and "is after" in backwards.message
