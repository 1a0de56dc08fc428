"""The runs table: one row per run, its counters, and the runs whose process died.

A run is "running" from ``start_run`` until ``finish_run``. Ingest writes the run's counters
and a heartbeat with every page (``record_run_progress``, in the page's transaction), so a run
killed mid-way leaves what it had committed; the next ``start_run`` marks it "died"
(``mark_dead_runs``) instead of leaving it "running" forever (issue 18).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select, update

from schemas.limits import WORKER, shorten, storable_text
from store.tables import runs

RUN_COUNTERS = (
    "fetched",
    "new",
    "changed",
    "unchanged",
    "rejected",
    "secret_skipped",
    "secret_purged",
    "pushed",
    "failed",
    "retrying",
    "left_for_later",
)


# A run that shows no progress for this long is taken for dead even when its process cannot be
# checked (another machine). Ingest beats with every page; push and other kinds beat at start
# only, and a run marked dead that then finishes after all is simply marked finished again.
STALE_RUN_AFTER = timedelta(hours=1)
DIED = "died"


def _process_space() -> str:
    """Where a process id means one process: the host and its PID namespace (containers on one
    host may share a host name but never a PID namespace)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()}/{namespace}"


def this_worker() -> str:
    """``host/pid-namespace:pid`` of this process, as the runs table records it."""
    return f"{_process_space()}:{os.getpid()}"[:WORKER]


def start_run(
    engine: Engine, kind: str, now: datetime, system: str | None = None, stream: str | None = None
) -> int:
    """Record a run as running; first mark any run whose process died (``mark_dead_runs``)."""
    mark_dead_runs(engine, now)
    with engine.begin() as conn:
        result = conn.execute(
            runs.insert().values(
                kind=kind, system=system, stream=stream, started_at=now,
                worker=this_worker(), heartbeat_at=now,
            )
        )  # fmt: skip
        return result.inserted_primary_key[0]


def mark_dead_runs(
    engine: Engine, now: datetime, stale_after: timedelta = STALE_RUN_AFTER
) -> list[int]:
    """Mark as died the runs still "running" whose process is gone: in this host and PID
    namespace, its process id no longer exists; anywhere, no progress for ``stale_after``.
    The counters stay what the run had committed (ingest writes them with every page);
    ``finished_at`` is its last sign of life. Returns the ids marked."""
    here = _process_space()
    with engine.connect() as conn:
        running = conn.execute(
            select(runs.c.id, runs.c.worker, runs.c.started_at, runs.c.heartbeat_at).where(
                runs.c.status == "running"
            )
        ).all()
    dead: dict[int, datetime] = {}
    for run in running:
        last_seen = run.heartbeat_at or run.started_at
        space, _, pid = (run.worker or "").rpartition(":")
        gone_here = space == here and pid.isdigit() and not _process_exists(int(pid))
        if gone_here or last_seen <= now - stale_after:
            dead[run.id] = last_seen
    for run_id, last_seen in dead.items():
        why = "its process ended" if last_seen > now - stale_after else "no progress"
        with engine.begin() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id, runs.c.status == "running")
                .values(
                    status=DIED,
                    finished_at=last_seen,
                    error=f"the run stopped without finishing ({why} since "
                    f"{last_seen:%Y-%m-%d %H:%M} UTC; killed?); its counts are what it had "
                    "committed",
                )
            )
    return sorted(dead)


def _process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def record_run_progress(
    conn: Connection, run_id: int, now: datetime, counts: dict[str, int]
) -> None:
    """The run's counters so far and a heartbeat, in the caller's transaction (ingest: the
    page's), so a run that dies leaves what it had done."""
    conn.execute(update(runs).where(runs.c.id == run_id).values(heartbeat_at=now, **counts))


def finish_run(
    engine: Engine,
    run_id: int,
    now: datetime,
    counts: dict[str, int],
    *,
    error: str | None = None,
) -> None:
    unknown = set(counts) - set(RUN_COUNTERS)
    if unknown:
        raise ValueError(f"unknown run counters {sorted(unknown)}; known: {RUN_COUNTERS}")
    with engine.begin() as conn:
        conn.execute(
            update(runs)
            .where(runs.c.id == run_id)
            .values(
                finished_at=now,
                status="failed" if error else "succeeded",
                # Whatever an error says, it must not fail the run's own record.
                error=shorten(storable_text(error), 4000) if error else None,
                **counts,
            )
        )
