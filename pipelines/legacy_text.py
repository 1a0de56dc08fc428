"""Legacy 8-bit Vietnamese (TCVN3 / ABC, VNI) in archive records, converted to Unicode NFC.

Archive databases hold text typed with TCVN3 fonts; read back as Latin-1 it looks like
"QuyÕt ®Þnh" for "Quyết định". Conversion happens only when the text clearly is such
mojibake: it must be representable in Latin-1 (real Unicode Vietnamese like "ạ" or "ế" is
not), every byte above 0x7F must be a TCVN3 letter, and it must hold at least one character
that Vietnamese Unicode text never uses (®, Þ, ¸, ­...). Plain ASCII and ordinary Unicode
text pass through unchanged.

TCVN3 has no upper-case toned letters (documents switched to an upper-case font using the
same bytes), so toned letters come back lower case; the untoned upper-case bases (Ă Â Đ Ê Ô
Ơ Ư) have their own bytes.

VNI (Windows) writes a base letter followed by a mark character: "Vieät Nam" is "Việt Nam",
"Quyeát ñònh" is "Quyết định". It is decoded by rule, each mark becoming Unicode combining
characters, then composed (NFC). It is recognised when every non-ASCII character is a VNI mark
following a vowel or one of VNI's standalone letters, and at least one of them is a character
that neither Unicode Vietnamese nor TCVN3 letters would explain there.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

# TCVN 5712:1993 (TCVN3, "ABC"): the byte of each Vietnamese letter.
_LOWER = {
    "à": 0xB5, "ả": 0xB6, "ã": 0xB7, "á": 0xB8, "ạ": 0xB9,
    "ă": 0xA8, "ằ": 0xBB, "ẳ": 0xBC, "ẵ": 0xBD, "ắ": 0xBE, "ặ": 0xC6,
    "â": 0xA9, "ầ": 0xC7, "ẩ": 0xC8, "ẫ": 0xC9, "ấ": 0xCA, "ậ": 0xCB,
    "đ": 0xAE,
    "è": 0xCC, "ẻ": 0xCE, "ẽ": 0xCF, "é": 0xD0, "ẹ": 0xD1,
    "ê": 0xAA, "ề": 0xD2, "ể": 0xD3, "ễ": 0xD4, "ế": 0xD5, "ệ": 0xD6,
    "ì": 0xD7, "ỉ": 0xD8, "ĩ": 0xDC, "í": 0xDD, "ị": 0xDE,
    "ò": 0xDF, "ỏ": 0xE1, "õ": 0xE2, "ó": 0xE3, "ọ": 0xE4,
    "ô": 0xAB, "ồ": 0xE5, "ổ": 0xE6, "ỗ": 0xE7, "ố": 0xE8, "ộ": 0xE9,
    "ơ": 0xAC, "ờ": 0xEA, "ở": 0xEB, "ỡ": 0xEC, "ớ": 0xED, "ợ": 0xEE,
    "ù": 0xEF, "ủ": 0xF1, "ũ": 0xF2, "ú": 0xF3, "ụ": 0xF4,
    "ư": 0xAD, "ừ": 0xF5, "ử": 0xF6, "ữ": 0xF7, "ứ": 0xF8, "ự": 0xF9,
    "ỳ": 0xFA, "ỷ": 0xFB, "ỹ": 0xFC, "ý": 0xFD, "ỵ": 0xFE,
}  # fmt: skip
_UPPER_BASES = {"Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7}

# Latin-1 character (as the mojibake shows it) → the Vietnamese letter it stands for.
_DECODE = {chr(byte): letter for letter, byte in {**_LOWER, **_UPPER_BASES}.items()}

# Latin-1 characters that Unicode Vietnamese never contains: their presence marks mojibake.
_VIETNAMESE_LATIN1 = set("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
_SIGNATURE = {char for char in _DECODE if char not in _VIETNAMESE_LATIN1}


# --- VNI -------------------------------------------------------------------------------------

_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"

# The mark characters that follow a base letter, lower-case form → combining marks.
_VNI_MARKS = {
    "ø": _GRAVE, "ù": _ACUTE, "û": _HOOK, "õ": _TILDE, "ï": _DOT,
    "â": _CIRCUMFLEX, "á": _CIRCUMFLEX + _ACUTE, "à": _CIRCUMFLEX + _GRAVE,
    "å": _CIRCUMFLEX + _HOOK, "ã": _CIRCUMFLEX + _TILDE, "ä": _CIRCUMFLEX + _DOT,
    "ê": _BREVE, "é": _BREVE + _ACUTE, "è": _BREVE + _GRAVE,
    "ú": _BREVE + _HOOK, "ü": _BREVE + _TILDE, "ë": _BREVE + _DOT,
}  # fmt: skip
_VNI_MARKS.update({mark.upper(): value for mark, value in list(_VNI_MARKS.items())})
# Letters VNI writes as one character of their own.
_VNI_LETTERS = {
    "ñ": "đ", "ô": "ơ", "ö": "ư", "ì": "ì", "í": "í", "ó": "ĩ", "ò": "ị", "æ": "ỉ", "î": "ỵ",
}  # fmt: skip
_VNI_LETTERS.update({char.upper(): letter.upper() for char, letter in list(_VNI_LETTERS.items())})
_VNI_BASES = set("aeiouyAEIOUY") | {"ô", "ö", "Ô", "Ö"}
# Characters that only VNI explains in such a position (no Vietnamese letter is written so).
_VNI_SIGNATURE = set("øûïäåëüñöæîØÛÏÄÅËÜÑÖÆÎ")


def _vni_scan(text: str) -> tuple[bool, bool]:
    """(every non-ASCII character is a VNI mark or letter where it stands, one of them is a
    character only VNI explains there)."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False, False
    signature = False
    for index, char in enumerate(text):
        if ord(char) <= 0x7F:
            continue
        previous = text[index - 1] if index else ""
        if char.isupper() and previous.isalpha() and previous.islower():
            # A capital after a small letter inside a word is TCVN3's signature ("viÖc",
            # "QuyÕt"); VNI writes marks and letters in the case of their word.
            return False, False
        if char in _VNI_MARKS and previous in _VNI_BASES:
            # Not "â"/"ê" alone: "Xuân" and "quê" are Unicode words with them after a vowel.
            signature = signature or char in _VNI_SIGNATURE
        elif char in _VNI_LETTERS:
            signature = signature or char in _VNI_SIGNATURE
        else:
            return False, False
    return True, signature


