"""`bridge failures`: the open failures (records rejected, updates dead, tasks answered by a
secret document), and `--retry` of some or all of them: the same retry as the retry-failures
flow (pipelines/failure_retry.py), each outcome said as it is.

Exit status (README, "Exit status"): 0 nothing open (listing) or every chosen failure queued
again or resolved (retry); 1 failures open (listing) or some still open after the retry; 2 a
choice that is not one (a malformed id, an id that is not open, a bad date).
"""

from __future__ import annotations

import argparse
import logging

from commands import UsageError, local_time, system_names

# The retry logs each outcome for the flows' run logs; here the lines printed say the same.
_QUIET = logging.getLogger("bridge.cli.failures")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False

_SAID = {
    "queued": "queued again; the next sync or `bridge push` sends it",
    "resolved": "read again, resolved",
    "still_failing": "still failing",
    "not_retried": "not retried",
}


def add_failures(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "failures", help="open failures (rejected records, dead updates); --retry them"
    )
    p.add_argument(
        "--retry", metavar="WHICH",
        help="all, or ids: L<id> dead letter (read again), O<id> outbox (queued again), "
        "e.g. L2,O142",
    )  # fmt: skip
    p.add_argument("--system", choices=system_names(), help="only the failures of this system")
    p.add_argument("--since", metavar="DATE", help="only those opened on or after this local day")
    p.add_argument("--until", metavar="DATE", help="only those opened on or before this local day")
    p.add_argument("--json", action="store_true", help="print the open failures as JSON")
    p.set_defaults(func=run_failures)


def _day(value: str | None, option: str):  # type: ignore[no-untyped-def]
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date (YYYY-MM-DD, local)") from None


def run_failures(args: argparse.Namespace) -> int:
    from bridge.settings import load_settings
    from pipelines.failure_retry import Choice, ChoiceError, parse_tags
    from store import database, queries

    settings = load_settings()
    try:
        tags = parse_tags(args.retry) if args.retry is not None else ()
        choice = Choice(tags, args.system, _day(args.since, "--since"), _day(args.until, "--until"))
        url = settings.effective_database_url
        database.require_schema(url)  # an empty store is said, not created
        if args.retry is not None:
            return _retry(settings, choice)
        engine = database.connect(url)
        try:
            failures = choice.pick(queries.list_failures(engine), settings.timezone, listing=True)
        finally:
            engine.dispose()
    except ChoiceError as exc:
        raise UsageError(str(exc)) from None
    tz = settings.timezone
    if args.json:
        import dataclasses
        import json

        rows = [
            {"tag": f.tag, **dataclasses.asdict(f),
             **{k: local_time(getattr(f, k), tz, iso=True) for k in ("last_seen", "since")}}
            for f in failures
        ]  # fmt: skip
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return 1 if failures else 0
    if not failures:
        print("No failures.")
        return 0
    for f in failures:
        print(
            f"{f.tag:<7} {f.where}  ({f.count}x, since {local_time(f.since, tz)}, "
            f"last {local_time(f.last_seen, tz)})"
        )
        print(f"        {f.reason}")
    print(
        f"{len(failures)} failure(s). Retry with: bridge failures --retry all (or L<id>,O<id>; "
        "--system, --since/--until narrow it)"
    )
    return 1


def _retry(settings, choice) -> int:  # type: ignore[no-untyped-def]
    from pipelines import failure_retry, orchestration
    from store import operations

    with operations.opened(settings.effective_database_url) as engine:
        run = orchestration.Run(settings, engine, _QUIET)
        out = failure_retry.retry_run(run, choice)
    if not out.chosen:
        print("No open failure matches: nothing retried.")
        return 0
    for r in out.retried:
        said = _SAID[r.outcome]
        detail = "" if r.outcome in ("queued", "resolved") else f": {r.detail}"
        print(f"{r.failure.tag}: {said}{detail}")
    print(out.summary())
    return 1 if out.still_open else 0
