"""Hostile answers through the real connectors, sync and store, on SQLite and PostgreSQL
(issue 18): a record nested too deep is one dead letter and the rest arrives; a page that cannot
be read fails its run with a clear error in the run record that quotes nothing of the page.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connectors.http import ContractError, RetryableError, RetryPolicy
from connectors.ioffice import IOfficeConnector
from pipelines import sync
from simulators.harness import SimulatorCluster
from store import queries
from store.tables import dead_letters, documents, runs

FAST = RetryPolicy(max_attempts=2, backoff_initial_s=0.01, backoff_max_s=0.02)


@pytest.fixture(scope="module")
def sim():
    with SimulatorCluster(size=80, seed=13) as cluster:
        yield cluster


@pytest.fixture(autouse=True)
def _no_faults_left_over(sim):
    sim.clear_faults()
    yield
    sim.clear_faults()


@pytest.fixture(scope="module")
def catalog():
    return sync.Catalog.load()


def ioffice(sim) -> IOfficeConnector:
    connector = IOfficeConnector(sim.ioffice_url, **sim.ioffice_credentials, policy=FAST,
                                 page_size=20)  # fmt: skip
    connector.login()
    return connector


def stored_ids(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(documents.c.source_id)).scalars())


def test_a_record_nested_1200_levels_is_one_dead_letter_and_the_rest_arrives(sim, engine, catalog):
    clean = IOfficeConnector(sim.ioffice_url, **sim.ioffice_credentials, page_size=20)
    first_page = next(clean.list_changed("incoming")).records
    deep_id = str(first_page[0]["id"])
    sim.set_faults("ioffice", deep_nesting={"next": 1, "levels": 1200})
    sync.sync_system(engine, ioffice(sim), catalog, streams=["incoming"])
    with engine.connect() as conn:
        letters = conn.execute(select(dead_letters.c.source_id, dead_letters.c.reason)).all()
    assert [(sid, "nested deeper" in reason) for sid, reason in letters
            if sid == deep_id] == [(deep_id, True)]  # fmt: skip
    ordinary = {str(r["id"]) for r in first_page[1:] if isinstance(r, dict)}
    assert ordinary - {sid for sid, _ in letters} <= stored_ids(engine) | _secret_ids(sim)


def _secret_ids(sim) -> set[str]:
    return {str(d["id"]) for d in sim.ground_truth("documents") if d.get("secrecy")}


@pytest.mark.parametrize(
    ("fault", "error", "says"),
    [
        ("html_body", RetryableError, "HTML page"),
        ("invalid_utf8", ContractError, "not valid UTF-8"),
    ],
)
def test_an_unreadable_page_fails_its_run_with_a_clear_error_quoting_nothing(
    sim, engine, catalog, fault, error, says
):
    record_text = [d["number_notation"] for d in sim.ground_truth("documents")
                   if d.get("number_notation")][:30]  # fmt: skip
    connector = ioffice(sim)  # logged in: the fault is for the pages
    sim.set_faults("ioffice", **{fault: {"rate": 1.0}})
    with pytest.raises(error, match=says):
        sync.sync_system(engine, connector, catalog, streams=["incoming"])
    with engine.connect() as conn:
        (recorded,) = conn.execute(select(runs.c.error)).scalars()
        assert queries.get_cursor(conn, "ioffice", "incoming") is None
    assert "ioffice list incoming (page 1): " in recorded and says in recorded
    for text in [*record_text, sim.ioffice_credentials["password"], "Bad Gateway"]:
        assert text not in recorded
    assert stored_ids(engine) == set()
