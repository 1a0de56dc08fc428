"""Vietnamese document text as it really is: number and notation, type, secrecy marks.

docs/domain.md §3. Deadline phrases are the deadline engine's (pipelines/deadlines.py); the
documents a text cites, with their dates, are pipelines/citations.py's.

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

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time

from bridge.schemas.codes import PARTY_ONLY_TYPES, DocumentType, Secrecy

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
# 54/2023/QĐ-UBND, 07/QĐ-STTTT, 1866/SXD-VP (number, optional year, notation); spaces around
# the separators are allowed here and checked in _trim_spaced.
_ADMIN = re.compile(
    rf"(?P<number>\d{{1,6}})(?P<s1>\s*/\s*)(?:(?P<year>(?:19|20)\d\d)(?P<s2>\s*/\s*))?"
    rf"(?P<notation>{_GROUP}(?:\s*-\s*{_GROUP})*)"
)
# 06-CTr/TU, 25 - KL / TW (party documents)
_PARTY = re.compile(
    rf"(?P<number>\d{{1,6}})(?P<s1>\s*-\s*)(?P<type>[^\W\d_]+)(?P<s2>\s*/\s*)"
    rf"(?P<issuer>{_GROUP}(?:\s*-\s*{_GROUP})*)"
)
_SPACED_HYPHEN = re.compile(r"(\s*-\s*)")


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


def _type_code(group: str, *, party: bool = False, year: bool = False) -> DocumentType | None:
    upper = group.upper()
    upper = _D_FOR_DJ.get(upper, upper)
    if party:
        return _PARTY_TYPE_BY_UPPER.get(upper)
    if upper in _LEGAL_ONLY and not year:
        return None
    return _TYPE_BY_UPPER.get(upper)


def _code_like(group: str) -> bool:
    """Whether a group set off by spaces reads as part of a code ("STTTT", "TTg", "QH14"), not
    as the next word of a sentence ("Phòng", "Về")."""
    upper = sum(char.isupper() for char in group)
    lower = sum(char.islower() for char in group)
    if lower == 0:
        return group[0].isupper() or group[0].isdigit()
    return upper > lower


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
            code = NumberNotation(party["number"], f"{written}/{issuer}", kind.value, issuer)
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


def _fold(text: str) -> str:
    return " ".join(nfc(text).upper().split())


# Party-only types are left out: "Kết luận của Chủ tịch..." opens an administrative abstract.
_TITLE_TYPES = sorted(
    (
        (_fold(t.label), t)
        for t in DocumentType
        if "ký hiệu cũ" not in t.label and t not in PARTY_ONLY_TYPES
    ),
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


# --- dates and places ----------------------------------------------------------------------

# "ngày 22 tháng 9 năm 2017" (the header form), "22/9/2017", "22-9-2017", "22.9.2017"
_WORDS_DATE = re.compile(
    r"ngày\s+(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})", re.IGNORECASE
)
_DMY = re.compile(r"(?<!\d)(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})(?!\d)")
# edXML and ISO: "2019/01/16", "2024-02-05"
_YMD = re.compile(r"(?<!\d)(?P<y>\d{4})[/-](?P<m>\d{1,2})[/-](?P<d>\d{1,2})(?!\d)")
# "Bình Định, ngày 22 tháng 9 năm 2017": the place is what precedes ", ngày".
_PLACE = re.compile(r"(?P<place>[^\W\d_][^,\n\d]{1,60}?)\s*,\s*(?P<ngay>ngày)\s+\d", re.IGNORECASE)


def _date_of(match: re.Match[str] | None) -> date | None:
    if match is None:
        return None
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None  # 31/02: not a date


def parse_date(text: str) -> date | None:
    """The first date written in any of the forms above; None for none or an impossible one."""
    text = nfc(text)
    found = [m for m in (_WORDS_DATE.search(text), _YMD.search(text), _DMY.search(text)) if m]
    if not found:
        return None
    return _date_of(min(found, key=lambda m: m.start()))


def parse_place_and_date(
    text: str, *, cited_at: Collection[int] = ()
) -> tuple[str | None, date | None]:
    """("Bình Định", 2017-09-22) from "Bình Định, ngày 22 tháng 9 năm 2017".

    Only header forms count: the words form, or a line holding nothing but a date. A date
    inside a sentence ("gửi trước ngày 10/3/2023") is a deadline, not the document's date, and
    the dates starting at ``cited_at`` are cited documents' ("Kết luận số 25-KL/TW ngày ...").
    """
    text = nfc(text)
    place = next((m for m in _PLACE.finditer(text) if m.start("ngay") not in cited_at), None)
    words = (m for m in _WORDS_DATE.finditer(text) if m.start() not in cited_at)
    day = _date_of(next(words, None))
    if day is None:
        for line in text.splitlines():
            stripped = line.strip(" .")
            if (match := _DMY.fullmatch(stripped) or _YMD.fullmatch(stripped)) is not None:
                day = _date_of(match)
                break
    return (place["place"].strip() if place else None), day


# --- signer competence and urgency ---------------------------------------------------------

# Decree 30: KT. (ký thay), TL. (thừa lệnh), TUQ. (thừa ủy quyền), TM. (thay mặt),
# Q. (quyền). The competence line is followed by the signer's own position.
_COMPETENCE = re.compile(r"^\s*(?P<kind>KT|TL|TUQ|TM|Q)\s*\.\s*(?P<rest>.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Competence:
    kind: str  # "KT", "TL", "TUQ", "TM", "Q"
    line: str  # "KT. GIÁM ĐỐC"
    position: str | None  # "PHÓ GIÁM ĐỐC", the line after


def parse_competence(text: str) -> Competence | None:
    lines = [line.strip() for line in nfc(text).splitlines() if line.strip()]
    for index, line in enumerate(lines):
        match = _COMPETENCE.match(line)
        if match:
            kind = match["kind"].upper()
            position = lines[index + 1] if index + 1 < len(lines) else None
            return Competence(kind, f"{kind}. {' '.join(match['rest'].split())}", position)
    return None


_URGENCY_MARKS = (
    ("HỎA TỐC HẸN GIỜ", "flash_timed"),
    ("HỎA TỐC", "flash"),
    ("THƯỢNG KHẨN", "very_urgent"),
    ("KHẨN", "urgent"),
)


def find_urgency(text: str) -> str | None:
    """The urgency a header stamp states, as an Urgency value (old tone placement accepted:
    "HOẢ TỐC")."""
    for line in nfc(text).splitlines():
        folded = _fold(line).replace("HOẢ", "HỎA").strip(" .:;-–*()[]")
        for mark, level in _URGENCY_MARKS:
            if folded == mark or folded == f"ĐỘ KHẨN: {mark}":
                return level
    return None


# --- everything at once (bridge parse) -----------------------------------------------------

_TYPE_NAMES = {t.value: t.label for t in DocumentType}


def _first_code(text: str) -> NumberNotation | None:
    for line in text.splitlines():
        # A header line may hold more than the code: "Số: 07/QĐ-UBND   Bình Định, ngày ..."
        for start in (m.start() for m in re.finditer(r"(?:s[ốo]\s*[:.]?\s*)?\d", line, re.I)):
            parsed = parse_number_notation(line[start:])
            if parsed is not None:
                return parsed
    return None


def parse_text(text: str, *, doc_date: date | None = None) -> dict[str, object]:
    """Every field the text states, under the keys of `bridge parse --json`; absent keys were
    not found. Deadlines are read by the deadline engine (DOMAIN.md section 6); "citations"
    lists the documents the text cites (pipelines/citations.py), the text's own code aside."""
    from bridge.pipelines import citations, deadlines  # neither imports parse_text
    from bridge.pipelines.legacy_text import lines_to_unicode

    # Header lines may be legacy TCVN3/VNI while the rest is Unicode: each line on its own.
    text = lines_to_unicode(text)
    found: dict[str, object] = {}
    code = _first_code(text)
    if code is not None:
        found.update(number=code.number, notation=code.notation, issuer=code.issuer)
        if code.year is not None:
            found["year"] = code.year
    # A title stands in capitals ("QUYẾT ĐỊNH"); "báo cáo" inside a sentence is a verb.
    titles = [line for line in text.splitlines() if line.strip() and line == line.upper()]
    type_code = next((kind for line in titles if (kind := document_type_from_title(line))), None)
    if code is not None and (code.type_code != DocumentType.CONG_VAN.value or not type_code):
        type_code = code.type_code
    if type_code is not None:
        shown = DocumentType(type_code)
        found.update(type_code=shown.notation_code, type_name=_TYPE_NAMES[type_code])
    codes = citations.find_codes(text)
    cited = citations.cited_among(codes)
    cited_at = {c.day_at for c in codes if c.day_at is not None}
    place, day = parse_place_and_date(text, cited_at=cited_at)
    if day is not None:
        found["date"] = day.isoformat()
    if place is not None:
        found["place"] = place
    for key, value in (("urgency", find_urgency(text)), ("secrecy", find_secrecy(text))):
        if value is not None:
            found[key] = value
    competence = parse_competence(text)
    if competence is not None:
        found["signer_competence"] = competence.line
        if competence.position:
            found["signer_position"] = competence.position
    anchor = doc_date or day
    phrase = deadlines.find_deadline_phrase(text, anchor or date.today())
    if isinstance(phrase, deadlines.RecurringSchedule):
        found["recurring"] = phrase.text
    elif phrase is not None:
        found["deadline_phrase"] = phrase.text
        if phrase.day is not None or anchor is not None:
            # Periods count from receipt; with only the document's date known, from that day.
            received = datetime.combine(anchor or phrase.day, time(8, 0), deadlines.LOCAL_TZ)
            result = deadlines.compute_deadline(received, text=text, doc_date=anchor)
            if result.rule == "text":
                found["deadline"] = result.due.isoformat()
    if cited:
        found["citations"] = [citation.as_json() for citation in cited]
    return found
