"""Reports for people: the Excel workbook, the Word narrative, their Markdown summary, and the
call that writes them.

The figures themselves are counted in ``pipelines.report`` and ``.mismatch``.

The names below are loaded on first use: the writers import openpyxl and python-docx, and
every flow run's process imports ``reports.failure_tables`` (through this package) to start,
writing no report at all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reports.markdown import summary_markdown
    from reports.writer import WrittenReport, write_report

__all__ = ["WrittenReport", "summary_markdown", "write_report"]

_WHERE = {
    "WrittenReport": "reports.writer",
    "write_report": "reports.writer",
    "summary_markdown": "reports.markdown",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'reports' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
