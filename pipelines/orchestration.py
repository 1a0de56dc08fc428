"""What a run of the bridge is: one place, called by both flows.py and cli.py.

A **sync run** of one system reads every stream of it from its stored cursor, reads again the
records rejected earlier (a record corrupted on the way heals in the same run), reconciles
(links, derived statuses, computed deadlines, at-risk warnings, the outbox) and pushes the
outbox; its **verdict** is the counts and the failures the run met, the new ones apart. A
**resync** reads a range or some records again without moving the cursor (or only compares:
dry run; pipelines/orchestration_resync.py). A **push** sends the due outbox rows under a run
record of its own. The **deadline watch** reconciles, pushes and lists what is at risk,
overdue, unreadable or at its review milestone. The report and the health check are in
pipelines/orchestration_checks.py.

Nothing here knows Prefect. A caller hands in a ``Run``: the settings, the store, a logger and
``limit``, the context that holds call slots of some systems (flows.py: the Prefect global
concurrency limit named after each system; the CLI: nothing). ``Steps`` are the callables a
sync run is made of; flows.py passes the same functions wrapped as Prefect tasks, so a run
page shows one task per stream and per step, and the CLI passes them as they are. State stays
in the store (docs/design.md), so any run can be started again at any time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bridge.settings import BridgeSettings
from pipelines import extensions, push, push_senders, reconcile, sync, systems
from pipelines.calendar import CalendarRangeError, load_calendar, local_date
from pipelines.ingest import RunCounts
from store import operations
from store.queries import Failure

Logger = logging.Logger | logging.LoggerAdapter
Progress = Callable[[str, RunCounts], None]


@contextmanager
def no_limit(_systems: Sequence[str]) -> Iterator[None]:
    yield


@dataclass
class Run:
    """What every step needs: settings, the open store, where to log, how to hold call slots."""

    settings: BridgeSettings
    engine: Engine
    log: Logger
    limit: Callable[[Sequence[str]], AbstractContextManager[Any]] = no_limit


def aware(moment: datetime | None, timezone: str) -> datetime | None:
    """A time typed in a form or on the command line has no offset: it is local, not UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo(timezone))


# --- failures: what a run met, and what is new -----------------------------------------------


@dataclass(frozen=True)
class FailureWatch:
    """The open failures when a run starts, to tell afterwards which ones the run met."""

    before: dict[str, tuple[int, datetime]]

    @classmethod
    def start(cls, engine: Engine) -> FailureWatch:
        return cls({f.tag: (f.count, f.last_seen) for f in operations.open_failures(engine)})

    def changes(self, engine: Engine) -> tuple[list[Failure], list[Failure], list[Failure]]:
        """(met, new, open): failures this run added or saw again, those not open before it,
        and every failure open now (the standing table of open failures).

        A dead letter seen again counts up and moves its last-seen time; a dead outbox row's
        attempts and update time move the same way, so either shows the run met it.
        """
        met, new = [], []
        still_open = operations.open_failures(engine)
        for failure in still_open:
            tag = failure.tag
            if tag not in self.before:
                new.append(failure)
                met.append(failure)
            elif self.before[tag] != (failure.count, failure.last_seen):
                met.append(failure)
        return met, new, still_open


def failure_summary(new: Sequence[Failure]) -> str:
    """One English line naming the new failures (the Failed state's message, the CLI's)."""
    shown = "; ".join(f"{f.tag} {f.where}: {f.reason[:120]}" for f in new[:5])
    more = f"; and {len(new) - 5} more" if len(new) > 5 else ""
    return (
        f"{len(new)} new failure(s): {shown}{more}. See the open-failures artifact or "
        "`bridge failures`; retry with the retry-failures deployment or "
        "`bridge failures --retry all|L<id>,O<id>`."
    )


@dataclass
class Verdict:
    """What a run did and the failures it met; ``error`` is what stopped it, if anything."""

    watch: FailureWatch
    met: list[Failure] = field(default_factory=list)
    new: list[Failure] = field(default_factory=list)
    open: list[Failure] = field(default_factory=list)  # every failure open when it ended
    error: Exception | None = None

    def conclude(self, engine: Engine) -> None:
        self.met, self.new, self.open = self.watch.changes(engine)


# --- the steps -------------------------------------------------------------------------------


