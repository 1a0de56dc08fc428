"""Push's senders: each system's rows sent by a few threads at once, within a time budget.

A push gives every system with due rows its own senders (``workers`` of them; each with its
own connector, so no HTTP session, token or zeep client is shared between threads). A sender
claims a few of its system's rows (``queries.claim_outbox``), sends them one after the other
and claims again, until none is due or the system's **budget** is spent: from then on it claims
nothing more, hands back what it claimed but did not start (not counted as an attempt) and
stops; a send under way finishes (each request is bounded by the system's request deadline).
What is left waits for the next run, so a slow or failing system never makes a run outlast its
schedule. Every sender of a push claims under one worker name, and one heartbeat renews all its
claims while their sends are under way (leases judged by the database's clock).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any

from croniter import croniter
from sqlalchemy import Engine

from store import outbox, queries
from store.queries import ClaimedRow

log = logging.getLogger(__name__)

# How often the caller hears how far the push got (``progress``), in real seconds.
PROGRESS_EVERY_S = 10.0


@dataclass(frozen=True)
class Backoff:
    """When a row that failed for a reason that may pass is due again: ``initial`` after its
    first attempt, doubling with each one up to ``cap``, with jitter (so rows that failed
    together are not all sent again at the same instant), and never before the ``Retry-After``
    the system asked for (up to ``cap``)."""

    initial: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=1)
    # Spreading retries out, not secrecy: no CSPRNG needed.
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempts: int, retry_after: float | None = None) -> timedelta:
        full = min(self.initial * 2 ** max(attempts - 1, 0), self.cap)
        jittered = full / 2 + full / 2 * self.rng.random()
        if retry_after is not None:
            jittered = max(jittered, timedelta(seconds=min(retry_after, self.cap.total_seconds())))
        return jittered


def plan(settings: Any, systems: Sequence[str]) -> dict[str, Any]:
    """``push_due``'s senders, budget and back-off from the settings (``[push]`` and each
    system's ``push_workers``): the budget is ``budget_s``, or ``budget_share`` of the
    shortest interval between two sync runs."""
    push = settings.push
    budget = (
        timedelta(seconds=push.budget_s) if push.budget_s
        else schedule_budget(settings.schedules.sync, push.budget_share)
    )  # fmt: skip
    return {
        "workers": {name: getattr(settings, name).push_workers for name in systems},
        "budget": budget,
        "backoff": Backoff(
            timedelta(seconds=push.backoff_initial_s), timedelta(seconds=push.backoff_max_s)
        ),
    }


@dataclass(frozen=True)
class Budget:
    """How long one push may spend on one system, on ``clock`` (the push's clock: a test
    drives it from the simulators' clock). None: no limit."""

    clock: Callable[[], datetime]
    limit: timedelta | None
    started: datetime = field(default=datetime.min)

    @classmethod
    def start(cls, clock: Callable[[], datetime], limit: timedelta | None) -> Budget:
        return cls(clock, limit, clock())

    def spent(self) -> bool:
        return self.limit is not None and self.clock() - self.started >= self.limit


@lru_cache(maxsize=8)
def shortest_interval(cron_lines: tuple[str, ...]) -> timedelta:
    """The shortest time between two runs of a schedule made of ``cron_lines``, over a week
    (every pattern of five-field cron lines repeats within one)."""
    start = datetime(2024, 1, 1)  # a Monday; any week would do
    fires: set[datetime] = set()
    for line in cron_lines:
        times = croniter(line, start)
        while (moment := times.get_next(datetime)) < start + timedelta(days=8):
            fires.add(moment)
    ordered = sorted(fires)
    gaps = [later - earlier for earlier, later in pairwise(ordered)]
    return min(gaps, default=timedelta(days=1))


def schedule_budget(cron_lines: Sequence[str], share: float) -> timedelta:
    """``share`` of the shortest interval between two runs of the sync schedule."""
    return shortest_interval(tuple(cron_lines)) * share


class Heartbeat:
    """Renews the claims the senders hold every third of the lease, in the background, so a
    send (or batch) slower than the lease is never taken over while this push is alive. Claims
    are judged by the database's clock (``queries.renew_claims``); a claim that could not be
    renewed is dropped and its row is not sent."""

    def __init__(self, engine: Engine, worker: str, lease: timedelta) -> None:
        self.engine, self.worker, self.lease = engine, worker, lease
        self._held: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"push-heartbeat-{worker}",
                                        daemon=True)  # fmt: skip

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def hold(self, row_ids: Iterable[int]) -> None:
        with self._lock:
            self._held |= set(row_ids)

    def release(self, row_id: int) -> None:
        with self._lock:
            self._held.discard(row_id)

    def still_holds(self, row_id: int) -> bool:
        """Renew the claim right before a send; False when it is no longer this worker's."""
        if queries.renew_claims(self.engine, [row_id], self.worker):
            return True
        self.release(row_id)
        return False

    def _run(self) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.05)
        while not self._stop.wait(interval):
            with self._lock:
                ids = sorted(self._held)
            if not ids:
                continue
            try:
                kept = queries.renew_claims(self.engine, ids, self.worker)
            except Exception as exc:  # the store is away for a moment: try again next beat
                log.warning("could not renew outbox claims: %s", exc.__class__.__name__)
                continue
            with self._lock:
                self._held &= kept | (self._held - set(ids))


