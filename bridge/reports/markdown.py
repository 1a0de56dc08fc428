"""A report's summary as Vietnamese Markdown, for a Prefect markdown artifact or a chat post."""

from __future__ import annotations

from collections.abc import Sequence

from bridge.pipelines.calendar import LOCAL_TZ
from bridge.pipelines.mismatch import Cause, Mismatch
from bridge.pipelines.report import PeriodReport, UnitFigures
from bridge.reports.writer import WrittenReport

HEADERS = (
    "Đơn vị",
    "Nhận trong kỳ",
    "Đúng hạn",
    "Trễ hạn",
    "Đang thực hiện",
    "Quá hạn",
    "Chưa thực hiện",
    "Tỷ lệ đúng hạn",
)


def percent(rate: float | None) -> str:
    """0.875 → "87,5%" (Vietnamese decimal comma); no settled task → "–"."""
    return "–" if rate is None else f"{rate * 100:.1f}%".replace(".", ",")


def summary_markdown(
    report: PeriodReport | WrittenReport, mismatches: Sequence[Mismatch] = ()
) -> str:
    """The summary table and notes; given what ``write_report`` returned, its mismatches too."""
    if isinstance(report, WrittenReport):
        report, mismatches = report.report, report.mismatches
    lines = [
        f"## Báo cáo tình hình thực hiện nhiệm vụ — {report.period.title_vi()}",
        "",
        f"Số liệu tính đến {report.as_of.astimezone(LOCAL_TZ):%H:%M ngày %d/%m/%Y} (giờ Việt "
        f"Nam). Nhiệm vụ nhận trong kỳ: **{report.total.received}**, tỷ lệ đúng hạn: "
        f"**{percent(report.total.on_time_rate)}**.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
    ]
    lines += [_row(figures) for figures in report.units]
    lines.append(_row(report.total, bold=True))
    lines.append("")
    notes = []
    if report.total.secret_excluded:
        notes.append(f"{report.total.secret_excluded} văn bản mật không thống kê")
    if report.undated:
        notes.append(f"{report.undated} nhiệm vụ chưa xác định được ngày nhận")
    if report.extended:
        notes.append(f"{len(report.extended)} nhiệm vụ đã được gia hạn (hạn tính theo hạn mới)")
    if report.late:
        notes.append(f"{len(report.late)} nhiệm vụ trễ hạn hoặc quá hạn (xem trang chi tiết)")
    if notes:
        lines += ["Ghi chú: " + "; ".join(notes) + ".", ""]
    lines.append(_mismatch_line(mismatches))
    return "\n".join(lines) + "\n"


def _row(figures: UnitFigures, bold: bool = False) -> str:
    cells = [
        figures.unit_name,
        *(str(getattr(figures, name)) for name in
          ("received", "done_on_time", "done_late", "in_progress", "overdue", "not_started")),
        percent(figures.on_time_rate),
    ]  # fmt: skip
    if bold:
        cells = [f"**{cell}**" for cell in cells]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _mismatch_line(mismatches: Sequence[Mismatch]) -> str:
    if not mismatches:
        return "Không có sai lệch giữa văn phòng điện tử và hệ thống theo dõi."
    by_cause = {cause: sum(1 for m in mismatches if m.cause is cause) for cause in Cause}
    parts = [f"{count} {cause.label.lower()}" for cause, count in by_cause.items() if count]
    return f"Sai lệch với hệ thống theo dõi: **{len(mismatches)}** ({'; '.join(parts)})."
