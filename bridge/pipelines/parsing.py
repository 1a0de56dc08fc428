"""Vietnamese document text as it really is: number and notation, type, secrecy marks.

DOMAIN.md section 3. Deadline phrases are the deadline engine's (pipelines/deadlines.py).

Number and notation (số, ký hiệu): "/" separates the number from the notation and "-" the
groups of the notation. The forms met in practice:

* ``07/QĐ-STTTT``       administrative document: type abbreviation, then issuer
* ``1866/SXD-VP``       công văn: no type abbreviation; issuer, then drafting unit
* ``54/2023/QĐ-UBND``   legal normative document: the year after the number
* ``06-CTr/TU``         party document: the type joined to the number, issuer after "/"
* "Số : 1866/SXD-VP", "số:07/QĐ-STTTT", lowercase, and D typed for Đ ("QD", "CD", "QYD").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bridge.schemas.codes import DocumentType, Secrecy

# Type abbreviations by their upper-case spelling, so "qđ", "QYĐ" and "Qyđ" all resolve.
_TYPE_BY_UPPER = {t.value.upper(): t for t in DocumentType if t.notation_code}
# D typed for Đ, only where that cannot be read as another type: "HD" is Hướng dẫn and "DA"
# is Dự án, so those two are left alone.
_D_FOR_DJ = {"QD": "QĐ", "CD": "CĐ", "QYD": "QYĐ"}

# "Số : 1866/SXD-VP" → the code after the optional "Số"/"số" label.
_LABEL = re.compile(r"^\s*(?:s[ốo]\s*(?:[:.]\s*)?)?", re.IGNORECASE)
# 54/2023/QĐ-UBND, 07/QĐ-STTTT, 1866/SXD-VP (number, optional year, notation)
_ADMIN = re.compile(r"^(?P<number>\d{1,6})\s*/\s*(?:(?P<year>(?:19|20)\d\d)\s*/\s*)?"
                    r"(?P<notation>[^\s/,;]+(?:/[^\s/,;]+)*)")  # fmt: skip
# 06-CTr/TU (party documents)
_PARTY = re.compile(r"^(?P<number>\d{1,6})-(?P<type>[^\W\d_]+)\s*/\s*(?P<issuer>[^\s,;]+)")


@dataclass(frozen=True)
class NumberNotation:
    number: str  # as written, with its leading zero: "07"
    notation: str  # "QĐ-STTTT", "2023/QĐ-UBND", "SXD-VP", "CTr/TU"
    type_code: str | None  # a DocumentType value; "CV" for công văn; None if unknown
    issuer: str | None
    year: int | None = None
    drafting_unit: str | None = None


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _type_code(group: str) -> DocumentType | None:
    upper = group.upper()
    return _TYPE_BY_UPPER.get(_D_FOR_DJ.get(upper, upper))


def parse_number_notation(text: str) -> NumberNotation | None:
    """Split a number/notation as written; None when the text holds none."""
    code = _LABEL.sub("", nfc(text)).strip()
    party = _PARTY.match(code)
    if party and _type_code(party["type"]):
        kind = _type_code(party["type"])
        issuer = party["issuer"].upper()
        return NumberNotation(party["number"], f"{kind.value}/{issuer}", kind.value, issuer)
    match = _ADMIN.match(code)
    if not match:
        return None
    groups = match["notation"].split("-")
    kind = _type_code(groups[0])
    if kind is not None:
        groups[0] = kind.value
        issuer = groups[1].upper() if len(groups) > 1 else None
        drafting = None
    else:
        # Công văn: issuer, then drafting unit (DOMAIN.md section 3).
        issuer = groups[0].upper()
        drafting = groups[1].upper() if len(groups) > 1 else None
    rest = [group.upper() for group in groups[1:]]
    notation = "-".join([groups[0] if kind else groups[0].upper(), *rest])
    year = int(match["year"]) if match["year"] else None
    if year is not None:
        notation = f"{year}/{notation}"
    return NumberNotation(
        number=match["number"],
        notation=notation,
        type_code=kind.value if kind else DocumentType.CONG_VAN.value,
        issuer=issuer,
        year=year,
        drafting_unit=drafting,
    )


def _fold(text: str) -> str:
    return " ".join(nfc(text).upper().split())


_TITLE_TYPES = sorted(
    ((_fold(t.label), t) for t in DocumentType if "ký hiệu cũ" not in t.label),
    key=lambda pair: -len(pair[0]),
)


def document_type_from_title(title: str) -> str | None:
    """The type named by a title's first words ("QUYẾT ĐỊNH Về việc ...", "Công văn")."""
    folded = _fold(title)
    for label, kind in _TITLE_TYPES:
        if folded == label or folded.startswith(label + " "):
            return kind.value
    return None


# A secrecy mark is a stamp: the words alone on their line or field ("MẬT", "TỐI MẬT"),
# not the word inside prose such as "bảo vệ bí mật nhà nước" in an abstract.
_SECRECY_MARKS = (
    ("TUYỆT MẬT", Secrecy.TOP_SECRET),
    ("TỐI MẬT", Secrecy.SECRET),
    ("MẬT", Secrecy.CONFIDENTIAL),
)


def find_secrecy(text: str) -> str | None:
    """The secrecy a header mark states, as a Secrecy value; None without a mark."""
    for line in nfc(text).splitlines() or [""]:
        folded = _fold(line).strip(" .:;-–*()[]")
        for mark, level in _SECRECY_MARKS:
            if folded == mark or folded == f"ĐỘ MẬT: {mark}":
                return level.value
    return None
