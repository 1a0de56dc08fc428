"""The Alembic migration creates exactly the tables the code declares, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from store import database
from store.tables import metadata


def test_migration_matches_the_declared_tables(store_url):
    engine = database.connect(store_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert differences == []


def test_upgrade_twice_is_harmless_and_reports_head(store_url):
    database.upgrade(store_url)
    head = ScriptDirectory.from_config(database.alembic_config(store_url)).get_current_head()
    assert database.current_revision(store_url) == head
    engine = database.connect(store_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(metadata.tables) <= tables
