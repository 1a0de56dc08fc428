"""A picture of a report's summary sheet, as SVG, drawn from the workbook itself.

    python -m reports.preview var/reports/bao-cao_....xlsx docs/img/report-summary.svg

The README shows one. No image library or office suite is needed: SVG is text, and the
viewer's own fonts render the Vietnamese. The figures are read back from the written file,
so the picture shows what officials receive, not a second rendering of the data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import load_workbook

from reports.excel import HEADER_ROW, SHEET_TASKS

ROW_HEIGHT = 24
CHAR_WIDTH = 7.2  # an average glyph at 12 px, to size the columns from Excel's widths
CHART_HEIGHT = 200
BAR_COLOUR = "#2f6fb3"


def summary_rows(path: Path) -> list[list[object]]:
    """The tasks sheet's table: the header, one row per unit and the total row."""
    sheet = load_workbook(path, read_only=True)[SHEET_TASKS]
    rows: list[list[object]] = []
    for row in sheet.iter_rows(min_row=HEADER_ROW, values_only=True):
        if all(value is None for value in row):
            break  # the table ends at the first empty row; a note follows
        rows.append(list(row))
    return rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.0%}" if value <= 1 else f"{value:,.0f}"
    return str(value)


def render_svg(rows: list[list[object]], title: str) -> str:
    header, body = rows[0], rows[1:]
    widths = [max(6, *(len(_cell_text(r[i])) for r in rows)) * CHAR_WIDTH + 12 for i in
              range(len(header))]  # fmt: skip
    table_width = sum(widths)
    parts = [f'<text x="0" y="18" font-weight="bold" font-size="15">{escape(title)}</text>']
    y = 30
    for index, row in enumerate(rows):
        is_header, is_total = index == 0, index == len(rows) - 1
        fill = "#dde7f3" if is_header else ("#f3f3f3" if is_total else "#ffffff")
        parts.append(f'<rect x="0" y="{y}" width="{table_width:.0f}" height="{ROW_HEIGHT}" '
                     f'fill="{fill}" stroke="#b0b0b0"/>')  # fmt: skip
        x = 0.0
        for column, value in enumerate(row):
            weight = ' font-weight="bold"' if is_header or is_total else ""
            numeric = isinstance(value, int | float)
            anchor, text_x = ("end", x + widths[column] - 6) if numeric else ("start", x + 6)
            parts.append(f'<text x="{text_x:.0f}" y="{y + 16}" text-anchor="{anchor}"{weight}>'
                         f"{escape(_cell_text(value))}</text>")  # fmt: skip
            x += widths[column]
        y += ROW_HEIGHT
    parts.extend(_rate_bars(header, body[:-1], y + 30))
    height = y + 30 + CHART_HEIGHT + 60
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{table_width:.0f}" height="{height}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">'
        f'<rect width="100%" height="100%" fill="white"/>{"".join(parts)}</svg>\n'
    )


def _rate_bars(header: list[object], units: list[list[object]], top: int) -> list[str]:
    """The sheet's chart: the on-time rate of each unit as a column."""
    rate_column = next(i for i, name in enumerate(header) if "tỷ lệ" in str(name).lower())
    parts = [f'<text x="0" y="{top - 8}" font-weight="bold">'
             "Tỷ lệ hoàn thành đúng hạn theo đơn vị</text>"]  # fmt: skip
    slot = 110
    for index, row in enumerate(units):
        rate = row[rate_column] if isinstance(row[rate_column], int | float) else 0.0
        bar = CHART_HEIGHT * float(rate)
        x = 40 + index * slot
        parts.append(f'<rect x="{x}" y="{top + CHART_HEIGHT - bar:.0f}" width="60" '
                     f'height="{bar:.0f}" fill="{BAR_COLOUR}"/>')  # fmt: skip
        parts.append(f'<text x="{x + 30}" y="{top + CHART_HEIGHT - bar - 4:.0f}" '
                     f'text-anchor="middle">{_cell_text(row[rate_column])}</text>')  # fmt: skip
        parts.append(f'<text x="{x + 30}" y="{top + CHART_HEIGHT + 16}" text-anchor="middle" '
                     f'font-size="10">{escape(str(row[1] or ""))}</text>')  # fmt: skip
    parts.append(f'<line x1="30" y1="{top + CHART_HEIGHT}" x2="{40 + len(units) * slot}" '
                 f'y2="{top + CHART_HEIGHT}" stroke="#333"/>')  # fmt: skip
    return parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path, help="a report written by `bridge report`")
    parser.add_argument("svg", type=Path, help="where to write the picture")
    args = parser.parse_args(argv)
    rows = summary_rows(args.workbook)
    if len(rows) < 2:
        print(f"{args.workbook}: the summary sheet has no rows", file=sys.stderr)
        return 2
    args.svg.parent.mkdir(parents=True, exist_ok=True)
    args.svg.write_text(render_svg(rows, f"Bảng tổng hợp nhiệm vụ — {args.workbook.name}"), "utf-8")
    print(f"wrote {args.svg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
