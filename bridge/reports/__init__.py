"""Reports for people: the Excel workbook, the Word narrative, their Markdown summary, and the
call that writes them.

The figures themselves are counted in ``bridge.pipelines.report`` and ``.mismatch``.
"""

from bridge.reports.markdown import summary_markdown
from bridge.reports.writer import WrittenReport, write_report

__all__ = ["WrittenReport", "summary_markdown", "write_report"]
