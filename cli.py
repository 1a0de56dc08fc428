"""The `bridge` command: the same runs the Prefect flows make (pipelines/orchestration.py),
without a Prefect server. The run commands (sync, resync, push) are in commands/runs.py,
`failures` in commands/failures.py, the text tools (deadline, parse) in commands/text.py;
the rest is here.

Each subcommand is a pair: ``_add_<name>(subparsers)`` declares its arguments and sets
``func``; ``_run_<name>(args) -> int`` does the work and returns the exit status. Imports of
pipeline modules happen inside the run functions so `bridge --help` stays fast.

Exit status (README, "Exit status"): 0 success, 1 a system or the store failed or the work
left new failures, 2 bad input or configuration. Expected errors are one line each, without a
traceback (commands/errors.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from commands import UsageError, errors, example_variable, failures, runs, system_names, text
from commands.config import add_config

# --- bridge db / status / demo -------------------------------------------------------------


def _add_db(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="create or upgrade the store's schema (Alembic)")
    p.add_argument("action", choices=["upgrade", "current"], help="upgrade to the newest schema")
    p.set_defaults(func=_run_db)


def _run_db(args: argparse.Namespace) -> int:
    from bridge.settings import load_settings
    from store import database

    url = load_settings().effective_database_url
    if args.action == "upgrade":
        database.upgrade(url)
        print(f"store schema is at revision {database.current_revision(url)}")
    else:
        print(database.current_revision(url) or "(empty store)")
    return 0


def _add_status(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="print what the store contains")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=_run_status)


def _run_status(args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from bridge.settings import load_settings
    from store import database, queries

    settings = load_settings()
    url = settings.effective_database_url
    database.require_schema(url)  # an empty store is said, not created: status changes nothing
    engine = database.connect(url)
    try:
        summary = queries.store_summary(engine)
    finally:
        engine.dispose()
    if args.json:
        data = dataclasses.asdict(summary)
        keys = ("system", "stream", "cursor")
        data["cursors"] = [dict(zip(keys, cursor, strict=True)) for cursor in summary.cursors]
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print(queries.render_summary(summary))
    return 0


def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the main job end to end against the simulators")
    p.add_argument("--days", type=int, default=10, help="simulated days to run (default 10)")
    p.add_argument("--size", type=int, default=600, help="documents in the world (default 600)")
    p.set_defaults(func=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from bridge.demo import run_demo

    if args.days < 1 or args.size < 10:
        raise UsageError("--days must be at least 1 and --size at least 10")
    return run_demo(days=args.days, size=args.size)


# --- bridge check --------------------------------------------------------------------------


def _add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="connect to each configured system, authenticate and read one page"
    )
    p.add_argument("systems", nargs="*", metavar="SYSTEM", help=", ".join(system_names()))
    p.set_defaults(func=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    from bridge.settings import load_settings
    from pipelines import systems

    settings = load_settings()
    names = args.systems or systems.configured_systems(settings)
    if not names:
        raise UsageError(
            f"no system is configured: set e.g. {example_variable()} (see `bridge config`)"
        )
    results = [systems.check_system(settings, name) for name in names]
    results.append(systems.check_calendar(settings))
    for result in results:
        print(result.line())
    return 0 if all(result.ok for result in results) else 1


# --- bridge report -------------------------------------------------------------------------


def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="on-time/late figures of documents and tasks per unit for a period: an Excel "
        "file and a Word report (docs/domain.md §7)",
    )
    p.add_argument(
        "--period", required=True,
        help="2024-W48 (ISO week), 2024-11, 2024-Q4, 2024-H1, 2024-H2, 2024-9M, 2024, or "
        "2024-11-01..2024-11-30",
    )  # fmt: skip
    p.add_argument("--unit", help="one canonical unit id, e.g. CNTT (default: every unit)")
    p.add_argument(
        "--out", help="the .xlsx file to write, the .docx goes beside it (default: var/reports/)"
    )
    days = p.add_mutually_exclusive_group()
    days.add_argument(
        "--calendar", action="store_true",
        help="plain calendar days (a month is the 1st to its last day)",
    )  # fmt: skip
    days.add_argument(
        "--cutoff", action="store_true",
        help="the data cut-off of Decree 09/2019 (a month is the 15th of the previous month to "
        "the 14th); the default unless [reports] calendar_periods is set",
    )  # fmt: skip
    p.add_argument(
        "--basis", choices=("due", "received"),
        help="items due (or done) in the period, or received in it (default: [reports] basis)",
    )  # fmt: skip
    p.set_defaults(func=_run_report)


def _run_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bridge.settings import AGENCY_PLACEHOLDER, load_settings
    from pipelines.periods import PeriodError, parse_period
    from pipelines.report import UnknownUnit
    from reports import write_report
    from reports.markdown import percent
    from store import database

    settings = load_settings()
    cutoff = args.cutoff or (not args.calendar and not settings.reports.calendar_periods)
    try:
        period = parse_period(args.period, cutoff=cutoff)
    except PeriodError as exc:
        raise UsageError(str(exc)) from None
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() != ".xlsx":
        raise UsageError(f"--out {args.out!r} must name an .xlsx file")
    url = settings.effective_database_url
    database.require_schema(url)
    engine = database.connect(url)
    try:
        written = write_report(engine, period, args.unit, out, settings=settings, basis=args.basis)
    except UnknownUnit as exc:
        raise UsageError(str(exc)) from None
    finally:
        engine.dispose()
    print(written.path)
    print(written.docx_path)
    print(f"{period.title_vi()}:")
    for kind in written.report.kinds:
        t = kind.total
        print(
            f"  {kind.label}: {t.counted} — đúng hạn {t.done_on_time}, trễ hạn {t.done_late}, "
            f"đang thực hiện {t.in_progress}, quá hạn {t.overdue}, chưa thực hiện "
            f"{t.not_started}, gia hạn {t.extended}; tỷ lệ đúng hạn {percent(t.on_time_rate)}"
        )
    print(f"  Sai lệch với hệ thống theo dõi: {len(written.mismatches)}")
    if settings.agency_name == AGENCY_PLACEHOLDER:
        print(
            f"note: agency_name is still the placeholder {AGENCY_PLACEHOLDER!r}; set it (and "
            "[reports] parent_agency, agency_abbreviation, place) in bridge.toml",
            file=sys.stderr,
        )
    return 0


# --- bridge serve -------------------------------------------------------------------------


def _add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="serve the Prefect deployments (schedules: [schedules] in the settings)"
    )
    p.add_argument(
        "--with-server", action="store_true",
        help="start a local Prefect server on 127.0.0.1 first (BRIDGE_PREFECT_PORT, default 4200)",
    )  # fmt: skip
    p.set_defaults(func=_run_serve)


def _run_serve(args: argparse.Namespace) -> int:
    from bridge import serve

    return serve.main(["--with-server"] if args.with_server else [])


# --- bridge simulate ----------------------------------------------------------------------


def _add_simulate(sub: argparse._SubParsersAction) -> None:
    sub.add_parser(
        "simulate",
        help="start the simulated e-office and tracking servers on loopback",
        add_help=False,  # the simulators' own parser prints the options
    )
    # No func: main() hands everything after "simulate" to the simulators' own parser.


def _run_simulate(argv: Sequence[str]) -> int:
    from simulators.cli import main as simulate

    return simulate(list(argv))


# --- entry point ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bridge",
        description="Sync between e-office systems and the task-tracking system.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    for add in (
        add_config,
        _add_db,
        _add_status,
        _add_check,
        runs.add_sync,
        runs.add_resync,
        runs.add_push,
        failures.add_failures,
        _add_demo,
        text.add_deadline,
        text.add_parse,
        _add_report,
        _add_serve,
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
    except Exception as exc:
        # Expected errors (settings, usage, a system or the store failing) are one line and
        # a documented exit status; anything else is a bug and keeps its traceback.
        return errors.report(args.command, exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def version() -> str:
    """The installed package's version, else the one in pyproject.toml (a bare checkout)."""
    from importlib import metadata

    try:
        return metadata.version("eoffice-bridge")
    except metadata.PackageNotFoundError:
        import tomllib
        from pathlib import Path

        pyproject = Path(__file__).resolve().parent / "pyproject.toml"
        try:
            return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


if __name__ == "__main__":
    sys.exit(main())
