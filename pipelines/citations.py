"""The documents a text cites, each with its number, notation, type, issuer and date.

docs/domain.md §3. "Căn cứ Quyết định số 54/2023/QĐ-UBND ngày 04/10/2023 của UBND tỉnh",
"theo Kết luận số 25-KL/TW", "Công văn 1866/SXD-VP ngày 4/10/2023": every number/notation in
the text is a cited document except the text's own (the code on its "Số:" header line). The
type is the notation's abbreviation, else the word before the code ("Luật số 59/2020/QH14").
The date is the one written right after the code, in any of the forms officials use:
"ngày 04/10/2023", "ngày 4/10/2023", "ngày 2023/10/04", "ngày 04-10-2023", "ngày 04.10.2023",
"ngày 04 tháng 10 năm 2023", optionally after the issuer ("..., của Sở Xây dựng ngày ...").
A date without its year takes the notation's year ("54/2023/QĐ-UBND ngày 04/10").
A date elsewhere in the sentence is not the cited document's: "gửi trước ngày 10/10/2023" is
a deadline (pipelines/deadlines.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pipelines.notation import NumberNotation, match_code
from schemas.codes import DocumentType

# Where a code may start: a number not glued to a word, a "/" or a "-" ("2023/QĐ" inside
# "54/2023/QĐ-UBND" is not a second code).
_CODE_START = re.compile(r"(?<![\w/.\-])\d")
# The header line of the text's own code: nothing before it but the "Số" label.
_HEADER_PREFIX = re.compile(r"\s*(?:s[ốo]\s*(?:[:.]\s*)?)?", re.IGNORECASE)

# The word that names a cited document's type, longest first ("Thông tư liên tịch" before
# "Thông tư"); "Văn bản" names none.
_TYPE_WORDS = sorted(
    ((t.label.lower(), t) for t in DocumentType if "ký hiệu cũ" not in t.label),
    key=lambda pair: -len(pair[0]),
)
_BY_WORD = dict(_TYPE_WORDS)
_TYPE_WORD_BEFORE = re.compile(
    r"(?:^|(?<=[\s(\"“,;]))(?P<word>"
    + "|".join(re.escape(word) for word, _ in _TYPE_WORDS)
    + r"|văn bản)\s+(?:số\s*[:.]?\s*)?$",
    re.IGNORECASE,
)

# The date right after a code: "ngày 04/10/2023", possibly after ", của <issuer>" or
# "ban hành"/"ký". The issuer is a name: it holds no digit and no word of a deadline phrase.
_DATE_FORMS = (
    r"(?:(?P<wd>\d{1,2})\s+tháng\s+(?P<wm>\d{1,2})(?:\s*,?\s+năm\s+(?P<wy>\d{4}))?"
    r"|(?P<iy>\d{4})\s*(?P<isep>[/.-])\s*(?P<im>\d{1,2})\s*(?P=isep)\s*(?P<id>\d{1,2})"
    r"|(?P<d>\d{1,2})\s*(?P<sep>[/.-])\s*(?P<m>\d{1,2})(?:\s*(?P=sep)\s*(?P<y>\d{4}))?)"
    r"(?!\d)(?![/.-]\d)"  # "4/10/23", "2023/10/041": not dates this reads
)
# Spaces only, not line breaks: the next line's "Bình Định, ngày ..." is another thing.
_DATE_AFTER = re.compile(
    (
        r"[ \t]*[,(]?[ \t]*(?:(?:của|do)[ \t]+(?P<by>[^\d,;.()\n]{1,80}?)[ \t]*,?[ \t]*)?"
        r"(?:(?:ban[ \t]+hành|ký|thông[ \t]+qua)[ \t]+)?(?P<ngay>ngày)[ \t]*:?[ \t]*"
    )
    + _DATE_FORMS,
    re.IGNORECASE,
)
_NOT_AN_ISSUER = re.compile(
    r"\b(?:trước|hạn|chậm|đến|từ|sau|trong|vào|gửi|nộp|báo\s+cáo|kể|tính|hoàn\s+thành)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Citation:
    code: NumberNotation | None  # None for a law cited by its name alone
    type: DocumentType | None
    day: date | None
    start: int  # where the citation starts in the text
    header: bool  # on a "Số:" header line: the text's own code, not a citation
    day_at: int | None = None  # where its date ("ngày ...") starts in the text
    title: str | None = None  # "Luật Tổ chức chính quyền địa phương"
    year: int | None = None  # "Hiến pháp ... năm 2013"

    def as_json(self) -> dict[str, object]:
        """The keys of `bridge parse --json`'s top level, for this cited document."""
        found: dict[str, object] = {}
        if self.code is not None:
            found["code"] = self.code.code  # "25-KL/TW": a party notation is not "25/KL/TW"
            found["number"] = self.code.number
            found["notation"] = self.code.notation
        if self.title is not None:
            found["title"] = self.title
        if self.type is not None:
            found["type_code"] = self.type.notation_code  # "" for công văn, as at the top
            found["type_name"] = self.type.label
        if self.code is not None and self.code.issuer is not None:
            found["issuer"] = self.code.issuer
        year = self.code.year if self.code is not None else self.year
        if year is not None:
            found["year"] = year
        if self.day is not None:
            found["date"] = self.day.isoformat()
        return found


