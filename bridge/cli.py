"""The `bridge` command: the same pipeline calls the Prefect flows make, without a Prefect server.

Each subcommand is a pair: ``_add_<name>(subparsers)`` declares its arguments and sets
``func``; ``_run_<name>(args) -> int`` does the work and returns the exit status. Imports of
pipeline modules happen inside the run functions so `bridge --help` stays fast.

Exit status: 0 success, 1 the work ran and something failed, 2 bad input or configuration.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError


class UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit status 2."""


# --- bridge config -------------------------------------------------------------------------


def _add_config(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="print the effective settings (secrets masked)")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=_run_config)


def _run_config(args: argparse.Namespace) -> int:
    import json

    from bridge.settings import load_settings

    settings = load_settings()
    shown = settings.masked()
    if args.json:
        print(json.dumps(shown, ensure_ascii=False, indent=2, default=str))
    else:
        for key, value in _flatten(shown):
            print(f"{key} = {value}")
    return 0


def _flatten(data: dict, prefix: str = "") -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(_flatten(value, f"{name}."))
        else:
            rows.append((name, value))
    return rows


# --- bridge db / status / demo -------------------------------------------------------------


def _add_db(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="create or upgrade the store's schema (Alembic)")
    p.add_argument("action", choices=["upgrade", "current"], help="upgrade to the newest schema")
    p.set_defaults(func=_run_db)


def _run_db(args: argparse.Namespace) -> int:
    from bridge.settings import load_settings
    from bridge.store import database

    url = load_settings().effective_database_url
    if args.action == "upgrade":
        database.upgrade(url)
        print(f"store schema is at revision {database.current_revision(url)}")
    else:
        print(database.current_revision(url) or "(empty store)")
    return 0


def _add_status(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="print what the store contains")
    p.set_defaults(func=_run_status)


def _run_status(args: argparse.Namespace) -> int:
    from bridge.settings import load_settings
    from bridge.store import database, queries

    settings = load_settings()
    url = settings.effective_database_url
    if database.current_revision(url) is None:
        print("The store has no schema yet: run `bridge db upgrade` (or `make demo`).")
        return 1
    engine = database.connect(url)
    try:
        print(queries.render_summary(queries.store_summary(engine)))
    finally:
        engine.dispose()
    return 0


def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the main job end to end against the simulators")
    p.set_defaults(func=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from bridge.demo import run_demo

    return run_demo()


# --- bridge check --------------------------------------------------------------------------


def _add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="connect to each configured system, authenticate and read one page"
    )
    p.add_argument("systems", nargs="*", metavar="SYSTEM", help="ioffice, idesk, tracking")
    p.set_defaults(func=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    from bridge.pipelines import systems
    from bridge.settings import load_settings

    settings = load_settings()
    names = args.systems or systems.configured_systems(settings)
    if not names:
        raise UsageError(
            "no system is configured: set e.g. BRIDGE_IOFFICE__BASE_URL (see `bridge config`)"
        )
    results = [systems.check_system(settings, name) for name in names]
    for result in results:
        print(result.line())
    return 0 if all(result.ok for result in results) else 1


# --- bridge deadline -----------------------------------------------------------------------


def _add_deadline(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "deadline",
        help="compute a deadline and explain it (rules of DOMAIN.md section 6)",
        description="Times without an offset are local (Asia/Ho_Chi_Minh).",
    )
    p.add_argument("--received", required=True, help="receipt time, e.g. 2024-02-07T09:15")
    p.add_argument("--days", type=int, help="default period in working days (default 5)")
    p.add_argument("--explicit", help="structured deadline: 2024-02-20 or 2024-02-20T16:30")
    p.add_argument("--text", help="directive or document text that may state a deadline")
    p.add_argument("--doc-date", help="document date, gives the year of dates without one")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run_deadline)


def _run_deadline(args: argparse.Namespace) -> int:
    import json

    from bridge.pipelines import deadlines

    try:
        received = deadlines.parse_local_instant(args.received)
        explicit = deadlines.parse_date_or_instant(args.explicit) if args.explicit else None
        doc_date = deadlines.parse_local_date(args.doc_date) if args.doc_date else None
        policy = deadlines.DEFAULT_POLICY
        if args.days is not None:
            policy = deadlines.DeadlinePolicy(default_working_days=args.days)
        result = deadlines.compute_deadline(
            received, explicit=explicit, text=args.text, doc_date=doc_date, policy=policy
        )
    except ValueError as exc:  # bad dates, and CalendarRangeError for a year not loaded
        raise UsageError(str(exc)) from exc
    if args.json:
        print(json.dumps(result.to_json_dict(), ensure_ascii=False, indent=2))
    else:
        print(result.render_text())
    return 0


# --- bridge simulate ----------------------------------------------------------------------


def _add_simulate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="start the simulated iOffice, iDesk and tracking servers on loopback",
        add_help=False,  # the simulators' own parser prints the options
    )
    p.set_defaults(func=_run_simulate)


def _run_simulate(argv: Sequence[str]) -> int:
    from simulators.cli import main as simulate

    return simulate(list(argv))


# --- entry point ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bridge",
        description="Sync between e-office systems (iOffice, iDesk) and the task-tracking system.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (
        _add_config,
        _add_db,
        _add_status,
        _add_check,
        _add_demo,
        _add_deadline,
        _add_simulate,
    ):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["simulate"]:
        # Every option after "simulate" belongs to the simulators' own parser.
        return _run_simulate(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"bridge {args.command}: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        # Settings or input that failed validation: say which field, never a traceback.
        print(f"bridge {args.command}: invalid settings or input:\n{exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"bridge {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
