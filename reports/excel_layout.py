"""The print layout of every sheet: A4 landscape, fit to the page width, the table header
repeated on every page, Times New Roman, thin borders, the national heading above and the
signature block below (Decree 30/2020 layout, as agencies print and sign their figures)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reports.heading import NATIONAL_MOTTO, NATIONAL_NAME, Heading

FONT_NAME = "Times New Roman"
FONT_SIZE = 12
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"
PERCENT_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"

_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def font(bold: bool = False, italic: bool = False, size: float = FONT_SIZE) -> Font:
    return Font(name=FONT_NAME, size=size, bold=bold, italic=italic)


def put(
    sheet: Worksheet,
    row: int,
    column: int,
    value: object,
    *,
    bold: bool = False,
    italic: bool = False,
    size: float = FONT_SIZE,
    border: bool = False,
    number_format: str | None = None,
    alignment: Alignment | None = None,
):
    """Write one cell in the report's font; dates and numbers get their display format."""
    cell = sheet.cell(row, column, value)
    cell.font = font(bold, italic, size)
    if border:
        cell.border = BORDER
    if number_format:
        cell.number_format = number_format
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, int) and not isinstance(value, bool):
        cell.number_format = COUNT_FORMAT
    if alignment is not None:
        cell.alignment = alignment
    return cell


def merged(sheet: Worksheet, row: int, first: int, last: int, value: str, **style: object) -> None:
    """A line of text across columns ``first``..``last``, centred."""
    put(sheet, row, first, value, alignment=CENTRE, **style)  # type: ignore[arg-type]
    if last > first:
        sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)


def national_heading(sheet: Worksheet, heading: Heading, columns: int) -> None:
    """Rows 1–2: the agency on the left, the national name and motto on the right."""
    split = max(1, columns // 3)  # the left third, at least one column, never all of them
    merged(sheet, 1, 1, split, heading.parent_agency.upper(), size=12)
    merged(sheet, 2, 1, split, heading.agency_name.upper(), bold=True, size=12)
    merged(sheet, 1, split + 1, columns, NATIONAL_NAME, bold=True, size=12)
    merged(sheet, 2, split + 1, columns, NATIONAL_MOTTO, bold=True, size=13)


def table_header(sheet: Worksheet, row: int, columns: Sequence[tuple[str, float]]) -> None:
    for column, (title, width) in enumerate(columns, start=1):
        cell = put(sheet, row, column, title, bold=True, border=True, alignment=CENTRE)
        cell.fill = HEADER_FILL
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[row].height = 48
    sheet.freeze_panes = sheet.cell(row + 1, 1).coordinate


def signature_block(sheet: Worksheet, row: int, heading: Heading, columns: int) -> int:
    """The place and date, the preparer on the left, the signer on the right; the next free
    row is returned."""
    split = max(1, columns // 3)  # the left third, at least one column, never all of them
    merged(sheet, row, split + 1, columns, heading.place_date_line(), italic=True)
    merged(sheet, row + 1, 1, split, "NGƯỜI LẬP BIỂU", bold=True)
    merged(sheet, row + 1, split + 1, columns, heading.signer_title.upper(), bold=True)
    merged(sheet, row + 2, 1, split, "(Ký, ghi rõ họ tên)", italic=True)
    merged(sheet, row + 2, split + 1, columns, "(Ký, ghi rõ họ tên, đóng dấu)", italic=True)
    if heading.signer_name:
        merged(sheet, row + 6, split + 1, columns, heading.signer_name, bold=True)
    return row + 7


def print_setup(sheet: Worksheet, header_row: int | None) -> None:
    """A4 landscape, as wide as the page, the header row on every page, page numbers."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages tall as it takes
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    if header_row is not None:
        sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.oddFooter.center.text = "Trang &P/&N"
    sheet.oddFooter.center.font = FONT_NAME
