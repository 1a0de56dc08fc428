"""The proof that a system is declared once: a fourth system, kept entirely in the tests (its
simulator, its connector module, its mapping file), is registered from outside the package
and synced end to end through ``pipelines.sync`` into SQLite and PostgreSQL, reconciled and
pushed to, with no product file naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bridge.settings import BridgeSettings, SettingsError, load_settings
from connectors import registry
from pipelines import push, reconcile, sync, systems
from store import database
from store.tables import dead_letters, documents, outbox
from tests.fourth_system.connector import SYSTEM, SYSTEM_SPEC
from tests.fourth_system.simulator import API_KEY, BROKEN_ID, ICT, FourthSystem, Served

ROOT = Path(__file__).resolve().parents[2]
RECORDS = 23


@pytest.fixture
def served():
    with Served(FourthSystem(RECORDS)) as server:
        yield server


@pytest.fixture
def registered(served, monkeypatch):
    """The fourth system registered through the public call, its section in the environment
    like any system's (``BRIDGE_FOURTH__...``); forgotten when the test ends."""
    registry.register(SYSTEM_SPEC)
    monkeypatch.setenv("BRIDGE_FOURTH__BASE_URL", served.url)
    monkeypatch.setenv("BRIDGE_FOURTH__API_KEY", API_KEY)
    yield served
    registry.unregister(SYSTEM)


def _ids(engine, table, *where) -> set[str]:
    with engine.connect() as conn:
        return {r.source_id for r in conn.execute(select(table.c.source_id).where(*where))}


def test_the_registry_gives_it_a_settings_section_a_label_and_its_mapping(registered):
    settings = load_settings()
    assert isinstance(settings, BridgeSettings)
    assert settings.fourth.api_key.get_secret_value() == API_KEY
    assert "**********" in str(settings.masked()["fourth"]["api_key"])
    assert SYSTEM in systems.configured_systems(settings)
    assert registry.label(SYSTEM) == "Hệ thống thứ tư (thử nghiệm)"
    assert SYSTEM in registry.document_systems() and registry.tracking_system() == "tracking"
    assert sync.Catalog.load().streams_of(SYSTEM) == ["incoming"]


def test_once_forgotten_it_has_no_section_and_is_unknown(registered, monkeypatch):
    registry.unregister(SYSTEM)
    assert SYSTEM not in registry.names()
    # Its variables now name no section: refused (a typo is never silently ignored).
    with pytest.raises(SettingsError, match="BRIDGE_FOURTH__BASE_URL: unknown variable"):
        load_settings()
    monkeypatch.delenv("BRIDGE_FOURTH__BASE_URL")
    monkeypatch.delenv("BRIDGE_FOURTH__API_KEY")
    assert not hasattr(load_settings(), SYSTEM)
    with pytest.raises(systems.NotConfigured, match="unknown system 'fourth'"):
        systems.build_connector(load_settings(), SYSTEM)
    registry.register(SYSTEM_SPEC)  # the fixture forgets it again


def test_the_package_systems_cannot_be_replaced_or_forgotten():
    with pytest.raises(ValueError, match="already registered"):
        registry.register(SYSTEM_SPEC.__class__("ioffice", "x", "documents", object, object))
    with pytest.raises(ValueError, match="package's systems"):
        registry.unregister("tracking")
    with pytest.raises(ValueError, match="only one task-tracking system"):
        registry.register(SYSTEM_SPEC.__class__("other", "x", "tasks", object, object))


def test_it_syncs_end_to_end_into_the_store_and_takes_its_deadlines(registered, engine):
    served = registered
    settings = load_settings()
    connector = systems.build_connector(settings, SYSTEM)
    catalog = sync.Catalog.load()

    first = sync.sync_system(engine, connector, catalog)
    assert first["incoming"].fetched == RECORDS
    expected = {f"D-{n:04d}" for n in range(1, RECORDS + 1)} - {BROKEN_ID}
    assert _ids(engine, documents, documents.c.system == SYSTEM) == expected
    # The record whose date is no date is a dead letter naming the field; the rest went on.
    with engine.connect() as conn:
        letters = conn.execute(
            select(dead_letters).where(dead_letters.c.system == SYSTEM)
        ).all()  # fmt: skip
    assert [letter.source_id for letter in letters] == [BROKEN_ID]
    assert "promulgation_date" in letters[0].reason

    again = sync.sync_system(engine, connector, catalog)
    assert again["incoming"].new == 0 and again["incoming"].changed == 0
    # Read one by one, as its connector declares: the rejected record once more, then by id.
    reread = sync.reread_rejected(engine, connector, catalog)
    assert reread["incoming"].fetched == 1 and reread["incoming"].rejected == 1
    by_id = sync.resync(engine, connector, catalog, stream="incoming", ids=["D-0003"])
    assert by_id.fetched == 1 and by_id.rejected == 0

    # Reconcile computes the missing processing deadlines; push sends them with their keys and
    # confirms each through the read-back the connector declares.
    now = datetime(2024, 3, 1, 12, 0, tzinfo=ICT)
    report = reconcile.reconcile(engine, now)
    assert report.deadlines_queued == len(expected)
    counts = push.push_due(engine, {SYSTEM: connector}, max_attempts=3, clock=lambda: now)
    assert counts.done == len(expected) and counts.dead == 0
    assert sorted(served.system.writes.values()) == [1] * len(expected)  # each key sent once
    written = {r["docId"] for r in served.system.records if r["deadline"]}
    assert written == expected
    with engine.connect() as conn:
        states = {r.state for r in conn.execute(select(outbox.c.state))}
    assert states == {"done"}
    assert push.describe("set_processing_deadline", SYSTEM, {"document_id": "D-0001"}).startswith(
        "[Hệ thống thứ tư (thử nghiệm)]"
    )


@pytest.mark.slow
def test_the_bridge_command_offers_it_when_named_in_bridge_extra_systems(served, tmp_path):
    """A separate process: the module named in BRIDGE_EXTRA_SYSTEMS adds its system to the
    CLI's choices and the settings' sections, and `bridge sync` reads it into the store."""
    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BRIDGE_EXTRA_SYSTEMS": "tests.fourth_system.connector",
        "BRIDGE_FOURTH__BASE_URL": served.url,
        "BRIDGE_FOURTH__API_KEY": API_KEY,
        "BRIDGE_DATABASE_URL": url,
    }
    for name in registry.names():  # only the fourth system is configured in that process
        environment.pop(f"BRIDGE_{name.upper()}__BASE_URL", None)

    def bridge(*arguments: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "cli", *arguments]
        return subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True,
                              text=True, timeout=300)  # fmt: skip

    synced = bridge("sync")
    assert synced.returncode in (0, 1), synced.stderr  # 1: the dead letter is reported
    assert "fourth" in synced.stdout
    resynced = bridge("resync", "--system", "fourth", "--ids", "D-0002")
    assert resynced.returncode == 0, resynced.stderr
    assert API_KEY not in synced.stdout + synced.stderr + resynced.stdout + resynced.stderr
    engine = database.connect(url)
    try:
        assert len(_ids(engine, documents, documents.c.system == SYSTEM)) == RECORDS - 1
    finally:
        engine.dispose()
