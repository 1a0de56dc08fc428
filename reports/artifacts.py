"""The tables every run shows the officials who watch it, in Vietnamese (flows.py publishes them
as Prefect artifacts; nothing here talks to Prefect).

* a table per run: per system and stream, records read, new, changed, rejected, secret
  documents skipped, updates pushed and pushes that failed;
* a failure table when the run met a dead letter or a dead outbox row: each with its reason and
  the exact command that retries it;
* the deadline watch's tasks at risk and overdue, and the documents whose deadline could not
  be read; the health check's table.

No row carries record content beyond what the store keeps for people (titles, numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors import registry
from store.queries import CALENDAR_STREAM, CLASSIFIED_REPLY_VI, Failure

# Each registered system's own label (connectors/registry.py), and the two components of ours
# that can fail on their own.
SYSTEM_LABELS = {
    **{spec.name: spec.label for spec in registry.specs()},
    "store": "Kho dữ liệu",
    "calendar": "Lịch ngày làm việc",
}
STREAM_LABELS = {
    "incoming": "Văn bản đến",
    "outgoing": "Văn bản đi",
    "directives": "Thông tin chỉ đạo",
    "tasks": "Nhiệm vụ",
}
# An artifact is read by a person: past a few hundred rows it stops being read at all.
MAX_ROWS = 300

_FAILURE_KINDS = {
    "dead_letter": "Bản ghi không đọc được",
    "secret_answer": "Nhiệm vụ có văn bản trả lời mật",
}


def local(moment: datetime | None, timezone: str) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M")


# --- failures ------------------------------------------------------------------------------


def failure_tag(failure: Failure) -> str:
    """The id `bridge failures --retry` takes: L<id> for a dead letter, O<id> for the outbox."""
    prefix = {"dead_letter": "L", "secret_answer": "S"}.get(failure.kind, "O")
    return prefix + str(failure.id)


def retry_command(failure: Failure) -> str:
    """The exact command (and the Prefect run) that retries ``failure``."""
    tag = failure_tag(failure)
    if failure.kind == "secret_answer":
        return "không thử lại: đơn vị báo cáo kết quả qua kênh mật"
    if failure.kind != "dead_letter":
        return f"bridge failures --retry {tag} rồi bridge push (hoặc chạy push-updates)"
    # queries.list_failures names a dead letter "system/stream source_id".
    place, _, source_id = failure.where.partition(" ")
    system, _, stream = place.partition("/")
    if stream == CALENDAR_STREAM:  # closes by itself once the year's file is added
        return "thêm tệp lịch <năm>.toml (xem Lý do) rồi chạy lại đồng bộ; lỗi tự đóng"
    return (
        f"bridge failures --retry {tag} rồi bridge resync --system {system} --stream {stream} "
        f"--ids {source_id} (hoặc chạy resync: system={system}, streams=[{stream}], "
        f"source_ids=[{source_id}])"
    )


def failure_table(
    met: Sequence[Failure], new: Sequence[Failure], timezone: str
) -> tuple[list[dict[str, Any]], str]:
    """(rows, description) of the failures a run met, the new ones first."""
    fresh = {failure_tag(f) for f in new}
    rows = [
        {
            "Mã": failure_tag(f),
            "Loại": _FAILURE_KINDS.get(f.kind, "Cập nhật không gửi được"),
            "Ở đâu": f.where,
            "Lý do": CLASSIFIED_REPLY_VI if f.kind == "secret_answer" else f.reason,
            "Số lần": f.count,
            "Lần cuối": local(f.last_seen, timezone),
            "Mới": "mới" if failure_tag(f) in fresh else "",
            "Thử lại bằng": retry_command(f),
        }
        for f in sorted(met, key=lambda f: (failure_tag(f) not in fresh, f.kind, f.id))
    ]
    more = (
        f" Chỉ hiện {MAX_ROWS} dòng đầu; xem tất cả: bridge failures."
        if len(rows) > MAX_ROWS
        else ""
    )
    description = (
        f"Lỗi gặp trong lượt chạy này: {len(met)}, trong đó {len(new)} lỗi mới.{more} "
        "Sửa nguyên nhân rồi chạy lệnh ở cột «Thử lại bằng»."
    )
    return rows[:MAX_ROWS], description


# --- the run table ---------------------------------------------------------------------------


def stream_row(system: str, stream: str, counts: Any, note: str = "") -> dict[str, Any]:
    """One stream's line: ``counts`` is a pipelines.ingest.RunCounts."""
    if counts.secret_purged:
        purged = f"đã xóa {counts.secret_purged} bản ghi nay được đóng dấu mật"
        note = f"{note}; {purged}" if note else purged
    return {
        "Hệ thống": SYSTEM_LABELS.get(system, system),
        "Luồng": STREAM_LABELS.get(stream, stream),
        "Đã đọc": counts.fetched,
        "Mới": counts.new,
        "Thay đổi": counts.changed,
        "Bị từ chối": counts.rejected,
        "Văn bản mật (bỏ qua)": counts.secret_skipped,
        "Đã gửi": 0,
        "Gửi lỗi": 0,
        "Ghi chú": note,
    }


