"""Legacy TCVN3/VNI text in short header lines, and the Unicode text that must stay as it is.

A short line seldom holds a character only a legacy encoding explains, so the letter case, the
"Số" label and whether the words read as Vietnamese syllables decide (docs/domain.md §3).
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.legacy_text import _DECODE, invalid_syllables, lines_to_unicode, to_unicode
from pipelines.parsing import parse_text

SHORT_TCVN3 = [
    ("Sè: 07/Q§-UBND", "Số: 07/QĐ-UBND"),
    ("Sè 12/KH-UBND", "Số 12/KH-UBND"),
    ("Sè:1866/SXD-VP", "Số:1866/SXD-VP"),
    ("QUYÕT §ÞNH", "QUYẾT ĐỊNH"),
    ("QuyÕt ®Þnh", "Quyết định"),
    ("MËT", "MẬT"),
    ("TèI MËT", "TỐI MẬT"),
    ("HáA TèC", "HỎA TỐC"),
    ("KhÈn", "Khẩn"),
    ("C«ng v¨n", "Công văn"),
    ("B¸o c¸o", "Báo cáo"),
    ("KÕ ho¹ch", "Kế hoạch"),
    ("NghÞ ®Þnh", "Nghị định"),
    ("Th«ng t\xad", "Thông tư"),  # ư is TCVN3's 0xAD (a soft hyphen in Latin-1)
    ("Tê tr×nh", "Tờ trình"),
    ("Gi¸m ®èc", "Giám đốc"),
    ("B×nh §Þnh, ngµy 04 th¸ng 10 n¨m 2023", "Bình Định, ngày 04 tháng 10 năm 2023"),
]

SHORT_VNI = [
    ("Coâng vaên", "Công văn"),
    ("COÂNG VAÊN", "CÔNG VĂN"),
    ("Baùo caùo", "Báo cáo"),
    ("Keá hoaïch", "Kế hoạch"),
    ("KEÁ HOAÏCH", "KẾ HOẠCH"),
    ("Soá: 07/QÑ-UBND", "Số: 07/QĐ-UBND"),
    ("Maät", "Mật"),
    ("TOÁI MAÄT", "TỐI MẬT"),
    ("HOÛA TOÁC", "HỎA TỐC"),
    ("Khaån", "Khẩn"),
    ("Chæ thò", "Chỉ thị"),
    ("Thoâng tö", "Thông tư"),
    ("Nghò ñònh", "Nghị định"),
    ("Tôø trình", "Tờ trình"),
    ("Giaáy môøi", "Giấy mời"),
    ("Ñeà aùn", "Đề án"),
    ("QUYEÁT ÑÒNH", "QUYẾT ĐỊNH"),
]


@pytest.mark.parametrize(("legacy", "unicode"), SHORT_TCVN3 + SHORT_VNI)
def test_short_legacy_lines_are_converted(legacy, unicode):
    assert to_unicode(legacy) == unicodedata.normalize("NFC", unicode)
    assert to_unicode(unicodedata.normalize("NFD", legacy)) == to_unicode(legacy)


@pytest.mark.parametrize(
    "text",
    [
        "Sè", "sè", "Sè sè", "Xuân", "quê", "Hoá", "Café", "Noël", "Rosé", "naïve", "JOSÉ",
        "Tây Sơn", "Hà Nội", "Số: 07/QĐ-UBND", "ÔNG", "Tô Hoài", "Bà Rịa", "UBND", "HÀ",
        "Lê Thị Mỹ", "12/UBND-VP", "Quý", "Thúy",
    ],
)  # fmt: skip
def test_ordinary_short_text_is_left_alone(text):
    assert to_unicode(text) == text


@pytest.mark.parametrize(
    ("word", "valid"),
    [("quyết", True), ("định", True), ("xoong", True), ("khuya", True), ("Qẹ", False),
     ("Maọt", False), ("hoaùch", False), ("chæ", False), ("ngàý", False), ("UBND", True)],
)  # fmt: skip
def test_vietnamese_syllables(word, valid):
    assert (invalid_syllables(word) == 0) is valid


def test_a_pasted_header_reads_each_line_in_its_own_encoding():
    header = "MËT\nSè: 07/Q§-UBND\nBình Định, ngày 22 tháng 9 năm 2023\nQUYÕT §ÞNH"
    assert lines_to_unicode(header).splitlines()[:2] == ["MẬT", "Số: 07/QĐ-UBND"]
    found = parse_text(header)
    assert (found["notation"], found["type_code"], found["secrecy"]) == (
        "QĐ-UBND",
        "QĐ",
        "confidential",
    )
    assert parse_text("Soá: 07/QÑ-UBND\nCoâng vaên")["notation"] == "QĐ-UBND"


_ENCODE = {letter: char for char, letter in _DECODE.items()}


@given(st.sampled_from([u for _, u in SHORT_TCVN3 if u == u.lower() or u.istitle()]))
def test_title_case_lines_round_trip_through_tcvn3(line):
    legacy = "".join(_ENCODE.get(c, _ENCODE.get(c.lower(), c)) for c in line)
    assert to_unicode(legacy).lower() == line.lower()


@given(
    st.text(
        alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàáâãèéêìíòóôõùúý SQUBND:/0123456789", max_size=30
    )
)
def test_unicode_with_capitals_digits_and_labels_is_not_converted_unless_it_is_legacy(text):
    """Unicode text stays Unicode: converting it would have to make more words Vietnamese."""
    converted = to_unicode(text)
    assert converted == unicodedata.normalize("NFC", text) or (
        invalid_syllables(converted) < invalid_syllables(text)
    )
