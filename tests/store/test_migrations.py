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


def test_a_store_at_head_is_left_without_reading_the_revision_scripts(store_url, monkeypatch):
    """Every flow run calls upgrade: at head it is one query, and Alembic is not run at all."""

    def alembic_ran(*_args, **_kwargs):
        raise AssertionError("Alembic ran on a store already at head")

    monkeypatch.setattr(database.command, "upgrade", alembic_ran)
    database.upgrade(store_url)  # the store fixture is migrated: nothing to do
    assert database.current_revision(store_url) == max(database.latest_revisions())


def test_a_store_behind_head_is_still_migrated(store_url):
    config = database.alembic_config(store_url)
    (head,) = database.latest_revisions()
    previous = ScriptDirectory.from_config(config).get_revision(head).down_revision
    engine = database.connect(store_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        database.command.downgrade(config, previous)
    engine.dispose()
    assert database.current_revision(store_url) == previous
    database.upgrade(store_url)
    assert database.current_revision(store_url) == max(database.latest_revisions())