def sync_stream(
    run: Run, connector: Any, catalog: sync.Catalog, system: str, stream: str,
    progress: Progress | None = None,
) -> RunCounts:  # fmt: skip
    """One stream of one system from its stored cursor."""
    return sync.sync_system(run.engine, connector, catalog, streams=[stream], progress=progress)[
        stream
    ]


def reread_rejects(run: Run, connector: Any, catalog: sync.Catalog, system: str) -> dict:
    """The records of ``system`` rejected earlier, read again one by one."""
    return sync.reread_rejected(run.engine, connector, catalog)


def reconcile_step(run: Run, moment: datetime | None) -> reconcile.ReconcileReport:
    """Links, statuses, computed deadlines and the outbox, with the settings' at-risk actions."""
    report = reconcile.reconcile(
        run.engine, moment, actions=reconcile.AtRiskActions.from_settings(run.settings.at_risk)
    )
    run.log.info(
        "reconcile: %d tasks, %d linked to their source, %d answered; queued %d completion(s), "
        "%d deadline(s), %d warning(s), %d extension request(s); %d ambiguous; %d answered by a "
        "secret document (not pushed: report through the secret channel)",
        report.tasks, report.linked_source, report.linked_response, report.completions_queued,
        report.deadlines_queued, report.warnings_queued, report.extensions_queued,
        len(report.ambiguous), report.secret_answers,
    )  # fmt: skip
    for problem in report.ambiguous:
        run.log.info("ambiguous (not guessed): %s", problem)
    return report


def push_step(run: Run) -> push.PushCounts:
    """Send every due outbox row, recorded as a push run; holds a slot of every target. Each
    system gets its senders and its share of time (``push_senders.plan``); what is left waits
    for the next run, and the run record says how many rows."""
    targets = systems.configured_systems(run.settings)
    connect = partial(systems.build_connector, run.settings, retries=False)
    connectors = {name: connect(name) for name in targets}
    counts = push.PushCounts()
    with operations.recorded_run(run.engine, "push") as record:
        try:
            with run.limit(targets) if targets else no_limit(()):
                counts = push.push_due(
                    run.engine, connectors, max_attempts=run.settings.outbox_max_attempts,
                    connect=connect, **push_senders.plan(run.settings, targets),
                    progress=lambda c: run.log.info("push: %s", c.summary()),
                )  # fmt: skip
        finally:
            record.counts = counts.run_counts()
    return counts


def resync_stream(
    run: Run, connector: Any, catalog: sync.Catalog, system: str, stream: str,
    window: dict[str, Any], progress: Progress | None = None,
) -> RunCounts:  # fmt: skip
    """One stream of one system read again: ``window`` holds since/until (ISO) or ids, and
    dry_run."""
    return sync.resync(run.engine, connector, catalog, stream=stream, progress=progress, **window)


@dataclass(frozen=True)
class Steps:
    """The callables a run is made of (flows.py passes them as Prefect tasks)."""

    sync_stream: Callable[..., RunCounts] = sync_stream
    resync_stream: Callable[..., RunCounts] = resync_stream
    reread_rejects: Callable[..., dict] = reread_rejects
    reconcile: Callable[..., reconcile.ReconcileReport] = reconcile_step
    push: Callable[..., push.PushCounts] = push_step


DIRECT = Steps()


# --- a sync run ------------------------------------------------------------------------------


@dataclass
class SyncOutcome(Verdict):
    system: str = ""
    streams: dict[str, RunCounts] = field(default_factory=dict)
    healed: dict[str, RunCounts] = field(default_factory=dict)
    failed_stream: str = ""  # the stream that was running when ``error`` stopped the run
    reconciled: reconcile.ReconcileReport | None = None
    pushed: push.PushCounts | None = None

    def result(self) -> dict[str, Any]:
        from dataclasses import asdict

        found: dict[str, Any] = {"streams": {s: asdict(c) for s, c in self.streams.items()}}
        if self.reconciled is not None:
            found["reconcile"] = {
                "tasks": self.reconciled.tasks,
                "completions_queued": self.reconciled.completions_queued,
                "deadlines_queued": self.reconciled.deadlines_queued,
            }
        if self.pushed is not None:
            found["push"] = asdict(self.pushed)
        return found


