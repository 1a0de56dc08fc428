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

from bridge.pipelines.notation import NumberNotation, match_code
from bridge.schemas.codes import DocumentType

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
    r"|(?P<d>\d{1,2})\s*(?P<sep>[/.-])\s*(?P<m>\d{1,2})(?:\s*(?P=sep)\s*(?P<y>\d{4}))?)(?![\d/.-]\d)"
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
    code: NumberNotation
    type: DocumentType | None
    day: date | None
    start: int  # where the code starts in the text
    header: bool  # on a "Số:" header line: the text's own code, not a citation
    day_at: int | None = None  # where its date ("ngày ...") starts in the text

    def as_json(self) -> dict[str, object]:
        """The keys of `bridge parse --json`'s top level, for this cited document."""
        found: dict[str, object] = {
            "code": self.code.code,  # "25-KL/TW": a party notation is not "25/KL/TW"
            "number": self.code.number,
            "notation": self.code.notation,
        }
        if self.type is not None:
            found["type_code"] = self.type.notation_code  # "" for công văn, as at the top
            found["type_name"] = self.type.label
        if self.code.issuer is not None:
            found["issuer"] = self.code.issuer
        if self.code.year is not None:
            found["year"] = self.code.year
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


def find_citations(text: str) -> list[Citation]:
    """The documents ``text`` (NFC) cites: every code but the first one on a header line,
    each document once (the first mention that gives a date gives it)."""
    return cited_among(find_codes(text))


def cited_among(codes: list[Citation]) -> list[Citation]:
    """``find_citations`` on codes already found."""
    own = next((c for c in codes if c.header), None)
    by_code: dict[tuple[str, str], Citation] = {}
    for citation in codes:
        if citation is own:
            continue
        key = (citation.code.number.lstrip("0"), citation.code.notation.upper().replace("Đ", "D"))
        if key not in by_code or (by_code[key].day is None and citation.day is not None):
            by_code[key] = citation if key not in by_code else _with_day(by_code[key], citation)
    return sorted(by_code.values(), key=lambda c: c.start)


def _with_day(first: Citation, later: Citation) -> Citation:
    kind = first.type or later.type
    return Citation(first.code, kind, later.day, first.start, first.header, later.day_at)