def push_row(counts: Any, note: str = "") -> dict[str, Any]:
    """The push's line: ``counts`` is a pipelines.push.PushCounts."""
    waiting = f"{counts.retrying} cập nhật sẽ gửi lại sau" if counts.retrying else ""
    return {
        "Hệ thống": "Tất cả",
        "Luồng": "Gửi cập nhật",
        "Đã đọc": 0,
        "Mới": 0,
        "Thay đổi": 0,
        "Bị từ chối": 0,
        "Văn bản mật (bỏ qua)": 0,
        "Đã gửi": counts.done,
        "Gửi lỗi": counts.dead,
        "Ghi chú": "; ".join(part for part in (note, waiting) if part),
    }


def healed_note(counts: Any | None) -> str:
    if counts is None:
        return ""
    healed = counts.fetched - counts.rejected
    return f"Đọc lại {counts.fetched} bản ghi bị từ chối trước đó: {healed} đã đọc được"


# STOPGAP (wt-forms): the standing ``open-failures`` table, retry command first, so the browser
# test finds it. wt-failures builds the real one (reports/failure_tables.py); at merge theirs
# replaces this function and its call in flows.py.
OPEN_FAILURES_KEY = "open-failures"


def open_failures_rows(failures: Sequence[Failure], timezone: str) -> tuple[list[dict], str]:
    if not failures:
        return [{"Thử lại bằng": "", "Lý do": "Không có lỗi nào đang mở"}], "Lỗi đang mở: 0."
    rows, _ = failure_table(failures, (), timezone)
    rows = [{"Thử lại bằng": row.pop("Thử lại bằng"), **row} for row in rows]
    return rows, f"Lỗi đang mở: {len(failures)}. Chạy lệnh ở cột «Thử lại bằng»."


def error_note(exc: BaseException) -> str:
    return f"Lỗi: {exc}"[:500]


def range_label(start: datetime | None, stop: datetime | None, timezone: str) -> str:
    first = local(start, timezone) or "đầu"
    last = local(stop, timezone) or "nay"
    return f"thay đổi từ {first} đến {last}"


# --- the deadline watch ----------------------------------------------------------------------


def watched_task_rows(found: Sequence[Any], units: Mapping[str, Any], timezone: str) -> list[dict]:
    """Rows of store.operations.watched_tasks, the lead unit by its name."""
    return [
        {
            "Mã nhiệm vụ": row.source_id,
            "Nhiệm vụ": row.title,
            "Đơn vị chủ trì": units[row.lead_unit_id].name
            if row.lead_unit_id in units
            else row.lead_unit_id,
            "Hạn": local(row.deadline, timezone),
            "Tình trạng": "Sắp đến hạn" if row.at_risk else "Quá hạn",
            "Ghi chú": "",
        }
        for row in found
    ]


def unreadable_deadline_rows(
    found: Sequence[Any], units: Mapping[str, Any], timezone: str
) -> list[dict]:
    """Rows of store.operations.unreadable_deadlines, with the phrase that was not read."""
    return [
        {
            "Mã nhiệm vụ": f"{row.system}/{row.source_id}",
            "Nhiệm vụ": f"Văn bản số {row.number}/{row.notation}",
            "Đơn vị chủ trì": units[row.unit_id].name
            if row.unit_id in units
            else row.unit_id or "",
            "Hạn": f"{local(row.computed_deadline, timezone)} (tạm tính)",
            "Tình trạng": "Không đọc được hạn",
            "Ghi chú": " ".join(
                line for line in row.deadline_explanation or [] if "không đọc được: " in line
            ),
        }
        for row in found
    ]


def health_rows(results: Sequence[Any]) -> list[dict[str, Any]]:
    """One line per pipelines.systems.CheckResult."""
    return [
        {
            "Thành phần": SYSTEM_LABELS.get(r.system, r.system),
            "Trạng thái": ("Cảnh báo" if r.warning else "Hoạt động") if r.ok else "KHÔNG HOẠT ĐỘNG",
            "Độ trễ (ms)": round(r.latency_ms),
            "Chi tiết": r.detail,
        }
        for r in results
    ]
