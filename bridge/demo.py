"""`make demo`: the main job end to end against the simulators, printed for a person.

Starts the simulators for a province with two agencies, one on each e-office system the
registry knows (iOffice, iDesk: a split world, docs/simulators.md) and the tracking system
holding the tasks of both; runs the ``sync-system`` Prefect flow of each (sync → reconcile →
push) every eight simulated hours through ten simulated days (08:00, 16:00 and midnight: the
afternoon round catches the working day's responses), and prints what was synced, which late
marks were prevented and what failed. The flows run against the demo's own Prefect API (no
server to start: Prefect's API alone in a process of its own, its database in
var/demo-prefect, started in the background while the simulators start; heartbeats, the
server's background services and its task-run recorder off, one API client for every run, a
one-certificate trust store for it); they read their settings from the environment, which the
demo points at the simulators and the store.
The store is the embedded SQLite default, in its own file (var/demo.db) made fresh each time:
the simulated world restarts at the same moment on every run, and yesterday's cursors would
not fit it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from bridge import prefect_api
from bridge.settings import load_settings
from connectors import registry
from simulators.harness import SERVERS, SimulatorCluster
from store import database, queries, summary
from store.outbox import done_counts_by_operation

DAYS = 10
# Three rounds a simulated day (93 flow runs in all, the backlog's included): Prefect's cost per
# flow run is most of the demo's time, and six-hourly rounds (123 runs) told the same story in
# a third more time (in service the rounds are minutes apart).
STEP = timedelta(hours=8)
WORLD_SIZE = 600


def run_demo(days: int = DAYS, size: int = WORLD_SIZE) -> int:
    settings = load_settings()
    path = (settings.var_dir / "demo.db").resolve()
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    database.upgrade(url)
    engine = database.connect(url)
    began = time.monotonic()

    print(f"Store: {url} (fresh)")
    _prefect_environment(settings.var_dir)
    with _PrefectApi() as api:
        import prefect.main  # noqa: F401  (Prefect's logging set-up runs here, before quieting)

        _quiet_prefect()
        _run_rounds(engine, url, size, days, api)
    engine.dispose()
    print(f"\nDone in {time.monotonic() - began:.0f} s. To look inside the demo's store:")
    print(f"  BRIDGE_DATABASE_URL={url} .venv/bin/bridge status")
    print(f"  BRIDGE_DATABASE_URL={url} .venv/bin/bridge failures")
    return 0


def _run_rounds(engine, url: str, size: int, days: int, api: _PrefectApi) -> None:  # type: ignore[no-untyped-def]
    print(f"Starting the simulators: a world of {size} documents (seed 7)...")
    # Split: the agency on iOffice and the agency on iDesk each hold their own documents, and
    # the province's tracking system holds the tasks of both.
    with SimulatorCluster(size=size, seed=7, split=True) as sim:
        _point_settings_at(sim, url)
        import flows  # imported while Prefect's API starts in its own process
        from bridge import serve

        api.ready()
        from prefect.context import SyncClientContext
        from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        serve.ensure_concurrency_limits(DEMO_SYSTEMS, limit=2)
        start = datetime.fromisoformat(sim.now())
        addresses = "   ".join(
            f"{registry.label(name)} {sim.client_settings(name)['base_url']}"
            for name in DEMO_SYSTEMS
        )
        print(f"  {addresses}   clock {sim.now()}")

        # A flow run ends by joining its heartbeat thread, which sleeps in whole seconds: about
        # 1 s per run, most of a round here. Heartbeats tell a server that a run on some
        # worker crashed; the demo's runs are in this process, so it turns them off (the
        # deployments keep them). The runs also share this process's one API client instead
        # of each opening its own (about 60 ms a run here).
        no_heartbeats = temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
        with no_heartbeats, SyncClientContext.get_or_create():
            print("\nFirst sync (the backlog), through the sync-system flow of each system:")
            _cycle(sim, flows, engine, verbose=True)
            print(f"\nRunning sync → reconcile → push every {STEP} for {days} simulated days:")
            steps_per_day = int(timedelta(days=1) / STEP)
            for day in range(1, days + 1):
                for _ in range(steps_per_day):
                    sim.advance(minutes=STEP.total_seconds() / 60)
                    _cycle(sim, flows, engine)
                totals = _totals(engine)
                print(f"  day {day:>2} ({sim.now()[:10]}): {totals['new']} records synced so "
                      f"far, {totals['completions']} completions and {totals['deadlines']} "
                      f"deadlines pushed")  # fmt: skip
        _print_outcome(sim, engine, start, _totals(engine))


# Every kind of system the registry knows that the simulators serve: each e-office system
# and the tracking system.
DEMO_SYSTEMS = tuple(name for name in registry.names() if name in SERVERS)


# Prefect server services the demo's in-process runs never need. The task-run recorder is
# among them: it turns the runs' task events into task-run rows (the graph in the UI) in its
# own SQLite transactions, and on this ephemeral SQLite server they met the API's: a
# concurrency-slot request waited up to 2 s behind a flush, and about one round in eight
# stalled for the whole 60 s busy timeout ("database is locked", the flush retried). Measured
# on 2 cores: the demo took 600 s with it and 70 s without, with the same outcome. Flow runs,
# their states, logs and artifacts are written by the API and stay; only the per-task rows
# are missing from the demo's Prefect database. Deployments (`make serve`, workers) keep it.
_IDLE_SERVER_SERVICES = (
    "CANCELLATION_CLEANUP", "EVENT_PERSISTER", "FOREMAN", "LATE_RUNS", "SCHEDULER",
    "PAUSE_EXPIRATIONS", "REPOSSESSOR", "CLEANUP_RECONCILER", "TRIGGERS", "TASK_RUN_RECORDER",
)  # fmt: skip


def _point_settings_at(sim, url: str) -> None:  # type: ignore[no-untyped-def]
    """The flows read their settings like any deployment: from the environment."""
    os.environ["BRIDGE_DATABASE_URL"] = url
    for name in registry.names():
        prefix = f"BRIDGE_{name.upper()}__"
        if name in DEMO_SYSTEMS:
            for key, value in sim.client_settings(name).items():
                os.environ[prefix + key.upper()] = value
        else:
            os.environ.pop(prefix + "BASE_URL", None)  # not part of this deployment


class _PrefectApi:
    """Prefect's API for the demo's flow runs, in a process of its own on 127.0.0.1: started
    at once and waited for in the background while the simulators start and the flows are
    imported. Always the demo's own, whatever PREFECT_API_URL said: a demo's runs never land
    on a real server."""

    def __init__(self) -> None:
        self.problem: Exception | None = None
        port = prefect_api.free_port()
        api_url = f"http://127.0.0.1:{port}/api"
        # Set before Prefect is imported here: its settings are read from the environment.
        os.environ["PREFECT_API_URL"] = api_url
        self.process = prefect_api.start_api_only(port, os.environ)
        timeout_s = float(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"])
        self._waiting = threading.Thread(
            target=self._wait, args=(api_url, timeout_s), name="prefect-api-start", daemon=True
        )
        self._waiting.start()

    def __enter__(self) -> _PrefectApi:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # The runs' last log lines and events are still queued in Prefect's background
        # workers, which would otherwise send them at exit, to an API already stopped, and
        # retry for a minute ("Error logging to API").
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=30)
        EventsWorker.drain_all(timeout=30)
        prefect_api.stop(self.process, "demo's Prefect API", quiet=True)

    def _wait(self, api_url: str, timeout_s: float) -> None:
        try:
            prefect_api.wait_until_healthy(api_url, self.process, timeout_s, poll_s=0.1)
        except RuntimeError as exc:
            self.problem = exc

    def ready(self) -> None:
        """Return once the API answers; raise if it did not come up."""
        self._waiting.join()
        if self.problem is not None:
            raise self.problem


def _quiet_prefect() -> None:
    """Prefect's own chatter (a line per run and per failure, its client's HTTP requests)
    would drown what the demo prints: each round's outcome is printed, read from the store,
    and every run's log stays in the demo's Prefect database for the UI. Set after Prefect is
    imported (its logging set-up runs then)."""
    logging.getLogger("prefect").setLevel(logging.CRITICAL)
    # The runs' own loggers keep their API handler, so each run's log is in the demo's
    # Prefect database for the UI, but they no longer pass their lines on to the console.
    for run_logger in ("prefect.flow_runs", "prefect.task_runs"):
        logging.getLogger(run_logger).setLevel(logging.INFO)
        logging.getLogger(run_logger).propagate = False
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _prefect_environment(var_dir: Path) -> None:
    """Prefect's settings for the demo, set before Prefect is first imported (it reads them
    then)."""
    # Prefect's own database for the demo's runs, apart from the one `make serve` uses; kept
    # between demos, so the ephemeral API finds it migrated.
    os.environ["PREFECT_HOME"] = str((var_dir / "demo-prefect").resolve())
    # The ephemeral server's background services write to its SQLite alongside the API and
    # hold its lock ("database is locked", 503s on concurrency slots retried seconds later):
    # the demo's rounds waited on them far longer than they computed. The demo needs only the
    # API; nothing schedules, triggers or expires.
    for service in _IDLE_SERVER_SERVICES:
        os.environ.setdefault(f"PREFECT_SERVER_SERVICES_{service}_ENABLED", "false")
    # The API is the demo's own, plain HTTP on 127.0.0.1 (_PrefectApi): no certificate of the
    # user's is ever needed by it.
    os.environ["PREFECT_API_SSL_CERT_FILE"] = str(_one_certificate(var_dir))
    # The ephemeral API migrates a fresh database before it answers; Prefect's 20 s default
    # is not enough on a busy 2-core machine (seen in CI).
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    # Nothing is sent home, whether or not the demo was started by make (docs/design.md,
    # "Dependencies").
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")


def _one_certificate(var_dir: Path) -> Path:
    """A trust store of one root certificate (the first of certifi's) for the demo's Prefect
    client. Each client Prefect opens (two a flow run, to release its concurrency slots) builds
    a verifying TLS context from its CA file: 24 ms for certifi's 140 certificates, 9 % of the
    demo's CPU, though the ephemeral API it talks to is plain HTTP on 127.0.0.1 and no TLS is
    ever used. Verification stays on; only the unused trust store is smaller."""
    import certifi

    bundle = Path(certifi.where()).read_text(encoding="utf-8")  # its comments name issuers
    end = "-----END CERTIFICATE-----"
    path = (var_dir / "demo-prefect" / "api-ca.pem").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        bundle[bundle.index("-----BEGIN CERTIFICATE-----") : bundle.index(end) + len(end)] + "\n",
        encoding="ascii",
    )
    return path


def _cycle(sim, flows, engine, verbose: bool = False) -> None:  # type: ignore[no-untyped-def]
    """One scheduled round: the sync-system flow of each system, at the simulated time.

    What the round did is read from the store, where the flows keep their state, not from
    Prefect's copy of their results (docs/design.md, "Key decisions": state lives in
    our store)."""
    now = datetime.fromisoformat(sim.now())
    for name in DEMO_SYSTEMS:
        last_run = _last_run_id(engine)
        state = flows.sync_system(name, now=now, return_state=True)
        if not state.is_completed():
            print(f"  {name}: the flow ended {state.name}: {state.message}")
        if verbose:
            for run in summary.runs_after(engine, last_run):
                if run.kind == "push":
                    print(f"  push: {run.pushed} sent and confirmed, {run.failed} dead")
                    continue
                print(
                    f"  {run.system}/{run.stream}: {run.fetched} fetched, {run.new} new, "
                    f"{run.rejected} rejected, {run.secret_skipped} secret skipped"
                )


def _last_run_id(engine) -> int:  # type: ignore[no-untyped-def]
    return summary.last_run_id(engine)


def _totals(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """What every round so far did, from the runs table and the outbox."""
    synced = summary.sync_totals(engine)
    # Per document, not per read: every round re-reads the same secret records.
    secret = summary.secret_skipped_total(engine)
    sent = done_counts_by_operation(engine)
    return {
        "new": synced[0], "rejected": synced[1], "secret": secret,
        "completions": sent.get("report_completion", 0),
        "deadlines": sent.get("set_processing_deadline", 0),
    }  # fmt: skip


def _print_outcome(sim, engine, start: datetime, totals: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    end = datetime.fromisoformat(sim.now())
    responses = {
        o["task_id"]: o for o in sim.ground_truth("outgoing") if o["task_id"] and not o["secrecy"]
    }
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
    every = queries.list_failures(engine)
    failures = [f for f in every if f.kind != "secret_answer"]
    answered_secretly = len(every) - len(failures)
    print("\nOutcome:")
    excluded = totals["secret"]
    print(f"  synced: {totals['new']} new or changed records; {excluded} documents marked "
          f"Mật/Tối mật/Tuyệt mật excluded (counted, never stored)")  # fmt: skip
    print(f"  completions reported to the tracking system: {len(by_bridge)}")
    print(f"  late marks prevented (response issued before the deadline, reported in time): "
          f"{prevented}")  # fmt: skip
    print(f"  late despite a timely response (issued after the last run before the deadline): "
          f"{marked_anyway}")  # fmt: skip
    tracking = registry.tracking_system()
    offices = " and ".join(registry.label(n) for n in DEMO_SYSTEMS if n != tracking)
    print(f"  processing deadlines written back to {offices}: "
          f"{totals['deadlines']}")  # fmt: skip
    print(f"  failures: {len(failures)} (dead letters and dead pushes; see `bridge failures`)")
    print(f"  tasks answered by a secret document, not pushed: {answered_secretly} (to report "
          "through the secret channel; listed as S<id> in `bridge failures`)")  # fmt: skip
