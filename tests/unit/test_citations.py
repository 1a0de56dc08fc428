"""Numbers and notations of every kind, and the documents a text cites with their dates.

Written from the rules of docs/domain.md §3: legal normative documents carry their year and
name their type (NĐ, TT, TTLT, NQLT, QĐ, NQ, L) or none (a law: "59/2020/QH14"); party
documents are number-TYPE/ISSUER; case is kept as written; separators may be spaced; a cited
document's date follows its code in any written form.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.citations import find_citations
from pipelines.parsing import parse_number_notation, parse_text
from pipelines.reconcile import fold_code


def _code(text: str) -> tuple:
    parsed = parse_number_notation(text)
    assert parsed is not None, text
    return parsed.number, parsed.notation, parsed.type_code, parsed.issuer, parsed.year


LEGAL_NORMATIVE = [
    # text, number, notation, type, issuer, year
    ("45/2024/NĐ-CP", "45", "2024/NĐ-CP", "NĐ", "CP", 2024),
    ("Số: 30/2020/NĐ-CP", "30", "2020/NĐ-CP", "NĐ", "CP", 2020),
    ("45/2024/ND-CP", "45", "2024/NĐ-CP", "NĐ", "CP", 2024),  # D typed for Đ
    ("45/2024/nđ-cp", "45", "2024/NĐ-CP", "NĐ", "CP", 2024),
    ("01/2019/TT-BNV", "01", "2019/TT-BNV", "TT", "BNV", 2019),
    ("12/2024/TT-BTTTT", "12", "2024/TT-BTTTT", "TT", "BTTTT", 2024),
    ("220/2013/TTLT-BTC-BNV", "220", "2013/TTLT-BTC-BNV", "TTLT", "BTC-BNV", 2013),
    ("03/2020/TTLT-BCA-BQP-BTC", "03", "2020/TTLT-BCA-BQP-BTC", "TTLT", "BCA-BQP-BTC", 2020),
    ("09/2008/NQLT-CP-UBTƯMTTQVN", "09", "2008/NQLT-CP-UBTƯMTTQVN", "NQLT", "CP-UBTƯMTTQVN", 2008),
    ("15/2024/NQ-HĐND", "15", "2024/NQ-HĐND", "NQ", "HĐND", 2024),
    ("54/2023/QĐ-UBND", "54", "2023/QĐ-UBND", "QĐ", "UBND", 2023),
    ("20/2020/QĐ-TTg", "20", "2020/QĐ-TTg", "QĐ", "TTg", 2020),
    ("10/2023/L-CTN", "10", "2023/L-CTN", "L", "CTN", 2023),
    # A law or an ordinance names no type in its notation; it is not a công văn either
    # (a công văn never carries a year).
    ("59/2020/QH14", "59", "2020/QH14", None, "QH14", 2020),
    ("02/2022/UBTVQH15", "02", "2022/UBTVQH15", None, "UBTVQH15", 2022),
    # Without the year, TT and L are an agency's abbreviation in a công văn.
    ("15/TT-VP", "15", "TT-VP", "CV", "TT", None),
    ("05/L-VP", "05", "L-VP", "CV", "L", None),
    # Administrative documents keep reading as before.
    ("07/QĐ-STTTT", "07", "QĐ-STTTT", "QĐ", "STTTT", None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "number", "notation", "kind", "issuer", "year"), LEGAL_NORMATIVE)
def test_legal_normative_notations(text, number, notation, kind, issuer, year):
    assert _code(text) == (number, notation, kind, issuer, year)


PARTY = [
    # text, number, notation, type, issuer
    ("25-KL/TW", "25", "KL/TW", "KL", "TW"),
    ("12-CV/TU", "12", "CV/TU", "CV", "TU"),
    ("06-CTr/TU", "06", "CTr/TU", "CTr", "TU"),
    ("35-NQ/TW", "35", "NQ/TW", "NQ", "TW"),
    ("05-CT/TW", "05", "CT/TW", "CT", "TW"),
    ("102-QĐ/TW", "102", "QĐ/TW", "QĐ", "TW"),
    ("08-TT/TW", "08", "TT/TW", "TTri", "TW"),  # Thông tri in a party notation
    ("36-HD/VPTW", "36", "HD/VPTW", "HD", "VPTW"),
    ("123-TB/TU", "123", "TB/TU", "TB", "TU"),
    ("45-BC/HU", "45", "BC/HU", "BC", "HU"),
    ("01-KH/ĐU", "01", "KH/ĐU", "KH", "ĐU"),
    ("07-QC/TW", "07", "QC/TW", "QC", "TW"),
    ("15-TTr/BCSĐ", "15", "TTr/BCSĐ", "TTr", "BCSĐ"),
    ("04-GM/TU", "04", "GM/TU", "GM", "TU"),
    ("88-ĐA/TU", "88", "ĐA/TU", "ĐA", "TU"),
    ("25-kl/tw", "25", "KL/TW", "KL", "TW"),
    ("Số 12-CV/TU", "12", "CV/TU", "CV", "TU"),
    ("Số: 60-QĐ/TW", "60", "QĐ/TW", "QĐ", "TW"),
]


@pytest.mark.parametrize(("text", "number", "notation", "kind", "issuer"), PARTY)
def test_party_notations(text, number, notation, kind, issuer):
    parsed = parse_number_notation(text)
    assert parsed is not None
    assert (parsed.number, parsed.notation, parsed.type_code, parsed.issuer) == (
        number, notation, kind, issuer,
    )  # fmt: skip
    assert parsed.code == f"{number}-{notation}"


@pytest.mark.parametrize("text", ["04-10-2023", "12-xyz/TU", "2024-02-05", "25-/TW", "-KL/TW"])
def test_what_is_no_party_notation(text):
    assert parse_number_notation(text) is None


CASE = [
    # text, notation, issuer: kept as written; a group typed all in lower case is raised, a type
    # takes its official spelling
    ("123/QĐ-TTg", "QĐ-TTg", "TTg"),
    ("20/2020/QĐ-TTg", "2020/QĐ-TTg", "TTg"),
    ("05/CT-TTg", "CT-TTg", "TTg"),
    ("123/qđ-ttg", "QĐ-TTg", "TTg"),  # Thủ tướng's own spelling
    ("123/QĐ-TTG", "QĐ-TTG", "TTG"),  # as written
    ("06-CTr/TU", "CTr/TU", "TU"),
    ("06-CTR/TU", "CTr/TU", "TU"),
    ("03/QYĐ-UBND", "QyĐ-UBND", "UBND"),
    ("05/TTr-STC", "TTr-STC", "STC"),
    ("04/TrS-VP", "TrS-VP", "VP"),
    ("07/qđ-ubnd", "QĐ-UBND", "UBND"),
    ("182/ubnd-qlđt", "UBND-QLĐT", "UBND"),
    ("45/VPCP-KGVX", "VPCP-KGVX", "VPCP"),
    ("2/SKH&ĐT-VP", "SKH&ĐT-VP", "SKH&ĐT"),
    ("88/BTTTT-CĐSQG", "BTTTT-CĐSQG", "BTTTT"),
    ("17/Ttg-KTN", "Ttg-KTN", "Ttg"),
    ("01/2019/TT-BNV", "2019/TT-BNV", "BNV"),
]


@pytest.mark.parametrize(("text", "notation", "issuer"), CASE)
def test_case_is_kept_as_written(text, notation, issuer):
    parsed = parse_number_notation(text)
    assert (parsed.notation, parsed.issuer) == (notation, issuer)


@pytest.mark.parametrize(
    "variants",
    [
        ("123/QĐ-TTg", "123/qđ-ttg", "123/QD-TTG", "123 / QĐ - TTg"),
        ("06-CTr/TU", "06-CTR/TU", "06-ctr/tu"),
        ("45/2024/NĐ-CP", "45/2024/ND-CP", "45/2024/nđ-cp"),
    ],
)
def test_case_variants_fold_to_one_code_where_systems_are_compared(variants):
    folded = {fold_code(p.number, p.notation) for p in map(parse_number_notation, variants)}
    assert len(folded) == 1


SPACED = [
    # text, number, notation
    ("Số: 07 / QĐ - STTTT", "07", "QĐ-STTTT"),
    ("số 07/ QĐ-UBND", "07", "QĐ-UBND"),
    ("Số : 1866 / SXD - VP", "1866", "SXD-VP"),
    ("54 / 2023 / QĐ - UBND", "54", "2023/QĐ-UBND"),
    ("45/2024/ NĐ-CP", "45", "2024/NĐ-CP"),
    ("Số:07 /QĐ-UBND", "07", "QĐ-UBND"),
    ("25 - KL / TW", "25", "KL/TW"),
    ("06- CTr/ TU", "06", "CTr/TU"),
    ("07/QĐ -UBND", "07", "QĐ-UBND"),
    ("07/QĐ- UBND", "07", "QĐ-UBND"),
    ("220/2013/TTLT - BTC - BNV", "220", "2013/TTLT-BTC-BNV"),
    ("Số  :  95 / UBND - KHTC", "95", "UBND-KHTC"),
    ("15 / 2024 / NQ - HĐND", "15", "2024/NQ-HĐND"),
    ("Số: 07 / QĐ - STTTT ngày 4/10/2023", "07", "QĐ-STTTT"),
    # A spaced hyphen before a word of prose ends the code.
    ("07/QĐ-UBND - Phòng Nội vụ", "07", "QĐ-UBND"),
    ("12/UBND - Về việc", "12", "UBND"),
    ("20/2020/QĐ - TTg", "20", "2020/QĐ-TTg"),
    ("12/UBND-VX\n- UBND tỉnh;", "12", "UBND-VX"),  # the next line of a recipients list
]


@pytest.mark.parametrize(("text", "number", "notation"), SPACED)
def test_spaced_notations(text, number, notation):
    parsed = parse_number_notation(text)
    assert (parsed.number, parsed.notation) == (number, notation)


@pytest.mark.parametrize("text", ["1/ Về việc triển khai", "2 / Sở Nội vụ", "04 / 10 / 2023"])
def test_a_numbered_item_is_no_spaced_notation(text):
    assert parse_number_notation(text) is None


CITED_DATES = [
    # text, the cited code, its date
    ("Quyết định số 54/2023/QĐ-UBND ngày 04/10/2023", "54/2023/QĐ-UBND", date(2023, 10, 4)),
    ("Quyết định số 54/2023/QĐ-UBND ngày 4/10/2023", "54/2023/QĐ-UBND", date(2023, 10, 4)),
    ("Quyết định số 54/2023/QĐ-UBND ngày 2023/10/04", "54/2023/QĐ-UBND", date(2023, 10, 4)),
    ("Quyết định 54/2023/QĐ-UBND ngày 04 tháng 10 năm 2023", "54/2023/QĐ-UBND", date(2023, 10, 4)),
    ("Quyết định số 54/2023/QĐ-UBND ngày 04-10-2023", "54/2023/QĐ-UBND", date(2023, 10, 4)),
    ("Quyết định số 54/2023/QĐ-UBND ngày 04.10.2023", "54/2023/QĐ-UBND", date(2023, 10, 4)),
    ("Quyết định số 54/2023/QĐ-UBND ngày 2023-10-04", "54/2023/QĐ-UBND", date(2023, 10, 4)),
    ("Quyết định 54/2023/QĐ-UBND Ngày 4 tháng 10, năm 2023", "54/2023/QĐ-UBND", date(2023, 10, 4)),
    # The year a date leaves out is the notation's.
    ("Quyết định số 54/2023/QĐ-UBND ngày 04/10", "54/2023/QĐ-UBND", date(2023, 10, 4)),
    ("Công văn số 1866/SXD-VP của Sở Xây dựng ngày 22/9/2017", "1866/SXD-VP", date(2017, 9, 22)),
    ("Nghị định số 45/2024/NĐ-CP, ngày 5/5/2024 của Chính phủ", "45/2024/NĐ-CP", date(2024, 5, 5)),
    ("Kết luận số 25-KL/TW ngày 30/12/2021 của Bộ Chính trị", "25-KL/TW", date(2021, 12, 30)),
    ("Thông tư 01/2019/TT-BNV ngày 24 tháng 01 năm 2019", "01/2019/TT-BNV", date(2019, 1, 24)),
    ("Văn bản số 12/UBND-VX ngày: 03/01/2024", "12/UBND-VX", date(2024, 1, 3)),
    ("Công văn số 1866/SXD-VP ký ngày 04/10/2023", "1866/SXD-VP", date(2023, 10, 4)),
    ("Quyết định 54/2023/QĐ-UBND ban hành ngày 04/10/2023", "54/2023/QĐ-UBND", date(2023, 10, 4)),
    ("(Quyết định số 07/QĐ-UBND ngày 29/02/2024)", "07/QĐ-UBND", date(2024, 2, 29)),
    ("Công văn số 12-CV/TU ngày 04 tháng 10 năm 2023 của Tỉnh ủy", "12-CV/TU", date(2023, 10, 4)),
    ("theo Công văn số 07 / QĐ - STTTT ngày 4 / 10 / 2023", "07/QĐ-STTTT", date(2023, 10, 4)),
    # No date of the cited document: a deadline, an impossible day, no year, the next line.
    ("Công văn số 1866/SXD-VP, gửi trước ngày 10/10/2023", "1866/SXD-VP", None),
    ("Công văn số 1866/SXD-VP của Sở Xây dựng trước ngày 10/10/2023", "1866/SXD-VP", None),
    ("Công văn số 1866/SXD-VP của Sở, báo cáo trước ngày 10/10/2023", "1866/SXD-VP", None),
    ("Quyết định số 07/QĐ-UBND ngày 31/02/2024", "07/QĐ-UBND", None),
    ("Công văn số 1866/SXD-VP ngày 04/10", "1866/SXD-VP", None),
    ("Quyết định số 54/2023/QĐ-UBND ngày 4/10/23", "54/2023/QĐ-UBND", None),  # no 2-digit year
    ("Quyết định số 54/2023/QĐ-UBND ngày 2023/10/041", "54/2023/QĐ-UBND", None),
    ("Công văn số 1866/SXD-VP\nngày 04/10/2023 Sở nhận được", "1866/SXD-VP", None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "code", "day"), CITED_DATES)
def test_the_date_of_a_cited_document(text, code, day):
    (citation,) = find_citations(text)
    assert (citation.code.code, citation.day) == (code, day)


@pytest.mark.parametrize(
    ("text", "type_name"),
    [
        ("Luật Doanh nghiệp số 59/2020/QH14 ngày 17/6/2020", "Luật"),
        ("Pháp lệnh số 02/2022/UBTVQH15", "Pháp lệnh"),
        ("Quy định số 102-QĐ/TW", "Quy định"),  # a party Quy định is written QĐ too
        ("Chỉ thị số 05/CT-TTg", "Chỉ thị"),
        ("Văn bản số 12/UBND-VX", "Công văn"),
        ("Thông tư liên tịch số 220/2013/TTLT-BTC-BNV", "Thông tư liên tịch"),
        ("Nghị quyết số 35-NQ/TW", "Nghị quyết"),
        ("Thông tri số 08-TT/TW", "Thông tri"),
        ("Lệnh số 10/2023/L-CTN", "Lệnh"),
    ],
)
def test_the_type_of_a_cited_document(text, type_name):
    (citation,) = find_citations(text)
    assert citation.type is not None and citation.type.label == type_name


def test_the_text_own_number_is_no_citation_and_each_document_is_cited_once():
    text = (
        "Số: 07/QĐ-UBND\nCăn cứ Quyết định số 54/2023/QĐ-UBND;\n"
        "Thực hiện Quyết định số 54/2023/qđ-ubnd ngày 04/10/2023 và Kết luận số 25-KL/TW"
    )
    cited = [(c.code.code, c.day) for c in find_citations(text)]
    assert cited == [("54/2023/QĐ-UBND", date(2023, 10, 4)), ("25-KL/TW", None)]


NAMED_LAWS = [
    # text, title, type, date, year
    ("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
     "Luật Tổ chức chính quyền địa phương", "Luật", date(2015, 6, 19), None),
    ("Căn cứ Bộ luật Lao động ngày 20/11/2019;", "Bộ luật Lao động", "Bộ luật",
     date(2019, 11, 20), None),
    ("Căn cứ Pháp lệnh Ưu đãi người có công với cách mạng ngày 09 tháng 12 năm 2020;",
     "Pháp lệnh Ưu đãi người có công với cách mạng", "Pháp lệnh", date(2020, 12, 9), None),
    ("Căn cứ Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam năm 2013;",
     "Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam", "Hiến pháp", None, 2013),
    ("Căn cứ Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính phủ ngày 22/11/2019;",
     "Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính phủ", "Luật",
     date(2019, 11, 22), None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "title", "type_name", "day", "year"), NAMED_LAWS)
def test_a_law_cited_by_its_name(text, title, type_name, day, year):
    (citation,) = find_citations(text)
    assert (citation.title, citation.type.label, citation.day, citation.year) == (
        title, type_name, day, year,
    )  # fmt: skip
    assert "date" not in parse_text(text)  # the law's date is not the text's own


@pytest.mark.parametrize(
    "text",
    [
        "theo quy định của pháp luật ngày 04/10/2023",  # no capital: prose
        "Luật Đất đai, gửi trước ngày 10/10/2024",  # a deadline
        "Luật Đất đai ngày 31/02/2024",  # no such day
    ],
)
def test_what_is_no_law_cited_by_name(text):
    assert find_citations(text) == []


DATE_FORMS = [
    "{d:02d}/{m:02d}/{y}", "{d}/{m}/{y}", "{y}/{m:02d}/{d:02d}", "{d:02d}-{m:02d}-{y}",
    "{d:02d}.{m:02d}.{y}", "{d:02d} tháng {m:02d} năm {y}", "{d} tháng {m} năm {y}",
]  # fmt: skip
CODES = ["54/{y}/QĐ-UBND", "45/{y}/NĐ-CP", "25-KL/TW", "1866/SXD-VP", "12 / QĐ - STTTT"]


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2039, 12, 31)),
    st.sampled_from(DATE_FORMS),
    st.sampled_from(CODES),
    st.sampled_from(["Quyết định số", "căn cứ", "Văn bản", "theo Kết luận số"]),
)
def test_a_cited_date_in_any_form_reads_back(day, form, code, lead):
    written = form.format(d=day.day, m=day.month, y=day.year)
    text = f"{lead} {code.format(y=day.year)} ngày {written} của UBND tỉnh"
    (citation,) = find_citations(text)
    assert citation.day == day


@given(st.text(max_size=80))
def test_any_text_parses_and_every_cited_date_is_a_date(text):
    found = parse_text(text)
    for citation in found.get("citations", []):
        assert {"code", "number", "notation"} <= citation.keys() or "title" in citation
        if "date" in citation:
            date.fromisoformat(citation["date"])


@given(
    st.lists(
        st.sampled_from(
            ["Quyết định số ", "54/2023/QĐ-UBND", "25-KL/TW", " ngày ", "04/10/2023", "31/02/2023",
             "2023/13/01", " tháng ", " năm ", "\n", ", ", "của Sở ", "99/99", "Số: ", "-", "/"]
        ),
        max_size=12,
    ).map("".join)
)  # fmt: skip
def test_citation_like_text_gives_only_valid_dates(text):
    for citation in parse_text(text).get("citations", []):
        if "date" in citation:
            date.fromisoformat(citation["date"])
