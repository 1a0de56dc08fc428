"""One upsert for both databases: insert rows, and where their key exists already, update.

The statement for a (table, columns, conflict rule) is compiled once per dialect and kept;
each call binds plain values (each column's own type processor, the one SQLAlchemy would
apply) and hands them to the driver's ``executemany`` in one statement. Going through
``Connection.execute`` re-derived the statement's cache key and walked every value through
SQLAlchemy's generic parameter processing, which cost more than the database's own work.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from store.types import UTCDateTime


class SerializedJson(str):
    """A JSON column's value already serialised (ingest hashes a record's canonical JSON and
    stores that same text rather than serialising the record a second time)."""


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
    existing row is left as it is. One statement per call, executed for all rows.
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
    columns = tuple(rows[0])
    if any(len(row) != len(columns) for row in rows):
        _upsert_uneven(conn, table, rows, key, add_to, keep, update_existing)
        return
    plan = _plan(conn.dialect, table, columns, tuple(key), tuple(add_to), tuple(keep),
                 update_existing)  # fmt: skip
    conn.exec_driver_sql(plan.sql, plan.bind(rows))


class _Plan:
    """One compiled upsert and how to turn rows into the driver's parameters."""

    def __init__(self, dialect: Dialect, table: Table, columns: tuple[str, ...], stmt: Any):
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        processors = compiled._bind_processors  # what SQLAlchemy itself would apply
        self.positional = compiled.positiontup is not None
        names = list(compiled.positiontup) if self.positional else list(columns)
        self.names = names
        self.getter = itemgetter(*names)
        self.single = len(names) == 1
        json_columns = {c.name for c in table.c if isinstance(c.type, JSON)}
        instants = {c.name for c in table.c if isinstance(c.type, UTCDateTime)}
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []
        for position, name in enumerate(names):
            process = processors.get(name)
            if process is not None:
                if name in json_columns:
                    process = _passing_serialized(process)
                elif name in instants and dialect.name == "sqlite":
                    process = UTCDateTime.sqlite_text  # the type's and the driver's, in one
                self.processors.append((position, process))

    def bind(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        getter, processors, names = self.getter, self.processors, self.names
        params: list[Any] = []
        for row in rows:
            values = [getter(row)] if self.single else list(getter(row))
            for position, process in processors:
                values[position] = process(values[position])
            if self.positional:
                params.append(tuple(values))
            else:
                params.append(dict(zip(names, values, strict=True)))
        return params


def _passing_serialized(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def bind(value: Any) -> Any:
        return str(value) if value.__class__ is SerializedJson else process(value)

    return bind


_PLANS: dict[tuple[Any, ...], _Plan] = {}


def _plan(
    dialect: Dialect,
    table: Table,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    add_to: tuple[str, ...],
    keep: tuple[str, ...],
    update_existing: bool,
) -> _Plan:
    cache_key = (dialect.name, dialect.driver, table, columns, key, add_to, keep, update_existing)
    plan = _PLANS.get(cache_key)
    if plan is None:
        stmt = _statement(dialect.name, table, columns, key, add_to, keep, update_existing)
        plan = _PLANS[cache_key] = _Plan(dialect, table, columns, stmt)
    return plan


def _statement(
    dialect_name: str,
    table: Table,
    columns: Sequence[str],
    key: Sequence[str],
    add_to: Sequence[str],
    keep: Sequence[str],
    update_existing: bool,
) -> Any:
    dialect_insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    stmt = dialect_insert(table)
    if columns:
        stmt = stmt.values({c: bindparam(c, type_=table.c[c].type) for c in columns})
    if not update_existing:
        return stmt.on_conflict_do_nothing(index_elements=list(key))
    changes: dict[str, Any] = {}
    for column in columns:
        if column in key or column in keep:
            continue
        incoming = stmt.excluded[column]
        changes[column] = table.c[column] + incoming if column in add_to else incoming
    if changes:
        return stmt.on_conflict_do_update(index_elements=list(key), set_=changes)
    return stmt.on_conflict_do_nothing(index_elements=list(key))


def _upsert_uneven(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    add_to: Sequence[str],
    keep: Sequence[str],
    update_existing: bool,
) -> None:
    """Rows that do not all name the same columns: SQLAlchemy's own executemany, which
    refuses them as it always did."""
    plain = [
        {k: json.loads(v) if v.__class__ is SerializedJson else v for k, v in row.items()}
        for row in rows
    ]
    stmt = _statement(conn.dialect.name, table, tuple(plain[0]), key, add_to, keep,
                      update_existing)  # fmt: skip
    conn.execute(stmt, plain)


_upsert = upsert  # the name the store's modules have always used
