"""A push under a flaky target stays within its share of the schedule and the outbox drains
over later runs; senders work concurrently within each system's limit (issues 17 and 19).

Time is the simulators' clock: every request moves it forward (``request_cost_s``), the push
measures its budget and the rows' back-off on it, and the test moves it to the next scheduled
run. Nothing here measures or asserts the wall clock.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bridge.settings import load_settings
from connectors.http import RetryPolicy, Timeouts
from connectors.tracking import LgspToken, TrackingConnector
from pipelines import orchestration, push
from simulators.harness import SimulatorCluster
from store import outbox as outbox_store
from store import queries
from store.queries import OutboxItem
from store.tables import outbox, runs

ONCE = RetryPolicy(max_attempts=1)  # what push_step gives its connectors: no inline retries
SHORT = Timeouts(connect_s=2, read_s=5)
SCHEDULE = timedelta(minutes=5)  # the office-hours sync interval
BUDGET = SCHEDULE / 2  # [push] budget_share = 0.5
WORKERS = 4
ROWS = 143  # the finding: 143 pushes took 310 s with 50% transient faults
REQUESTS_PER_ROW = 3  # at most: a token (a sender's first row), the write, its read-back


@pytest.fixture
def sim():
    # One world per test: completions close tasks, and the clock only moves forward.
    with SimulatorCluster(size=800, seed=17) as cluster:
        yield cluster


def _connect(sim):
    def connect(system: str) -> TrackingConnector:
        assert system == "tracking"
        token = LgspToken(sim.token_url, **sim.tracking_credentials, policy=ONCE, timeouts=SHORT)
        return TrackingConnector(sim.tracking_url, token=token, policy=ONCE, timeouts=SHORT)

    return connect


def _sim_clock(sim):
    return lambda: datetime.fromisoformat(sim.now())


def _completions(sim, count: int) -> list[OutboxItem]:
    open_ids = [t["id"] for t in sim.ground_truth("tasks") if t["status"] != "DONE"]
    assert len(open_ids) >= count
    now = sim.now()
    return [
        OutboxItem(
            idempotency_key=f"completion:{task_id}:{uuid.uuid4().hex[:8]}",
            target_system="tracking",
            operation="report_completion",
            target_id=task_id,
            payload={
                "task_id": task_id,
                "completed_at": now,
                "evidence": {
                    "NumberNotation": "15/STTTT-VP",
                    "IssuerCode": "000.00.30.H41",
                    "IssuedAt": now,
                    "Abstract": "V/v báo cáo kết quả",
                },
            },
        )
        for task_id in open_ids[:count]
    ]


def _progress_reports(sim, count: int) -> list[OutboxItem]:
    open_ids = [t["id"] for t in sim.ground_truth("tasks") if t["status"] != "DONE"]
    return [
        OutboxItem(
            idempotency_key=f"progress:{task_id}:{uuid.uuid4().hex[:8]}",
            target_system="tracking",
            operation="report_progress",
            target_id=task_id,
            payload={
                "task_id": task_id,
                "text": "Đang thực hiện",
                "percent": 40,
                "reported_at": sim.now(),
            },
        )
        for task_id in open_ids[-count:]
    ]


def _states(engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(conn.execute(select(outbox.c.state)).scalars())


@pytest.mark.slow
def test_under_half_failing_writes_each_run_keeps_its_budget_and_the_outbox_drains(sim, engine):
    clock = _sim_clock(sim)
    items = _completions(sim, ROWS)
    queries.enqueue_outbox(engine, items, clock())
    sim.set_request_cost(1)  # every request takes a simulated second
    sim.set_faults("tracking", http_5xx={"rate": 0.5})
    # Capped at one schedule interval here, so that a row is tried about once a run.
    backoff = push.Backoff(timedelta(minutes=1), SCHEDULE, random.Random(17))
    # A row's budget overrun is its sends under way when time runs out: one row per sender.
    tail = timedelta(seconds=WORKERS * REQUESTS_PER_ROW)

    done_by_run, runs = [], []
    # An attempt succeeds when both the write and its read-back get through: 1 in 4. Of 143
    # rows the unluckiest may need dozens of attempts, about one a run.
    for _ in range(100):
        started = clock()
        counts = push.push_due(
            engine, {"tracking": _connect(sim)("tracking")}, max_attempts=100,
            workers={"tracking": WORKERS}, connect=_connect(sim), budget=BUDGET,
            backoff=backoff, clock=clock,
        )  # fmt: skip
        spent = clock() - started
        runs.append((spent, counts))
        assert spent <= BUDGET + tail < SCHEDULE, f"a run took {spent} of the simulated clock"
        # Rows, not attempts: every row this run touched has exactly one outcome.
        assert counts.claimed == counts.done + counts.retrying + counts.dead + counts.lost
        assert counts.dead == counts.lost == 0
        if counts.out_of_time:
            assert counts.left == sum(outbox_store.due_counts(engine, clock()).values()) > 0
        else:
            assert counts.left == 0
        done_by_run.append(counts.done)
        if _states(engine) == Counter({"done": ROWS}):
            break
        sim.advance(until=started + SCHEDULE)  # the next scheduled run

    assert _states(engine) == Counter({"done": ROWS}), f"not drained after {len(runs)} runs"
    assert sum(done_by_run) == ROWS  # each row counted done once, in the run that sent it
    first = runs[0][1]
    assert first.out_of_time == ["tracking"] and first.left > 0, "one run should not do it all"
    assert len(runs) > 2, "the outbox should have drained over several runs"
    # Each task's completion applied once; every resend after a lost answer only replayed.
    applied = Counter(
        w["idempotency_key"] for w in sim.ground_truth("writes") if w["outcome"] == "applied"
    )
    assert all(applied[item.idempotency_key] == 1 for item in items)
    print(f"\n{len(runs)} runs of at most {max(s for s, _ in runs)} (budget {BUDGET}); "
          f"done per run {done_by_run}; first run left {first.left}")  # fmt: skip


def test_senders_work_concurrently_within_the_systems_limit(sim, engine):
    items = _progress_reports(sim, 6 * WORKERS)
    queries.enqueue_outbox(engine, items, _sim_clock(sim)())
    # A short latency on every answer makes concurrent senders overlap at the server.
    sim.set_faults("tracking", latency={"rate": 1.0, "ms": 50})
    sim.reset_load()

    began = time.perf_counter()
    counts = push.push_due(
        engine, {"tracking": _connect(sim)("tracking")}, max_attempts=3,
        workers={"tracking": WORKERS}, connect=_connect(sim),
    )  # fmt: skip
    elapsed = time.perf_counter() - began

    assert counts.done == len(items)
    peak = sim.peak_in_flight("tracking")
    assert 1 < peak <= WORKERS, f"peak in flight {peak}"
    print(f"\n{counts.done} rows in {elapsed:.2f} s = {counts.done / elapsed:.0f} rows/s with "
          f"{WORKERS} senders and 50 ms per answer; peak in flight {peak}")  # fmt: skip


def test_without_a_connector_factory_a_system_has_one_sender(sim, engine):
    items = _progress_reports(sim, 8)
    queries.enqueue_outbox(engine, items, _sim_clock(sim)())
    sim.set_faults("tracking", latency={"rate": 1.0, "ms": 30})
    sim.reset_load()
    counts = push.push_due(
        engine, {"tracking": _connect(sim)("tracking")}, max_attempts=3,
        workers={"tracking": WORKERS},
    )  # fmt: skip
    assert counts.done == len(items)
    assert sim.peak_in_flight("tracking") == 1


def test_a_scheduled_push_records_in_rows_what_its_spent_budget_left(sim, engine):
    """push_step as a sync run calls it: settings' senders, budget and single attempts; the
    push's run record says how many rows were left for the next run."""
    settings = load_settings(
        tracking={**sim.client_settings("tracking"), "push_workers": 2},
        push={"budget_s": 1e-6},  # spent before any sender's second row
    )
    items = _progress_reports(sim, 12)
    queries.enqueue_outbox(engine, items, datetime.now(UTC))

    counts = orchestration.push_step(orchestration.Run(settings, engine, logging.getLogger("test")))

    assert counts.out_of_time == ["tracking"]
    assert counts.done <= 2  # at most one row per sender started before the budget was spent
    assert counts.left == len(items) - counts.done
    with engine.connect() as conn:
        record = conn.execute(select(runs).where(runs.c.kind == "push")).one()
    assert (record.pushed, record.failed, record.retrying, record.left_for_later) == (
        counts.done, 0, 0, counts.left,
    )  # fmt: skip
    assert _states(engine) == Counter({"pending": counts.left, "done": counts.done})
