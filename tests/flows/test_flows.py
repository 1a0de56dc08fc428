"""The flows against the simulators: the store changes, the artifacts say what happened, and a
run that leaves new failures ends Failed with each failure and its retry command."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

import flows
from pipelines import extensions
from reports.artifacts import MAX_ROWS
from store import database, queries
from store.queries import OutboxItem
from store.tables import dead_letters, documents, outbox, runs, sync_cursors, tasks

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


# --- helpers -------------------------------------------------------------------------------


def artifacts(state) -> dict[str, list[dict] | str]:
    """The run's artifacts by key, read back through the Prefect API; tables as rows."""
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    return {a.key: json.loads(a.data) if a.type == "table" else a.data for a in found}


def run_logs(state) -> str:
    """Every log line of the run, read back through the Prefect API once the last one (the
    hook's "ended" line, sent in the background like every log) is there."""
    import time

    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    run_id = state.state_details.flow_run_id
    only_it = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id]))
    with get_client(sync_client=True) as client:
        for _ in range(60):
            lines = "\n".join(entry.message for entry in client.read_logs(log_filter=only_it))
            if " ended " in lines:
                return lines
            time.sleep(0.5)
    return lines


def run_name(state) -> str:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id).name


def assert_refused(state, reason: str) -> None:
    """An expected failure: Failed, the one-line reason as its message, no traceback logged."""
    assert state.is_failed(), state
    assert reason in state.message and "\n" not in state.message, state.message
    logs = run_logs(state)
    assert reason in logs
    assert "Traceback" not in logs and "unexpected exception" not in logs, logs[-2000:]


