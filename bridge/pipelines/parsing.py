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
from datetime import date, datetime, time

from bridge.pipelines import secrecy
from bridge.schemas.codes import DocumentType

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
    if not match or not any(char.isalpha() for char in match["notation"]):
        return None  # "2019/01/16" is a date: a notation always has letters
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


def find_secrecy(text: str) -> str | None:
    """The secrecy a header stamp states, as a Secrecy value; None without a stamp. The rules
    live in pipelines/secrecy.py (kept there so the guard and `bridge parse` agree)."""
    return secrecy.find_secrecy(text)


# --- dates and places ----------------------------------------------------------------------

# "ngày 22 tháng 9 năm 2017" (the header form), "22/9/2017", "22-9-2017", "22.9.2017"
_WORDS_DATE = re.compile(
    r"ngày\s+(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})", re.IGNORECASE
)
_DMY = re.compile(r"(?<!\d)(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})(?!\d)")
# edXML and ISO: "2019/01/16", "2024-02-05"
_YMD = re.compile(r"(?<!\d)(?P<y>\d{4})[/-](?P<m>\d{1,2})[/-](?P<d>\d{1,2})(?!\d)")
# "Bình Định, ngày 22 tháng 9 năm 2017": the place is what precedes ", ngày".
_PLACE = re.compile(r"(?P<place>[^\W\d_][^,\n]{1,60}?)\s*,\s*ngày\s+\d", re.IGNORECASE)


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


def parse_place_and_date(text: str) -> tuple[str | None, date | None]:
    """("Bình Định", 2017-09-22) from "Bình Định, ngày 22 tháng 9 năm 2017".

    Only header forms count: the words form, or a line holding nothing but a date. A date
    inside a sentence ("gửi trước ngày 10/3/2023") is a deadline, not the document's date.
    """
    text = nfc(text)
    place = _PLACE.search(text)
    day = _date_of(_WORDS_DATE.search(text))
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
    not found. Deadlines are read by the deadline engine (DOMAIN.md section 6)."""
    from bridge.pipelines import deadlines  # the engine imports nothing of this module

    text = nfc(text)
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
    place, day = parse_place_and_date(text)
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
    return found
