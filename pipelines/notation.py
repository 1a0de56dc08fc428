"""Number and notation (số, ký hiệu) as written, and the type and issuer they state.

docs/domain.md §3. The rest of a document's text is read in pipelines/parsing.py; the
documents a text cites, with their dates, in pipelines/citations.py.

Number and notation (số, ký hiệu): "/" separates the number from the notation and "-" the
groups of the notation. The forms met in practice:

* ``07/QĐ-STTTT``       administrative document: type abbreviation, then issuer
* ``1866/SXD-VP``       công văn: no type abbreviation; issuer, then drafting unit
* ``54/2023/QĐ-UBND``   legal normative document: the year after the number; also
  ``45/2024/NĐ-CP``, ``01/2019/TT-BNV``, ``220/2013/TTLT-BTC-BNV`` (joint: every issuer),
  ``59/2020/QH14`` (a law: no abbreviation, and not a công văn, which never carries a year)
* ``06-CTr/TU``         party document: the type joined to the number, issuer after "/"
* "Số : 1866/SXD-VP", "số:07/QĐ-STTTT", "Số: 07 / QĐ - STTTT", lowercase, D typed for Đ.

Case is kept as written ("QĐ-TTg": Thủ tướng), except that a group typed all in lower case is
raised ("07/qđ-ubnd" is "QĐ-UBND") and a type abbreviation takes its official spelling
("QYĐ" is "QyĐ"). Comparing codes across systems folds case (reconcile.fold_code).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from schemas.codes import PARTY_ONLY_TYPES, DocumentType

# Type abbreviations by their upper-case spelling, so "qđ", "QYĐ" and "Qyđ" all resolve.
_TYPE_BY_UPPER = {
    t.notation_code.upper(): t
    for t in DocumentType
    if t.notation_code and t not in PARTY_ONLY_TYPES
}
# A party notation ("25-KL/TW") has its own list: Kết luận KL, Thông tri TT, Công văn CV.
_PARTY_TYPE_BY_UPPER = {
    **_TYPE_BY_UPPER,
    **{t.notation_code.upper(): t for t in PARTY_ONLY_TYPES},
    "CV": DocumentType.CONG_VAN,
}
# D typed for Đ, only where that cannot be read as another type: "HD" is Hướng dẫn and "DA"
# is Dự án, so those two are left alone.
_D_FOR_DJ = {"QD": "QĐ", "CD": "CĐ", "QYD": "QYĐ", "ND": "NĐ"}
# Short abbreviations that are types only in a legal normative notation (with its year): an
# agency may well be abbreviated "TT" (Thanh tra, Trung tâm) in a công văn "15/TT-VP".
_LEGAL_ONLY = {"TT", "L"}
# Joint documents name every issuer after the type: "TTLT-BTC-BNV".
_JOINT = {DocumentType.THONG_TU_LIEN_TICH, DocumentType.NGHI_QUYET_LIEN_TICH}
# Issuers whose own spelling is not all capitals, for a notation typed all in lower case.
_ISSUER_SPELLING = {"TTG": "TTg"}

# "Số : 1866/SXD-VP" → the code after the optional "Số"/"số" label.
_LABEL = re.compile(r"^\s*(?:s[ốo]\s*(?:[:.]\s*)?)?", re.IGNORECASE)
# One group of a notation: letters and digits ("QH14"), "&" inside ("KH&ĐT").
_GROUP = r"[^\W_]+(?:&[^\W_]+)*"
# 54/2023/QĐ-UBND, 07/QĐ-STTTT, 1866/SXD-VP (number, optional year, notation). Spaces (not
# line breaks: "- Như trên;" opens the next line of a recipients list) may stand around the
# separators; what follows a spaced one is checked in match_code and _groups.
_SEP = r"[ \t]*{}[ \t]*"
_ADMIN = re.compile(
    rf"(?P<number>\d{{1,6}})(?P<s1>{_SEP.format('/')})"
    rf"(?:(?P<year>(?:19|20)\d\d)(?P<s2>{_SEP.format('/')}))?"
    rf"(?P<notation>{_GROUP}(?:{_SEP.format('-')}{_GROUP})*)"
)
# 06-CTr/TU, 25 - KL / TW (party documents)
_PARTY = re.compile(
    rf"(?P<number>\d{{1,6}})(?P<s1>{_SEP.format('-')})(?P<type>[^\W\d_]+)"
    rf"(?P<s2>{_SEP.format('/')})(?P<issuer>{_GROUP}(?:{_SEP.format('-')}{_GROUP})*)"
)
_SPACED_HYPHEN = re.compile(rf"({_SEP.format('-')})")


@dataclass(frozen=True)
class NumberNotation:
    number: str  # as written, with its leading zero: "07"
    notation: str  # "QĐ-STTTT", "2023/QĐ-UBND", "SXD-VP", "CTr/TU"
    type_code: str | None  # a DocumentType value; "CV" for công văn; None if unknown
    issuer: str | None
    year: int | None = None
    drafting_unit: str | None = None
    party: bool = False  # number-TYPE/ISSUER

    @property
    def code(self) -> str:
        """Number and notation as one writes them: "07/QĐ-UBND", "25-KL/TW"."""
        return f"{self.number}{'-' if self.party else '/'}{self.notation}"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _type_code(group: str, *, party: bool = False, year: bool = False) -> DocumentType | None:
    upper = group.upper()
    upper = _D_FOR_DJ.get(upper, upper)
    if party:
        return _PARTY_TYPE_BY_UPPER.get(upper)
    if upper in _LEGAL_ONLY and not year:
        return None
    return _TYPE_BY_UPPER.get(upper)


# The groups of notations repeat across documents ("QĐ", "UBND", "STTTT"): both readings of a
# group are pure, so each is worked out once (bounded: a hostile feed may send many).
@functools.lru_cache(maxsize=4096)
def _code_like(group: str) -> bool:
    """Whether a group set off by spaces reads as part of a code ("STTTT", "TTg", "QH14"), not
    as the next word of a sentence ("Phòng", "Về")."""
    upper = sum(char.isupper() for char in group)
    lower = sum(char.islower() for char in group)
    if lower == 0:
        return group[0].isupper() or group[0].isdigit()
    return upper > lower


@functools.lru_cache(maxsize=4096)
def _as_written(group: str) -> str:
    """A notation group in its case as written; all lower case is a typing variant."""
    if any(char.isupper() for char in group):
        return group
    return _ISSUER_SPELLING.get(group.upper(), group.upper())


def _groups(notation: str) -> list[str]:
    """The groups of a notation, up to the first spaced hyphen that joins a word of prose."""
    parts = _SPACED_HYPHEN.split(notation)
    groups = [parts[0]]
    for separator, group in zip(parts[1::2], parts[2::2], strict=True):
        if separator.strip() != separator and not _code_like(group):
            break
        groups.append(group)
    return groups


def match_code(text: str, pos: int = 0) -> tuple[NumberNotation, int] | None:
    """The number/notation starting exactly at ``pos``, with where it ends."""
    party = _PARTY.match(text, pos)
    if party and (kind := _type_code(party["type"], party=True)):
        groups = _groups(party["issuer"])
        if party["s2"].strip() == party["s2"] or _code_like(groups[0]):
            issuer = "-".join(_as_written(group) for group in groups)
            written = kind.notation_code or kind.value  # "12-CV/TU": công văn shows its CV
            code = NumberNotation(
                party["number"], f"{written}/{issuer}", kind.value, issuer, party=True
            )
            return code, _end_of_groups(party, "issuer", groups)
    match = _ADMIN.match(text, pos)
    if not match:
        return None
    groups = _groups(match["notation"])
    if not any(char.isalpha() for char in "".join(groups)):
        return None  # "2019/01/16" is a date: a notation always has letters
    before = match["s2"] if match["year"] else match["s1"]
    if before.strip() != before and not _code_like(groups[0]):
        return None  # "1/ Về việc": a numbered item, not a code
    year = int(match["year"]) if match["year"] else None
    kind = _type_code(groups[0], year=year is not None)
    drafting = None
    if kind is not None:
        first = kind.notation_code
        rest = [_as_written(group) for group in groups[1:]]
        issuer = ("-".join(rest) if kind in _JOINT else rest[0]) if rest else None
        type_code = kind.value
    else:
        first, *rest = (_as_written(group) for group in groups)
        issuer = first
        drafting = rest[0] if rest else None
        # Công văn: issuer, then drafting unit (docs/domain.md §3). A year means a legal
        # normative document with no abbreviation (a law "59/2020/QH14"): type unknown here.
        type_code = None if year is not None else DocumentType.CONG_VAN.value
    notation = "-".join([first, *rest])
    if year is not None:
        notation = f"{year}/{notation}"
    code = NumberNotation(
        number=match["number"],
        notation=notation,
        type_code=type_code,
        issuer=issuer,
        year=year,
        drafting_unit=drafting,
    )
    return code, _end_of_groups(match, "notation", groups)


def _end_of_groups(match: re.Match[str], name: str, groups: list[str]) -> int:
    """Where the kept groups of the matched ``name`` end in the text."""
    written, offset = match[name], 0
    for group in groups:
        offset = written.index(group, offset) + len(group)
    return match.start(name) + offset


def parse_number_notation(text: str) -> NumberNotation | None:
    """Split a number/notation as written; None when the text holds none."""
    code = nfc(text)
    found = match_code(code, _LABEL.match(code).end())
    return found[0] if found else None
