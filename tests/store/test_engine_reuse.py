"""Each run opens the store through operations.opened: one engine per store URL in a process,
so what it compiled is reused by the next run, and no connection outlives a run."""

from __future__ import annotations

from sqlalchemy import select, text

from store import operations
from store.tables import documents


def _compiled_statements(engine) -> int:
    return len(engine._compiled_cache)  # SQLAlchemy's per-engine LRU of compiled statements


def test_the_next_run_reuses_the_engine_and_what_it_compiled(store_url):
    query = select(documents.c.id).where(documents.c.system == "x")
    with operations.opened(store_url, migrate=False) as engine:
        with engine.connect() as conn:
            conn.execute(query).all()
        compiled = _compiled_statements(engine)
    assert compiled >= 1
    with operations.opened(store_url, migrate=False) as again:
        assert again is engine
        with again.connect() as conn:
            conn.execute(query).all()
        assert _compiled_statements(again) == compiled  # a cache hit, nothing compiled again


def test_no_connection_outlives_a_run(store_url):
    with operations.opened(store_url) as engine:
        with engine.connect() as conn:
            conn.execute(select(documents.c.id)).all()
        assert engine.pool.checkedin() >= 1
    assert engine.pool.checkedin() == 0  # the pool was emptied when the run ended
    with operations.opened(store_url, migrate=False) as engine, engine.connect() as conn:
        assert conn.execute(select(documents.c.id)).all() == []  # and it opens again
        if engine.dialect.name == "sqlite":  # with the store's pragmas on its new connections
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_a_process_keeps_a_few_engines_at_most(tmp_path):
    urls = [f"sqlite:///{tmp_path}/store-{i}.db" for i in range(operations._MAX_ENGINES + 3)]
    first = None
    for url in urls:
        with operations.opened(url) as engine:
            first = first or engine
    assert len(operations._ENGINES) <= operations._MAX_ENGINES
    with operations.opened(urls[0], migrate=False) as engine:
        assert engine is not first  # the oldest was dropped and is opened anew
