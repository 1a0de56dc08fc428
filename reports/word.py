"""The narrative report in Word (.docx, python-docx), beside the Excel figures.

Layout of an administrative report (báo cáo) per Decree 30/2020/NĐ-CP, appendix I: the
agency and the national heading side by side, "Số: .../BC-..." and place and date, the title
"BÁO CÁO" with its abstract, the body (the situation, the results with figures and a table,
shortcomings and their causes, proposals), then "Nơi nhận" beside the signature block. A4,
Times New Roman 14 pt, margins top and bottom 20 mm, left 30 mm, right 15 mm.

Every sentence is generated from the figures (``narrative``), in plain paragraphs and real
tables (no text boxes), so the clerk edits it like any other document before signing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table

from pipelines.mismatch import Mismatch
from pipelines.report import PeriodReport
from pipelines.report_items import KindReport
from reports.heading import NATIONAL_MOTTO, NATIONAL_NAME, Heading
from reports.narrative import (
    causes,
    closing,
    introduction,
    kind_paragraphs,
    percent,
    proposals,
    situation,
    title_abstract,
)

FONT_NAME = "Times New Roman"
BODY_SIZE = Pt(14)
TABLE_SIZE = Pt(12)
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
TABLE_HEADERS = (
    "TT", "Đơn vị", "Tổng số", "Đúng hạn", "Trễ hạn", "Đang thực hiện", "Quá hạn",
    "Chưa thực hiện", "Tỷ lệ đúng hạn",
)  # fmt: skip


def write_docx(
    path: Path, report: PeriodReport, mismatches: Sequence[Mismatch], heading: Heading
) -> Path:
    document = Document()
    _page(document)
    _heading_table(document, heading)
    _centred(document, "BÁO CÁO", bold=True, space_before=12)
    _centred(document, title_abstract(report), bold=True)
    _centred(document, "", size=Pt(6))
    _body(document, introduction(report, heading))
    _section(document, "I. TÌNH HÌNH CHUNG")
    _body(document, situation(report))
    _section(document, "II. KẾT QUẢ THỰC HIỆN")
    for number, kind in enumerate(report.kinds, start=1):
        _section(document, f"{number}. {kind.label}", bold=True, italic=False)
        for text in kind_paragraphs(kind):
            _body(document, text)
        _figures_table(document, kind)
    _section(document, "III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN")
    for text in causes(report):
        _body(document, text)
    _section(document, "IV. ĐỀ XUẤT, KIẾN NGHỊ")
    for text in proposals(report, mismatches):
        _body(document, text)
    _body(document, closing(report, heading))
    _signature(document, heading)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


# --- layout --------------------------------------------------------------------------------


def _page(document) -> None:  # type: ignore[no-untyped-def]
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    style = document.styles["Normal"]
    style.font.name = FONT_NAME
    style.font.size = BODY_SIZE
    # Word picks the font of Vietnamese letters from the East Asian and complex-script slots
    # too; name all of them, or some letters fall back to another font.
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT_NAME)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.space_before = Pt(0)


def _run(paragraph, text: str, bold=False, italic=False, size=None):  # type: ignore[no-untyped-def]
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic
    run.font.name = FONT_NAME
    if size is not None:
        run.font.size = size
    return run


def _centred(document, text: str, bold=False, italic=False, size=None, space_before=0):  # type: ignore[no-untyped-def]
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(space_before)
    _run(paragraph, text, bold, italic, size)
    return paragraph


def _body(document, text: str) -> None:  # type: ignore[no-untyped-def]
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Cm(1.27)
    paragraph.paragraph_format.space_after = Pt(6)
    _run(paragraph, text)


def _section(document, text: str, bold=True, italic=False) -> None:  # type: ignore[no-untyped-def]
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Cm(1.27)
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.paragraph_format.space_after = Pt(6)
    _run(paragraph, text, bold=bold, italic=italic)


def _cell_text(cell, lines, align=WD_ALIGN_PARAGRAPH.CENTER) -> None:  # type: ignore[no-untyped-def]
    """``lines``: (text, bold, italic, size) each; the cell's first paragraph is reused."""
    for index, (text, bold, italic, size) in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        paragraph.alignment = align
        _run(paragraph, text, bold, italic, size)


def _borderless(table: Table) -> None:
    borders = table._tbl.tblPr.first_child_found_in("w:tblBorders")
    if borders is not None:
        table._tbl.tblPr.remove(borders)


def _heading_table(document, heading: Heading) -> None:  # type: ignore[no-untyped-def]
    """The agency and number on the left, the national heading and date on the right."""
    table = document.add_table(rows=1, cols=2)
    _borderless(table)
    left, right = table.rows[0].cells
    left.width, right.width = Cm(6.5), Cm(9.5)
    _cell_text(left, [
        (heading.parent_agency.upper(), False, False, Pt(13)),
        (heading.agency_name.upper(), True, False, Pt(13)),
        ("", False, False, Pt(6)),
        (heading.number_line(), False, False, Pt(13)),
    ])  # fmt: skip
    _cell_text(right, [
        (NATIONAL_NAME, True, False, Pt(13)),
        (NATIONAL_MOTTO, True, False, Pt(14)),
        ("", False, False, Pt(6)),
        (heading.place_date_line(), False, True, Pt(14)),
    ])  # fmt: skip


def _figures_table(document, kind: KindReport) -> None:  # type: ignore[no-untyped-def]
    table = document.add_table(rows=1, cols=len(TABLE_HEADERS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, title in zip(table.rows[0].cells, TABLE_HEADERS, strict=True):
        _cell_text(cell, [(title, True, False, TABLE_SIZE)])
    _repeat_on_every_page(table.rows[0])
    rows = [*((str(i), u) for i, u in enumerate(kind.units, start=1)), ("", kind.total)]
    for number, figures in rows:
        values = (
            number, figures.unit_name, figures.counted, figures.done_on_time, figures.done_late,
            figures.in_progress, figures.overdue, figures.not_started,
            percent(figures.on_time_rate),
        )  # fmt: skip
        cells = table.add_row().cells
        bold = figures is kind.total
        for index, (cell, value) in enumerate(zip(cells, values, strict=True)):
            align = WD_ALIGN_PARAGRAPH.LEFT if index == 1 else WD_ALIGN_PARAGRAPH.CENTER
            _cell_text(cell, [(str(value), bold, False, TABLE_SIZE)], align)
    widths = (Cm(1.0), Cm(5.0), *([Cm(1.4)] * 6), Cm(1.8))
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    document.add_paragraph().paragraph_format.space_after = Pt(6)


def _repeat_on_every_page(row) -> None:  # type: ignore[no-untyped-def]
    """Mark a table's header row to repeat at the top of each page (w:tblHeader)."""
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def _signature(document, heading: Heading) -> None:  # type: ignore[no-untyped-def]
    table = document.add_table(rows=1, cols=2)
    _borderless(table)
    left, right = table.rows[0].cells
    left.width, right.width = Cm(7.5), Cm(8.5)
    recipients = [("Nơi nhận:", True, True, Pt(12))]
    recipients += [(f"- {line}", False, False, Pt(11)) for line in heading.recipients]
    _cell_text(left, recipients, WD_ALIGN_PARAGRAPH.LEFT)
    signer = [(heading.signer_title.upper(), True, False, Pt(14))]
    signer += [("", False, False, Pt(14))] * 4
    signer.append((heading.signer_name, True, False, Pt(14)))
    _cell_text(right, signer)
