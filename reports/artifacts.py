"""The tables every run shows the officials who watch it, in Vietnamese (flows.py publishes them
as Prefect artifacts; nothing here talks to Prefect).

* a table per run: per system and stream, records read, new, changed, rejected, secret
  documents skipped, updates pushed and pushes that failed;
* (the failure tables, the open failures and a run's, are in reports/failure_tables.py);
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


def local(moment: datetime | None, timezone: str) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M")


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
    left = getattr(counts, "left", 0)
    later = f"{left} cập nhật để lần chạy sau (hết thời gian dành cho lần này)" if left else ""
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
        "Ghi chú": "; ".join(part for part in (note, waiting, later) if part),
    }


def healed_note(counts: Any | None) -> str:
    if counts is None:
        return ""
    healed = counts.fetched - counts.rejected
    return f"Đọc lại {counts.fetched} bản ghi bị từ chối trước đó: {healed} đã đọc được"


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
