"""Vietnamese document text as it really is: number and notation, type, secrecy marks.

docs/domain.md §3. Number and notation are read in pipelines/notation.py (re-exported here);
the documents a text cites, with their dates, in pipelines/citations.py; deadline phrases by
the deadline engine (pipelines/deadlines.py).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time

from pipelines import secrecy

# Re-exported: normalize and reconcile read number/notation through this module.
from pipelines.notation import NumberNotation as NumberNotation
from pipelines.notation import nfc
from pipelines.notation import parse_number_notation as parse_number_notation
from schemas.codes import PARTY_ONLY_TYPES, DocumentType


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
    not found. Deadlines are read by the deadline engine (docs/domain.md §6); "citations"
    lists the documents the text cites (pipelines/citations.py), the text's own code aside."""
    from pipelines import citations, deadlines  # neither imports parse_text
    from pipelines.legacy_text import lines_to_unicode

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
    cited, cited_at = citations.read_citations(text)
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
