"""Reports for people: the Excel workbook, the Word narrative, their Markdown summary, and the
call that writes them.

The figures themselves are counted in ``pipelines.report`` and ``.mismatch``.
"""

from reports.markdown import summary_markdown
from reports.writer import WrittenReport, write_report

__all__ = ["WrittenReport", "summary_markdown", "write_report"]
