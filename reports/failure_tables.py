"""The failure tables officials read, in Vietnamese (flows.py publishes them; nothing here talks
to Prefect):

* ``open_failures_table``: every failure open in the store, the standing artifact
  ``open-failures`` every run refreshes;
* ``failure_table``: the failures one run met, the new ones first (``<flow>-failures``);
* ``retry_table``: what a retry did to each failure it chose.

Each row starts with the command that retries it (a wide table cuts its last columns off), then
the reason in Vietnamese words (``reason_vi``; the technical reason stays in `bridge failures`
and the run's log), the system, since when, how many times. No row carries record content:
ids, field names and the system's own error codes only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from connectors import registry
from reports.artifacts import MAX_ROWS, STREAM_LABELS, local
from store.queries import CALENDAR_STREAM, CLASSIFIED_REPLY_VI, Failure

ARTIFACT_KEY = "open-failures"
GENERIC_REASON = "Lỗi kỹ thuật chưa phân loại; chi tiết trong nhật ký lượt chạy và bridge failures"

_OPERATIONS = {
    "report_completion": "Báo hoàn thành nhiệm vụ",
    "report_progress": "Báo tiến độ nhiệm vụ",
    "request_extension": "Đề nghị gia hạn",
    "set_processing_deadline": "Đặt hạn xử lý văn bản",
}


def _field(match: re.Match[str]) -> str:
    return match.group("field")


# Technical reason → Vietnamese phrase, first match wins. The order matters: a refusal or an
# HTTP status says more than the field a message happens to mention.
_REASONS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"answer is secret"), lambda m: CLASSIFIED_REPLY_VI),
    (re.compile(r"needs the calendar of (?P<year>\d{4})"),
     lambda m: f"Chưa có lịch ngày làm việc năm {m['year']}: thêm tệp lịch {m['year']}.toml"),
    (re.compile(r"content withheld"),
     lambda m: "Bản ghi có thể thuộc văn bản mật: không lưu nội dung, cần kiểm tra tại nguồn"),
    (re.compile(r"refused:"), lambda m: "Hệ thống nhận từ chối cập nhật này"),
    (re.compile(r"HTTP 40[13]|AuthError|credential|login", re.I),
     lambda m: "Hệ thống từ chối đăng nhập: kiểm tra tài khoản kết nối"),
    (re.compile(r"HTTP 404|not found", re.I), lambda m: "Không tìm thấy bản ghi ở hệ thống"),
    (re.compile(r"HTTP 5\d\d|HTTP 429|timed? ?out|connection|unreachable|within the deadline",
                re.I),
     lambda m: "Hệ thống không trả lời hoặc báo lỗi máy chủ; thử lại khi hệ thống hoạt động"),
    (re.compile(r"does not read back|wanted "),
     lambda m: "Đã gửi nhưng hệ thống nhận chưa ghi nhận thay đổi"),
    (re.compile(r"field 'marker'"), lambda m: "Mốc thời gian của trang dữ liệu không hợp lệ"),
    (re.compile(r"field '(?P<field>[^']+)'[^:]*: missing"),
     lambda m: f"Thiếu thông tin bắt buộc (trường {_field(m)})"),
    (re.compile(r"field '(?P<field>[^']+)'[^:]*: .*(longer|NUL|surrogate|nested|finite)"),
     lambda m: f"Dữ liệu không lưu được: quá dài hoặc có ký tự lạ (trường {_field(m)})"),
    (re.compile(r"field '(?P<field>[^']+)'"),
     lambda m: f"Thông tin không hợp lệ (trường {_field(m)})"),
    (re.compile(r"not an object|not JSON|not XML|malformed", re.I),
     lambda m: "Bản ghi không đúng định dạng"),
    (re.compile(r"store refused"), lambda m: "Kho dữ liệu không nhận bản ghi này"),
]  # fmt: skip


def reason_vi(failure: Failure) -> str:
    """The failure's reason in words an official reads; a generic phrase when unknown."""
    if failure.kind == "secret_answer":
        return CLASSIFIED_REPLY_VI
    for pattern, phrase in _REASONS:
        match = pattern.search(failure.reason or "")
        if match:
            return phrase(match)
    return GENERIC_REASON


def retry_command(failure: Failure) -> str:
    """The command that retries ``failure`` (the retry-failures deployment does the same)."""
    if failure.kind == "secret_answer":
        return "không thử lại: đơn vị báo cáo kết quả qua kênh mật"
    if failure.kind == "dead_letter" and failure.source_id.startswith("sha256:"):
        return (
            f"bridge resync --system {failure.system} --stream {failure.stream} "
            "--since <ngày trước khi bản ghi thay đổi>"
        )
    return f"bridge failures --retry {failure.tag}"


