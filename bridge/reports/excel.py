"""The report as an Excel workbook (openpyxl), every word in Vietnamese.

Sheets: a cover (agency, period, when the figures stand, when generated, what was left out), a
summary with one row per unit, a total row and a bar chart of the on-time rate, the late and
overdue tasks with their reasons, and the mismatches with the tracking system.

Cells hold real values: counts as numbers, rates as fractions shown with a percent format,
instants as dates in local time (Asia/Ho_Chi_Minh). Excel has no time zones, so a cell holds
the local wall-clock time, naive, and the cover says which zone that is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bridge.pipelines.calendar import LOCAL_TZ
from bridge.pipelines.mismatch import COLUMNS as MISMATCH_COLUMNS
from bridge.pipelines.mismatch import Mismatch, eoffice_label
from bridge.pipelines.report import COUNTS, PeriodReport, UnitFigures

SHEET_COVER = "Bìa"
SHEET_SUMMARY = "Tổng hợp"
SHEET_LATE = "Trễ hạn - quá hạn"
SHEET_MISMATCH = "Sai lệch"

DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"
PERCENT_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"

SUMMARY_COLUMNS = (
    # (header, width)
    ("STT", 6),
    ("Mã đơn vị", 12),
    ("Đơn vị", 42),
    ("Nhiệm vụ nhận trong kỳ", 14),
    ("Hoàn thành đúng hạn", 14),
    ("Hoàn thành trễ hạn", 14),
    ("Đang thực hiện trong hạn", 14),
    ("Quá hạn", 12),
    ("Chưa thực hiện", 12),
    ("Tỷ lệ đúng hạn", 12),
    ("Văn bản mật (không thống kê)", 14),
)
# The report's counts in its order; the secret count goes last, after the rate.
SUMMARY_COUNTS = tuple(name for name in COUNTS if name != "secret_excluded")
RATE_COLUMN = 10  # "Tỷ lệ đúng hạn", 1-based

LATE_COLUMNS = (
    ("STT", 6),
    ("Mã nhiệm vụ", 18),
    ("Tên nhiệm vụ", 50),
    ("Đơn vị chủ trì", 32),
    ("Tình trạng", 20),
    ("Hạn xử lý", 17),
    ("Thời điểm hoàn thành", 17),
    ("Số ngày trễ", 10),
    ("Lý do (ghi chú của đơn vị)", 50),
    ("Hạn ban đầu (nếu đã gia hạn)", 17),
)
MISMATCH_WIDTHS = (18, 50, 32, 20, 24, 18, 17, 40, 60)

RATE_NOTE = (
    "Tỷ lệ đúng hạn = Hoàn thành đúng hạn / (Hoàn thành đúng hạn + Hoàn thành trễ hạn + "
    "Quá hạn); nhiệm vụ còn trong hạn chưa tính."
)

_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class Cover:
    agency_name: str
    generated_at: datetime  # aware
    unit_name: str | None  # None: every unit


def local(moment: datetime | None) -> datetime | None:
    """An instant as the naive local wall-clock time an Excel cell can hold, to the second
    (a cell cannot hold microseconds: 23:59:59.999999 would round up to the next day)."""
    if moment is None:
        return None
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


def write_workbook(
    path: Path, report: PeriodReport, mismatches: Sequence[Mismatch], cover: Cover
) -> Path:
    book = Workbook()
    _cover(book.active, report, mismatches, cover)
    _summary(book.create_sheet(SHEET_SUMMARY), report)
    _late(book.create_sheet(SHEET_LATE), report)
    _mismatches(book.create_sheet(SHEET_MISMATCH), mismatches)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


# --- sheets --------------------------------------------------------------------------------


def _cover(sheet: Worksheet, report: PeriodReport, mismatches: Sequence[Mismatch], cover: Cover):
    sheet.title = SHEET_COVER
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 60
    sheet["A1"] = cover.agency_name.upper()
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A3"] = "BÁO CÁO TÌNH HÌNH THỰC HIỆN NHIỆM VỤ ĐƯỢC GIAO"
    sheet["A3"].font = Font(bold=True, size=15)
    sheet["A4"] = f"Kỳ báo cáo: {report.period.title_vi()}"
    sheet["A4"].font = Font(italic=True, size=12)
    period = report.period
    facts: list[tuple[str, object, str | None]] = [
        ("Từ ngày", period.first_day, DATE_FORMAT),
        ("Đến ngày", period.last_day, DATE_FORMAT),
        ("Số liệu tính đến", local(report.as_of), DATETIME_FORMAT),
        ("Đơn vị", cover.unit_name or "Tất cả các đơn vị", None),
        ("Thời điểm lập báo cáo", local(cover.generated_at), DATETIME_FORMAT),
        ("Múi giờ", "Giờ Việt Nam (UTC+7, Asia/Ho_Chi_Minh)", None),
        ("Nhiệm vụ nhận trong kỳ", report.total.received, COUNT_FORMAT),
        ("Văn bản mật không thống kê", report.total.secret_excluded, COUNT_FORMAT),
        ("Nhiệm vụ chưa xác định ngày nhận", report.undated, COUNT_FORMAT),
        ("Sai lệch với hệ thống theo dõi", len(mismatches), COUNT_FORMAT),
    ]
    for offset, (label, value, number_format) in enumerate(facts):
        row = 6 + offset
        sheet.cell(row, 1, label).font = _BOLD
        cell = sheet.cell(row, 2, value)
        cell.alignment = Alignment(horizontal="left")
        if number_format:
            cell.number_format = number_format
    notes = [
        "Ghi chú:",
        "- Nhiệm vụ nhận trong kỳ: văn bản giao nhiệm vụ được tiếp nhận trong kỳ; tình trạng "
        "tính tại thời điểm cuối kỳ (hoặc thời điểm lập báo cáo nếu kỳ chưa kết thúc).",
        "- Thời điểm hoàn thành là thời điểm ban hành văn bản hoàn thành.",
        f"- {RATE_NOTE}",
        "- Văn bản mật chỉ được đếm số lượng, không được lưu hay thống kê nội dung.",
        "- Nhiệm vụ chưa xác định ngày nhận: chưa liên kết được với văn bản giao nhiệm vụ, nên "
        "không thuộc kỳ nào; xem trang Sai lệch và chạy đối soát.",
        "- Trang Sai lệch liệt kê tình trạng tại thời điểm lập báo cáo, không theo kỳ.",
    ]
    for offset, text in enumerate(notes):
        cell = sheet.cell(6 + len(facts) + 1 + offset, 1, text)
        cell.font = _BOLD if offset == 0 else Font(italic=True)


def _summary(sheet: Worksheet, report: PeriodReport) -> None:
    _header(sheet, SUMMARY_COLUMNS)
    for index, figures in enumerate(report.units, start=1):
        _figures_row(sheet, index + 1, index, figures)
    total_row = len(report.units) + 2
    _figures_row(sheet, total_row, None, report.total)
    for cell in sheet[total_row]:
        cell.font = _BOLD
    sheet.cell(total_row + 2, 1, RATE_NOTE).font = Font(italic=True)
    if report.units:
        _rate_chart(sheet, len(report.units), total_row + 4)


def _figures_row(sheet: Worksheet, row: int, number: int | None, figures: UnitFigures) -> None:
    values: list[object] = [number, figures.unit_id or None, figures.unit_name]
    values += [getattr(figures, name) for name in SUMMARY_COUNTS]
    values += [figures.on_time_rate, figures.secret_excluded]
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row, column, value)
        if column == RATE_COLUMN:
            cell.number_format = PERCENT_FORMAT
        elif isinstance(value, int):
            cell.number_format = COUNT_FORMAT


def _rate_chart(sheet: Worksheet, units: int, anchor_row: int) -> None:
    chart = BarChart()
    chart.type = "col"
    chart.title = "Tỷ lệ hoàn thành đúng hạn theo đơn vị"
    chart.y_axis.title = "Tỷ lệ đúng hạn"
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.x_axis.title = "Đơn vị"
    # Recent Excel hides axes unless told otherwise.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    data = Reference(sheet, min_col=RATE_COLUMN, min_row=1, max_row=units + 1)
    names = Reference(sheet, min_col=3, min_row=2, max_row=units + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(names)
    chart.legend = None
    chart.width, chart.height = 24, 10
    sheet.add_chart(chart, f"B{anchor_row}")


def _late(sheet: Worksheet, report: PeriodReport) -> None:
    _header(sheet, LATE_COLUMNS)
    for index, task in enumerate(report.late, start=1):
        row = index + 1
        values = (
            index, task.source_id, task.title, task.unit_name, task.status.label,
            local(task.deadline), local(task.completed_at), task.days_late, task.reason or "",
            local(task.original_deadline),
        )  # fmt: skip
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row, column, value)
            if isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT
            if column in (3, 9):
                cell.alignment = _WRAP


def _mismatches(sheet: Worksheet, mismatches: Sequence[Mismatch]) -> None:
    _header(sheet, (("STT", 6), *zip(MISMATCH_COLUMNS, MISMATCH_WIDTHS, strict=True)))
    for index, m in enumerate(mismatches, start=1):
        values = (
            index, m.task_id, m.title, m.unit_name, m.tracking_status.label, eoffice_label(m),
            m.response_code or "", local(m.response_issued_at), m.cause.label, m.detail,
        )  # fmt: skip
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(index + 1, column, value)
            if isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT
            if column in (3, 10):
                cell.alignment = _WRAP


def _header(sheet: Worksheet, columns: Sequence[tuple[str, float]]) -> None:
    for column, (title, width) in enumerate(columns, start=1):
        cell = sheet.cell(1, column, title)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[1].height = 45
    sheet.freeze_panes = "A2"
