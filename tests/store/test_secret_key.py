"""The store's HMAC key for secret digests is made once, even by two runs at the same moment.

Found by CI (stop 25): on a fresh PostgreSQL store, a tracking run reconciling and an iOffice run
writing its first secret page both found no key and both inserted one; the second failed on the
primary key and its whole flow run failed. Real SQLite and PostgreSQL, two real connections.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import event, select

from store import secret_digests
from store.tables import secret_keys

NOW = datetime(2026, 12, 3, 21, 0, tzinfo=UTC)


def test_two_runs_making_the_key_at_once_both_use_the_one_kept(engine) -> None:
    about_to_insert = threading.Event()
    second: dict[str, object] = {}

    def the_other_run() -> None:
        try:
            with engine.begin() as conn:

                @event.listens_for(conn, "before_cursor_execute")
                def _inserting(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
                    if statement.lstrip().upper().startswith("INSERT"):
                        about_to_insert.set()

                second["key"] = secret_digests._key(conn, NOW)
        except Exception as error:  # the assertion below reports it
            second["error"] = error
        finally:
            about_to_insert.set()

    with engine.begin() as conn:
        first = secret_digests._key(conn, NOW)  # written, not yet committed
        other = threading.Thread(target=the_other_run)
        other.start()
        # The other run has looked, found no key (ours is not committed), and now inserts its
        # own; it waits on our row lock until we commit.
        assert about_to_insert.wait(30), "the other run never tried to make a key"
    other.join(60)

    assert not other.is_alive()
    assert "error" not in second, type(second.get("error")).__name__
    assert second["key"] == first
    with engine.connect() as conn:
        kept = conn.execute(select(secret_keys.c.key)).scalars().all()
    assert [bytes.fromhex(k) for k in kept] == [first]


def test_the_key_is_made_once_and_then_read(engine) -> None:
    with engine.begin() as conn:
        made = secret_digests._key(conn, NOW)
    with engine.begin() as conn:
        assert secret_digests._key(conn, NOW) == made
    assert len(made) == 32