def looks_like_vni(text: str) -> bool:
    return all(_vni_scan(text))


def _decode_vni(text: str) -> str:
    out: list[str] = []
    for index, char in enumerate(text):
        previous = text[index - 1] if index else ""
        if char in _VNI_MARKS and previous in _VNI_BASES:
            out.append(_VNI_MARKS[char])
        elif char in _VNI_LETTERS:
            out.append(_VNI_LETTERS[char])
        else:
            out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def looks_like_tcvn3(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False  # holds characters only Unicode has: real Vietnamese
    high = [char for char in text if ord(char) > 0x7F]
    if not high or not all(c in _DECODE for c in high):
        return False
    if any(c in _SIGNATURE for c in high):
        return True
    # A short line may hold only letters Unicode Vietnamese also has ("Sè 12/KH-UBND",
    # "KhÈn", "HáA TèC"): then the case of the letters, or the "Số" label, gives it away,
    # and the converted line must read as Vietnamese syllables.
    return _weak_tcvn3_signature(text) and invalid_syllables(_decode_tcvn3(text)) == 0


# TCVN3's "Số" label before a number: Unicode has no "Sè 12".
_TCVN3_NUMBER_LABEL = re.compile(r"(?<![^\W\d_])[Ss]è\s*[:.]?\s*\d")


def _weak_tcvn3_signature(text: str) -> bool:
    if _TCVN3_NUMBER_LABEL.search(text):
        return True
    for index, char in enumerate(text):
        if ord(char) <= 0x7F:
            continue
        before = text[index - 1] if index else ""
        after = text[index + 1] if index + 1 < len(text) else ""
        if char.isupper() and before.isalpha() and before.islower():
            return True  # "QuyÕt", "KhÈn": TCVN3 codes small letters as Latin-1 capitals
        if char.islower() and before.isupper() and after.isupper():
            return True  # "HáA TèC": an upper-case font over the same bytes
    return False


# Vowel pairs Vietnamese syllables are made of (tone marks removed, shape marks kept). Used
# only to choose between two legacy readings of the same bytes.
_VOWELS = set("aăâeêioôơuưy")
_CLUSTERS = {
    "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi",
    "ôi", "ơi", "oo", "ua", "uâ", "uê", "ui", "uô", "uơ", "uy", "ưa", "ưi", "ươ", "ưu", "ya",
    "yê", "ơu",
}  # fmt: skip


def _invalid_clusters(text: str) -> int:
    """How many adjacent vowel pairs no Vietnamese syllable has ("aư" in "chaừo")."""
    tones = {_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT}
    bare = unicodedata.normalize(
        "NFC", "".join(c for c in unicodedata.normalize("NFD", text.lower()) if c not in tones)
    )
    return sum(
        1
        for first, second in pairwise(bare)
        if first in _VOWELS and second in _VOWELS and first + second not in _CLUSTERS
    )


_TONES = frozenset({_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT})
# A Vietnamese syllable without its tone: initial consonant, vowel nucleus, final. Nuclei that
# end in a glide (ai, ao, iêu...) take no final consonant.
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnprstvx])?"
    r"(?:(?:uyê|iê|yê|uô|ươ|oa|oă|oe|uâ|uê|uy|oo|[aăâeêioôơuưy])(?:ch|ng|nh|[cmnpt])?"
    r"|iêu|yêu|oai|oay|oao|oeo|uây|uôi|ươi|ươu|uya|uyu"
    r"|ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ui|ưi|ưu|ưa|ua|uơ|ya)"
)


