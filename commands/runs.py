"""`bridge sync`, `resync` and `push`: the runs of pipelines/orchestration.py, the same the
Prefect flows make (flows.py), printed for a terminal (`bridge failures`: commands/failures.py).

Each subcommand is a pair: ``add_<name>(subparsers)`` declares its arguments and sets ``func``;
``run_<name>(args) -> int`` does the work. Imports happen inside the run functions so that
`bridge --help` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import sys

from commands import UsageError, example_variable, system_names

# --- bridge sync / resync ------------------------------------------------------------------


# The orchestration logs each page and step; the command prints its own lines instead.
_LOG = logging.getLogger("bridge.cli")


def _progress(stream: str, counts) -> None:  # type: ignore[no-untyped-def]
    # One line per page on stderr, so stdout stays the summary a script can read.
    print(
        f"  {stream}: page {counts.pages}, fetched {counts.fetched}, new {counts.new}, "
        f"changed {counts.changed}, rejected {counts.rejected}",
        file=sys.stderr,
    )


def _summary(system: str, stream: str, counts) -> str:  # type: ignore[no-untyped-def]
    return (
        f"{system}/{stream}: fetched {counts.fetched}, new {counts.new}, changed "
        f"{counts.changed}, unchanged {counts.unchanged}, rejected {counts.rejected}, "
        f"secret skipped {counts.secret_skipped}"
    )


def add_sync(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sync", help="read what changed in each system since the last run")
    p.add_argument("systems", nargs="*", metavar="SYSTEM", help="default: every configured one")
    p.add_argument(
        "--no-reconcile", action="store_true",
        help="only read; do not link tasks, derive statuses or queue updates afterwards",
    )  # fmt: skip
    p.set_defaults(func=run_sync)


def run_sync(args: argparse.Namespace) -> int:
    from bridge.settings import load_settings
    from pipelines import orchestration, systems
    from store import operations

    settings = load_settings()
    names = args.systems or systems.configured_systems(settings)
    if not names:
        raise UsageError(f"no system is configured: set e.g. {example_variable()}")
    new = retryable = 0
    with operations.opened(settings.effective_database_url) as engine:
        run = orchestration.Run(settings, engine, _LOG)
        for name in names:
            # The same run as the sync-system flow: streams, rejects read again, reconcile, push.
            out = orchestration.sync_run(
                run, name, reconcile_and_push=not args.no_reconcile, progress=_progress
            )
            for stream, counts in out.streams.items():
                print(_summary(name, stream, counts))
            if out.error is not None:
                raise out.error
            if out.reconciled is not None:
                _print_reconcile(out.reconciled)
            if out.pushed is not None:
                _print_push(out.pushed)
            if out.new:
                print(orchestration.failure_summary(out.new))
            new += len(out.new)
            # A record rejected or an update dead is work left for someone (README, "Exit
            # status"); a task answered by a secret document is said but is no fault of the run.
            retryable += sum(1 for f in out.new if f.kind != "secret_answer")
    if new:
        print(f"{new} new failure(s): see `bridge failures`")
    return 1 if retryable else 0


def _print_reconcile(report) -> None:  # type: ignore[no-untyped-def]
    print(
        f"reconcile: {report.tasks} tasks, {report.linked_source} linked to their source, "
        f"{report.linked_response} answered; queued {report.completions_queued} completion(s), "
        f"{report.deadlines_queued} deadline(s), {report.warnings_queued} warning(s), "
        f"{report.extensions_queued} extension request(s); {report.secret_answers} answered by "
        "a secret document (not pushed: report through the secret channel)"
    )
    for problem in report.ambiguous:
        print(f"  ambiguous (not guessed): {problem}")


def _print_push(counts) -> None:  # type: ignore[no-untyped-def]
    print(f"pushed: {counts.summary()}")


def add_resync(sub: argparse._SubParsersAction) -> None:
    from connectors import registry

    p = sub.add_parser("resync", help="read a time range or some records again (cursor stays)")
    p.add_argument("--system", required=True, choices=system_names())
    p.add_argument(
        "--stream", action="append", choices=registry.stream_names(), metavar="STREAM",
        help="a stream of the system, repeatable: " + "; ".join(
            f"{name}: {', '.join(registry.streams(name))}" for name in system_names()
        ) + " (default: every stream of the system)",
    )  # fmt: skip
    p.add_argument(
        "--since",
        help="first local day (Asia/Ho_Chi_Minh) to read, e.g. 2026-12-01, or an ISO 8601 "
        "change time, e.g. 2026-12-01T08:00 (local unless it has an offset)",
    )
    p.add_argument("--until", help="last local day to read (included), or an ISO 8601 time")
    p.add_argument("--ids", help="comma-separated source ids instead of a range")
    p.add_argument(
        "--dry-run", action="store_true",
        help="say what would be read and how it compares with the store; write nothing",
    )  # fmt: skip
    p.set_defaults(func=run_resync)


def _moments(since: str | None, until: str | None, timezone: str):  # type: ignore[no-untyped-def]
    """--since/--until as times: a bare date is a whole local day (until: the day included),
    a time without an offset is local."""
    from datetime import date, datetime

    from pipelines import orchestration, orchestration_resync

    def parse(value: str | None):  # type: ignore[no-untyped-def]
        if not value:
            return None
        try:
            return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            raise UsageError(
                f"{value!r} is neither a date (2026-12-01) nor an ISO 8601 time (2026-12-01T08:00)"
            ) from None

    first, last = parse(since), parse(until)
    days = [v if not isinstance(v, datetime) else None for v in (first, last)]
    try:
        start, stop = orchestration_resync.local_days(days[0], days[1], timezone)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if isinstance(first, datetime):
        start = orchestration.aware(first, timezone)
    if isinstance(last, datetime):
        stop = orchestration.aware(last, timezone)
    return start, stop


def run_resync(args: argparse.Namespace) -> int:
    from bridge.settings import load_settings
    from pipelines import orchestration, orchestration_resync
    from store import database, operations

    if args.ids and (args.since or args.until):
        raise UsageError("give either --ids or --since/--until, not both")
    settings = load_settings()
    since, until = _moments(args.since, args.until, settings.timezone)
    ids = [i.strip() for i in args.ids.split(",") if i.strip()] if args.ids else None
    try:
        streams = orchestration_resync.check_streams(args.system, args.stream)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    # Named as asked, like the flow's run: the days or times as typed.
    name = orchestration_resync.resync_name(
        args.system, args.stream, args.since, args.until, ids, dry_run=args.dry_run
    )
    print(f"{name}: reading {', '.join(streams)} of {args.system}"
          + (" (dry run: nothing is written)" if args.dry_run else ""))  # fmt: skip
    if args.dry_run:
        database.require_schema(settings.effective_database_url)
    with operations.opened(settings.effective_database_url, migrate=not args.dry_run) as engine:
        out = orchestration_resync.resync_run(
            orchestration.Run(settings, engine, _LOG), args.system, streams, since=since,
            until=until, ids=ids, dry_run=args.dry_run, steps_progress=_progress,
        )  # fmt: skip
    for stream, counts in out.streams.items():
        print(_summary(args.system, stream, counts))
    if out.error is not None:
        raise out.error
    if args.dry_run:
        print("dry run: the counts say what a resync would write; nothing was written")
    if out.new:
        print(orchestration.failure_summary(out.new))
    return 0


# --- bridge push --------------------------------------------------------------------------


def add_push(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("push", help="send the outbox to the other systems (or show it)")
    p.add_argument("--dry-run", action="store_true", help="print what would be sent, send nothing")
    p.set_defaults(func=run_push)


def run_push(args: argparse.Namespace) -> int:
    from bridge.settings import load_settings
    from pipelines import orchestration
    from store import database, operations

    settings = load_settings()
    if args.dry_run:
        database.require_schema(settings.effective_database_url)
    # A dry run changes nothing, not even the schema; a push records its run like the flow's.
    with operations.opened(settings.effective_database_url, migrate=not args.dry_run) as engine:
        run = orchestration.Run(settings, engine, _LOG)
        out = orchestration.push_run(run, dry_run=args.dry_run)
    if args.dry_run:
        print("\n".join(out.due) if out.due else "Không có cập nhật nào đang chờ gửi.")
        return 0
    _print_push(out.pushed)
    if out.new:
        print(orchestration.failure_summary(out.new))
    return 1 if out.pushed.dead else 0
