"""A report's summary as Vietnamese Markdown, for a Prefect markdown artifact or a chat post.

Given what ``write_report`` returned, it links the two files it wrote.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.calendar import LOCAL_TZ
from pipelines.mismatch import Cause, Mismatch
from pipelines.report import PeriodReport
from pipelines.report_items import BASIS_LABELS, KindReport, UnitFigures
from reports.narrative import percent
from reports.writer import WrittenReport

HEADERS = (
    "Đơn vị",
    "Tổng số",
    "Đúng hạn",
    "Trễ hạn",
    "Đang thực hiện",
    "Quá hạn",
    "Chưa thực hiện",
    "Tỷ lệ đúng hạn",
)

__all__ = ["percent", "summary_markdown"]


def summary_markdown(
    report: PeriodReport | WrittenReport, mismatches: Sequence[Mismatch] = ()
) -> str:
    """The summary tables and notes; given what ``write_report`` returned, its mismatches and
    links to its files too."""
    files: list[str] = []
    if isinstance(report, WrittenReport):
        files = [
            f"- Bảng số liệu (Excel): [{report.path.name}]({report.path.resolve().as_uri()})",
            f"- Báo cáo (Word): [{report.docx_path.name}]({report.docx_path.resolve().as_uri()})",
        ]
        report, mismatches = report.report, report.mismatches
    period = report.period
    lines = [
        f"## Báo cáo tình hình xử lý văn bản và thực hiện nhiệm vụ — {period.title_vi()}",
        "",
        f"{period.basis_vi()}; {BASIS_LABELS[report.basis].lower()}. Số liệu tính đến "
        f"{report.as_of.astimezone(LOCAL_TZ):%H:%M ngày %d/%m/%Y} (giờ Việt Nam).",
        "",
    ]
    if files:
        lines += ["Tệp báo cáo:", *files, ""]
    for kind in report.kinds:
        lines += _table(kind)
    notes = []
    if report.secret_excluded:
        notes.append(f"{report.secret_excluded} văn bản mật không thống kê")
    if report.tasks.undated:
        notes.append(f"{report.tasks.undated} nhiệm vụ không xếp được vào kỳ nào")
    late = len(report.documents.late) + len(report.tasks.late)
    if late:
        notes.append(f"{late} văn bản, nhiệm vụ trễ hạn hoặc quá hạn (xem danh sách chi tiết)")
    if notes:
        lines += ["Ghi chú: " + "; ".join(notes) + ".", ""]
    lines.append(_mismatch_line(mismatches))
    return "\n".join(lines) + "\n"


def _table(kind: KindReport) -> list[str]:
    return [
        f"### {kind.label}: {kind.total.counted}, tỷ lệ đúng hạn "
        f"**{percent(kind.total.on_time_rate)}**",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
        *(_row(figures) for figures in kind.units),
        _row(kind.total, bold=True),
        "",
    ]


def _row(figures: UnitFigures, bold: bool = False) -> str:
    cells = [
        figures.unit_name,
        *(str(getattr(figures, name)) for name in
          ("counted", "done_on_time", "done_late", "in_progress", "overdue", "not_started")),
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
