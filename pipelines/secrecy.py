"""Secrecy stamps (độ mật) in header and abstract text: docs/domain.md §3 "Secrecy".

A secrecy mark is a *stamp*: words printed in the header of a document, alone or combined with
the urgency stamp ("MẬT", "KHẨN, MẬT", "MẬT - HỎA TỐC", "HỎA TỐC - TỐI MẬT", "Độ mật: Tối
mật"), and copied by clerks into the abstract or title of the record ("MẬT - V/v phúc đáp ...",
"... (TỐI MẬT)"). The same word in prose is not a stamp: "bảo vệ bí mật nhà nước", "mật khẩu",
"mật độ dân số", "phối hợp mật thiết", "công tác bảo mật".

The rules, in the order ``find_secrecy`` applies them to each line:

1. The line is made readable: legacy TCVN3/VNI text converted (``legacy_text``), NFC, invisible
   characters dropped, and letter-spaced words joined ("M Ậ T" → "MẬT").
2. Stamp words are the secrecy levels (TUYỆT MẬT, TỐI MẬT, MẬT), the urgency words (KHẨN,
   THƯỢNG KHẨN, HỎA TỐC, HẸN GIỜ), the labels ĐỘ MẬT / ĐỘ KHẨN and THƯỜNG, with or without
   diacritics. Without diacritics ("MAT", "TOI MAT", "TUYET MAT") a word counts only when
   written in capitals: "mat" or "Mat" in ASCII text is too many other words ("mát", "mất").
3. A *stamp run* is a sequence of stamp words joined by spaces or separators (, ; - – : / |).
   It is a stamp when it holds a secrecy level and it is either the whole line, or it opens the
   line and a separator follows it ("MẬT - V/v ..."), or it closes the line after a separator
   ("V/v ... - MẬT"), or it fills brackets anywhere ("(TỐI MẬT)"). A run followed by a plain
   space and another word is prose ("MẬT ĐỘ DÂN SỐ", "Mật khẩu").
4. Levels are kept apart: the highest one a text states wins (Tuyệt mật > Tối mật > Mật).
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

from pipelines import legacy_text
from schemas.codes import Secrecy

# Stamp words (as upper-case token sequences) → the secrecy level they state, or None for the
# urgency words and labels that may share a stamp with it. Longest phrases are tried first.
_LEVELS = {
    ("TUYỆT", "MẬT"): Secrecy.TOP_SECRET,
    ("TỐI", "MẬT"): Secrecy.SECRET,
    ("MẬT",): Secrecy.CONFIDENTIAL,
}
_COMPANIONS = (
    ("ĐỘ", "MẬT"),
    ("ĐỘ", "KHẨN"),
    ("THƯỢNG", "KHẨN"),
    ("KHẨN",),
    ("HỎA", "TỐC"),
    ("HOẢ", "TỐC"),
    ("HẸN", "GIỜ"),
    ("THƯỜNG",),
)


def _ascii(words: tuple[str, ...]) -> tuple[str, ...]:
    stripped = unicodedata.normalize("NFD", " ".join(words).replace("Đ", "D"))
    return tuple("".join(c for c in stripped if not unicodedata.combining(c)).split())


_PHRASES: dict[tuple[str, ...], Secrecy | None] = {}
for _words, _level in [*_LEVELS.items(), *((w, None) for w in _COMPANIONS)]:
    _PHRASES[_words] = _level
    _PHRASES.setdefault(_ascii(_words), _level)
# "T Ố I M Ậ T" spaced letter by letter joins into one word.
for _words, _level in list(_PHRASES.items()):
    if len(_words) > 1:
        _PHRASES.setdefault(("".join(_words),), _level)
_LONGEST = max(len(words) for words in _PHRASES)
_RANK = {Secrecy.NONE: 0, Secrecy.CONFIDENTIAL: 1, Secrecy.SECRET: 2, Secrecy.TOP_SECRET: 3}

_WORD = re.compile(r"[^\W_]+")
# What may stand between the words of one stamp ("KHẨN, MẬT", "MẬT - HỎA TỐC").
_JOINER = re.compile(r"[\s,;:/|*.\-–—]*")
# What must follow a stamp that opens a line, or precede one that closes it.
_SEPARATOR = re.compile(r"[,;:|\-–—]")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# Two or more single letters each followed by one space: "M Ậ T", "T Ố I  M Ậ T".
_SPACED = re.compile(r"(?<![^\W_])(?:[^\W\d_] ){1,}[^\W\d_](?![^\W_])")


def _readable(line: str) -> str:
    text = legacy_text.to_unicode(line.translate(_INVISIBLE))
    return _SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)


def _phrase_at(
    words: list[re.Match[str]], start: int, printed: bool
) -> tuple[int, Secrecy | None] | None:
    """(how many words, level) of the stamp phrase starting at ``words[start]``, or None;
    with ``printed``, only a phrase written in capitals."""
    for size in range(min(_LONGEST, len(words) - start), 0, -1):
        chunk = words[start : start + size]
        if any(_JOINER.fullmatch(_gap(a, b)) is None for a, b in pairwise(chunk)):
            continue
        key = tuple(m.group(0).upper() for m in chunk)
        if key not in _PHRASES:
            continue
        spelled = [m.group(0) for m in chunk]
        if all(w.isascii() for w in spelled) and not all(w.isupper() for w in spelled):
            continue  # "Mat", "mat": not a stamp without diacritics unless in capitals
        if printed and not all(_capitals(w) for w in spelled):
            continue
        return size, _PHRASES[key]
    return None


def _gap(before: re.Match[str], after: re.Match[str]) -> str:
    return before.string[before.end() : after.start()]


def _runs(words: list[re.Match[str]], printed: bool) -> list[tuple[int, int, Secrecy]]:
    """Every maximal stamp run as (first word, end word, highest level in it); with
    ``printed``, runs of words in capitals only (a lower-case "khẩn" in the abstract before
    "- HỎA TỐC - MẬT" is prose, not part of the stamp)."""
    runs, index = [], 0
    while index < len(words):
        start, level = index, Secrecy.NONE
        while index < len(words):
            if index > start and _JOINER.fullmatch(_gap(words[index - 1], words[index])) is None:
                break
            found = _phrase_at(words, index, printed)
            if found is None:
                break
            size, phrase_level = found
            if phrase_level is not None and _RANK[phrase_level] > _RANK[level]:
                level = phrase_level
            index += size
        if index > start:
            runs.append((start, index, level))
        else:
            index += 1
    return runs


def _capitals(word: str) -> bool:
    """Written in capitals. Legacy TCVN3 has no capital toned letters, so "MËT" reads back as
    "MậT": its ASCII letters decide."""
    letters = [c for c in word if c.isascii() and c.isalpha()]
    return all(c.isupper() for c in letters) if letters else word.isupper()


def _line_level(line: str) -> Secrecy:
    text = _readable(line)
    words = list(_WORD.finditer(text))
    best = Secrecy.NONE
    # The whole line in any case ("Mật", "Độ mật: Tối mật" as a field holds it); inside a
    # longer line only capitals are a stamp ("Mật khẩu: ..." is prose).
    for printed in (False, True):
        for start, end, level in _runs(words, printed):
            if _RANK[level] <= _RANK[best]:
                continue
            before = text[: words[start].start()]
            after = text[words[end - 1].end() :]
            if printed:
                opens = not before.strip(" \t*([") and _SEPARATOR.match(after.lstrip(" \t)]"))
                closes = not after.strip(" \t.*)]") and _SEPARATOR.search(
                    before.rstrip(" \t([")[-1:]
                )
                bracketed = re.search(r"[(\[]\s*$", before) and re.match(r"\s*[)\]]", after)
                found = opens or closes or bracketed
            else:
                edges = " \t.:;-–—*()[]\"'"
                found = not before.strip(edges) and not after.strip(edges)
            if found:
                best = level
    return best


# Every stamp holds the word MẬT in some spelling; without diacritics, lower-cased, that is
# "mat" (Unicode, NFD, ASCII, letter-spaced "m a t"), "met" (TCVN3 "MËT") or "maat" (VNI
# "MAÄT"). Text with none of them is no stamp, which spares the full reading of most abstracts.
_MAYBE = re.compile(r"m\W{0,2}(?:a\W{0,2}a?|e)\W{0,2}t")


def _skeleton(text: str) -> str:
    """The text's ASCII letters and signs once diacritics are split off (NFD). Every other
    character is dropped, which can only bring the letters of a stamp closer together: the
    quick test below then says "maybe" at least wherever the full reading could find a stamp,
    and the full reading decides. Encoding in C beats a per-character test of every header
    field of every record."""
    if text.isascii():
        return text  # NFD leaves ASCII as it is
    return unicodedata.normalize("NFD", text).encode("ascii", "ignore").decode("ascii")


def find_secrecy(text: str) -> str | None:
    """The highest secrecy a stamp in ``text`` states, as a ``Secrecy`` value; None without a
    stamp. Each line is judged alone (a header field is one line)."""
    if not _MAYBE.search(_skeleton(text).lower()):
        return None
    best = Secrecy.NONE
    for line in unicodedata.normalize("NFC", text).splitlines():
        level = _line_level(line)
        if _RANK[level] > _RANK[best]:
            best = level
    return None if best is Secrecy.NONE else best.value
