"""The store's instants: the upsert's one-step SQLite binding (``UTCDateTime.sqlite_text``)
gives exactly what the type and SQLite's DATETIME processor give together, and every instant
reads back as the same aware UTC moment on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, insert, select

from store import upsert
from store.tables import sync_cursors
from store.types import UTCDateTime

ICT = timezone(timedelta(hours=7))
ZONES = (UTC, ICT, timezone(timedelta(hours=-9, minutes=-30)), timezone(timedelta(hours=14)))


def _instants(count: int) -> list[datetime]:
    rng = random.Random(20240207)
    found = [
        datetime(2024, 2, 7, 9, 15, tzinfo=ICT),  # no microseconds
        datetime(2024, 2, 7, 0, 0, 0, 1, tzinfo=ICT),  # the day before in UTC
        datetime(1, 1, 1, 12, tzinfo=UTC),  # four-digit year, padded
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    for _ in range(count):
        moment = datetime(1900, 1, 1, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(0, 200 * 365 * 86400), microseconds=rng.randrange(1_000_000)
        )
        found.append(moment.astimezone(rng.choice(ZONES)))
    return found


def _two_steps():  # type: ignore[no-untyped-def]
    """What SQLAlchemy itself applies to a UTCDateTime value bound for SQLite."""
    compiled = insert(sync_cursors).compile(dialect=create_engine("sqlite://").dialect)
    return compiled._bind_processors["updated_at"]


def test_the_one_step_binding_is_what_the_type_and_the_driver_give():
    two_steps = _two_steps()
    for moment in [*_instants(2000), None]:
        assert UTCDateTime.sqlite_text(moment) == two_steps(moment), moment


def test_one_instant_in_any_zone_binds_as_one_text_and_a_naive_twin_is_still_refused():
    # The one-step binding remembers the texts it made; the same instant written in another
    # zone must give the same text, and a naive time with the same wall clock must not be
    # taken for the UTC instant it resembles.
    moment = datetime(2024, 2, 7, 2, 15, tzinfo=UTC)
    texts = {UTCDateTime.sqlite_text(moment.astimezone(zone)) for zone in ZONES}
    assert texts == {"2024-02-07 02:15:00.000000"}
    with pytest.raises(ValueError, match="naive datetime"):
        UTCDateTime.sqlite_text(moment.replace(tzinfo=None))


def test_a_naive_instant_is_refused_the_same_way_on_both_paths():
    naive = datetime(2024, 2, 7, 9, 15)
    two_steps = _two_steps()
    with pytest.raises(ValueError, match="naive datetime") as one:
        UTCDateTime.sqlite_text(naive)
    with pytest.raises(ValueError, match="naive datetime") as other:
        two_steps(naive)
    assert str(one.value) == str(other.value)


def test_instants_upserted_read_back_as_the_same_utc_moments(engine):
    moments = _instants(200)
    rows = [
        {"system": "ioffice", "stream": f"s{i}", "cursor": "x", "updated_at": moment}
        for i, moment in enumerate(moments)
    ]
    with engine.begin() as conn:
        upsert.upsert(conn, sync_cursors, rows, key=("system", "stream"))
    with engine.connect() as conn:
        stored = dict(conn.execute(select(sync_cursors.c.stream, sync_cursors.c.updated_at)).all())
    for i, moment in enumerate(moments):
        assert stored[f"s{i}"] == moment and stored[f"s{i}"].tzinfo == UTC
