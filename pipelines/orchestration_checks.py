"""The rest of what a run is (pipelines/orchestration.py has the sync, resync, push and deadline
watch): a periodic report, and the health check of every configured system and the store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bridge.settings import BridgeSettings, display_database_url
from pipelines import systems
from pipelines.calendar import local_date
from pipelines.periods import Period, parse_period, schedule_period
from store import operations

# How long a health check waits for a call slot of a system before calling it busy.
BUSY_WAIT_S = 60


def report_period(settings: BridgeSettings, period: str | None, schedule: str) -> Period:
    """``period`` as typed, else the latest complete period of ``schedule`` (up to the data
    cut-off unless ``[reports] calendar_periods``)."""
    cutoff = not settings.reports.calendar_periods
    if period:
        return parse_period(period, cutoff=cutoff)
    return schedule_period(schedule, local_date(datetime.now(UTC)), cutoff=cutoff)


def report_run(
    settings: BridgeSettings, period: str | None, schedule: str = "monthly", unit: str | None = None
) -> tuple[Period, Any]:
    """The Excel figures and the Word narrative of one period (reports.write_report)."""
    from reports import write_report  # reports import pipelines: imported when used

    chosen = report_period(settings, period, schedule)
    with operations.opened(settings.effective_database_url) as engine:
        return chosen, write_report(engine, chosen, unit, settings=settings)


@dataclass
class Health:
    results: list[systems.CheckResult]
    down: list[systems.CheckResult]


def health_run(
    settings: BridgeSettings,
    limit: Callable[[Sequence[str], float], AbstractContextManager[Any]] | None = None,
) -> Health:
    """Each configured system (inside ``limit``, a call slot of it: a check is one small call
    but still counts against the system's cap), the store and the calendar."""
    results: list[systems.CheckResult] = []
    for name in systems.configured_systems(settings):
        if limit is None:
            results.append(systems.check_system(settings, name))
            continue
        try:
            with limit([name], BUSY_WAIT_S):
                results.append(systems.check_system(settings, name))
        except TimeoutError:
            # Every slot is held by running syncs or pushes: the system is busy, not down.
            results.append(systems.CheckResult(name, True, 0, "busy: every call slot in use"))
    results.append(check_store(settings))
    results.append(systems.check_calendar(settings))
    down = [r for r in results if not r.ok]
    if not systems.configured_systems(settings):
        down.append(systems.CheckResult("settings", False, 0, "no external system is configured"))
    return Health(results, down)


def check_store(settings: BridgeSettings) -> systems.CheckResult:
    """The store answers a query (it is not migrated here: a health check changes nothing)."""
    started = datetime.now(UTC)
    where = display_database_url(settings.effective_database_url)
    try:
        operations.answers(settings.effective_database_url)
    except Exception as exc:  # any driver error means the same thing here: the store is down
        elapsed = (datetime.now(UTC) - started).total_seconds() * 1000
        return systems.CheckResult("store", False, elapsed, f"{where}: {exc}"[:500])
    elapsed = (datetime.now(UTC) - started).total_seconds() * 1000
    return systems.CheckResult("store", True, elapsed, where)