def live_progress(run: Run, system: str, outcome: dict[str, RunCounts], then: Progress | None):
    """A progress callback: keep each stream's running counts (shown if the run stops) and
    log each page."""

    def progress(stream: str, counts: RunCounts) -> None:
        outcome[stream] = counts
        run.log.info(
            "%s/%s: page %d, fetched %d, new %d, changed %d, rejected %d",
            system, stream, counts.pages, counts.fetched, counts.new, counts.changed,
            counts.rejected,
        )  # fmt: skip
        if then is not None:
            then(stream, counts)

    return progress


def sync_run(
    run: Run,
    system: str,
    moment: datetime | None = None,
    *,
    steps: Steps = DIRECT,
    reconcile_and_push: bool = True,
    progress: Progress | None = None,
) -> SyncOutcome:
    """Streams, re-read rejects, reconcile, push; the verdict. An error reading the system
    stops the run (``outcome.error``) with what it had read and its failures concluded; the
    caller shows it and raises it."""
    catalog = sync.Catalog.load()
    connector = systems.build_connector(run.settings, system)
    outcome = SyncOutcome(watch=FailureWatch.start(run.engine), system=system)
    live = live_progress(run, system, outcome.streams, progress)
    try:
        with run.limit([system]):
            for stream in catalog.streams_of(system):
                outcome.failed_stream = stream
                outcome.streams[stream] = RunCounts()
                outcome.streams[stream] = steps.sync_stream(
                    run, connector, catalog, system, stream, live
                )
            outcome.failed_stream = ""
            outcome.healed = steps.reread_rejects(run, connector, catalog, system)
    except Exception as exc:
        outcome.error = exc
        outcome.conclude(run.engine)
        return outcome
    if reconcile_and_push:
        outcome.reconciled = steps.reconcile(run, moment)
        outcome.pushed = steps.push(run)
    outcome.conclude(run.engine)
    return outcome


# --- a push ----------------------------------------------------------------------------------


@dataclass
class PushOutcome(Verdict):
    pushed: push.PushCounts = field(default_factory=push.PushCounts)
    due: list[str] = field(default_factory=list)  # a dry run's description of each due row


def push_run(run: Run, *, dry_run: bool = False, steps: Steps = DIRECT) -> PushOutcome:
    """Send the outbox (a run record of its own), or only describe the due rows."""
    outcome = PushOutcome(watch=FailureWatch.start(run.engine))
    if dry_run:
        outcome.due = push.dry_run(run.engine)
        return outcome
    outcome.pushed = steps.push(run)
    outcome.conclude(run.engine)
    return outcome


# --- the deadline watch ----------------------------------------------------------------------


def working_or_unknown(day: date) -> bool:
    """A day past the calendar data still gets its watch: reconcile then names the missing year
    per item (docs/domain.md §6), which is the warning the agency needs."""
    try:
        return load_calendar().is_working_day(day)
    except CalendarRangeError:
        return True


@dataclass
class WatchOutcome(Verdict):
    moment: datetime | None = None
    day_off: bool = False
    reconciled: reconcile.ReconcileReport | None = None
    pushed: push.PushCounts = field(default_factory=push.PushCounts)
    watched: Sequence[Any] = ()  # store.operations.watched_tasks
    unreadable: Sequence[Any] = ()  # store.operations.unreadable_deadlines
    review: list[extensions.ReviewDue] = field(default_factory=list)
    units: dict[str, Any] = field(default_factory=dict)


def deadline_watch_run(
    run: Run, moment: datetime | None = None, *, skip_days_off: bool = False,
    steps: Steps = DIRECT,
) -> WatchOutcome:  # fmt: skip
    """Derive statuses again, push what is due, and read what is at risk, overdue, unreadable
    or at its review milestone. With ``skip_days_off`` a day off does nothing."""
    moment = moment or datetime.now(UTC)
    outcome = WatchOutcome(watch=FailureWatch.start(run.engine), moment=moment)
    if skip_days_off and not working_or_unknown(local_date(moment)):
        outcome.day_off = True
        return outcome
    # Reconcile queues the at-risk warnings (and extension requests, if enabled); push sends.
    outcome.reconciled = steps.reconcile(run, moment)
    outcome.pushed = steps.push(run)
    outcome.watched = operations.watched_tasks(run.engine)
    outcome.unreadable = operations.unreadable_deadlines(run.engine)
    if outcome.watched or outcome.unreadable:
        outcome.units = sync.Catalog.load().units.units
    outcome.review = extensions.review_due(run.engine, moment)
    outcome.conclude(run.engine)
    return outcome
