"""What the store holds, counted: rows per table, outbox rows per state, cursors, secret
documents skipped (`bridge status`), and the totals the demo prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Row, func, select

from store.tables import (
    assignments,
    dead_letters,
    directives,
    documents,
    outbox,
    runs,
    secret_skips,
    source_records,
    sync_cursors,
    tasks,
)

SUMMARY_TABLES = {
    "documents": documents,
    "directives": directives,
    "assignments": assignments,
    "tasks": tasks,
    "source_records": source_records,
    "dead_letters": dead_letters,
    "runs": runs,
}


@dataclass
class StoreSummary:
    table_counts: dict[str, int]
    outbox_by_state: dict[str, int]
    cursors: list[tuple[str, str, str]]
    secret_skipped: int


def store_summary(engine: Engine) -> StoreSummary:
    with engine.connect() as conn:
        counts = {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in SUMMARY_TABLES.items()
        }
        by_state = dict(
            conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state)).all()
        )
        cursors = [
            tuple(row)
            for row in conn.execute(
                select(
                    sync_cursors.c.system, sync_cursors.c.stream, sync_cursors.c.cursor
                ).order_by(sync_cursors.c.system, sync_cursors.c.stream)
            )
        ]
        secret = conn.execute(select(func.coalesce(func.sum(secret_skips.c.count), 0))).scalar_one()
    return StoreSummary(counts, by_state, cursors, int(secret))


def render_summary(summary: StoreSummary) -> str:
    lines = ["Store contents:"]
    lines += [f"  {name:<16} {count:>8}" for name, count in summary.table_counts.items()]
    states = ", ".join(f"{s} {n}" for s, n in sorted(summary.outbox_by_state.items())) or "empty"
    lines.append(f"  {'outbox':<16} {states}")
    lines.append(f"  {'secret skipped':<16} {summary.secret_skipped:>8}  (văn bản mật, not stored)")
    if summary.cursors:
        lines.append("Sync cursors:")
        lines += [f"  {system}/{stream}: {cursor}" for system, stream, cursor in summary.cursors]
    else:
        lines.append("Sync cursors: none yet (nothing synced)")
    return "\n".join(lines)


def secret_skipped_total(engine: Engine) -> int:
    """Secret documents counted, per document (not per read), never their content."""
    with engine.connect() as conn:
        total = conn.execute(select(func.coalesce(func.sum(secret_skips.c.count), 0)))
        return int(total.scalar_one())


def last_run_id(engine: Engine) -> int:
    """The id of the newest run record, 0 when there is none."""
    with engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(runs.c.id), 0))).scalar_one()


def runs_after(engine: Engine, run_id: int) -> list[Row[Any]]:
    """Run records newer than ``run_id``, oldest first."""
    with engine.connect() as conn:
        return list(conn.execute(select(runs).where(runs.c.id > run_id).order_by(runs.c.id)))


def sync_totals(engine: Engine) -> tuple[int, int]:
    """(records new or changed, records rejected) over every sync run."""
    query = select(
        func.coalesce(func.sum(runs.c.new + runs.c.changed), 0),
        func.coalesce(func.sum(runs.c.rejected), 0),
    ).where(runs.c.kind == "sync")
    with engine.connect() as conn:
        new, rejected = conn.execute(query).one()
    return int(new), int(rejected)