# A law is cited with its name before its number: "Luật Doanh nghiệp số 59/2020/QH14". The
# capital keeps "pháp luật về ... số" out.
_NAMED_LAW_BEFORE = re.compile(
    r"(?:^|(?<=[\s(\"“,;]))(?P<word>Hiến pháp|Bộ luật|Luật|Pháp lệnh)\s+[^\W\d_][^\d,;:()]{0,80}?"
    r"\s+số\s*[:.]?\s*$"
)


def _cited_type(code: NumberNotation, before: str) -> DocumentType | None:
    word = _TYPE_WORD_BEFORE.search(before[-60:]) or _NAMED_LAW_BEFORE.search(before[-120:])
    named = _BY_WORD.get(word["word"].lower()) if word else None
    written = DocumentType(code.type_code) if code.type_code else None
    if written is None or (written is DocumentType.CONG_VAN and named is not None):
        return named  # "Luật số 59/2020/QH14"; "Chỉ thị 05/UBND-VP" is not a công văn
    if named is DocumentType.QUY_DINH and written is DocumentType.QUYET_DINH:
        return named  # a party Quy định is written QĐ too: "Quy định số 102-QĐ/TW"
    return written


def _day_after(text: str, end: int, year: int | None) -> tuple[date | None, int | None]:
    """The cited document's date written after its code, and where "ngày" starts."""
    match = _DATE_AFTER.match(text, end)
    if match is None or (match["by"] and _NOT_AN_ISSUER.search(match["by"])):
        return None, None
    return _written_date(match, year)


def _written_date(match: re.Match[str], year: int | None) -> tuple[date | None, int | None]:
    """The date of a match of _DATE_FORMS (the notation's ``year`` when it leaves it out)."""
    if match["iy"]:
        y, m, d = match["iy"], match["im"], match["id"]
    elif match["wd"]:
        y, m, d = match["wy"], match["wm"], match["wd"]
    else:
        y, m, d = match["y"], match["m"], match["d"]
    if y is None and year is None:
        return None, None
    try:
        return date(int(y) if y else year, int(m), int(d)), match.start("ngay")
    except ValueError:
        return None, None  # "ngày 31/02/2024": not a date


def find_codes(text: str) -> list[Citation]:
    """Every number/notation in ``text`` (NFC), in order, with its type and date."""
    found: list[Citation] = []
    resume = 0
    for start in (m.start() for m in _CODE_START.finditer(text)):
        if start < resume:
            continue
        matched = match_code(text, start)
        if matched is None:
            continue
        code, end = matched
        resume = end
        line_start = text.rfind("\n", 0, start) + 1
        header = _HEADER_PREFIX.fullmatch(text, line_start, start) is not None
        kind = _cited_type(code, text[line_start:start])
        day, day_at = _day_after(text, end, code.year)
        found.append(Citation(code, kind, day, start, header, day_at))
    return found


# A law, code, ordinance or the constitution cited by its name and the day it was passed, as
# "Căn cứ" lines do: "Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015",
# "Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam năm 2013". The name is words only.
_NAMED_LAW = re.compile(
    r"(?<![^\s(\"“,;])(?P<title>(?P<word>Hiến pháp|Bộ luật|Luật|Pháp lệnh)"
    r"(?:,?[ \t]+[^\W\d_]+){1,30}?)"
    r"(?:[ \t]*,?[ \t]+(?P<ngay>ngày)[ \t]*:?[ \t]*"
    + _DATE_FORMS
    + r"|[ \t]+năm[ \t]+(?P<only_year>(?:19|20)\d\d)(?!\d))"
)


def find_named_laws(text: str) -> list[Citation]:
    """The laws ``text`` (NFC) cites by name with their date (or year), in order."""
    found = []
    for match in _NAMED_LAW.finditer(text):
        if _NOT_AN_ISSUER.search(match["title"]):
            continue  # "Luật Đất đai, gửi trước ngày 10/10": a deadline
        kind = _BY_WORD[match["word"].lower()]
        if match["only_year"]:
            year, day, day_at = int(match["only_year"]), None, None
        else:
            year = None
            day, day_at = _written_date(match, None)
            if day is None:
                continue
        title = " ".join(match["title"].split())
        found.append(Citation(None, kind, day, match.start(), False, day_at, title, year))
    return found


def find_citations(text: str) -> list[Citation]:
    """The documents ``text`` (NFC) cites: every code but the first one on a header line and
    every law cited by name, each document once (a later mention may give the date)."""
    return read_citations(text)[0]


def read_citations(text: str) -> tuple[list[Citation], set[int]]:
    """``find_citations``, and where the cited documents' dates start in ``text`` (those dates
    are not the text's own)."""
    codes = find_codes(text)
    own = next((c for c in codes if c.header), None)
    cited: dict[tuple[str, str], Citation] = {}
    for citation in [c for c in codes if c is not own] + find_named_laws(text):
        if citation.code is not None:
            number, notation = citation.code.number, citation.code.notation
            key = (number.lstrip("0"), notation.upper().replace("Đ", "D"))
        else:
            key = ("", (citation.title or "").lower())
        if key not in cited:
            cited[key] = citation
        elif cited[key].day is None and citation.day is not None:
            cited[key] = _with_day(cited[key], citation)
    dates_at = {c.day_at for c in [*codes, *cited.values()] if c.day_at is not None}
    return sorted(cited.values(), key=lambda c: c.start), dates_at


def _with_day(first: Citation, later: Citation) -> Citation:
    kind = first.type or later.type
    return Citation(
        first.code, kind, later.day, first.start, first.header, later.day_at, first.title
    )
