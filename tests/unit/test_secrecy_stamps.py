"""Secrecy stamps (docs/domain.md §3): what is a stamp, what is prose, and levels kept apart.

Legacy forms are made here from the Unicode text by the simulators' own encoder (written from
the TCVN3 table independently of the bridge) and by a VNI encoder below, so the cases test the
reading, not a copy of it.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipelines.parsing import find_secrecy as find_secrecy_in_parsing
from pipelines.secrecy import find_secrecy
from simulators.vietnamese import tcvn3_mojibake

CONF, SECRET, TOP = "confidential", "secret", "top_secret"

# VNI (Windows): base letter followed by the mark character(s) (VNI-Times table).
_VNI = {"Ậ": "AÄ", "ậ": "aä", "Ố": "OÁ", "ố": "oá", "Ệ": "EÄ", "ệ": "eä", "Ẩ": "AÅ", "ẩ": "aå"}


def vni(text: str) -> str:
    return "".join(_VNI.get(char, char) for char in unicodedata.normalize("NFC", text))


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


STAMPS = [
    ("MẬT", CONF),
    ("TỐI MẬT", SECRET),
    ("TUYỆT MẬT", TOP),
    ("Mật", CONF),  # a field holding the level as a value
    ("Độ mật: Tối mật", SECRET),
    ("ĐỘ MẬT: TUYỆT MẬT", TOP),
    ("KHẨN, MẬT", CONF),
    ("MẬT - HỎA TỐC", CONF),
    ("HỎA TỐC - TỐI MẬT", SECRET),
    ("THƯỢNG KHẨN - TUYỆT MẬT", TOP),
    ("HOẢ TỐC HẸN GIỜ, MẬT", CONF),
    ("MAT", CONF),
    ("TOI MAT", SECRET),
    ("TUYET MAT", TOP),
    ("KHAN, MAT", CONF),
    ("DO MAT: TOI MAT", SECRET),
    (nfd("MẬT"), CONF),
    (nfd("HỎA TỐC - TỐI MẬT"), SECRET),
    (nfd("TUYỆT MẬT - V/v phúc đáp văn bản số 12/UBND-VP"), TOP),
    (tcvn3_mojibake("MẬT"), CONF),
    (tcvn3_mojibake("TỐI MẬT"), SECRET),
    (tcvn3_mojibake("KHẨN, MẬT - V/v báo cáo tình hình"), CONF),
    (vni("MẬT"), CONF),
    (vni("TỐI MẬT"), SECRET),
    ("M Ậ T", CONF),
    ("T Ố I  M Ậ T", SECRET),
    ("T U Y Ệ T M Ậ T", TOP),
    ("MẬT - V/v phúc đáp văn bản số 1866/SXD-VP", CONF),
    ("TỐI MẬT: Ý kiến chỉ đạo về văn bản số 07/QĐ-STTTT", SECRET),
    ("V/v phúc đáp văn bản số 12/SNV-TT - MẬT", CONF),
    ("Báo cáo tình hình an ninh (TUYỆT MẬT)", TOP),
    ("Kế hoạch [TỐI MẬT] năm 2024", SECRET),
    ("V/v triển khai kế hoạch\nMẬT\nSố: 12/KH-UBND", CONF),  # a stamp line inside a header
    ("MẬT\nTUYỆT MẬT", TOP),  # the highest level stated wins
    ("\u200bMẬT\u200b", CONF),  # invisible characters around the stamp
    ("  mật  ", CONF),  # a field holding only the level, spaces and case as typed
]

PROSE = [
    "V/v bảo vệ bí mật nhà nước trong tình hình mới",
    "Giữ bí mật thông tin cá nhân của người dân",
    "V/V TĂNG CƯỜNG CÔNG TÁC BẢO VỆ BÍ MẬT NHÀ NƯỚC",
    "Hướng dẫn đổi mật khẩu hệ thống iOffice",
    "Mật khẩu: phải có ít nhất 8 ký tự",
    "MẬT KHẨU TÀI KHOẢN QUẢN TRỊ",
    "Báo cáo mật độ dân số năm 2023",
    "MẬT ĐỘ XÂY DỰNG KHU ĐÔ THỊ",
    "Mật độ giao thông trên quốc lộ 1A",
    "Phối hợp mật thiết với các sở, ngành",
    "Tăng cường công tác bảo mật hệ thống thông tin",
    "Bảo mật",
    "Quy chế bảo đảm an toàn, bảo mật dữ liệu",
    "Giữ kín, mật.",
    "Mật ong rừng U Minh",
    "Mat",
    "mat xa, mat ong",
    "Độ mật: Thường",
    "KHẨN",
    "HỎA TỐC - THƯỢNG KHẨN",
    "TỐI NAY HỌP GIAO BAN",
    "Tối mai họp, mật thiết phối hợp",
    "Thông tin nội bộ không thuộc danh mục bí mật nhà nước",
    nfd("Báo cáo mật độ dân số năm 2023"),
    tcvn3_mojibake("Hướng dẫn đổi mật khẩu"),
    "",
]


@pytest.mark.parametrize(("text", "level"), STAMPS)
def test_a_stamp_is_found_with_its_own_level(text, level):
    assert find_secrecy(text) == level


@pytest.mark.parametrize("text", PROSE)
def test_the_word_in_prose_is_not_a_stamp(text):
    assert find_secrecy(text) is None


@pytest.mark.parametrize(("text", "level"), STAMPS[:10])
def test_parsing_delegates_to_the_same_rules(text, level):
    assert find_secrecy_in_parsing(text) == level


def test_each_class_has_at_least_fifteen_cases():
    assert len(STAMPS) >= 15
    assert len(PROSE) >= 15


# --- properties ------------------------------------------------------------------------------

PLAIN = ["văn", "bản", "bí", "khẩu", "độ", "thiết", "bảo", "nhà", "nước", "về", "việc", "triển",
         "khai", "kế", "hoạch", "số", "12/UBND", "mát", "mất", "mặt"]  # fmt: skip
WORDS = [*PLAIN, "mật", "tối", "tuyệt", "khẩn", "hỏa", "tốc"]
LEVEL_WORDS = {CONF: "MẬT", SECRET: "TỐI MẬT", TOP: "TUYỆT MẬT"}
FORMS = [
    lambda w, t: f"{w} - {t}",
    lambda w, t: f"KHẨN, {w} - {t}",
    lambda w, t: f"{t} - HỎA TỐC - {w}",
    lambda w, t: f"{t} ({w})",
    lambda w, t: nfd(f"{w}\n{t}"),
    lambda w, t: tcvn3_mojibake(f"{w} - {t}"),
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=12))
def test_lower_case_prose_is_never_a_stamp(words):
    # A sentence (a capital first, a full stop last) with at least one word that no stamp has:
    # the level words inside it stay prose. (A line of stamp words only, "Tối mật", is a field
    # holding the level, and is taken.)
    assume(any(word in PLAIN for word in words))
    sentence = " ".join(words)
    for punctuated in (sentence, sentence.replace(" ", ", ", 1), sentence.replace(" ", " - ", 1)):
        assert find_secrecy(punctuated[0].upper() + punctuated[1:] + ".") is None


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(LEVEL_WORDS)),
    st.sampled_from(range(len(FORMS))),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=10),
)
def test_a_stamp_in_any_form_around_any_abstract_is_found_with_its_level(level, form, words):
    abstract = "V/v " + " ".join(words)
    assert find_secrecy(FORMS[form](LEVEL_WORDS[level], abstract)) == level
