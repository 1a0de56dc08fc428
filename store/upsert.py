"""One upsert for both databases: insert rows, and where their key exists already, update."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    *,
    add_to: Sequence[str] = (),
    keep: Sequence[str] = (),
    update_existing: bool = True,
) -> None:
    """Insert ``rows``; where ``key`` already exists, overwrite the other columns.

    Columns in ``add_to`` are summed with the stored value instead (counters); columns in
    ``keep`` keep their stored value (first-seen times); with ``update_existing=False`` an
    existing row is left as it is. One multi-row statement per call.
    """
    if not rows:
        return
    if len(rows) > 1:
        # One statement may not touch a row twice (PostgreSQL refuses ON CONFLICT DO UPDATE
        # then): two items of one page with the same key (an id sent twice, two aliases of one
        # unit) are one row, the last one wins.
        unique = {tuple(row[k] for k in key): row for row in rows}
        if len(unique) < len(rows):
            rows = list(unique.values())
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = dialect_insert(table)
    if not update_existing:
        conn.execute(stmt.on_conflict_do_nothing(index_elements=list(key)), list(rows))
        return
    changes: dict[str, Any] = {}
    for column in rows[0]:
        if column in key or column in keep:
            continue
        incoming = stmt.excluded[column]
        changes[column] = table.c[column] + incoming if column in add_to else incoming
    if changes:
        stmt = stmt.on_conflict_do_update(index_elements=list(key), set_=changes)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
    conn.execute(stmt, list(rows))


_upsert = upsert  # the name the store's modules have always used
