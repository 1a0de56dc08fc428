"""Ingest against the simulators into SQLite and PostgreSQL: complete, idempotent, cursor-safe."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from connectors.http import RetryPolicy
from connectors.ioffice import IOfficeConnector
from connectors.tracking import LgspToken, TrackingConnector
from pipelines import sync
from simulators.harness import SimulatorCluster
from store import queries
from store.tables import assignments, dead_letters, directives, documents, runs, tasks

FAST = RetryPolicy(max_attempts=4, backoff_initial_s=0.01, backoff_max_s=0.05)


@pytest.fixture
def sim():
    with SimulatorCluster(size=300, seed=21) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def catalog():
    return sync.Catalog.load()


def ioffice(sim) -> IOfficeConnector:
    return IOfficeConnector(sim.ioffice_url, **sim.ioffice_credentials, policy=FAST, page_size=50)


def _count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def _ids(engine, table, *where) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(table.c.source_id).where(*where)).scalars())


def _truth(sim, kind: str, secret: bool | None = None) -> set[str]:
    rows = list(sim.ground_truth(kind))
    if secret is not None:
        rows = [r for r in rows if bool(r.get("secrecy")) == secret]
    return {str(r["id"]) for r in rows}


def test_a_first_sync_stores_every_ordinary_document_and_counts_the_secret_ones(
    sim, engine, catalog
):
    results = sync.sync_system(engine, ioffice(sim), catalog)
    incoming = results["incoming"]
    ordinary, secret = _truth(sim, "documents", False), _truth(sim, "documents", True)
    stored = _ids(engine, documents, documents.c.direction == "incoming")
    rejected = _ids(engine, dead_letters, dead_letters.c.stream == "incoming")
    assert stored | rejected == ordinary and not stored & rejected
    assert incoming.secret_skipped == len(secret)
    assert len(rejected) <= len(ordinary) // 20, f"too many rejects: {sorted(rejected)[:5]}"
    # Secret directives are skipped like any secret record (docs/domain.md §3).
    assert _ids(engine, directives) == _truth(sim, "directives", False)
    assert _count(engine, assignments, assignments.c.role == "main") == len(
        _truth(sim, "directives", False)
    )
    assert results["directives"].secret_skipped == len(_truth(sim, "directives", True)) > 0
    with engine.connect() as conn:
        assert queries.get_cursor(conn, "ioffice", "incoming").endswith("+07:00")
        assert conn.execute(select(func.count()).select_from(runs)).scalar_one() == 3


def test_a_second_sync_rereads_the_overlap_and_writes_nothing(sim, engine, catalog):
    sync.sync_system(engine, ioffice(sim), catalog)
    with engine.connect() as conn:
        updated = conn.execute(select(func.max(documents.c.updated_at))).scalar_one()
    again = sync.sync_system(engine, ioffice(sim), catalog)["incoming"]
    assert again.fetched > 0 and again.new == again.changed == 0
    assert again.unchanged + again.rejected + again.secret_skipped == again.fetched
    with engine.connect() as conn:
        assert conn.execute(select(func.max(documents.c.updated_at))).scalar_one() == updated


def test_what_arrives_as_the_clock_moves_is_found(sim, engine, catalog):
    sync.sync_system(engine, ioffice(sim), catalog, streams=["incoming"])
    before = _count(engine, documents)
    sim.advance(minutes=3 * 24 * 60)
    later = sync.sync_system(engine, ioffice(sim), catalog, streams=["incoming"])["incoming"]
    assert later.new > 0
    assert _count(engine, documents) == before + later.new
    stored = _ids(engine, documents) | _ids(engine, dead_letters)
    assert stored == _truth(sim, "documents", False)


@pytest.mark.parametrize("fault", ["duplicate", "shifting", "truncated", "http_5xx"])
def test_paging_faults_still_converge(sim, engine, catalog, fault):
    sim.set_faults("ioffice", **{fault: {"rate": 0.3}})
    sync.sync_system(engine, ioffice(sim), catalog, streams=["incoming"])
    sim.clear_faults()
    stored = _ids(engine, documents) | _ids(engine, dead_letters)
    assert stored == _truth(sim, "documents", False)


def test_a_malformed_record_goes_to_the_dead_letters_naming_the_field(sim, engine, catalog):
    sim.set_faults("ioffice", malformed={"next": 2})
    counts = sync.sync_system(engine, ioffice(sim), catalog, streams=["incoming"])["incoming"]
    assert counts.rejected >= 1
    with engine.connect() as conn:
        reasons = conn.execute(select(dead_letters.c.reason)).scalars().all()
    assert any("ioffice/incoming" in r and "field '" in r and "value:" in r for r in reasons)
    stored = _ids(engine, documents) | _ids(engine, dead_letters)
    assert stored == _truth(sim, "documents", False)


def test_a_record_corrupted_in_transit_heals_on_the_second_read(sim, engine, catalog):
    sim.set_faults("ioffice", malformed={"next": 2})
    connector = ioffice(sim)
    sync.sync_system(engine, connector, catalog, streams=["incoming"])
    rejected = _ids(engine, dead_letters, dead_letters.c.resolved_at.is_(None))
    assert rejected, "the fault should have corrupted at least one record"
    assert not rejected & _ids(engine, documents)

    healed = sync.reread_rejected(engine, connector, catalog)["incoming"]

    assert healed.fetched == len(rejected) and healed.rejected == 0
    assert _ids(engine, dead_letters, dead_letters.c.resolved_at.is_(None)) == set()
    assert _ids(engine, documents) == _truth(sim, "documents", False)
    assert sync.reread_rejected(engine, connector, catalog) == {}


def test_a_resync_of_ids_reads_them_again_without_moving_the_cursor(sim, engine, catalog):
    connector = ioffice(sim)
    sync.sync_system(engine, connector, catalog, streams=["incoming"])
    with engine.connect() as conn:
        cursor = queries.get_cursor(conn, "ioffice", "incoming")
    some = sorted(_ids(engine, documents))[:3]
    counts = sync.resync(engine, connector, catalog, stream="incoming", ids=some)
    assert counts.fetched == 3 and counts.unchanged == 3
    with engine.connect() as conn:
        assert queries.get_cursor(conn, "ioffice", "incoming") == cursor
        kinds = conn.execute(select(runs.c.kind)).scalars().all()
    assert kinds.count("resync") == 1


def test_tracking_tasks_are_synced_with_units_mapped(sim, engine, catalog):
    token = LgspToken(sim.token_url, **sim.tracking_credentials, policy=FAST)
    connector = TrackingConnector(sim.tracking_url, token=token, policy=FAST, page_size=50)
    counts = sync.sync_system(engine, connector, catalog)["tasks"]
    assert counts.rejected == 0
    assert _ids(engine, tasks) == _truth(sim, "tasks")
    with engine.connect() as conn:
        leads = set(conn.execute(select(tasks.c.lead_unit_id)).scalars())
    assert leads <= {"VP", "KHTC", "BCVT", "CNTT", "TTBC", "TTRA", "TTCNTT"}
