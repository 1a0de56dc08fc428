"""How the simulated records are written: Decree 30 numbers and notations, signers, deadlines
stated in words (docs/domain.md §§4 and 6), secrecy stamps as clerks copy them, and the odd
decomposed (NFD) text. Used by simulators.world, which decides what each record says.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from simulators import catalog
from simulators.timeutil import (
    END_OF_DAY,
    add_working_days,
    last_working_day_before,
    local_date,
    local_midnight,
)
from simulators.vietnamese import nfd, tcvn3_mojibake

NFD_RATE = 1 / 50


def notation(
    number: int, doc_type: catalog.DocType, issuer: catalog.Issuer, year: int, rng: random.Random
) -> str:
    """Decree 30 number and notation: 07/QĐ-STTTT, 1866/SXD-VP, 54/2023/QĐ-UBND."""
    if doc_type.abbreviation is None:
        return f"{number:02d}/{issuer.abbreviation}-{rng.choice(('VP', 'KHTC', 'QLĐT', 'TH'))}"
    if doc_type.legal:
        return f"{number:02d}/{year}/{doc_type.abbreviation}-{issuer.abbreviation}"
    return f"{number:02d}/{doc_type.abbreviation}-{issuer.abbreviation}"


def signer(rng: random.Random, issuer: catalog.Issuer) -> tuple[str, str, str]:
    """Name, position and competence line ('KT. GIÁM ĐỐC' when a deputy signs)."""
    name = f"{rng.choice(catalog.FAMILY)} {rng.choice(catalog.MIDDLE)} {rng.choice(catalog.GIVEN)}"
    if rng.random() < 0.35:
        return name, issuer.signer_title, ""
    return name, f"PHÓ {issuer.signer_title}", f"KT. {issuer.signer_title}"


def stated_deadline(rng: random.Random, arrival: int) -> tuple[str, int]:
    """A deadline phrase of docs/domain.md §§4 and 6 and the instant it means."""
    target = local_date(add_working_days(arrival, rng.randint(4, 12)))
    form = rng.randrange(5)
    if form == 0:  # "trước ngày D": the end of the last working day before D
        return f"trước ngày {vn_date(target)}", local_midnight(
            last_working_day_before(target)
        ) + END_OF_DAY
    if form == 1:  # "chậm nhất ngày D": the end of D
        return f"chậm nhất ngày {vn_date(target)}", local_midnight(target) + END_OF_DAY
    if form == 2:  # a stated hour is kept
        hour, minute = rng.choice(((16, 30), (16, 0), (10, 0)))
        words = f"{hour}h{minute:02d}" if minute else rng.choice((f"{hour}h", f"{hour} giờ"))
        return f"trước {words} ngày {vn_date(target)}", local_midnight(target) + (
            hour * 3600 + minute * 60
        )
    if form == 3:
        days = rng.choice((3, 5, 7, 10))
        return f"trong thời hạn {days:02d} ngày làm việc", add_working_days(arrival, days)
    # A recurring schedule; the tracking task carries its first occurrence.
    day = local_date(arrival) + timedelta(days=1)
    while day.weekday() != 3:
        day += timedelta(days=1)
    return "báo cáo trước 16h00 thứ 5 hàng tuần", local_midnight(day) + 16 * 3600


# How a secret reply or directive shows its mark: the secrecy field alone, or a stamp copied
# into its abstract or title in one of the forms real records carry (docs/simulators.md).
STAMP_STYLES = (
    "field", "field+prefix", "combined", "trailing", "no_diacritics", "nfd", "tcvn3", "bracket",
)  # fmt: skip
_STAMP_WORDS = {"Mật": "MẬT", "Tối mật": "TỐI MẬT", "Tuyệt mật": "TUYỆT MẬT"}
_ASCII_WORDS = {"Mật": "MAT", "Tối mật": "TOI MAT", "Tuyệt mật": "TUYET MAT"}


def stamp(text: str, secrecy: str, style: str) -> str:
    """``text`` (an abstract or a title) with the secrecy stamp as clerks copy it."""
    word = _STAMP_WORDS[secrecy]
    if style == "field":
        return text
    if style == "field+prefix":
        return f"{word} - {text}"
    if style == "combined":
        return f"KHẨN, {word} - {text}"
    if style == "trailing":
        return f"{text} - HỎA TỐC - {word}"
    if style == "no_diacritics":
        return f"{_ASCII_WORDS[secrecy]} - {text}"
    if style == "nfd":
        return nfd(f"{word} - HỎA TỐC\n{text}")
    if style == "tcvn3":
        return tcvn3_mojibake(f"{word} - {text}")
    return f"{text} ({word})"


def secrecy_field(secrecy: str | None, style: str) -> str | None:
    """The secrecy field is filled for the field styles only; the others carry just a stamp."""
    return secrecy if secrecy and style.startswith("field") else None


def vn_date(day: date) -> str:
    return f"{day.day}/{day.month}/{day.year}" if day.day % 3 else day.strftime("%d/%m/%Y")


def maybe_nfd(rng: random.Random, text: str) -> str:
    return nfd(text) if rng.random() < NFD_RATE else text
