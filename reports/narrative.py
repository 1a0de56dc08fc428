"""The sentences of the Word report, generated from the figures, in Vietnamese.

Each function returns plain text: the clerk edits the document afterwards like any other. The
causes of lateness are the units' own words (the tracking system's notes on each late task),
quoted; where a unit gave none, the report says so rather than inventing one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from pipelines.calendar import LOCAL_TZ
from pipelines.mismatch import Mismatch
from pipelines.report import PeriodReport
from pipelines.report_items import BASIS_LABELS, KindReport, UnitFigures
from reports.heading import Heading

NOUNS = {"document": "văn bản", "task": "nhiệm vụ"}
MAX_REASONS_PER_UNIT = 5  # beyond that, the list of every item has them all


def percent(rate: float | None) -> str:
    """0.875 → "87,5%" (Vietnamese decimal comma); nothing settled → "–"."""
    return "–" if rate is None else f"{rate * 100:.1f}%".replace(".", ",")


def title_abstract(report: PeriodReport) -> str:
    return f"Tình hình xử lý văn bản đến và thực hiện nhiệm vụ được giao {_period(report)}"


def _period(report: PeriodReport) -> str:
    return _first_lower(report.period.title_vi())


def _first_lower(text: str) -> str:
    """Lower the first letter only: "Theo ... (Nghị định 09/2019/NĐ-CP)" keeps its names."""
    return text[:1].lower() + text[1:]


def introduction(report: PeriodReport, heading: Heading) -> str:
    who = f" của {heading.unit_name}" if heading.unit_name else ""
    return (
        f"Thực hiện chế độ báo cáo định kỳ, {heading.agency_name} báo cáo tình hình xử lý văn "
        f"bản đến và thực hiện nhiệm vụ được giao{who} {_period(report)} như sau:"
    )


def situation(report: PeriodReport) -> str:
    period = report.period
    as_of = report.as_of.astimezone(LOCAL_TZ)
    text = (
        f"Kỳ báo cáo từ ngày {period.first_day:%d/%m/%Y} đến ngày {period.last_day:%d/%m/%Y}, "
        f"{_first_lower(period.basis_vi())}; việc tính trong kỳ: "
        f"{_first_lower(BASIS_LABELS[report.basis])}. Số liệu tính đến "
        f"{as_of:%H giờ %M ngày %d/%m/%Y}. Trong kỳ có {report.documents.total.counted} văn "
        "bản đến có thời hạn xử lý và "
        f"{report.tasks.total.counted} nhiệm vụ được giao thuộc phạm vi báo cáo."
    )
    if report.secret_excluded:
        text += (
            f" Có {report.secret_excluded} văn bản mật không đưa vào hệ thống và không thống "
            "kê trong báo cáo này."
        )
    return text


def kind_paragraphs(kind: KindReport) -> list[str]:
    noun = NOUNS[kind.kind]
    t = kind.total
    if not t.counted:
        return [f"Trong kỳ không có {noun} nào thuộc phạm vi báo cáo."]
    done = t.done_on_time + t.done_late
    text = (
        f"Tổng số {t.counted} {noun}: đã hoàn thành {done} ({t.done_on_time} đúng hạn, "
        f"{t.done_late} trễ hạn); đang thực hiện trong hạn {t.in_progress}; quá hạn "
        f"{t.overdue}; chưa thực hiện {t.not_started}. Tỷ lệ hoàn thành đúng hạn "
        f"{percent(t.on_time_rate)}."
    )
    if t.extended:
        text += f" Trong đó có {t.extended} {noun} được gia hạn."
    paragraphs = [text]
    best = _ranked(kind.units)
    if best:
        names = ", ".join(f"{u.unit_name} ({percent(u.on_time_rate)})" for u in best[:3])
        paragraphs.append(f"Các đơn vị có tỷ lệ đúng hạn cao: {names}.")
    return paragraphs


def _ranked(units: Sequence[UnitFigures]) -> list[UnitFigures]:
    rated = [u for u in units if u.on_time_rate is not None]
    return sorted(rated, key=lambda u: (-(u.on_time_rate or 0), -u.settled, u.unit_name))


def causes(report: PeriodReport) -> list[str]:
    """Per kind, one paragraph per unit with late or overdue items, with the reasons it gave."""
    paragraphs = []
    for kind in report.kinds:
        noun = NOUNS[kind.kind]
        by_unit: dict[str, list] = defaultdict(list)
        for line in kind.late:
            by_unit[line.unit_name].append(line)
        if by_unit:
            letter = "b" if paragraphs else "a"
            paragraphs.append(f"{letter}) {kind.label}:")
        for unit, lines in sorted(by_unit.items()):
            paragraphs.append(_unit_cause(unit, noun, lines))
    if not paragraphs:
        return ["Trong kỳ không có văn bản, nhiệm vụ nào hoàn thành trễ hạn hoặc quá hạn."]
    return ["Các đơn vị còn văn bản, nhiệm vụ trễ hạn, quá hạn:", *paragraphs]


def _unit_cause(unit: str, noun: str, lines: list) -> str:
    late = sum(1 for line in lines if line.status.is_done)
    overdue = len(lines) - late
    days = [line.days_late for line in lines if line.days_late is not None]
    text = f"- {unit}: {late} {noun} hoàn thành trễ hạn, {overdue} {noun} quá hạn"
    if days:
        text += f" (trễ nhiều nhất {max(days)} ngày làm việc)"
    reasons = list(dict.fromkeys(line.item.notes.strip() for line in lines if line.item.notes))
    if reasons:
        quoted = "; ".join(f"“{r}”" for r in reasons[:MAX_REASONS_PER_UNIT])
        text += f". Lý do đơn vị nêu: {quoted}"
        more = len(reasons) - MAX_REASONS_PER_UNIT
        if more > 0:
            text += f" và {more} lý do khác (xem danh sách chi tiết)"
    else:
        text += ". Đơn vị chưa nêu lý do"
    return text + "."


def proposals(report: PeriodReport, mismatches: Sequence[Mismatch]) -> list[str]:
    items = []
    overdue = [
        (unit.unit_name, unit.overdue)
        for kind in report.kinds
        for unit in kind.units
        if unit.overdue
    ]
    if overdue:
        names = ", ".join(sorted({name for name, _ in overdue}))
        count = sum(n for _, n in overdue)
        items.append(
            f"- Đề nghị các đơn vị: {names} khẩn trương hoàn thành {count} văn bản, nhiệm vụ "
            "quá hạn và báo cáo kết quả."
        )
    items.append(
        "- Đề nghị các đơn vị chủ động báo cáo, đề xuất gia hạn trước khi đến hạn đối với các "
        "nhiệm vụ không thể hoàn thành đúng thời hạn."
    )
    if mismatches:
        items.append(
            f"- Có {len(mismatches)} nhiệm vụ có tình trạng trên hệ thống theo dõi chưa khớp với "
            "văn phòng điện tử; đề nghị cập nhật kịp thời khi văn bản hoàn thành được ban hành."
        )
    return items


def closing(report: PeriodReport, heading: Heading) -> str:
    abstract = title_abstract(report)
    return f"Trên đây là báo cáo {abstract[0].lower()}{abstract[1:]} của {heading.agency_name}./."