# What a sender does with one claimed row and its connector (pipelines/push.py), and with a
# row it found taken over by another worker before its send.
SendRow = Callable[[ClaimedRow, Any], None]


@dataclass
class Senders:
    """Everything the senders of one push share."""

    engine: Engine
    worker: str
    now: Callable[[], datetime]
    lease: timedelta
    claim_size: int
    budget: timedelta | None
    send_row: SendRow
    lost_row: Callable[[ClaimedRow], None]
    out_of_time: set[str] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(
        self,
        connectors: Mapping[str, Any],
        workers: Mapping[str, int],
        connect: Callable[[str], Any] | None,
        progress: Callable[[], None] | None = None,
    ) -> None:
        """Send every due row of every system that has some, each system by its senders
        within its budget; re-raise the first error that stopped a sender (the store away)."""
        jobs: list[tuple[str, int]] = []
        for system in outbox.systems_with_work(self.engine, self.now()):
            # A connector serves one thread: without ``connect`` a system has one sender.
            count = max(1, workers.get(system, 1)) if connect else 1
            jobs += [(system, index) for index in range(count)]
        if not jobs:
            return
        budgets = {system: Budget.start(self.now, self.budget) for system, _ in jobs}
        with (
            Heartbeat(self.engine, self.worker, self.lease) as heartbeat,
            ThreadPoolExecutor(len(jobs), thread_name_prefix="push-sender") as pool,
        ):
            futures = [
                pool.submit(
                    self._sender, system, index, budgets[system], heartbeat, connectors, connect
                )
                for system, index in jobs
            ]
            pending = set(futures)
            while pending:
                done, pending = wait(pending, PROGRESS_EVERY_S, FIRST_EXCEPTION)
                if any(future.exception() for future in done):
                    self._stop.set()  # the others end after their current row
                if progress and pending:
                    progress()
            for future in futures:
                future.result()

    def _sender(
        self,
        system: str,
        index: int,
        budget: Budget,
        heartbeat: Heartbeat,
        connectors: Mapping[str, Any],
        connect: Callable[[str], Any] | None,
    ) -> None:
        connector = connectors.get(system)
        if index and connect is not None:
            try:
                connector = connect(system)
            except Exception as exc:  # the first sender has its connector: it goes on alone
                log.error("push: no second connector for %s (%s); fewer senders",
                          system, exc.__class__.__name__)  # fmt: skip
                return
        while not self._stop.is_set():
            if budget.spent():
                self.out_of_time.add(system)
                return
            asked = time.monotonic()
            batch = queries.claim_outbox(
                self.engine, self.worker, self.now(), limit=self.claim_size, lease=self.lease,
                target_system=system,
            )  # fmt: skip
            if not batch:
                return
            heartbeat.hold(row.id for row in batch)
            for position, row in enumerate(batch):
                if position and (budget.spent() or self._stop.is_set()):
                    if budget.spent():
                        self.out_of_time.add(system)
                    self._hand_back(batch[position:], heartbeat)
                    return
                # A claim younger than a third of the lease (time since the claim was asked
                # for, so at least its age by the database's clock) cannot have been taken
                # over: only a claim older than the lease can. An older one renews right
                # before its send.
                fresh = time.monotonic() - asked < self.lease.total_seconds() / 3
                if position and not fresh and not heartbeat.still_holds(row.id):
                    log.warning("outbox %d was taken over by another worker; not sent", row.id)
                    self.lost_row(row)
                    continue
                try:
                    self.send_row(row, connector)
                finally:
                    heartbeat.release(row.id)

    def _hand_back(self, rows: Sequence[ClaimedRow], heartbeat: Heartbeat) -> None:
        ids = [row.id for row in rows]
        for row_id in ids:
            heartbeat.release(row_id)
        outbox.release_claims(self.engine, ids, self.worker, self.now())
