"""The two files as a clerk opens them: the Word report read back with python-docx, the
workbook with openpyxl; headings, tables, page setup, fonts, margins, and no English."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zipfile import ZipFile

import pytest
from docx import Document
from docx.shared import Mm, Pt
from openpyxl import load_workbook
from openpyxl.chart import BarChart

from reports import excel
from reports.excel import write_workbook
from reports.heading import NATIONAL_MOTTO, NATIONAL_NAME, Heading
from reports.word import write_docx
from tests.unit.test_report_figures import report_of

HEADING = Heading(
    agency_name="Sở Khoa học và Công nghệ tỉnh Gia Lai",
    generated_at=datetime(2024, 7, 1, 1, 0, tzinfo=UTC),
    parent_agency="UBND tỉnh Gia Lai",
    agency_abbreviation="SKHCN",
    place="Gia Lai",
    signer_title="Giám đốc",
    signer_name="Nguyễn Văn A",
)
# Words of the bridge's own vocabulary that must not reach an official's page.
ENGLISH = re.compile(
    r"\b(push|pushed|sync|reconcile|bridge|task|report|done|late|overdue|status|unit|"
    r"deadline|none|true|false)\b",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    report = report_of("2024-H1", cutoff=True)
    xlsx = write_workbook(folder / "r.xlsx", report, [], HEADING)
    docx = write_docx(folder / "r.docx", report, [], HEADING)
    return report, xlsx, docx


# --- Word ----------------------------------------------------------------------------------


def test_the_word_page_is_a4_with_the_decrees_margins_and_times_new_roman(files):
    _, _, path = files
    document = Document(str(path))
    (section,) = document.sections
    # Word keeps lengths in twentieths of a point: 210 mm reads back a fraction off.
    assert abs(section.page_width - Mm(210)) < Mm(0.1)
    assert abs(section.page_height - Mm(297)) < Mm(0.1)
    twip = Mm(0.02)
    assert Mm(20) - twip <= section.top_margin <= Mm(25)
    assert Mm(20) - twip <= section.bottom_margin <= Mm(25)
    assert Mm(30) - twip <= section.left_margin <= Mm(35)
    assert Mm(15) - twip <= section.right_margin <= Mm(20)
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and Pt(13) <= normal.size <= Pt(14)
    runs = [run for p in _all_paragraphs(document) for run in p.runs if run.text.strip()]
    assert runs and all(run.font.name == "Times New Roman" for run in runs)


def test_the_word_report_has_the_administrative_report_layout(files):
    report, _, path = files
    document = Document(str(path))
    heading, *figures, signature = document.tables
    head_text = [p.text for cell in heading.rows[0].cells for p in cell.paragraphs]
    assert "UBND TỈNH GIA LAI" in head_text
    assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH GIA LAI" in head_text
    assert NATIONAL_NAME in head_text and NATIONAL_MOTTO in head_text
    assert any(t.startswith("Số:") and t.endswith("/BC-SKHCN") for t in head_text)
    assert "Gia Lai, ngày      tháng      năm 2024" in head_text

    body = [p.text for p in document.paragraphs if p.text.strip()]
    assert body[0] == "BÁO CÁO"
    assert body[1].startswith("Tình hình xử lý văn bản đến và thực hiện nhiệm vụ được giao")
    for title in ("I. TÌNH HÌNH CHUNG", "II. KẾT QUẢ THỰC HIỆN",
                  "III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", "IV. ĐỀ XUẤT, KIẾN NGHỊ"):  # fmt: skip
        assert title in body
    text = "\n".join(body)
    # The figures in words, from the report (hand-checked in test_report_figures.py).
    assert "Tổng số 9 văn bản: đã hoàn thành 9 (5 đúng hạn, 4 trễ hạn)" in text
    assert "Tỷ lệ hoàn thành đúng hạn 55,6%" in text
    assert "Tổng số 5 nhiệm vụ" in text and "Trong đó có 1 nhiệm vụ được gia hạn" in text
    # The causes are the units' own words.
    assert "“Chờ ý kiến Sở Tài chính”" in text
    assert "Phòng Ba: 1 văn bản hoàn thành trễ hạn, 0 văn bản quá hạn" in text
    assert "Đơn vị chưa nêu lý do" in text
    assert text.rstrip().endswith("./.")

    # One real table per kind: a header, a row per unit, the total.
    for table, kind in zip(figures, report.kinds, strict=True):
        assert len(table.rows) == len(kind.units) + 2
        assert table.rows[0].cells[1].text == "Đơn vị"
        assert table.rows[-1].cells[2].text == str(kind.total.counted)
        header_flags = table.rows[0]._tr.xpath("./w:trPr/w:tblHeader")
        assert header_flags, "the header row repeats on each page"
    left, right = signature.rows[0].cells
    assert left.paragraphs[0].text == "Nơi nhận:"
    assert [p.text for p in left.paragraphs[1:]] == ["- Như trên;", "- Lưu: VT."]
    assert right.paragraphs[0].text == "GIÁM ĐỐC" and right.paragraphs[-1].text == "Nguyễn Văn A"


def test_the_word_report_is_plain_editable_text(files):
    _, _, path = files
    with ZipFile(path) as archive:
        xml = archive.read("word/document.xml").decode()
    assert "txbxContent" not in xml and "<w:pict" not in xml and "<w:drawing" not in xml
    assert not ENGLISH.search(" ".join(p.text for p in _all_paragraphs(Document(str(path)))))


def _all_paragraphs(document):
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


# --- Excel ---------------------------------------------------------------------------------


def test_every_sheet_prints_on_a4_landscape_fit_to_width_with_print_titles(files):
    _, path, _ = files
    book = load_workbook(path)
    assert book.sheetnames == list(excel.SHEETS)
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert int(setup.paperSize) == int(sheet.PAPERSIZE_A4)  # 9
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
        assert setup.orientation == "landscape"
        if sheet.title == excel.SHEET_COVER:
            continue  # no table, so no header row to repeat
        assert sheet.print_title_rows == f"${excel.HEADER_ROW}:${excel.HEADER_ROW}"
        assert sheet.freeze_panes == f"A{excel.HEADER_ROW + 1}"


def test_every_cell_is_times_new_roman_and_vietnamese(files):
    _, path, _ = files
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                assert cell.font.name == "Times New Roman", (sheet.title, cell.coordinate)
                if isinstance(cell.value, str):
                    assert not ENGLISH.search(cell.value), (sheet.title, cell.value)


def test_the_summary_sheets_have_the_national_heading_borders_and_a_signature(files):
    report, path, _ = files
    book = load_workbook(path)
    for name, kind in ((excel.SHEET_DOCUMENTS, report.documents),
                       (excel.SHEET_TASKS, report.tasks)):  # fmt: skip
        sheet = book[name]
        texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH GIA LAI" in texts
        assert NATIONAL_NAME in texts and NATIONAL_MOTTO in texts
        assert "NGƯỜI LẬP BIỂU" in texts and "GIÁM ĐỐC" in texts and "Nguyễn Văn A" in texts
        header = [c.value for c in sheet[excel.HEADER_ROW]]
        assert header[:4] == ["STT", "Mã đơn vị", "Đơn vị", "Tổng số"]
        first, total = excel.HEADER_ROW + 1, excel.HEADER_ROW + len(kind.units) + 1
        for row in sheet.iter_rows(min_row=excel.HEADER_ROW, max_row=total):
            for cell in row[: len(header)]:
                assert cell.border.left.style == "thin" and cell.border.bottom.style == "thin"
        assert sheet.cell(total, 3).value == "Tổng cộng"
        assert sheet.cell(total, 4).value == kind.total.counted
        rate = sheet.cell(first, excel.RATE_COLUMN)
        assert rate.number_format == excel.PERCENT_FORMAT


def test_the_chart_has_data_labels_and_short_unit_names(files):
    _, path, _ = files
    sheet = load_workbook(path)[excel.SHEET_CHART]
    (chart,) = sheet._charts
    assert isinstance(chart, BarChart) and chart.dataLabels.showVal
    names = [sheet.cell(excel.HEADER_ROW + i, 1).value for i in range(1, 4)]
    assert names == ["P. Ba", "P. Hai", "P. Một"]
    assert excel.short_unit_name("Trung tâm Công nghệ thông tin và Truyền thông") == (
        "TT. Công nghệ thông t…"
    )
    assert excel.short_unit_name("Văn phòng Sở") == "VP"


def test_the_item_sheet_lists_every_counted_item_with_reason_and_extension(files):
    report, path, _ = files
    sheet = load_workbook(path)[excel.SHEET_ITEMS]
    rows = [r for r in sheet.iter_rows(min_row=excel.HEADER_ROW + 1, values_only=True)
            if isinstance(r[0], int)]  # fmt: skip
    assert len(rows) == report.documents.total.counted + report.tasks.total.counted == 14
    by_code = {r[2]: r for r in rows}
    t3 = by_code["T3"]
    assert (t3[1], t3[13], t3[14], t3[15]) == (
        "Nhiệm vụ", "Hoàn thành trễ hạn", 2, "Chờ ý kiến Sở Tài chính"
    )  # fmt: skip
    t4 = by_code["T4"]
    assert t4[9] == "Có" and t4[10] == datetime(2024, 1, 10, 17, 0)
    d1 = by_code["D1/UBND-VP"]
    assert (d1[4], d1[5], d1[8]) == ("Phòng Một", "Phòng Hai", "Thời hạn mặc định")
    assert sheet.auto_filter.ref.startswith(f"A{excel.HEADER_ROW}:")
