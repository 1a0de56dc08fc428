"""Connecting to the store and bringing its schema up to date (Alembic)."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def connect(url: str, **engine_options: object) -> Engine:
    """An engine for the store at ``url``; for SQLite, the file's folder is created first.

    SQLite gets WAL (readers do not block the writer) synced at checkpoints, a busy timeout (a
    second process waits instead of failing at once) and foreign keys switched on, which SQLite
    leaves off by default.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **engine_options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **engine_options)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL's recommended level: a commit is not synced on its own (a power cut may lose the
    # last ones, never consistency; a push's lost "done" is resent and answered "replayed").
    # Push's senders commit a few times a row.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is an ini parser: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head", *, engine: Engine | None = None) -> None:
    """Create the store or migrate it to ``revision``; safe to run on every start.

    Every flow run calls it; a store already at the latest revision is left after one query
    (Alembic itself reads every revision script first: 2.5 % of the demo's CPU did that).
    Given the run's ``engine`` it uses that one (left open for the run) instead of one of its
    own: no extra connection to the store per run."""
    own = engine is None
    engine = connect(url) if engine is None else engine
    try:
        with engine.begin() as connection:
            if revision == "head" and _current_heads(connection) == latest_revisions():
                return
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        if own:
            engine.dispose()


@functools.cache
def latest_revisions() -> frozenset[str]:
    """The head revision(s) of this code's migrations (read once: they ship with the code)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def _current_heads(connection) -> frozenset[str]:  # type: ignore[no-untyped-def]
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def current_revision(url: str) -> str | None:
    engine = connect(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


EMPTY_STORE = "the store is empty: run `bridge db upgrade`"


class StoreEmpty(RuntimeError):
    """The store has no schema yet: nothing was ever synced or upgraded."""

    def __init__(self) -> None:
        super().__init__(EMPTY_STORE)


def require_schema(url: str) -> None:
    """Raise ``StoreEmpty`` unless the store has its tables (commands that only read call it
    rather than creating the schema: reading changes nothing)."""
    if current_revision(url) is None:
        raise StoreEmpty


def shown_url(url: str) -> str:
    """``url`` safe to print: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(the configured database)"


def describe_store_error(exc: DBAPIError, url: str) -> str:
    """One line for a database error a person can act on, naming the store without its
    password: a missing table is an empty store, anything else is a store not reached."""
    original = exc.orig if exc.orig is not None else exc
    first = (str(original).strip().splitlines() or [type(original).__name__])[0]
    if "no such table" in first or type(original).__name__ == "UndefinedTable":
        return EMPTY_STORE
    password = make_url(url).password if url else None
    if password:
        first = first.replace(str(password), "***")
    if url and make_url(url).get_backend_name() == "sqlite":
        fix = "check BRIDGE_DATABASE_URL (or var_dir) and that the file can be read and written"
    else:
        fix = "check BRIDGE_DATABASE_URL and that the database server is running and reachable"
    return f"cannot use the store {shown_url(url)}: {first[:200]}; {fix}"
