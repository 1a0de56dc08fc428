"""Legacy 8-bit Vietnamese (TCVN3 / ABC) found in archive records, converted to Unicode NFC.

Archive databases hold text typed with TCVN3 fonts; read back as Latin-1 it looks like
"QuyÕt ®Þnh" for "Quyết định". Conversion happens only when the text clearly is such
mojibake: it must be representable in Latin-1 (real Unicode Vietnamese like "ạ" or "ế" is
not), every byte above 0x7F must be a TCVN3 letter, and it must hold at least one character
that Vietnamese Unicode text never uses (®, Þ, ¸, ­...). Plain ASCII and ordinary Unicode
text pass through unchanged.

TCVN3 has no upper-case toned letters (documents switched to an upper-case font using the
same bytes), so toned letters come back lower case; the untoned upper-case bases (Ă Â Đ Ê Ô
Ơ Ư) have their own bytes. VNI is not handled yet: none has been seen in the systems' data.
"""

from __future__ import annotations

import unicodedata

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


def looks_like_tcvn3(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False  # holds characters only Unicode has: real Vietnamese
    high = [char for char in text if ord(char) > 0x7F]
    return bool(high) and all(c in _DECODE for c in high) and any(c in _SIGNATURE for c in high)


def to_unicode(text: str) -> str:
    """``text`` in NFC, converted from TCVN3 mojibake when it clearly is that."""
    # NFC first: "Ë" decomposed is not Latin-1, and both forms must read the same.
    text = unicodedata.normalize("NFC", text)
    if looks_like_tcvn3(text):
        text = unicodedata.normalize("NFC", "".join(_DECODE.get(char, char) for char in text))
    return text
