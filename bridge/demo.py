"""`make demo`: the main job end to end against the simulators, printed for a person.

Starts the simulators for a deployment of iOffice and the tracking system, runs sync →
reconcile → push every two simulated hours through ten simulated days, and prints what was
synced, which late marks were prevented and what failed. The store is the embedded SQLite
default, in its own file (var/demo.db) made fresh each time: the simulated world restarts at
the same moment on every run, and yesterday's cursors would not fit it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from bridge.connectors.http import RetryPolicy
from bridge.connectors.ioffice import IOfficeConnector
from bridge.connectors.tracking import LgspToken, TrackingConnector
from bridge.pipelines import push, reconcile, sync
from bridge.settings import load_settings
from bridge.store import database, queries

DAYS = 10
STEP = timedelta(hours=2)
WORLD_SIZE = 600


def run_demo(days: int = DAYS, size: int = WORLD_SIZE) -> int:
    from simulators.harness import SimulatorCluster

    settings = load_settings()
    path = (settings.var_dir / "demo.db").resolve()
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    database.upgrade(url)
    engine = database.connect(url)
    began = time.monotonic()

    print(f"Store: {url} (fresh)")
    print(f"Starting the simulators: a world of {size} documents (seed 7)...")
    with SimulatorCluster(size=size, seed=7) as sim:
        policy = RetryPolicy(max_attempts=5, backoff_initial_s=0.05, backoff_max_s=1)
        token = LgspToken(sim.token_url, **sim.tracking_credentials, policy=policy)
        connectors = {
            "ioffice": IOfficeConnector(sim.ioffice_url, **sim.ioffice_credentials, policy=policy),
            "tracking": TrackingConnector(sim.tracking_url, token=token, policy=policy),
        }
        catalog = sync.Catalog.load()
        start = datetime.fromisoformat(sim.now())
        print(f"  iOffice {sim.ioffice_url}   tracking {sim.tracking_url}   clock {sim.now()}")

        print("\nFirst sync (the backlog):")
        totals = _cycle(sim, engine, connectors, catalog, verbose=True)
        print(f"\nRunning sync → reconcile → push every {STEP} for {days} simulated days:")
        steps_per_day = int(timedelta(days=1) / STEP)
        for day in range(1, days + 1):
            for _ in range(steps_per_day):
                sim.advance(minutes=STEP.total_seconds() / 60)
                _add(totals, _cycle(sim, engine, connectors, catalog))
            print(f"  day {day:>2} ({sim.now()[:10]}): {totals['new']} records synced so far, "
                  f"{totals['completions']} completions and {totals['deadlines']} deadlines "
                  f"pushed")  # fmt: skip
        _print_outcome(sim, engine, start, totals)
    engine.dispose()
    print(f"\nDone in {time.monotonic() - began:.0f} s. To look inside the demo's store:")
    print(f"  BRIDGE_DATABASE_URL={url} .venv/bin/bridge status")
    print(f"  BRIDGE_DATABASE_URL={url} .venv/bin/bridge failures")
    return 0


def _cycle(sim, engine, connectors, catalog, verbose: bool = False) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = {"new": 0, "rejected": 0, "secret": 0, "completions": 0, "deadlines": 0, "dead": 0}
    for name, connector in connectors.items():
        for stream, run in sync.sync_system(engine, connector, catalog).items():
            counts["new"] += run.new + run.changed
            counts["rejected"] += run.rejected
            counts["secret"] += run.secret_skipped
            if verbose:
                print(f"  {name}/{stream}: {run.fetched} fetched, {run.new} new, "
                      f"{run.rejected} rejected, {run.secret_skipped} secret skipped")  # fmt: skip
    report = reconcile.reconcile(engine, datetime.fromisoformat(sim.now()))
    pushed = push.push_due(engine, connectors, max_attempts=5)
    counts["completions"] = report.completions_queued
    counts["deadlines"] = report.deadlines_queued
    counts["dead"] = pushed.dead
    if verbose:
        print(
            f"  reconcile: {report.tasks} tasks, {report.linked_source} linked to their "
            f"document, {report.linked_response} answered, {len(report.ambiguous)} ambiguous"
        )
        print(f"  push: {pushed.done} sent and confirmed, {pushed.dead} dead")  # fmt: skip
    return counts


def _add(totals: dict[str, int], more: dict[str, int]) -> None:
    for key, value in more.items():
        totals[key] += value


def _print_outcome(sim, engine, start: datetime, totals: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    end = datetime.fromisoformat(sim.now())
    responses = {o["task_id"]: o for o in sim.ground_truth("outgoing") if o["task_id"]}
    late = {m["task_id"] for m in sim.ground_truth("late_marks")}
    by_bridge = {
        w["target"] for w in sim.ground_truth("writes")
        if w["operation"] == "ReportCompletion" and w["outcome"] == "applied"
    }  # fmt: skip
    prevented = marked_anyway = 0
    for task in sim.ground_truth("tasks"):
        response = responses.get(task["id"])
        if not task["deadline"] or response is None or task["id"] not in by_bridge:
            continue
        deadline = datetime.fromisoformat(task["deadline"])
        if not start <= datetime.fromisoformat(response["issued_at"]) <= deadline <= end:
            continue
        if task["id"] in late:
            marked_anyway += 1
        else:
            prevented += 1
    failures = queries.list_failures(engine)
    print("\nOutcome:")
    excluded = totals["secret"]
    print(f"  synced: {totals['new']} new or changed records; {excluded} documents marked "
          f"Mật/Tối mật/Tuyệt mật excluded (counted, never stored)")  # fmt: skip
    print(f"  completions reported to the tracking system: {len(by_bridge)}")
    print(f"  late marks prevented (response issued before the deadline, reported in time): "
          f"{prevented}")  # fmt: skip
    print(f"  late despite a timely response (issued after the last run before the deadline): "
          f"{marked_anyway}")  # fmt: skip
    print(f"  processing deadlines written back to iOffice: {totals['deadlines']}")
    print(f"  failures: {len(failures)} (dead letters and dead pushes; see `bridge failures`)")
