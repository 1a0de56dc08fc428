"""`bridge failures --retry` over the simulators, on SQLite and PostgreSQL: a dead letter is
resolved only once its record was read again (a system that does not answer leaves it open,
and says so), dead updates are queued again and then sent, choices by list, system and day;
`bridge sync` exits 1 when it leaves new rejects."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import cli
from simulators.harness import SimulatorCluster
from store import database, queries
from store.queries import DeadLetter, OutboxItem, Page
from store.tables import dead_letters, documents, outbox
from tests.integration.environment import bridge_env


@pytest.fixture
def sim():
    with SimulatorCluster(size=120, seed=31) as cluster:
        yield cluster


@pytest.fixture
def settings_env(sim, store_url, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no developer's bridge.toml
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    # One attempt each: a fault must fail at once, not after minutes of back-off.
    env = bridge_env(sim, BRIDGE_DATABASE_URL=store_url, BRIDGE_HTTP__MAX_ATTEMPTS="1",
                     BRIDGE_OUTBOX_MAX_ATTEMPTS="1")  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return store_url


def _open_letters(url: str) -> list:
    engine = database.connect(url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(select(dead_letters).where(dead_letters.c.resolved_at.is_(None)))
            )
    finally:
        engine.dispose()


def _reject_one_incoming(sim, capsys) -> str:
    """A record corrupted on the way, read by a resync (which reads no rejects again): one open
    dead letter; its tag."""
    sim.set_faults("ioffice", malformed={"next": 1})
    assert cli.main(["resync", "--system", "ioffice", "--stream", "incoming"]) == 0
    capsys.readouterr()
    sim.clear_faults()
    (letter,) = _open_letters(os.environ["BRIDGE_DATABASE_URL"])
    return f"L{letter.id}"


def _dead_completion(url: str, sim, capsys) -> str:
    """A completion the tracking system would not take (HTTP 503, one attempt): its tag."""
    task = next(t for t in sim.ground_truth("tasks") if t["status"] != "DONE")
    item = OutboxItem(
        f"completion:{task['id']}:{uuid.uuid4().hex[:8]}", "tracking", "report_completion",
        task["id"],
        {"task_id": task["id"], "completed_at": sim.now(),
         "evidence": {"NumberNotation": "15/STTTT-VP", "IssuerCode": "000.00.30.H41",
                      "IssuedAt": sim.now(), "Abstract": "V/v báo cáo kết quả"}},
    )  # fmt: skip
    engine = database.connect(url)
    queries.enqueue_outbox(engine, [item], datetime.now(UTC))
    engine.dispose()
    sim.set_faults("tracking", http_5xx={"rate": 1.0})
    assert cli.main(["push"]) == 1
    capsys.readouterr()
    sim.clear_faults()
    (failure,) = [f for f in _failures(url) if f.kind == "outbox"]
    return failure.tag


def _failures(url: str) -> list:
    engine = database.connect(url)
    try:
        return queries.list_failures(engine)
    finally:
        engine.dispose()


def test_a_dead_letter_is_resolved_only_once_its_record_was_read_again(settings_env, sim, capsys):
    tag = _reject_one_incoming(sim, capsys)
    (letter,) = _open_letters(settings_env)

    # The system does not answer: the letter stays open, and the command says so.
    sim.set_faults("ioffice", http_5xx={"rate": 1.0})
    assert cli.main(["failures", "--retry", tag]) == 1
    out = capsys.readouterr().out
    assert f"{tag}: still failing: " in out and "503" in out
    assert "resolved" not in out.split("\n")[0]
    assert [row.id for row in _open_letters(settings_env)] == [letter.id]

    # It answers again: the record is read and stored, then (only then) the letter closes.
    sim.clear_faults()
    assert cli.main(["failures", "--retry", "all", "--system", "ioffice"]) == 0
    assert f"{tag}: read again, resolved" in capsys.readouterr().out
    assert _open_letters(settings_env) == []
    engine = database.connect(settings_env)
    with engine.connect() as conn:
        stored = conn.execute(
            select(documents.c.source_id).where(documents.c.source_id == letter.source_id)
        ).scalar_one_or_none()
    engine.dispose()
    assert stored == letter.source_id
    assert cli.main(["failures"]) == 0


def test_a_list_retries_both_kinds_and_a_day_range_narrows_it(settings_env, sim, capsys):
    letter = _reject_one_incoming(sim, capsys)
    row = _dead_completion(settings_env, sim, capsys)
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert cli.main(["failures", "--retry", "all", "--since", tomorrow]) == 0
    assert "No open failure matches" in capsys.readouterr().out
    assert {f.tag for f in _failures(settings_env)} == {letter, row}

    assert cli.main(["failures", "--retry", f"{letter},{row.lower()}"]) == 0
    out = capsys.readouterr().out
    assert f"{row}: queued again" in out and f"{letter}: read again, resolved" in out
    assert "2 chosen: 1 queued again, 1 read again and resolved, 0 still failing" in out
    engine = database.connect(settings_env)
    with engine.connect() as conn:
        state, attempts = conn.execute(select(outbox.c.state, outbox.c.attempts)).one()
    assert (state, attempts) == ("pending", 0)
    engine.dispose()
    assert cli.main(["push"]) == 0
    assert "pushed: 1 done" in capsys.readouterr().out
    assert _failures(settings_env) == []


@pytest.mark.slow
def test_a_sync_that_leaves_new_rejects_exits_1(settings_env, sim, capsys):
    # iDesk reads only incoming records one by one: a corrupted outgoing record stays rejected.
    sim.set_faults("idesk", malformed={"rate": 1.0})
    assert cli.main(["sync", "idesk", "--no-reconcile"]) == 1
    out = capsys.readouterr().out
    assert "new failure(s)" in out
    stuck = [f for f in _failures(settings_env) if f.stream in ("outgoing", "directives")]
    assert stuck, _failures(settings_env)

    # Retrying them says what cannot be done from here instead of pretending.
    sim.clear_faults()
    assert cli.main(["failures", "--retry", "all"]) == 1
    out = capsys.readouterr().out
    assert f"{stuck[0].tag}: not retried: idesk cannot read {stuck[0].stream} records" in out
    assert "bridge resync --system idesk" in out
    assert {f.tag for f in _failures(settings_env)} == {f.tag for f in stuck}

    # The same sync with nothing new to reject exits 0.
    assert cli.main(["sync", "idesk", "--no-reconcile"]) == 0


def test_a_record_gone_from_its_system_stays_open_and_says_why(settings_env, capsys):
    engine = database.connect(settings_env)
    gone = DeadLetter("9999999", "field 'number_notation' (soKyHieu): missing (value: None)", {})
    queries.write_page(engine, Page("ioffice", "incoming", dead_letters=[gone]), datetime.now(UTC))
    engine.dispose()
    (letter,) = _failures(settings_env)
    assert cli.main(["failures", "--retry", "all"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{letter.tag}: still failing: ioffice") and "9999999" in out, out
    assert "0 read again and resolved, 1 still failing" in out
    (still,) = _failures(settings_env)
    assert (still.tag, still.count) == (letter.tag, 1)  # nothing was read: nothing counted again
