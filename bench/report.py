"""The bench's table: each figure with its floor and its ratio to it, from one run."""

from __future__ import annotations

import statistics

from bench.suite import Figure

# (figure name, what it is, its floor's name or None, a yardstick's name or None)
INGEST_ROWS = (
    ("download", "download only, REST listing (no decode)", None, None),
    ("floor_rest", "floor REST: download + JSON + pydantic + upsert", None, None),
    ("dlt_append", "dlt, same listing → DuckDB, append", "floor_rest", None),
    ("dlt_merge", "dlt, same listing → DuckDB, merge on id", "floor_rest", None),
    ("bridge_rest", "bridge iOffice REST ingest (pipelines.sync)", "floor_rest", "dlt_merge"),
    ("floor_soap", "floor SOAP: download + hardened lxml + pydantic + upsert", None, None),
    ("bridge_soap", "bridge iDesk SOAP ingest (pipelines.sync)", "floor_soap", None),
)


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def ingest_table(figures: dict[str, Figure], dlt_format: str) -> list[str]:
    lines = [
        f"{'figure':<58} {'docs/s':>8} {'spread (min–max)':>19} {'× floor':>8} {'× dlt':>6}"
        f" {'peak MB':>8}"
    ]
    for name, label, floor, yardstick in INGEST_ROWS:
        if name not in figures:
            continue
        figure = figures[name]
        low, high = figure.spread
        to_floor = f"{figure.median / figures[floor].median:.2f}" if floor in figures else "—"
        to_dlt = f"{figure.median / figures[yardstick].median:.2f}" if yardstick in figures else "—"
        label = label.replace("DuckDB,", f"DuckDB ({dlt_format}),")
        lines.append(
            f"{label:<58} {_rate(figure.median):>8} {_rate(low) + '–' + _rate(high):>19}"
            f" {to_floor:>8} {to_dlt:>6} {figure.peak_rss_mb:>8.0f}"
        )
    return lines


def memory_lines(figures: dict[str, Figure]) -> list[str]:
    if "bridge_rest_quarter" not in figures or "bridge_rest" not in figures:
        return []
    small, large = figures["bridge_rest_quarter"], figures["bridge_rest"]
    growth = large.peak_rss_mb / small.peak_rss_mb
    more = large.job.documents / small.job.documents
    return [
        "peak memory of bridge REST ingest (a process of its own, imports included): "
        f"{small.job.documents:,} documents {small.peak_rss_mb:.0f} MB, "
        f"{large.job.documents:,} documents {large.peak_rss_mb:.0f} MB "
        f"({growth:.2f}× for {more:.1f}× the documents)"
    ]


def _spread(values: list[float], unit: str, digits: int = 2) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:,.{digits}f} {unit} ({low:,.{digits}f}–{high:,.{digits}f})"


def live_lines(figure: Figure | None) -> list[str]:
    if figure is None:
        return []
    runs, first = figure.runs, figure.runs[0]
    push = _spread([r["pushed"] / r["push_s"] for r in runs], "rows/s", 1)
    floor_rates = [r["push_floor_rows"] / r["push_floor_s"] for r in runs if r["push_floor_s"]]
    push_rates = [r["pushed"] / r["push_s"] for r in runs]
    floor = _spread(floor_rates, "rows/s", 1) if floor_rates else "—"
    ratio = (
        f"{statistics.median(push_rates) / statistics.median(floor_rates):.2f}× floor"
        if floor_rates
        else "no floor"
    )
    cpu = [
        1000 * r["push_cpu_s"] / r["pushed"] for r in runs if r.get("push_cpu_s") and r["pushed"]
    ]
    cpu_per_row = f", client CPU {_spread(cpu, 'ms/row')}" if cpu else ""
    return [
        f"against the simulators in a process of their own: {first['synced']:,} records "
        f"synced, {first['tasks']:,} tasks (median and spread of {len(runs)} runs)",
        f"  push: {push}{cpu_per_row}, {first['pushed']:,} rows sent, each read back "
        f"({sum(r['push_dead'] for r in runs)} dead); floor (two calls per row through the same "
        f"connectors, no bookkeeping) {floor}: {ratio}",
        f"  reconcile of the whole store: {_spread([r['reconcile_s'] for r in runs], 's')}",
        f"  freshness, clock moved on {first['fresh_minutes']} min until a sync brought "
        f"{first['fresh_records']:,} new or changed ({first['fresh_read']:,} read): "
        f"incremental sync {_spread([r['fresh_sync_s'] for r in runs], 's')}"
        f" + reconcile {_spread([r['fresh_reconcile_s'] for r in runs], 's')}",
    ]
