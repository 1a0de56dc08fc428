"""Compute a period's report from the store and write it: the Excel figures and the Word
narrative, side by side, with the same name.

``write_report`` is what the CLI (`bridge report`) and the scheduled Prefect flow call; it
returns both paths with the figures and mismatches, so a flow can also publish them as
artifacts (``summary_markdown``, ``mismatch.mismatch_table``) without reading the files back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from bridge.settings import BridgeSettings, load_settings
from pipelines import mismatch, report
from pipelines.calendar import LOCAL_TZ
from pipelines.mismatch import Mismatch
from pipelines.periods import Period, parse_period
from pipelines.report import PeriodReport
from reports.excel import write_workbook
from reports.heading import Heading
from reports.word import write_docx


@dataclass(frozen=True)
class WrittenReport:
    path: Path  # the .xlsx
    docx_path: Path  # the .docx beside it
    report: PeriodReport
    mismatches: list[Mismatch]


def write_report(
    engine: Engine,
    period: Period | str,
    unit: str | None = None,
    out: Path | None = None,
    now: datetime | None = None,
    settings: BridgeSettings | None = None,
    basis: str | None = None,
) -> WrittenReport:
    """Count ``period`` (a ``Period``, or text such as "2024-11" read with the data cut-off
    unless the settings ask for calendar periods) for ``unit`` (None: every unit), list
    today's mismatches, and write the workbook and the Word report to ``out``: an .xlsx file
    (the .docx goes beside it), or a directory to put new files in (default: the settings'
    reports directory, ``var/reports/``). ``basis``: the settings' ``reports.basis`` if None.

    Raises ``PeriodError`` for a period that cannot be read and ``UnknownUnit`` for a unit
    nobody knows, both before anything is written.
    """
    settings = settings or load_settings()
    moment = now or datetime.now(UTC)
    cutoff = not settings.reports.calendar_periods
    chosen = parse_period(period, cutoff=cutoff) if isinstance(period, str) else period
    figures = report.build_report(
        engine, chosen, unit, moment, basis=basis or settings.reports.basis
    )
    found = mismatch.find_in_store(engine, unit, moment)
    name = default_file_name(chosen, unit, moment)
    if out is None:
        path = settings.reports_dir / name
    else:
        path = out if out.suffix.lower() == ".xlsx" else out / name
    names = {row.unit_id: row.unit_name for row in figures.tasks.units}
    unit_name = report.unit_name(unit, names) if unit else None
    heading = Heading.from_settings(settings, moment, unit_name)
    write_workbook(path, figures, found, heading)
    docx_path = write_docx(path.with_suffix(".docx"), figures, found, heading)
    return WrittenReport(path, docx_path, figures, found)


def default_file_name(period: Period, unit: str | None, now: datetime) -> str:
    """``bao-cao_2024-W48_tat-ca_20241128-080000.xlsx``: sorts by period, never overwrites a
    report of the same period generated earlier."""
    who = re.sub(r"[^A-Za-z0-9_-]+", "-", unit) if unit else "tat-ca"
    stamp = now.astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M%S")
    return f"bao-cao_{period.label.replace('..', '_')}_{who}_{stamp}.xlsx"
