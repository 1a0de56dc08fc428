"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC and read back as an aware UTC datetime, on both databases.

    SQLite has no time zone type and would hand back naive values; PostgreSQL's timestamptz
    would hand back the session's zone. Both are normalised here so code above the store only
    ever sees aware UTC instants. Naive values are refused: a naive time is ambiguous.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = _in_utc(value)
        # SQLite compares timestamps as text: store one fixed format without an offset.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    @staticmethod
    def sqlite_text(value: datetime | None) -> str | None:
        """What ``process_bind_param`` and SQLite's own DATETIME processor together bind
        ("2024-02-07 02:15:00.000000", UTC), in one step: the store's upsert binds thousands
        of instants a page (store/upsert.py; tests/store/test_types.py checks they agree)."""
        if value is None:
            return None
        return _sqlite_text(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Most instants of a page are the same few (the page's own time, in first_seen_at,
# last_seen_at and updated_at of every row), so each is written once. Equal aware datetimes
# are the same instant whatever their zone, and the text depends on the instant alone; a naive
# one never equals an aware one and raises every time (exceptions are not cached).
@functools.lru_cache(maxsize=512)
def _sqlite_text(value: datetime) -> str:
    return _in_utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")


def _in_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"refusing to store naive datetime {value!r}: give it an offset")
    return value.astimezone(UTC)


# JSON on SQLite, JSONB on PostgreSQL (indexable, compact).
Json = JSON().with_variant(JSONB(), "postgresql")
