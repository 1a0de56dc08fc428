"""`make demo`: the main job end to end against the simulators, printed for a person.

Starts the simulators for a deployment of iOffice and the tracking system, runs the
``sync-system`` Prefect flow of each (sync → reconcile → push) every two simulated hours
through ten simulated days, and prints what was synced, which late marks were prevented and
what failed. The flows run against Prefect's ephemeral API (no server to start); they read
their settings from the environment, which the demo points at the simulators and the store.
The store is the embedded SQLite default, in its own file (var/demo.db) made fresh each time:
the simulated world restarts at the same moment on every run, and yesterday's cursors would
not fit it.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

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
        _point_settings_at(sim, url)
        from bridge import flows, serve

        # Prefect's own chatter (one line per flow run) would drown what the demo prints.
        logging.getLogger("prefect").setLevel(logging.WARNING)
        serve.ensure_concurrency_limits(DEMO_SYSTEMS, limit=2)
        start = datetime.fromisoformat(sim.now())
        print(f"  iOffice {sim.ioffice_url}   tracking {sim.tracking_url}   clock {sim.now()}")

        print("\nFirst sync (the backlog), through the sync-system flow of each system:")
        totals = _cycle(sim, flows, verbose=True)
        print(f"\nRunning sync → reconcile → push every {STEP} for {days} simulated days:")
        steps_per_day = int(timedelta(days=1) / STEP)
        for day in range(1, days + 1):
            for _ in range(steps_per_day):
                sim.advance(minutes=STEP.total_seconds() / 60)
                _add(totals, _cycle(sim, flows))
            print(f"  day {day:>2} ({sim.now()[:10]}): {totals['new']} records synced so far, "
                  f"{totals['completions']} completions and {totals['deadlines']} deadlines "
                  f"pushed")  # fmt: skip
        _print_outcome(sim, engine, start, totals)
    engine.dispose()
    print(f"\nDone in {time.monotonic() - began:.0f} s. To look inside the demo's store:")
    print(f"  BRIDGE_DATABASE_URL={url} .venv/bin/bridge status")
    print(f"  BRIDGE_DATABASE_URL={url} .venv/bin/bridge failures")
    return 0


DEMO_SYSTEMS = ("ioffice", "tracking")


def _point_settings_at(sim, url: str) -> None:  # type: ignore[no-untyped-def]
    """The flows read their settings like any deployment: from the environment."""
    os.environ.update(
        BRIDGE_DATABASE_URL=url,
        BRIDGE_IOFFICE__BASE_URL=sim.ioffice_url,
        BRIDGE_IOFFICE__USERNAME=sim.ioffice_credentials["username"],
        BRIDGE_IOFFICE__PASSWORD=sim.ioffice_credentials["password"],
        BRIDGE_TRACKING__BASE_URL=sim.tracking_url,
        BRIDGE_TRACKING__TOKEN_URL=sim.token_url,
        BRIDGE_TRACKING__CLIENT_ID=sim.tracking_credentials["client_id"],
        BRIDGE_TRACKING__CLIENT_SECRET=sim.tracking_credentials["client_secret"],
    )
    os.environ.pop("BRIDGE_IDESK__BASE_URL", None)  # this deployment has no iDesk
    # The ephemeral API migrates a fresh database before it answers; Prefect's 20 s default
    # is not enough on a busy 2-core machine (seen in CI).
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


def _cycle(sim, flows, verbose: bool = False) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """One scheduled round: the sync-system flow of each system, at the simulated time."""
    counts = {"new": 0, "rejected": 0, "secret": 0, "completions": 0, "deadlines": 0, "dead": 0}
    now = datetime.fromisoformat(sim.now())
    for name in DEMO_SYSTEMS:
        state = flows.sync_system(name, now=now, return_state=True)
        result = state.result(raise_on_failure=False)
        if not isinstance(result, dict):  # the flow itself broke: say so, go on with the next
            print(f"  {name}: the flow ended {state.name}: {state.message}")
            continue
        for stream, run in result["streams"].items():
            counts["new"] += run["new"] + run["changed"]
            counts["rejected"] += run["rejected"]
            counts["secret"] += run["secret_skipped"]
            if verbose:
                print(
                    f"  {name}/{stream}: {run['fetched']} fetched, {run['new']} new, "
                    f"{run['rejected']} rejected, {run['secret_skipped']} secret skipped"
                )
        counts["completions"] += result["reconcile"]["completions_queued"]
        counts["deadlines"] += result["reconcile"]["deadlines_queued"]
        counts["dead"] += result["push"]["dead"]
        if verbose:
            queued, pushed = result["reconcile"], result["push"]
            print(
                f"  {name}: flow {state.name}; reconcile: {queued['tasks']} tasks, "
                f"{queued['completions_queued']} completions queued; push: "
                f"{pushed['done']} sent and confirmed, {pushed['dead']} dead"
            )
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