_VIETNAMESE_LETTERS = frozenset(_LOWER)


def invalid_syllables(text: str) -> int:
    """How many words with a non-ASCII character in ``text`` are no written Vietnamese syllable
    ("Qẹ", "Maọt", "hoaùch", "C«ng", "KhÈn"). Chooses between legacy readings and confirms
    one; words in plain ASCII ("UBND", "VP") say nothing."""
    text = unicodedata.normalize("NFC", text)
    # A mark left over after composing sits on a letter Vietnamese has not ("ọ̆").
    count = sum(1 for char in text if unicodedata.combining(char))
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        if not word.isalpha() or any(
            second.isupper() and first.islower() for first, second in pairwise(word)
        ):
            count += 1  # "C«ng": a symbol inside a word; "KhÈn": a capital after a small letter
            continue
        word = word.lower()
        decomposed = unicodedata.normalize("NFD", word)
        tones = sum(char in _TONES for char in decomposed)
        bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        if any(not char.isascii() and char not in _VIETNAMESE_LETTERS for char in word):
            count += 1  # "chæ": a letter Vietnamese has not
            continue
        if not any(char in _VOWELS for char in bare):
            continue  # "qđ", "sgdđt": an abbreviation with Đ
        if tones > 1 or not _SYLLABLE.fullmatch(bare):
            count += 1
    return count


def _decode_tcvn3(text: str) -> str:
    """TCVN3 to Unicode. Toned letters have no capitals in TCVN3 (an upper-case font drew the
    same bytes), so a word whose plain letters are all capitals is put in capitals:
    "QUYÕT §ÞNH" is "QUYẾT ĐỊNH", while "Sè" stays "Số"."""

    def word(match: re.Match[str]) -> str:
        written = match[0]
        decoded = "".join(_DECODE.get(char, char) for char in written)
        plain = [char for char in written if char.isascii()]
        return decoded.upper() if len(plain) >= 2 and all(c.isupper() for c in plain) else decoded

    return unicodedata.normalize("NFC", _WORD.sub(word, text))


# A word of TCVN3 text: letters and the Latin-1 symbols that stand for letters ("§", "®").
_WORD = re.compile("(?:[^\\W\\d_]|[" + re.escape("".join(_DECODE)) + "])+")


