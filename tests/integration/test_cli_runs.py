"""`bridge sync` and `bridge push` are the runs of the flows (pipelines/orchestration.py): a sync
reads, reads rejects again, reconciles and pushes; a push records its run. On both databases."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from sqlalchemy import select

import cli
from simulators.harness import SimulatorCluster
from store import database
from store.tables import dead_letters, outbox, runs
from tests.flows.conftest import simulator_env


@pytest.fixture
def sim():
    # One world per test: the writes it counts are those of this test's store alone.
    with SimulatorCluster(size=120, seed=31) as cluster:
        yield cluster


@pytest.fixture
def settings_env(sim, store_url, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no developer's bridge.toml
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    for name, value in simulator_env(sim, store_url).items():
        monkeypatch.setenv(name, value)
    return store_url


def _kinds(url: str) -> Counter:  # type: ignore[type-arg]
    engine = database.connect(url)
    with engine.connect() as conn:
        found = Counter(conn.execute(select(runs.c.kind)).scalars())
    engine.dispose()
    return found


def test_bridge_sync_reconciles_and_pushes_like_the_flow(settings_env, sim, capsys):
    sim.set_faults("ioffice", malformed={"next": 2})  # a record corrupted on the way
    assert cli.main(["sync", "ioffice", "tracking"]) == 0
    out = capsys.readouterr().out
    assert "ioffice/incoming:" in out and "tracking/tasks:" in out
    lines = out.splitlines()
    assert sum(line.startswith("reconcile: ") for line in lines) == 2, out
    assert sum(line.startswith("pushed: ") for line in lines) == 2, out
    kinds = _kinds(settings_env)
    assert kinds["push"] == 2 and kinds["sync"] >= 2
    engine = database.connect(settings_env)
    with engine.connect() as conn:
        states = Counter(conn.execute(select(outbox.c.state)).scalars())
        letters = conn.execute(
            select(dead_letters.c.resolved_at).where(dead_letters.c.system == "ioffice")
        ).all()
    engine.dispose()
    assert states["done"] > 0 and states["pending"] == 0, states
    # The corrupted record was read again in the same run and healed by itself.
    assert letters and all(resolved is not None for (resolved,) in letters), letters
    sent = Counter(w["idempotency_key"] for w in sim.ground_truth("writes"))
    assert sent and max(sent.values()) == 1


def test_bridge_push_records_its_run(settings_env, capsys):
    assert cli.main(["push"]) == 0
    assert "pushed: 0 done" in capsys.readouterr().out
    assert _kinds(settings_env)["push"] == 1


def test_bridge_resync_dry_run_says_what_it_would_read_and_writes_nothing(
    settings_env, sim, capsys
):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from store.tables import documents

    assert cli.main(["db", "upgrade"]) == 0
    capsys.readouterr()
    today = datetime.fromisoformat(sim.now()).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    args = ["resync", "--system", "ioffice", "--stream", "incoming", "--stream", "outgoing"]
    assert cli.main([*args, "--since", str(today), "--until", str(today), "--dry-run"]) == 0
    out = capsys.readouterr().out
    first, *rest = out.splitlines()
    assert first == (
        f"resync-ioffice-incoming+outgoing-{today}..{today}-dry-run: reading incoming, outgoing "
        "of ioffice (dry run: nothing is written)"
    )
    assert any(line.startswith("ioffice/incoming: fetched ") for line in rest), out
    assert "nothing was written" in out
    assert _kinds(settings_env) == Counter()
    engine = database.connect(settings_env)
    with engine.connect() as conn:
        assert conn.execute(select(documents.c.id)).first() is None
    engine.dispose()


def test_bridge_resync_refuses_a_stream_the_system_lacks_in_one_line(settings_env, capsys):
    assert cli.main(["resync", "--system", "tracking", "--stream", "incoming"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "bridge resync: tracking has no stream 'incoming'; its streams: tasks"
    ), err
    assert "Traceback" not in err
