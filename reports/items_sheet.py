"""The sheet listing every counted item, documents then tasks, with its status: filter it by
unit and status and each figure of the summary sheets can be counted again by hand."""

from __future__ import annotations

from datetime import datetime

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.calendar import LOCAL_TZ
from pipelines.report import PeriodReport
from pipelines.report_items import KIND_DOCUMENT, ItemLine
from reports.excel_layout import (
    WRAP_TOP,
    national_heading,
    print_setup,
    put,
    signature_block,
    table_header,
)
from reports.heading import Heading

HEADER_ROW = 7

ITEM_COLUMNS = (
    ("STT", 5),
    ("Loại", 10),
    ("Số, ký hiệu / Mã nhiệm vụ", 16),
    ("Trích yếu / Tên nhiệm vụ", 40),
    ("Đơn vị chủ trì", 22),
    ("Đơn vị phối hợp", 20),
    ("Ngày tiếp nhận", 15),
    ("Hạn xử lý", 15),
    ("Căn cứ xác định hạn", 16),
    ("Được gia hạn", 8),
    ("Hạn ban đầu", 15),
    ("Thời điểm hoàn thành", 15),
    ("Văn bản hoàn thành", 15),
    ("Tình trạng", 15),
    ("Số ngày làm việc trễ", 9),
    ("Lý do, ghi chú của đơn vị", 32),
)
KIND_COLUMN, UNIT_COLUMN, STATUS_COLUMN, DAYS_LATE_COLUMN = 2, 5, 14, 15

KIND_NAMES = {KIND_DOCUMENT: "Văn bản", "task": "Nhiệm vụ"}
RULE_LABELS = {
    "explicit": "Hạn ghi trên văn bản",
    "text": "Nêu trong văn bản, ý kiến chỉ đạo",
    "default": "Thời hạn mặc định",
    None: "Hạn trên hệ thống theo dõi",
}


def _local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


def item_values(index: int, line: ItemLine) -> tuple[object, ...]:
    item = line.item
    rule = RULE_LABELS.get(item.deadline_rule if item.kind == KIND_DOCUMENT else None, "")
    return (
        index, KIND_NAMES[item.kind], item.code, item.title, line.unit_name,
        "; ".join(line.coordinating_names), _local(item.received_at), _local(item.deadline),
        rule, "Có" if item.extended else "", _local(item.original_deadline),
        _local(line.completed_at), item.response_code or "", line.status.label, line.days_late,
        item.notes or "",
    )  # fmt: skip


def write_items(sheet: Worksheet, report: PeriodReport, heading: Heading) -> None:
    from reports.excel import title_lines  # the shared title rows

    width = len(ITEM_COLUMNS)
    national_heading(sheet, heading, width)
    title_lines(sheet, report, "DANH SÁCH VĂN BẢN, NHIỆM VỤ TÍNH TRONG KỲ", width)
    table_header(sheet, HEADER_ROW, ITEM_COLUMNS)
    lines = [*report.documents.items, *report.tasks.items]
    for index, line in enumerate(lines, start=1):
        for column, value in enumerate(item_values(index, line), start=1):
            put(sheet, HEADER_ROW + index, column, value, border=True, size=11,
                alignment=WRAP_TOP if column in (4, 6, 16) else None)  # fmt: skip
    last = HEADER_ROW + len(lines)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(width)}{max(last, HEADER_ROW)}"
    signature_block(sheet, last + 2, heading, width)
    print_setup(sheet, HEADER_ROW)
