"""A resync: some days or some records of one system read again, the live cursor untouched.

The same run for the `resync` flow and `bridge resync` (pipelines/orchestration.py has the
sync, push and deadline watch it shares its ``Run``, ``Steps`` and verdict with): the local
days a form or the command line gives, the run's name saying what was asked, the streams
checked against the registry before anything is read, then each stream read again under the
system's call slot, or only compared with the store (dry run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pipelines import sync, systems
from pipelines.ingest import RunCounts
from pipelines.orchestration import (
    DIRECT,
    FailureWatch,
    Progress,
    Run,
    Steps,
    Verdict,
    live_progress,
)


def local_days(
    first: date | None, last: date | None, timezone: str
) -> tuple[datetime | None, datetime | None]:
    """A range of whole local days (the resync form's date pickers): from 00:00 of ``first``
    to 00:00 of the day after ``last``, in ``timezone``, whatever the browser's own zone."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(first, datetime.min.time(), zone) if first else None
    stop = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone) if last else None
    if start and stop and stop <= start:
        raise ValueError(f"until ({last}) is before since ({first})")
    return start, stop


def resync_name(
    system: str,
    streams: Sequence[str] | None = None,
    since: object = None,
    until: object = None,
    ids: Sequence[str] | None = None,
    dry_run: bool = False,
) -> str:
    """What a resync was asked to read, as its run's name: ``resync-<system>-<streams>-`` then
    ``<since>..<until>`` (``start``/``now`` when open) or ``ids-<first ids>``, ``-dry-run``."""

    def day(value: object, empty: str) -> str:
        if value is None or value == "":
            return empty
        if isinstance(value, datetime):
            return value.isoformat(timespec="minutes")
        return str(value)

    what = "+".join(streams) if streams else "all"
    if ids:
        shown = ",".join(str(i) for i in list(ids)[:3])
        span = f"ids-{shown}" + (f"+{len(ids) - 3}" if len(ids) > 3 else "")
    else:
        span = f"{day(since, 'start')}..{day(until, 'now')}"
    return f"resync-{system}-{what}-{span}" + ("-dry-run" if dry_run else "")


def check_streams(system: str, streams: Sequence[str] | None) -> list[str]:
    """The streams to read: those asked for, each one of the system's (ValueError naming the
    system's streams otherwise), or every stream of the system."""
    from connectors import registry

    known = registry.streams(system)
    wrong = [s for s in streams or () if s not in known]
    if wrong:
        raise ValueError(
            f"{system} has no stream {', '.join(map(repr, wrong))}; its streams: {', '.join(known)}"
        )
    return list(streams or known)


@dataclass
class ResyncOutcome(Verdict):
    system: str = ""
    streams: dict[str, RunCounts] = field(default_factory=dict)
    failed_stream: str = ""


def resync_run(
    run: Run,
    system: str,
    streams: Sequence[str] | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    ids: Sequence[str] | None = None,
    dry_run: bool = False,
    steps_progress: Progress | None = None,
    steps: Steps = DIRECT,
) -> ResyncOutcome:
    """Read a time range or some records of one system again; the live cursor does not move.
    Give either a range or ids (ValueError otherwise); an unknown stream fails before any
    reading."""
    if ids and (since or until):
        raise ValueError("give either source_ids or since/until, not both")
    chosen = check_streams(system, streams)
    catalog = sync.Catalog.load()
    for stream in chosen:
        catalog.mapping(system, stream)
    connector = systems.build_connector(run.settings, system)
    outcome = ResyncOutcome(watch=FailureWatch.start(run.engine), system=system)
    live = live_progress(run, system, outcome.streams, steps_progress)
    window = {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "ids": list(ids) if ids else None,
        "dry_run": dry_run,
    }
    try:
        with run.limit([system]):
            for stream in chosen:
                outcome.failed_stream = stream
                outcome.streams[stream] = RunCounts()
                outcome.streams[stream] = steps.resync_stream(
                    run, connector, catalog, system, stream, window, live
                )
            outcome.failed_stream = ""
    except Exception as exc:
        outcome.error = exc
    outcome.conclude(run.engine)
    return outcome
