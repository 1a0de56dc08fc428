"""Compute a period's report from the store and write it as an Excel file.

``write_report`` is what the CLI (`bridge report`) and the scheduled Prefect flows call; it
returns the file's path with the figures and mismatches, so a flow can also publish them as
artifacts (``summary_markdown``, ``mismatch.mismatch_table``) without reading the file back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from bridge.pipelines import mismatch, report
from bridge.pipelines.calendar import LOCAL_TZ
from bridge.pipelines.mismatch import Mismatch
from bridge.pipelines.periods import Period, parse_period
from bridge.pipelines.report import PeriodReport
from bridge.reports.excel import Cover, write_workbook
from bridge.settings import BridgeSettings, load_settings


@dataclass(frozen=True)
class WrittenReport:
    path: Path
    report: PeriodReport
    mismatches: list[Mismatch]


def write_report(
    engine: Engine,
    period: Period | str,
    unit: str | None = None,
    out: Path | None = None,
    now: datetime | None = None,
    settings: BridgeSettings | None = None,
) -> WrittenReport:
    """Count ``period`` (a ``Period`` or text such as "2024-W48") for ``unit`` (None: every
    unit), list today's mismatches, and write the workbook to ``out``: an .xlsx file, or a
    directory to put a new file in (default: the settings' reports directory, ``var/reports/``).

    Raises ``PeriodError`` for a period that cannot be read and ``UnknownUnit`` for a unit
    nobody knows, both before anything is written.
    """
    settings = settings or load_settings()
    moment = now or datetime.now(UTC)
    chosen = parse_period(period) if isinstance(period, str) else period
    figures = report.build_report(engine, chosen, unit, moment)
    found = mismatch.find_in_store(engine, unit, moment)
    name = default_file_name(chosen, unit, moment)
    if out is None:
        path = settings.reports_dir / name
    else:
        path = out if out.suffix.lower() == ".xlsx" else out / name
    unit_name = report.unit_name(unit, _names(figures)) if unit else None
    write_workbook(path, figures, found, Cover(settings.agency_name, moment, unit_name))
    return WrittenReport(path, figures, found)


def default_file_name(period: Period, unit: str | None, now: datetime) -> str:
    """``bao-cao_2024-W48_tat-ca_20241128-0800.xlsx``: sorts by period, never overwrites a
    report of the same period generated earlier."""
    who = re.sub(r"[^A-Za-z0-9_-]+", "-", unit) if unit else "tat-ca"
    stamp = now.astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M%S")
    return f"bao-cao_{period.label.replace('..', '_')}_{who}_{stamp}.xlsx"


def _names(figures: PeriodReport) -> dict[str, str]:
    return {row.unit_id: row.unit_name for row in figures.units}
