"""The failure tables officials read: the retry command first, the technical reasons the
pipeline writes turned into Vietnamese words (an unknown one into a generic phrase, never the
English text), the system's label and the local time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reports import failure_tables
from reports.failure_tables import GENERIC_REASON, open_failures_table, reason_vi
from store.queries import CLASSIFIED_REPLY, CLASSIFIED_REPLY_VI, Failure

SINCE = datetime(2026, 12, 3, 7, 5, tzinfo=UTC)


def letter(reason: str, source_id: str = "1000042", stream: str = "incoming") -> Failure:
    return Failure("dead_letter", 12, f"ioffice/{stream} {source_id}", reason, SINCE, 2,
                   "ioffice", stream, source_id, SINCE)  # fmt: skip


def update(reason: str) -> Failure:
    return Failure("outbox", 142, "tracking report_completion NV-1", reason, SINCE, 5,
                   "tracking", "report_completion", "NV-1", SINCE)  # fmt: skip


# Reasons as the pipeline writes them (normalize, record_checks, push, connectors/errors).
@pytest.mark.parametrize(("reason", "said"), [
    ("ioffice/incoming 1000042: field 'number_notation' (soKyHieu): missing (value: None)",
     "Thiếu thông tin bắt buộc (trường number_notation)"),
    ("ioffice/incoming 1000042: field 'received_at' (ngayDen): not a date (value: '31/02')",
     "Thông tin không hợp lệ (trường received_at)"),
    ("field 'trichYeu': contains a NUL character (U+0000), which PostgreSQL cannot store "
     "(value: 'a\\x00')",
     "Dữ liệu không lưu được: quá dài hoặc có ký tự lạ (trường trichYeu)"),
    ("ioffice/incoming page: field 'marker': not a date (value: 'xx')",
     "Mốc thời gian của trang dữ liệu không hợp lệ"),
    ("idesk/incoming 1000050: the store refused it: TypeError: cannot store",
     "Kho dữ liệu không nhận bản ghi này"),
    ("NV-2: the deadline needs the calendar of 2028, but only 2023–2027 is loaded. Add 2028.toml",
     "Chưa có lịch ngày làm việc năm 2028: thêm tệp lịch 2028.toml"),
    ("something nobody foresaw", GENERIC_REASON),
])  # fmt: skip
def test_a_rejected_record_is_said_in_vietnamese(reason, said):
    assert reason_vi(letter(reason)) == said


@pytest.mark.parametrize(("reason", "said"), [
    ("tracking ReportCompletion (record NV-1): HTTP 503 Service Unavailable",
     "Hệ thống không trả lời hoặc báo lỗi máy chủ; thử lại khi hệ thống hoạt động"),
    ("tracking ReportCompletion (record NV-1): refused: TASK_CLOSED",
     "Hệ thống nhận từ chối cập nhật này"),
    ("tracking token: HTTP 401 Unauthorized",
     "Hệ thống từ chối đăng nhập: kiểm tra tài khoản kết nối"),
    ("tracking confirm report_completion (record NV-1): the change does not read back",
     "Đã gửi nhưng hệ thống nhận chưa ghi nhận thay đổi"),
])  # fmt: skip
def test_a_dead_update_is_said_in_vietnamese(reason, said):
    assert reason_vi(update(reason)) == said


def test_the_open_table_starts_with_the_retry_command_and_keeps_english_out():
    secret = Failure("secret_answer", 3, "tracking task NV-9", CLASSIFIED_REPLY, SINCE, 1,
                     "tracking", "tasks", "NV-9", SINCE)  # fmt: skip
    nameless = letter("record is not an object", "sha256:ab12", "outgoing")
    failures = [secret, update("tracking ReportCompletion: HTTP 503"), nameless]
    rows, description = open_failures_table(failures, "Asia/Ho_Chi_Minh")
    assert [next(iter(row)) for row in rows] == ["Thử lại bằng"] * 3
    assert rows[0] == {
        "Thử lại bằng": "bridge failures --retry O142",
        "Lý do": "Hệ thống không trả lời hoặc báo lỗi máy chủ; thử lại khi hệ thống hoạt động",
        "Hệ thống": "Theo dõi nhiệm vụ",
        "Từ lúc": "03/12/2026 14:05",
        "Số lần": 5,
        "Bản ghi": "Báo hoàn thành nhiệm vụ NV-1",
    }
    # A record without an id cannot be read again by it: the command is the resync of a range.
    assert rows[1]["Thử lại bằng"].startswith("bridge resync --system ioffice --stream outgoing")
    assert rows[1]["Bản ghi"] == "Văn bản đi (không rõ mã)"
    # Nothing to retry for a secret answer: it comes last, saying where to report.
    assert rows[2]["Lý do"] == CLASSIFIED_REPLY_VI and rows[2]["Thử lại bằng"].startswith("không")
    assert description.startswith("Lỗi đang mở: 3 (2 có thể thử lại).")
    assert "HTTP 503" not in str(rows) and CLASSIFIED_REPLY not in str(rows)


def test_past_the_row_limit_the_table_says_where_the_rest_is(monkeypatch):
    monkeypatch.setattr(failure_tables, "MAX_ROWS", 2)
    rows, description = open_failures_table([update("HTTP 503")] * 3, "Asia/Ho_Chi_Minh")
    assert len(rows) == 2 and "Chỉ hiện 2 dòng đầu; xem tất cả: bridge failures." in description
