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
    p = sub.add_parser("resync", help="read a time range or some records again (cursor stays)")
    p.add_argument("--system", required=True, choices=system_names())
    p.add_argument("--stream", help="incoming, outgoing, directives or tasks (default: all)")
    p.add_argument(
        "--since",
        help="ISO 8601 change time to start from, e.g. 2024-02-01T00:00 (local time unless it "
        "has an offset)",
    )
    p.add_argument("--until", help="ISO 8601 change time to stop after")
    p.add_argument("--ids", help="comma-separated source ids instead of a range")
    p.set_defaults(func=run_resync)


def run_resync(args: argparse.Namespace) -> int:
    from datetime import datetime

    from bridge.settings import load_settings
    from pipelines import orchestration
    from store import operations

    if args.ids and (args.since or args.until):
        raise UsageError("give either --ids or --since/--until, not both")
    settings = load_settings()
    moments = []
    for value in (args.since, args.until):
        try:
            moment = datetime.fromisoformat(value) if value else None
        except ValueError:
            raise UsageError(f"{value!r} is not an ISO 8601 time") from None
        moments.append(orchestration.aware(moment, settings.timezone))
    ids = [i.strip() for i in args.ids.split(",") if i.strip()] if args.ids else None
    with operations.opened(settings.effective_database_url) as engine:
        out = orchestration.resync_run(
            orchestration.Run(settings, engine, _LOG), args.system,
            [args.stream] if args.stream else None, since=moments[0], until=moments[1],
            ids=ids, steps_progress=_progress,
        )  # fmt: skip
    for stream, counts in out.streams.items():
        print(_summary(args.system, stream, counts))
    if out.error is not None:
        raise out.error
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
