"""Vietnamese text the way it really arrives: NFC mostly, NFD sometimes, legacy 8-bit rarely."""

from __future__ import annotations

import unicodedata

# TCVN3 (ABC) byte for each lowercase Vietnamese letter (TCVN 5712:1993, the "VN3" fonts).
# TCVN3 has no uppercase toned letters: documents typed uppercase text in an uppercase font
# using these same bytes, so uppercase letters are folded to lowercase before encoding.
_TCVN3_LOWER = {
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
_TCVN3_UPPER_BASE = {"Ă": 0xA1, "Â": 0xA2, "Đ": 0xA7, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6}


def to_tcvn3_bytes(text: str) -> bytes:
    """Encode NFC Vietnamese text as TCVN3 bytes (ASCII passes through)."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        if char.isascii():
            out.append(ord(char))
        elif char in _TCVN3_UPPER_BASE:
            out.append(_TCVN3_UPPER_BASE[char])
        elif char.lower() in _TCVN3_LOWER:
            out.append(_TCVN3_LOWER[char.lower()])
        else:
            raise ValueError(f"no TCVN3 byte for {char!r}")
    return bytes(out)


def tcvn3_mojibake(text: str) -> str:
    """What an archive record looks like when its TCVN3 bytes are read as Latin-1.

    "Quyết định" becomes "QuyÕt ®Þnh", the form integrators meet in old databases.
    """
    return to_tcvn3_bytes(text).decode("latin-1")


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)