def count(url: str, table, *where) -> int:
    engine = database.connect(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    finally:
        engine.dispose()


def row_of(table_rows: list[dict], stream_label: str) -> dict:
    return next(r for r in table_rows if r["Luồng"] == stream_label)


def incoming_ids(sim, how_many: int) -> list[str]:
    ordinary = [d for d in sim.ground_truth("documents") if not d.get("secrecy")]
    return [str(d["id"]) for d in ordinary[:how_many]]


# --- sync_system ---------------------------------------------------------------------------


def test_a_sync_fills_the_store_and_its_table_matches_the_runs(configured, sim):
    state = flows.sync_system("ioffice", return_state=True)
    assert state.is_completed(), state.message
    stored = count(configured, documents)
    assert stored > 0
    table = artifacts(state)["sync-ioffice"]
    incoming = row_of(table, "Văn bản đến")
    assert incoming["Hệ thống"] == "iOffice" and incoming["Đã đọc"] > 0
    assert sum(row_of(table, s)["Mới"] for s in ("Văn bản đến", "Văn bản đi")) == stored
    assert row_of(table, "Gửi cập nhật")["Gửi lỗi"] == 0
    # One run per stream and one push run, as `bridge status` and the reports see them.
    assert count(configured, runs, runs.c.kind == "sync") == 3
    assert count(configured, runs, runs.c.kind == "push") == 1
    assert count(configured, sync_cursors, sync_cursors.c.system == "ioffice") == 3

    again = flows.sync_system("ioffice", return_state=True)
    assert again.is_completed(), again.message
    assert row_of(artifacts(again)["sync-ioffice"], "Văn bản đến")["Mới"] == 0


def task_states(state) -> dict[str, str]:
    """The run's task runs by name, with their state names."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        found = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))
        )
    return {t.name: t.state.name for t in found}


def test_a_sync_shows_a_task_per_stream_and_per_step(configured, sim):
    done = task_states(flows.sync_system("ioffice", return_state=True))
    steps = ["sync-ioffice-incoming", "sync-ioffice-outgoing", "sync-ioffice-directives",
             "reread-rejects-ioffice"]  # fmt: skip
    assert {name: done.get(name) for name in steps} == dict.fromkeys(steps, "Completed"), done
    assert any(name.startswith("reconcile") for name in done), done
    assert any(name.startswith("push") for name in done), done
    assert any(name.startswith("publish") for name in done), done

    # A system that is down: the stream that failed is the failed task, the others never ran.
    sim.set_faults("ioffice", http_5xx={"rate": 1.0})
    failed = task_states(flows.sync_system("ioffice", return_state=True))
    assert [name for name, s in failed.items() if s == "Failed"] == ["sync-ioffice-directives"]
    assert not any(name.startswith(("reconcile", "push")) for name in failed), failed


def test_a_record_corrupted_on_the_way_heals_in_the_same_sync(configured, sim):
    sim.set_faults("ioffice", malformed={"next": 2})
    state = flows.sync_system("ioffice", return_state=True)
    assert state.is_completed(), state.message
    notes = [row["Ghi chú"] for row in artifacts(state)["sync-ioffice"]]
    assert any(note.startswith("Đọc lại") and "đã đọc được" in note for note in notes)
    assert "sync-failures" not in artifacts(state)
    assert count(configured, dead_letters, dead_letters.c.resolved_at.is_(None)) == 0


def test_a_rejected_record_fails_the_run_naming_it_and_its_retry(configured, sim):
    # A resync re-reads nothing by itself: the corrupted record stays rejected.
    sim.set_faults("ioffice", malformed={"next": 1})
    state = flows.resync("ioffice", streams=["incoming"], return_state=True)
    assert state.is_failed()
    engine = database.connect(configured)
    (letter,) = queries.list_failures(engine)
    engine.dispose()
    assert state.message.startswith("1 new failure(s)") and f"L{letter.id}" in state.message
    source_id = letter.where.split(" ", 1)[1]
    (row,) = artifacts(state)["resync-failures"]
    # The retry command first (a wide table cuts the last columns off), the reason in words.
    assert list(row)[:2] == ["Thử lại bằng", "Lý do"]
    assert row["Thử lại bằng"] == f"bridge failures --retry L{letter.id}"
    assert row["Mới"] == "mới" and row["Hệ thống"] == "iOffice"
    assert row["Bản ghi"] == f"Văn bản đến {source_id}"
    assert row["Lý do"].startswith(("Thiếu thông tin bắt buộc (trường ",
                                    "Thông tin không hợp lệ (trường ")), row  # fmt: skip
    assert artifacts(state)["open-failures"] == [{k: v for k, v in row.items() if k != "Mới"}]
    assert row_of(artifacts(state)["resync-ioffice"], "Văn bản đến")["Bị từ chối"] == 1
    assert count(configured, documents) > 0, "one bad record never stops a page"

    # Known now: a run that meets it again lists it but does not fail for it again.
    sim.set_faults("ioffice", malformed={"next": 1})
    again = flows.resync("ioffice", streams=["incoming"], return_state=True)
    assert again.is_completed(), again.message


def test_a_system_that_is_down_fails_the_run_with_its_table(configured, sim):
    sim.set_faults("ioffice", http_5xx={"rate": 1.0})
    state = flows.sync_system("ioffice", return_state=True)
    assert_refused(state, "HTTP 50")
    table = artifacts(state)["sync-ioffice"]
    assert "HTTP 50" in table[0]["Ghi chú"]
    assert count(configured, runs, runs.c.status == "failed") == 1


# --- resync --------------------------------------------------------------------------------


def test_a_resync_of_some_ids_stores_them_without_moving_the_cursor(configured, sim):
    ids = incoming_ids(sim, 3)
    dry = flows.resync(
        "ioffice", streams=["incoming"], source_ids=ids, dry_run=True, return_state=True
    )
    assert dry.is_completed(), dry.message
    assert row_of(artifacts(dry)["resync-ioffice"], "Văn bản đến")["Mới"] == 3
    assert count(configured, documents) == 0, "a dry run writes nothing"

    state = flows.resync("ioffice", streams=["incoming"], source_ids=ids, return_state=True)
    assert state.is_completed(), state.message
    engine = database.connect(configured)
    with engine.connect() as conn:
        stored = set(conn.execute(select(documents.c.source_id)).scalars())
    engine.dispose()
    assert stored == set(ids)
    assert count(configured, sync_cursors) == 0
    table = artifacts(state)["resync-ioffice"]
    assert table == [row_of(table, "Văn bản đến")] and table[0]["Mới"] == 3


def test_a_resync_of_some_days_reads_only_those_days(configured, sim):
    # The form's date picker sends a day, read as a local (Asia/Ho_Chi_Minh) day.
    today = datetime.fromisoformat(sim.now()).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    state = flows.resync("ioffice", streams=["incoming"], since=today.isoformat(),
                         return_state=True)  # fmt: skip
    assert state.is_completed(), state.message
    assert run_name(state) == f"resync-ioffice-incoming-{today}..now"
    everything = flows.resync("ioffice", streams=["incoming"], return_state=True)
    assert run_name(everything) == "resync-ioffice-incoming-start..now"
    recent = row_of(artifacts(state)["resync-ioffice"], "Văn bản đến")["Đã đọc"]
    total = row_of(artifacts(everything)["resync-ioffice"], "Văn bản đến")["Đã đọc"]
    assert 0 <= recent < total
    assert f"từ {today:%d/%m/%Y} 00:00" in _description(state, "resync-ioffice")


def _description(state, key: str) -> str:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    return next(a.description for a in found if a.key == key)


def test_a_resync_refuses_ids_and_a_range_together(configured):
    state = flows.resync("ioffice", source_ids=["1"], since=date(2024, 2, 1), return_state=True)
    assert_refused(state, "give either source_ids or since/until, not both")


def test_a_stream_the_system_lacks_fails_in_one_line(configured):
    state = flows.resync("tracking", streams=["incoming"], dry_run=True, return_state=True)
    assert_refused(state, "tracking has no stream 'incoming'; its streams: tasks")
    assert run_name(state) == "resync-tracking-incoming-start..now-dry-run"


def test_a_resync_of_an_unconfigured_system_fails_in_one_line(configured):
    state = flows.resync("idesk", source_ids=["1", "2", "3", "4"], return_state=True)
    assert_refused(state, "idesk has no address")
    assert run_name(state) == "resync-idesk-all-ids-1,2,3+1"


# --- push_updates --------------------------------------------------------------------------


def _queue_completion(url: str, sim) -> OutboxItem:
    now = datetime.fromisoformat(sim.now())
    task = next(
        t for t in sim.ground_truth("tasks")
        if t["status"] != "DONE" and t["deadline"] and datetime.fromisoformat(t["deadline"]) > now
    )  # fmt: skip
    item = OutboxItem(
        idempotency_key=f"completion:{task['id']}:{uuid.uuid4().hex[:8]}",
        target_system="tracking",
        operation="report_completion",
        target_id=task["id"],
        payload={
            "task_id": task["id"],
            "completed_at": sim.now(),
            "evidence": {"NumberNotation": "15/STTTT-VP", "IssuerCode": "000.00.30.H41",
                         "IssuedAt": sim.now(), "Abstract": "V/v báo cáo kết quả"},
        },
    )  # fmt: skip
    database.upgrade(url)
    engine = database.connect(url)
    queries.enqueue_outbox(engine, [item], datetime.now(UTC))
    engine.dispose()
    return item


def test_push_sends_the_outbox_and_says_so(configured, sim):
    item = _queue_completion(configured, sim)
    dry = flows.push_updates(dry_run=True, return_state=True)
    assert item.target_id in artifacts(dry)["push-dry-run"]
    assert count(configured, outbox, outbox.c.state == "pending") == 1

    state = flows.push_updates(return_state=True)
    assert state.is_completed(), state.message
    assert artifacts(state)["push"] == [
        {"Hệ thống": "Tất cả", "Luồng": "Gửi cập nhật", "Đã đọc": 0, "Mới": 0, "Thay đổi": 0,
         "Bị từ chối": 0, "Văn bản mật (bỏ qua)": 0, "Đã gửi": 1, "Gửi lỗi": 0, "Ghi chú": ""}
    ]  # fmt: skip
    assert count(configured, outbox, outbox.c.state == "done") == 1


def test_a_dead_push_fails_the_run_naming_the_update_and_its_retry(configured, sim):
    item = _queue_completion(configured, sim)
    sim.set_faults("tracking", http_5xx={"rate": 1.0})
    state = flows.push_updates(return_state=True)
    assert state.is_failed()
    engine = database.connect(configured)
    with engine.connect() as conn:
        row_id = conn.execute(
            select(outbox.c.id).where(outbox.c.idempotency_key == item.idempotency_key)
        ).scalar_one()
    engine.dispose()
    assert f"O{row_id}" in state.message and "1 new failure(s)" in state.message
    (failure,) = artifacts(state)["push-failures"]
    assert failure["Thử lại bằng"] == f"bridge failures --retry O{row_id}"
    assert failure["Bản ghi"] == f"Báo hoàn thành nhiệm vụ {item.target_id}"
    assert failure["Lý do"] == (
        "Hệ thống không trả lời hoặc báo lỗi máy chủ; thử lại khi hệ thống hoạt động"
    )
    assert failure["Hệ thống"] == "Theo dõi nhiệm vụ" and failure["Số lần"] == 1
    assert artifacts(state)["push"][0]["Gửi lỗi"] == 1


# --- deadline_watch and health_check -------------------------------------------------------


def test_the_deadline_watch_lists_the_overdue_tasks_in_the_store(configured, sim):
    assert flows.sync_system("tracking", return_state=True).is_completed()
    state = flows.deadline_watch(return_state=True)
    assert state.is_completed(), state.message
    overdue = count(configured, tasks, tasks.c.derived_status == "overdue")
    at_risk = count(configured, tasks, tasks.c.at_risk.is_(True))
    assert overdue > 0  # the simulated world's deadlines are in 2024
    listed = artifacts(state)["deadline-watch"]
    assert len(listed) == min(overdue + at_risk, MAX_ROWS)
    assert {row["Tình trạng"] for row in listed} <= {"Quá hạn", "Sắp đến hạn"}
    assert all(row["Hạn"] and row["Mã nhiệm vụ"].startswith("NV") for row in listed)


def test_the_deadline_watch_lists_items_at_their_review_milestone(configured, sim):
    assert flows.sync_system("ioffice", return_state=True).is_completed()
    synced = flows.sync_system("tracking", return_state=True)
    # The world holds tasks answered by secret replies: the first run that meets them ends
    # Failed with exactly those (docs/secrecy.md), and nothing else may fail.
    if not synced.is_completed():
        failures = synced.message.split(": ", 1)[1].split(". See", 1)[0].split("; ")
        assert all("answer is secret" in failure for failure in failures), synced.message
    moment = datetime.fromisoformat(sim.now())
    state = flows.deadline_watch(now=moment, return_state=True)
    assert state.is_completed(), state.message
    engine = database.connect(configured)
    expected = extensions.review_due(engine, moment)
    engine.dispose()
    assert expected, "the simulated world has items a day before their deadline"
    listed = artifacts(state)["deadline-watch-review"]
    assert [row["Mã"] for row in listed] == [
        f"{item.system}/{item.source_id}" for item in expected
    ][:MAX_ROWS]


def test_the_deadline_watch_skips_a_day_off_when_scheduled(configured):
    sunday = datetime(2024, 2, 4, 7, 30)
    state = flows.deadline_watch(now=sunday, skip_days_off=True, return_state=True)
    assert state.is_completed() and "not a working day" in state.message
    assert artifacts(state) == {}


def test_the_health_check_fails_when_a_system_is_down(configured, sim, monkeypatch):
    state = flows.health_check(return_state=True)
    assert state.is_completed(), state.message
    rows = artifacts(state)["health-check"]
    assert [(r["Thành phần"], r["Trạng thái"]) for r in rows] == [
        ("iOffice", "Hoạt động"), ("Theo dõi nhiệm vụ", "Hoạt động"), ("Kho dữ liệu", "Hoạt động"),
        ("Lịch ngày làm việc", "Cảnh báo"),  # 2027 is provisional until its announcement
    ]  # fmt: skip
    assert "2027 is provisional" in rows[-1]["Chi tiết"]

    monkeypatch.setenv("BRIDGE_TRACKING__CLIENT_SECRET", "wrong-secret")
    down = flows.health_check(return_state=True)
    assert down.is_failed() and "tracking" in down.message and "401" in down.message
    assert "wrong-secret" not in down.message


def test_the_periodic_report_writes_both_files_and_links_them(configured, sim, tmp_path,
                                                              monkeypatch):  # fmt: skip
    monkeypatch.setenv("BRIDGE_VAR_DIR", str(tmp_path / "var"))
    assert flows.sync_system("tracking", return_state=True).is_completed()
    state = flows.periodic_report(period="2024-02", return_state=True)
    assert state.is_completed(), state.message
    (written,) = (tmp_path / "var" / "reports").glob("bao-cao_2024-02_*.xlsx")
    (word,) = (tmp_path / "var" / "reports").glob("bao-cao_2024-02_*.docx")
    assert str(written) in state.message and str(word) in state.message
    found = artifacts(state)
    assert found["report-monthly"].startswith("## Báo cáo tình hình xử lý văn bản")
    assert written.resolve().as_uri() in found["report-monthly"]
    # A link artifact reads as a Markdown link to the file.
    assert found["report-monthly-excel"] == (
        f"[Bảng số liệu 2024-02 (Excel)]({written.resolve().as_uri()})"
    )
    assert found["report-monthly-word"] == f"[Báo cáo 2024-02 (Word)]({word.resolve().as_uri()})"


def test_a_scheduled_report_covers_the_latest_complete_period(configured, sim, tmp_path,
                                                              monkeypatch):  # fmt: skip
    from pipelines.calendar import local_date
    from pipelines.periods import schedule_period

    monkeypatch.setenv("BRIDGE_VAR_DIR", str(tmp_path / "var"))
    state = flows.periodic_report(schedule="half_yearly", return_state=True)
    assert state.is_completed(), state.message
    expected = schedule_period("half_yearly", local_date(datetime.now(UTC)))
    assert expected.last_day < local_date(datetime.now(UTC))
    assert len(list((tmp_path / "var" / "reports").glob(f"bao-cao_{expected.label}_*"))) == 2
    assert "report-half-yearly-word" in artifacts(state)
