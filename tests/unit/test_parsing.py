"""Number/notation, type, secrecy marks and legacy text, as they really arrive."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.legacy_text import _DECODE, looks_like_tcvn3, to_unicode
from pipelines.parsing import (
    document_type_from_title,
    find_secrecy,
    parse_number_notation,
    parse_text,
)

NUMBERS = [
    # text, number, notation, type, issuer, year, drafting unit
    ("Số : 1866/SXD-VP", "1866", "SXD-VP", "CV", "SXD", None, "VP"),
    ("số:07/QĐ-STTTT", "07", "QĐ-STTTT", "QĐ", "STTTT", None, None),
    ("Số 733/SNV-TT", "733", "SNV-TT", "CV", "SNV", None, "TT"),
    ("54/2023/QĐ-UBND", "54", "2023/QĐ-UBND", "QĐ", "UBND", 2023, None),
    ("Số: 12/2024/NQ-HĐND", "12", "2024/NQ-HĐND", "NQ", "HĐND", 2024, None),
    ("06-CTr/TU", "06", "CTr/TU", "CTr", "TU", None, None),
    ("07/qđ-ubnd", "07", "QĐ-UBND", "QĐ", "UBND", None, None),
    ("07/QD-UBND", "07", "QĐ-UBND", "QĐ", "UBND", None, None),
    ("15/CD-UBND", "15", "CĐ-UBND", "CĐ", "UBND", None, None),
    ("03/QYĐ-UBND", "03", "QyĐ-UBND", "QyĐ", "UBND", None, None),
    ("03/QyD-UBND", "03", "QyĐ-UBND", "QyĐ", "UBND", None, None),
    ("21/HD-SGDĐT", "21", "HD-SGDĐT", "HD", "SGDĐT", None, None),
    ("09/HĐ-STTTT", "09", "HĐ-STTTT", "HĐ", "STTTT", None, None),
    ("88/BC-UBND", "88", "BC-UBND", "BC", "UBND", None, None),
    ("101/KH-UBND", "101", "KH-UBND", "KH", "UBND", None, None),
    ("05/TTr-STC", "05", "TTr-STC", "TTr", "STC", None, None),
    ("14/GM-VPUBND", "14", "GM-VPUBND", "GM", "VPUBND", None, None),
    ("02/SY-UBND", "02", "SY-UBND", "SY", "UBND", None, None),
    ("04/TrS-VP", "04", "TrS-VP", "TrS", "VP", None, None),
    ("11/TB-STTTT", "11", "TB-STTTT", "TB", "STTTT", None, None),
    ("17/CT-UBND", "17", "CT-UBND", "CT", "UBND", None, None),
    ("1/UQ-STTTT", "1", "UQ-STTTT", "UQ", "STTTT", None, None),
    ("  Số  :  95/UBND-KHTC ", "95", "UBND-KHTC", "CV", "UBND", None, "KHTC"),
    ("182/ubnd-qlđt", "182", "UBND-QLĐT", "CV", "UBND", None, "QLĐT"),
]


@pytest.mark.parametrize(("text", "number", "notation", "kind", "issuer", "year", "unit"), NUMBERS)
def test_number_and_notation(text, number, notation, kind, issuer, year, unit):
    parsed = parse_number_notation(text)
    assert parsed is not None
    assert (parsed.number, parsed.notation, parsed.type_code) == (number, notation, kind)
    assert (parsed.issuer, parsed.year, parsed.drafting_unit) == (issuer, year, unit)


@pytest.mark.parametrize("text", ["", "abc", "Số:", "QĐ-UBND", "/QĐ-UBND", "ngày 22/9"])
def test_text_without_a_number_gives_none(text):
    assert parse_number_notation(text) is None


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("QUYẾT ĐỊNH Về việc ban hành quy chế", "QĐ"),
        ("Kế hoạch triển khai chuyển đổi số năm 2024", "KH"),
        ("CÔNG VĂN", "CV"),
        ("Thông báo kết luận của Giám đốc Sở", "TB"),
        ("Giấy mời họp", "GM"),
        ("Tờ trình đề nghị phê duyệt", "TTr"),
        ("Về việc góp ý dự thảo", None),
    ],
)
def test_document_type_from_the_title(title, kind):
    assert document_type_from_title(title) == kind
    assert document_type_from_title(unicodedata.normalize("NFD", title)) == kind


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("MẬT", "confidential"),
        ("TỐI MẬT", "secret"),
        ("Tuyệt mật", "top_secret"),
        ("HỎA TỐC\nTUYỆT MẬT", "top_secret"),
        ("Độ mật: Tối mật", "secret"),
        ("Về việc bảo vệ bí mật nhà nước", None),
        ("Mật khẩu hệ thống", None),
        ("", None),
    ],
)
def test_secrecy_marks_are_stamps_not_words_in_prose(text, level):
    assert find_secrecy(text) == level
    assert find_secrecy(unicodedata.normalize("NFD", text)) == level


@pytest.mark.parametrize(
    ("legacy", "unicode"),
    [
        ("QuyÕt ®Þnh", "Quyết định"),
        ("Uû ban nh©n d©n tØnh B×nh §Þnh", "Uỷ ban nhân dân tỉnh Bình Định"),
        ("VÒ viÖc triÓn khai nhiÖm vô", "Về việc triển khai nhiệm vụ"),
    ],
)
def test_tcvn3_mojibake_is_converted(legacy, unicode):
    assert looks_like_tcvn3(legacy)
    assert to_unicode(legacy) == unicodedata.normalize("NFC", unicode)


@pytest.mark.parametrize("text", ["Quyết định", "Café", "Plain ASCII 07/QĐ", "Hà Nội, Đà Nẵng"])
def test_ordinary_text_passes_unchanged(text):
    assert not looks_like_tcvn3(text)
    assert to_unicode(text) == text


VIETNAMESE_LETTERS = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ "
)
VIETNAMESE = st.text(alphabet=VIETNAMESE_LETTERS, max_size=40)


PHRASES = [
    "Quyết định về việc ban hành quy chế",
    "Ủy ban nhân dân tỉnh Bình Định",
    "Kế hoạch triển khai chuyển đổi số",
    "Báo cáo kết quả thực hiện nhiệm vụ năm",
    "Sở Thông tin và Truyền thông",
    "nguồn vốn đầu tư công",
    "người đứng đầu cơ quan",
    "phúc đáp văn bản của Văn phòng",
]


@pytest.mark.parametrize("phrase", PHRASES)
def test_real_phrases_round_trip_through_tcvn3(phrase):
    encode = {letter: char for char, letter in _DECODE.items()}
    legacy = "".join(encode.get(c, encode.get(c.lower(), c)) for c in phrase)
    # TCVN3 has no capital toned letters, so only the letters themselves must come back.
    assert to_unicode(legacy).lower() == phrase.lower()


@given(VIETNAMESE)
def test_unicode_vietnamese_is_never_converted(text):
    assert to_unicode(text) == unicodedata.normalize("NFC", text)


@given(st.text(max_size=60))
def test_parsing_arbitrary_text_never_raises_and_nfd_reads_like_nfc(text):
    nfc, nfd = unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text)
    assert parse_number_notation(nfc) == parse_number_notation(nfd)
    assert find_secrecy(nfc) == find_secrecy(nfd)
    assert document_type_from_title(nfc) == document_type_from_title(nfd)
    assert parse_text(nfc) == parse_text(nfd)
    to_unicode(text)


@pytest.mark.parametrize(
    ("legacy", "unicode"),
    [
        ("Xin chaøo caùc baïn", "Xin chào các bạn"),
        ("Vieät Nam", "Việt Nam"),
        ("Quyeát ñònh", "Quyết định"),
        ("UÛy ban nhaân daân tænh Bình Ñònh", "Ủy ban nhân dân tỉnh Bình Định"),
        ("Veà vieäc trieån khai nhieäm vuï", "Về việc triển khai nhiệm vụ"),
        ("Thöïc hieän nhieäm vuï", "Thực hiện nhiệm vụ"),
    ],
)
def test_vni_is_converted(legacy, unicode):
    assert to_unicode(legacy) == unicodedata.normalize("NFC", unicode)


@pytest.mark.parametrize("word", ["Xuân", "quê", "Hoá", "tuân thủ", "Tây Sơn"])
def test_unicode_words_that_look_like_vni_marks_are_left_alone(word):
    assert to_unicode(word) == word