def record_label(failure: Failure) -> str:
    """What failed: the stream and id of a record, the update and its target."""
    if failure.kind == "outbox":
        return f"{_OPERATIONS.get(failure.stream, failure.stream)} {failure.source_id}"
    if failure.kind == "secret_answer":
        return f"Nhiệm vụ {failure.source_id}"
    if failure.stream == CALENDAR_STREAM:
        return f"Hạn của {failure.source_id}"
    shown = "(không rõ mã)" if failure.source_id.startswith("sha256:") else failure.source_id
    return f"{STREAM_LABELS.get(failure.stream, failure.stream)} {shown}"


def failure_row(failure: Failure, timezone: str) -> dict[str, Any]:
    return {
        "Thử lại bằng": retry_command(failure),
        "Lý do": reason_vi(failure),
        "Hệ thống": registry.label(failure.system),
        "Từ lúc": local(failure.since or failure.last_seen, timezone),
        "Số lần": failure.count,
        "Bản ghi": record_label(failure),
    }


def _order(failure: Failure) -> tuple[int, float]:
    # Retryable ones first, newest first; secret answers (nothing to retry) last.
    return failure.kind == "secret_answer", -(failure.since or failure.last_seen).timestamp()


def _more(shown: int, total: int) -> str:
    return f" Chỉ hiện {shown} dòng đầu; xem tất cả: bridge failures." if total > shown else ""


_HOW = (
    "Sửa nguyên nhân rồi chạy lệnh ở cột «Thử lại bằng», hoặc chạy retry-failures (chọn tất "
    "cả, một hệ thống, khoảng thời gian hoặc mã lỗi). Chi tiết kỹ thuật: bridge failures và "
    "nhật ký lượt chạy."
)


def open_failures_table(failures: Sequence[Failure], timezone: str) -> tuple[list[dict], str]:
    """(rows, description) of every open failure; one row saying so when there is none."""
    if not failures:
        return [{"Thử lại bằng": "", "Lý do": "Không có lỗi nào đang mở"}], (
            "Lỗi đang mở: 0. Mọi bản ghi đã đọc được, mọi cập nhật đã gửi."
        )
    rows = [failure_row(f, timezone) for f in sorted(failures, key=_order)]
    retryable = sum(1 for f in failures if f.kind != "secret_answer")
    description = (
        f"Lỗi đang mở: {len(failures)} ({retryable} có thể thử lại).{_more(MAX_ROWS, len(rows))} "
        + _HOW
    )
    return rows[:MAX_ROWS], description


def failure_table(
    met: Sequence[Failure], new: Sequence[Failure], timezone: str
) -> tuple[list[dict[str, Any]], str]:
    """(rows, description) of the failures a run met, the new ones first."""
    fresh = {f.tag for f in new}
    rows = [
        {**failure_row(f, timezone), "Mới": "mới" if f.tag in fresh else ""}
        for f in sorted(met, key=lambda f: (f.tag not in fresh, f.kind, f.id))
    ]
    description = (
        f"Lỗi gặp trong lượt chạy này: {len(met)}, trong đó {len(new)} lỗi mới."
        f"{_more(MAX_ROWS, len(rows))} {_HOW}"
    )
    return rows[:MAX_ROWS], description


_OUTCOMES = {
    "queued": "Đã xếp lại hàng đợi: lượt gửi tới sẽ gửi",
    "resolved": "Đã đọc lại thành công: lỗi đã đóng",
    "still_failing": "Vẫn lỗi: lỗi vẫn mở",
    "not_retried": "Không thử lại được từ đây",
}


def retry_table(retried: Sequence[Any], timezone: str) -> tuple[list[dict], str]:
    """(rows, description) of a retry: ``retried`` are pipelines.failure_retry.Retried."""
    rows = [
        {"Kết quả": _OUTCOMES.get(r.outcome, r.outcome), **failure_row(r.failure, timezone)}
        for r in retried
    ]
    if not rows:
        return [{"Kết quả": "Không có lỗi nào khớp lựa chọn"}], "Không thử lại lỗi nào."
    counts = {key: sum(1 for r in retried if r.outcome == key) for key in _OUTCOMES}
    description = (
        f"Thử lại {len(rows)} lỗi: {counts['queued']} cập nhật xếp lại hàng đợi, "
        f"{counts['resolved']} bản ghi đọc lại thành công, {counts['still_failing']} vẫn lỗi, "
        f"{counts['not_retried']} không thử lại được.{_more(MAX_ROWS, len(rows))}"
    )
    return rows[:MAX_ROWS], description
