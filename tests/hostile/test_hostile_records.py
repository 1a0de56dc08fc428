"""Hostile records over real HTTP, through the real connectors, into SQLite and PostgreSQL.

Each case puts one hostile value into the middle record of a page the simulator serves (a
broken upstream, issue 18): the record ends as a dead letter whose reason names the field,
every other record of that page and of the later pages is stored, the cursor moves on and the
run succeeds.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from connectors.http import RetryPolicy
from connectors.ioffice import IOfficeConnector
from connectors.tracking import LgspToken, TrackingConnector
from pipelines import sync
from simulators.harness import SimulatorCluster
from store import queries
from store.tables import dead_letters, documents, runs, tasks

FAST = RetryPolicy(max_attempts=3, backoff_initial_s=0.01, backoff_max_s=0.05)
PAGE = 10


@pytest.fixture(scope="module")
def sim():
    with SimulatorCluster(size=60, seed=18) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def catalog():
    return sync.Catalog.load()


def _ioffice(sim) -> IOfficeConnector:
    return IOfficeConnector(sim.ioffice_url, **sim.ioffice_credentials, policy=FAST,
                            page_size=PAGE)  # fmt: skip


def _tracking(sim) -> TrackingConnector:
    token = LgspToken(sim.token_url, **sim.tracking_credentials, policy=FAST)
    return TrackingConnector(sim.tracking_url, token=token, policy=FAST, page_size=PAGE)


def _letters(engine, stream: str) -> list:
    with engine.connect() as conn:
        return conn.execute(
            select(dead_letters).where(dead_letters.c.stream == stream)
        ).all()  # fmt: skip


def _ids(engine, table) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(table.c.source_id)).scalars())


def _runs_all_succeeded(engine) -> bool:
    with engine.connect() as conn:
        statuses = conn.execute(select(runs.c.status, func.count()).group_by(runs.c.status)).all()
    return dict(statuses).keys() == {"succeeded"}


def _ordinary(sim, kind: str) -> set[str]:
    return {str(r["id"]) for r in sim.ground_truth(kind) if not r.get("secrecy")}


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


# field -> JSON text sent, what the dead letter's reason must name
IOFFICE_CASES = {
    "nul_in_text": ({"trichYeu": '"Về việc \\u0000 thử"'}, ["abstract", "NUL"]),
    "nul_in_id": ({"id": '"VBD\\u0000X"'}, ["source_id", "NUL"]),
    "lone_surrogate": ({"trichYeu": '"Về việc \\ud800 thử"'}, ["abstract", "\\ud800"]),
    "incoming_number_too_long": ({"soDen": json.dumps("9" * 40)}, ["incoming_number", "32"]),
    "unit_id_too_long": (
        {"donViXuLyChinh": json.dumps({"id": "U" * 70, "ten": "Phòng X"})},
        ["unit_id", "64"],
    ),
    "id_too_long": ({"id": json.dumps("X" * 200)}, ["source_id", "128"]),
    "deep_nesting": ({"dinhKem": _deep(500)}, ["dinhKem", "nested deeper"]),
    "wrong_type": ({"ngayDen": '{"ngay": 1}'}, ["received_at", "ngayDen"]),
    "nan": ({"soTrang": "NaN"}, ["soTrang", "finite"]),
    "id_not_text": ({"id": '{"ma": 1}'}, ["source_id", "not a text or a number"]),
    "key_with_nul": ({"ghiChu": '{"a\\u0000": 1}'}, ["ghiChu", "field name", "NUL"]),
}


@pytest.mark.parametrize("case", sorted(IOFFICE_CASES))
def test_a_hostile_ioffice_record_is_a_dead_letter_and_the_rest_arrives(sim, engine, catalog, case):
    fields, named = IOFFICE_CASES[case]
    sim.inject("ioffice", "incoming", fields)
    results = sync.sync_system(engine, _ioffice(sim), catalog, streams=["incoming"])
    hit = sim.injected("ioffice")[-1][1]

    letters = _letters(engine, "incoming")
    assert len(letters) == 1, [letter.reason for letter in letters]
    reason = letters[0].reason
    assert all(word in reason for word in named), reason
    # The raw record is kept for whoever repairs it, in a form both databases store, except
    # one the connector could not read at all (too deep): its secrecy was never settled, so
    # nothing of it is kept (docs/secrecy.md).
    kept = json.dumps(letters[0].payload, ensure_ascii=False)
    assert (letters[0].payload is not None or case == "deep_nesting") and "\x00" not in kept
    assert len(letters[0].source_id) <= 128
    assert results["incoming"].rejected == 1
    # Every other ordinary document, on the same page and on later pages, is stored.
    assert _ids(engine, documents) == _ordinary(sim, "documents") - {hit}
    assert _runs_all_succeeded(engine)
    with engine.connect() as conn:
        cursor = queries.get_cursor(conn, "ioffice", "incoming")
        latest = conn.execute(select(func.max(documents.c.changed_at))).scalar_one()
    assert cursor is not None and datetime.fromisoformat(cursor) >= latest


def test_a_page_marker_that_is_not_a_date_keeps_the_page_and_moves_on(sim, engine, catalog):
    sim.inject("ioffice", "incoming", marker='"không phải ngày"')
    results = sync.sync_system(engine, _ioffice(sim), catalog, streams=["incoming"])
    letters = _letters(engine, "incoming")
    assert [("marker" in r.reason and "không phải ngày" in r.reason) for r in letters] == [True]
    assert results["incoming"].rejected == 0
    assert _ids(engine, documents) == _ordinary(sim, "documents")
    assert _runs_all_succeeded(engine)
    with engine.connect() as conn:
        cursor = queries.get_cursor(conn, "ioffice", "incoming")
        latest = conn.execute(select(func.max(documents.c.changed_at))).scalar_one()
    assert cursor is not None and datetime.fromisoformat(cursor) >= latest


TRACKING_CASES = {
    "revision_overflow": ({"Revision": "99999999999999999999"}, ["revision", "2147483647"]),
    "lead_unit_too_long": ({"LeadUnit/UnitId": "TD-" + "X" * 140}, ["lead_unit_id", "128"]),
    "revision_not_a_number": ({"Revision": "ba"}, ["revision"]),
}


@pytest.mark.parametrize("case", sorted(TRACKING_CASES))
def test_a_hostile_task_is_a_dead_letter_and_the_rest_arrives(sim, engine, catalog, case):
    fields, named = TRACKING_CASES[case]
    sim.inject("tracking", "tasks", fields)
    results = sync.sync_system(engine, _tracking(sim), catalog)
    hit = sim.injected("tracking")[-1][1]

    letters = _letters(engine, "tasks")
    assert [letter.source_id for letter in letters] == [hit]
    assert all(word in letters[0].reason for word in named), letters[0].reason
    assert results["tasks"].rejected == 1
    assert _ids(engine, tasks) == _ordinary(sim, "tasks") - {hit}
    assert _runs_all_succeeded(engine)
