"""Runs whose process died are marked as such at the next start, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from store import queries
from store.tables import runs

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _run(engine, run_id: int):
    with engine.connect() as conn:
        return conn.execute(select(runs).where(runs.c.id == run_id)).one()


def _pretend(engine, run_id: int, worker: str, heartbeat: datetime, fetched: int = 0) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(runs)
            .where(runs.c.id == run_id)
            .values(worker=worker, heartbeat_at=heartbeat, fetched=fetched)
        )


def test_a_run_of_a_vanished_process_is_marked_died_with_its_counts(engine):
    gone = queries.start_run(engine, "sync", NOW, "ioffice", "incoming")
    # A process id that cannot exist on this machine (above the kernel's pid_max).
    _pretend(engine, gone, f"{queries.this_worker().rpartition(':')[0]}:99999999",
             NOW + timedelta(minutes=2), fetched=250)  # fmt: skip
    queries.start_run(engine, "sync", NOW + timedelta(minutes=5), "ioffice", "incoming")
    died = _run(engine, gone)
    assert died.status == "died"
    assert died.fetched == 250
    assert died.finished_at == NOW + timedelta(minutes=2)
    assert "stopped without finishing" in died.error


def test_runs_elsewhere_are_judged_by_their_last_progress(engine):
    stale = queries.start_run(engine, "sync", NOW, "tracking", "tasks")
    alive = queries.start_run(engine, "push", NOW)
    _pretend(engine, stale, "another-host:123", NOW)
    _pretend(engine, alive, "another-host:456", NOW + timedelta(minutes=50))
    mine = queries.start_run(engine, "sync", NOW + timedelta(minutes=55), "ioffice", "incoming")

    marked = queries.mark_dead_runs(engine, NOW + timedelta(minutes=61))
    assert marked == [stale]
    assert _run(engine, stale).status == "died"
    assert _run(engine, alive).status == "running"
    assert _run(engine, mine).status == "running"  # this process is alive


def test_a_run_marked_died_that_finishes_after_all_is_finished(engine):
    slow = queries.start_run(engine, "push", NOW)
    _pretend(engine, slow, "another-host:1", NOW)
    assert queries.mark_dead_runs(engine, NOW + timedelta(hours=2)) == [slow]
    queries.finish_run(engine, slow, NOW + timedelta(hours=2), {"pushed": 3})
    assert (_run(engine, slow).status, _run(engine, slow).pushed) == ("succeeded", 3)


def test_an_error_with_a_nul_still_finishes_its_run(engine):
    run_id = queries.start_run(engine, "sync", NOW, "ioffice", "incoming")
    queries.finish_run(engine, run_id, NOW, {}, error="ValueError: bad \x00 byte " + "x" * 9000)
    finished = _run(engine, run_id)
    assert finished.status == "failed" and "\\x00" in finished.error
    assert len(finished.error) <= 4000
