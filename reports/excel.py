"""The report as a print-ready Excel workbook (openpyxl), every word in Vietnamese.

Sheets: a cover (agency, period and how its days and items were chosen, when the figures
stand, what was left out); the documents' figures and the tasks' figures, one row per unit
with a total row; every counted item with its status, so each figure can be checked; a chart
of the on-time rates; the mismatches with the tracking system. Each sheet prints on A4
landscape, as wide as the page, with the national heading, the header row on every page and,
under the figures, the signature block (excel_layout).

Cells hold real values: counts as numbers, rates as fractions shown with a percent format,
instants as dates in local time (Asia/Ho_Chi_Minh). Excel has no time zones, so a cell holds
the local wall-clock time, naive, and the cover says which zone that is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.calendar import LOCAL_TZ
from pipelines.mismatch import COLUMNS as MISMATCH_COLUMNS
from pipelines.mismatch import Mismatch, eoffice_label
from pipelines.report import PeriodReport
from pipelines.report_items import (
    BASIS_LABELS,
    KIND_DOCUMENT,
    KindReport,
    UnitFigures,
)
from reports.excel_layout import (
    CENTRE,
    COUNT_FORMAT,
    DATE_FORMAT,
    DATETIME_FORMAT,
    PERCENT_FORMAT,
    WRAP_TOP,
    merged,
    national_heading,
    print_setup,
    put,
    signature_block,
    table_header,
)
from reports.heading import Heading
from reports.items_sheet import write_items

SHEET_COVER = "Bìa"
SHEET_DOCUMENTS = "Văn bản"
SHEET_TASKS = "Nhiệm vụ"
SHEET_ITEMS = "Danh sách chi tiết"
SHEET_CHART = "Biểu đồ"
SHEET_MISMATCH = "Sai lệch"
SHEETS = (SHEET_COVER, SHEET_DOCUMENTS, SHEET_TASKS, SHEET_ITEMS, SHEET_CHART, SHEET_MISMATCH)

HEADER_ROW = 7  # rows 1–2 national heading, 4 title, 5 period, 6 basis

SUMMARY_COLUMNS = (
    # (header, width)
    ("STT", 5),
    ("Mã đơn vị", 10),
    ("Đơn vị", 34),
    ("Tổng số", 9),
    ("Hoàn thành đúng hạn", 11),
    ("Hoàn thành trễ hạn", 11),
    ("Đang thực hiện trong hạn", 11),
    ("Quá hạn", 9),
    ("Chưa thực hiện", 10),
    ("Tỷ lệ đúng hạn", 10),
    ("Trong đó: được gia hạn", 10),
    ("Phối hợp xử lý (không tính vào tổng)", 12),
)
SECRET_COLUMN = ("Văn bản mật (chỉ đếm, không thống kê)", 12)
SUMMARY_COUNTS = ("counted", "done_on_time", "done_late", "in_progress", "overdue", "not_started")
RATE_COLUMN = 10  # "Tỷ lệ đúng hạn", 1-based

RATE_NOTE = (
    "Tỷ lệ đúng hạn = Hoàn thành đúng hạn / (Hoàn thành đúng hạn + Hoàn thành trễ hạn + "
    "Quá hạn); việc còn trong hạn chưa tính."
)
MISMATCH_WIDTHS = (16, 40, 26, 18, 20, 16, 15, 30, 40)


def local(moment: datetime | None) -> datetime | None:
    """An instant as the naive local wall-clock time an Excel cell can hold, to the second
    (a cell cannot hold microseconds: 23:59:59.999999 would round up to the next day)."""
    if moment is None:
        return None
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


def short_unit_name(name: str, limit: int = 22) -> str:
    """A unit's name short enough for a chart label: "Phòng Kế hoạch - Tài chính" →
    "P. Kế hoạch - Tài chính"."""
    for long, short in (("Phòng ", "P. "), ("Trung tâm ", "TT. "), (" Sở", ""),
                        ("Văn phòng", "VP"), (" và ", " & ")):  # fmt: skip
        name = name.replace(long, short)
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def write_workbook(
    path: Path, report: PeriodReport, mismatches: Sequence[Mismatch], heading: Heading
) -> Path:
    book = Workbook()
    _cover(book.active, report, mismatches, heading)
    _summary(book.create_sheet(SHEET_DOCUMENTS), report, report.documents, heading)
    _summary(book.create_sheet(SHEET_TASKS), report, report.tasks, heading)
    write_items(book.create_sheet(SHEET_ITEMS), report, heading)
    _chart(book.create_sheet(SHEET_CHART), report, heading)
    _mismatches(book.create_sheet(SHEET_MISMATCH), mismatches, heading)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def title_lines(sheet: Worksheet, report: PeriodReport, title: str, columns: int) -> None:
    merged(sheet, 4, 1, columns, title, bold=True, size=14)
    merged(sheet, 5, 1, columns, f"Kỳ báo cáo: {report.period.title_vi()}", italic=True)
    basis = f"{report.period.basis_vi()}; {BASIS_LABELS[report.basis].lower()}"
    merged(sheet, 6, 1, columns, basis, italic=True, size=11)


# --- sheets --------------------------------------------------------------------------------


def _cover(sheet: Worksheet, report: PeriodReport, mismatches: Sequence[Mismatch], h: Heading):
    sheet.title = SHEET_COVER
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 70
    national_heading(sheet, h, 2)
    merged(sheet, 4, 1, 2, "BÁO CÁO TÌNH HÌNH XỬ LÝ VĂN BẢN VÀ THỰC HIỆN NHIỆM VỤ ĐƯỢC GIAO",
           bold=True, size=14)  # fmt: skip
    merged(sheet, 5, 1, 2, f"Kỳ báo cáo: {report.period.title_vi()}", italic=True)
    period = report.period
    facts: list[tuple[str, object, str | None]] = [
        ("Từ ngày", period.first_day, DATE_FORMAT),
        ("Đến ngày", period.last_day, DATE_FORMAT),
        ("Cách xác định kỳ", period.basis_vi(), None),
        ("Việc tính trong kỳ", BASIS_LABELS[report.basis], None),
        ("Số liệu tính đến", local(report.as_of), DATETIME_FORMAT),
        ("Đơn vị", h.unit_name or "Tất cả các đơn vị", None),
        ("Thời điểm lập báo cáo", local(h.generated_at), DATETIME_FORMAT),
        ("Múi giờ", "Giờ Việt Nam (UTC+7)", None),
        ("Văn bản đến có thời hạn xử lý trong kỳ", report.documents.total.counted, COUNT_FORMAT),
        ("Nhiệm vụ được giao trong kỳ", report.tasks.total.counted, COUNT_FORMAT),
        ("Văn bản mật không thống kê", report.secret_excluded, COUNT_FORMAT),
        ("Nhiệm vụ không xếp được vào kỳ nào", report.tasks.undated, COUNT_FORMAT),
        ("Sai lệch với hệ thống theo dõi", len(mismatches), COUNT_FORMAT),
    ]
    for offset, (label, value, number_format) in enumerate(facts):
        row = 7 + offset
        put(sheet, row, 1, label, bold=True, border=True)
        put(sheet, row, 2, value, border=True, number_format=number_format,
            alignment=CENTRE if number_format else WRAP_TOP)  # fmt: skip
    notes = [
        "Ghi chú:",
        "- Văn bản đến được tính cho đơn vị xử lý chính theo ý kiến chỉ đạo; đơn vị phối hợp "
        "được thống kê riêng, không cộng vào tổng.",
        "- Hạn xử lý văn bản: hạn ghi trên văn bản, hạn nêu trong văn bản hoặc ý kiến chỉ đạo, "
        "nếu không có thì 05 ngày làm việc kể từ ngày tiếp nhận.",
        "- Văn bản, nhiệm vụ hoàn thành khi văn bản trả lời được ban hành; thời điểm hoàn thành "
        "là thời điểm ban hành văn bản đó.",
        "- Việc đến hạn trong kỳ mà chưa hoàn thành được tính là quá hạn trong kỳ đó, và được "
        "tính lại là hoàn thành trễ hạn trong kỳ hoàn thành.",
        "- Số ngày trễ tính theo ngày làm việc (trừ thứ Bảy, Chủ nhật, ngày lễ, Tết).",
        f"- {RATE_NOTE}",
        "- Văn bản mật chỉ được đếm số lượng, không được lưu hay thống kê nội dung.",
        "- Trang Sai lệch liệt kê tình trạng tại thời điểm lập báo cáo, không theo kỳ.",
    ]
    row = 7 + len(facts) + 1
    for offset, text in enumerate(notes):
        put(sheet, row + offset, 1, text, bold=offset == 0, italic=offset > 0)
        sheet.merge_cells(start_row=row + offset, start_column=1, end_row=row + offset,
                          end_column=2)  # fmt: skip
    print_setup(sheet, None)


def summary_columns(kind: KindReport) -> tuple[tuple[str, float], ...]:
    if kind.kind == KIND_DOCUMENT:
        return (*SUMMARY_COLUMNS, SECRET_COLUMN)
    return SUMMARY_COLUMNS


def _summary(sheet: Worksheet, report: PeriodReport, kind: KindReport, heading: Heading):
    columns = summary_columns(kind)
    width = len(columns)
    national_heading(sheet, heading, width)
    title_lines(sheet, report, f"BẢNG TỔNG HỢP: {kind.label.upper()}", width)
    table_header(sheet, HEADER_ROW, columns)
    for index, figures in enumerate(kind.units, start=1):
        _figures_row(sheet, HEADER_ROW + index, index, figures, width)
    total_row = HEADER_ROW + len(kind.units) + 1
    _figures_row(sheet, total_row, None, kind.total, width, bold=True)
    put(sheet, total_row + 2, 1, RATE_NOTE, italic=True, size=11)  # a blank row ends the table
    signature_block(sheet, total_row + 4, heading, width)
    print_setup(sheet, HEADER_ROW)


def _figures_row(
    sheet: Worksheet, row: int, number: int | None, figures: UnitFigures, width: int,
    bold: bool = False,
) -> None:  # fmt: skip
    values: list[object] = [number, figures.unit_id or None, figures.unit_name]
    values += [getattr(figures, name) for name in SUMMARY_COUNTS]
    values += [figures.on_time_rate, figures.extended, figures.coordinating]
    if width > len(SUMMARY_COLUMNS):
        values.append(figures.secret_excluded)
    for column, value in enumerate(values, start=1):
        put(sheet, row, column, value, bold=bold, border=True,
            number_format=PERCENT_FORMAT if column == RATE_COLUMN else None,
            alignment=WRAP_TOP if column == 3 else None)  # fmt: skip


def _chart(sheet: Worksheet, report: PeriodReport, heading: Heading) -> None:
    """A small table of the on-time rates by unit (short names) and a column chart of it."""
    columns = (("Đơn vị", 26), ("Văn bản: tỷ lệ đúng hạn", 16), ("Nhiệm vụ: tỷ lệ đúng hạn", 16))
    national_heading(sheet, heading, 8)
    title_lines(sheet, report, "BIỂU ĐỒ TỶ LỆ ĐÚNG HẠN THEO ĐƠN VỊ", 8)
    table_header(sheet, HEADER_ROW, columns)
    tasks = {row.unit_id: row for row in report.tasks.units}
    rows = [
        (short_unit_name(doc.unit_name), doc.on_time_rate, tasks[doc.unit_id].on_time_rate
         if doc.unit_id in tasks else None)
        for doc in report.documents.units
    ]  # fmt: skip
    for offset, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            put(sheet, HEADER_ROW + offset, column, value, border=True,
                number_format=PERCENT_FORMAT if column > 1 else None)  # fmt: skip
    print_setup(sheet, HEADER_ROW)
    if not rows:
        return
    chart = BarChart()
    chart.type = "col"
    chart.title = "Tỷ lệ hoàn thành đúng hạn theo đơn vị"
    chart.y_axis.title = "Tỷ lệ đúng hạn"
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    # Recent Excel hides axes unless told otherwise.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    last = HEADER_ROW + len(rows)
    chart.add_data(Reference(sheet, min_col=2, max_col=3, min_row=HEADER_ROW, max_row=last),
                   titles_from_data=True)  # fmt: skip
    chart.set_categories(Reference(sheet, min_col=1, min_row=HEADER_ROW + 1, max_row=last))
    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True
    chart.dataLabels.numFmt = "0%"
    chart.legend.position = "b"
    chart.width, chart.height = 26, 11
    sheet.add_chart(chart, f"E{HEADER_ROW}")


def _mismatches(sheet: Worksheet, mismatches: Sequence[Mismatch], heading: Heading) -> None:
    columns = (("STT", 5), *zip(MISMATCH_COLUMNS, MISMATCH_WIDTHS, strict=True))
    national_heading(sheet, heading, len(columns))
    merged(sheet, 4, 1, len(columns), "SAI LỆCH GIỮA VĂN PHÒNG ĐIỆN TỬ VÀ HỆ THỐNG THEO DÕI",
           bold=True, size=14)  # fmt: skip
    merged(sheet, 5, 1, len(columns), "Tình trạng tại thời điểm lập báo cáo", italic=True)
    table_header(sheet, HEADER_ROW, columns)
    for index, m in enumerate(mismatches, start=1):
        values = (
            index, m.task_id, m.title, m.unit_name, m.tracking_status.label, eoffice_label(m),
            m.response_code or "", local(m.response_issued_at), m.cause.label, m.detail,
        )  # fmt: skip
        for column, value in enumerate(values, start=1):
            put(sheet, HEADER_ROW + index, column, value, border=True,
                alignment=WRAP_TOP if column in (3, 9, 10) else None)  # fmt: skip
    print_setup(sheet, HEADER_ROW)