def to_unicode(text: str) -> str:
    """``text`` in NFC, converted from VNI or TCVN3 mojibake when it clearly is that.

    Most Latin-1 characters mean something in both encodings; when both explain a text, the
    reading with valid Vietnamese vowel clusters wins, and TCVN3 (the encoding of most
    government archives) on a tie.
    """
    # NFC first: "Ë" decomposed is not Latin-1, and both forms must read the same.
    text = unicodedata.normalize("NFC", text)
    readings = []
    if looks_like_tcvn3(text):
        readings.append(_decode_tcvn3(text))
    if looks_like_vni(text):
        readings.append(_decode_vni(text))
    if not readings:
        readings = _short_line_readings(text)
    if not readings:
        return text
    best = min(readings, key=_reading_score)  # min keeps the first (TCVN3) on a tie
    # A reading must be Vietnamese, or more so than the text was: "Noël" stays "Noël".
    wrong = invalid_syllables(best)
    return best if wrong == 0 or wrong < invalid_syllables(text) else text


def _reading_score(reading: str) -> tuple[int, int, int]:
    return invalid_syllables(reading), -_common_words(reading), _invalid_clusters(reading)


def _short_line_readings(text: str) -> list[str]:
    """Readings of a line too short to carry a signature character ("Coâng vaên", "Baùo
    caùo"): taken when the line, as it stands, is no Vietnamese ("coâng") and a legacy reading
    is nothing but Vietnamese syllables. Only for a line with a capital letter (the header
    lines and titles this is for start with one), which keeps arbitrary small-letter Unicode,
    however odd, as it is."""
    # Cheap tests first: this runs on every field that strict detection left alone, and real
    # Unicode Vietnamese nearly always holds a letter Latin-1 has not ("ạ", "ế").
    high = [char for char in text if ord(char) > 0x7F]
    if not high or not _latin1(text) or not any(char.isupper() for char in text):
        return []
    if invalid_syllables(text) == 0:
        return []
    candidates = []
    if all(char in _DECODE for char in high):
        candidates.append(_decode_tcvn3(text))
    if _vni_scan(text)[0]:
        candidates.append(_decode_vni(text))
    return [reading for reading in candidates if invalid_syllables(reading) == 0]


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


# Syllables every header and title is made of, to choose between two legacy readings that are
# both Vietnamese syllables ("Chæ thò": TCVN3 "Chổ thũ", VNI "Chỉ thị").
_COMMON = frozenset({
    "số", "ngày", "tháng", "năm", "về", "việc", "quyết", "định", "nghị", "thông", "tư", "chỉ",
    "thị", "công", "văn", "báo", "cáo", "kế", "hoạch", "ủy", "uỷ", "ban", "nhân", "dân", "tỉnh",
    "huyện", "xã", "sở", "phòng", "bản", "giám", "đốc", "chủ", "tịch", "phó", "mật", "tối",
    "tuyệt", "khẩn", "thượng", "hỏa", "hoả", "tốc", "hẹn", "giờ", "cộng", "hòa", "hoà", "hội",
    "nghĩa", "việt", "nam", "độc", "lập", "tự", "do", "hạnh", "phúc", "nơi", "nhận", "kính",
    "gửi", "thực", "hiện", "nhiệm", "vụ", "triển", "khai", "hành", "lệnh", "luật", "pháp",
    "kết", "luận", "tri", "hướng", "dẫn", "chương", "trình", "tờ", "giấy", "mời", "đảng",
    "trung", "ương", "bộ", "nội", "tài", "chính", "thủ", "tướng", "phủ", "quốc", "đồng", "liên",
    "quy", "chế",
})  # fmt: skip


def _common_words(text: str) -> int:
    return sum(word in _COMMON for word in re.findall(r"[^\W\d_]+", text.lower()))


def lines_to_unicode(text: str) -> str:
    """``text`` in NFC with each line converted on its own: a pasted header keeps its legacy
    lines ("Sè: 07/Q§-UBND") beside Unicode ones, and one Unicode line must not stop the
    others from being read."""
    return "\n".join(to_unicode(line) for line in unicodedata.normalize("NFC", text).split("\n"))
