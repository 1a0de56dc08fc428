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
    p.set_defaults(func=_run_status)


def _run_status(args: argparse.Namespace) -> int:
    from bridge.settings import load_settings
    from store import database, queries

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
    p.add_argument("--days", type=int, default=10, help="simulated days to run (default 10)")
    p.add_argument("--size", type=int, default=600, help="documents in the world (default 600)")
    p.set_defaults(func=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from bridge.demo import run_demo

    if args.days < 1 or args.size < 10:
        raise UsageError("--days must be at least 1 and --size at least 10")
    return run_demo(days=args.days, size=args.size)


def _system_names() -> tuple[str, ...]:
    """The registered systems (connectors/registry.py): the CLI's choices."""
    from connectors import registry

    return registry.names()


def _example_variable() -> str:
    return f"BRIDGE_{_system_names()[0].upper()}__BASE_URL"


# --- bridge check --------------------------------------------------------------------------


def _add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="connect to each configured system, authenticate and read one page"
    )
    p.add_argument("systems", nargs="*", metavar="SYSTEM", help=", ".join(_system_names()))
    p.set_defaults(func=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    from bridge.settings import load_settings
    from pipelines import systems

    settings = load_settings()
    names = args.systems or systems.configured_systems(settings)
    if not names:
        raise UsageError(
            f"no system is configured: set e.g. {_example_variable()} (see `bridge config`)"
        )
    results = [systems.check_system(settings, name) for name in names]
    results.append(systems.check_calendar(settings))
    for result in results:
        print(result.line())
    return 0 if all(result.ok for result in results) else 1


# --- bridge sync / resync ------------------------------------------------------------------


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


def _add_sync(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sync", help="read what changed in each system since the last run")
    p.add_argument("systems", nargs="*", metavar="SYSTEM", help="default: every configured one")
    p.add_argument(
        "--no-reconcile", action="store_true",
        help="only read; do not link tasks, derive statuses or queue updates afterwards",
    )  # fmt: skip
    p.set_defaults(func=_run_sync)


def _run_sync(args: argparse.Namespace) -> int:
    from bridge.settings import load_settings
    from pipelines import sync, systems
    from store import database

    settings = load_settings()
    names = args.systems or systems.configured_systems(settings)
    if not names:
        raise UsageError(f"no system is configured: set e.g. {_example_variable()}")
    database.upgrade(settings.effective_database_url)
    engine = database.connect(settings.effective_database_url)
    catalog = sync.Catalog.load()
    rejected = 0
    for name in names:
        connector = systems.build_connector(settings, name)
        for stream, counts in sync.sync_system(
            engine, connector, catalog, progress=_progress
        ).items():
            print(_summary(name, stream, counts))
            rejected += counts.rejected
    if not args.no_reconcile:
        _reconcile_and_report(engine, settings)
    if rejected:
        print(f"{rejected} record(s) rejected: see `bridge failures`")
    return 0


def _reconcile_and_report(engine, settings) -> None:  # type: ignore[no-untyped-def]
    from pipelines import reconcile

    report = reconcile.reconcile(
        engine, actions=reconcile.AtRiskActions.from_settings(settings.at_risk)
    )
    print(
        f"reconcile: {report.tasks} tasks, {report.linked_source} linked to their source, "
        f"{report.linked_response} answered; queued {report.completions_queued} completion(s), "
        f"{report.deadlines_queued} deadline(s), {report.warnings_queued} warning(s), "
        f"{report.extensions_queued} extension request(s); {report.secret_answers} answered by "
        "a secret document (not pushed: report through the secret channel)"
    )
    for problem in report.ambiguous:
        print(f"  ambiguous (not guessed): {problem}")


def _add_resync(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("resync", help="read a time range or some records again (cursor stays)")
    p.add_argument("--system", required=True, choices=_system_names())
    p.add_argument("--stream", help="incoming, outgoing, directives or tasks (default: all)")
    p.add_argument("--since", help="ISO 8601 change time to start from, e.g. 2024-02-01T00:00")
    p.add_argument("--until", help="ISO 8601 change time to stop after")
    p.add_argument("--ids", help="comma-separated source ids instead of a range")
    p.set_defaults(func=_run_resync)


def _run_resync(args: argparse.Namespace) -> int:
    from bridge.settings import load_settings
    from pipelines import sync, systems
    from pipelines.ingest import parse_marker
    from store import database

    if args.ids and (args.since or args.until):
        raise UsageError("give either --ids or --since/--until, not both")
    for value in (args.since, args.until):
        if value:
            try:
                parse_marker(value)
            except ValueError:
                raise UsageError(f"{value!r} is not an ISO 8601 time") from None
    settings = load_settings()
    database.upgrade(settings.effective_database_url)
    engine = database.connect(settings.effective_database_url)
    catalog = sync.Catalog.load()
    connector = systems.build_connector(settings, args.system)
    ids = [i.strip() for i in args.ids.split(",") if i.strip()] if args.ids else None
    for stream in [args.stream] if args.stream else catalog.streams_of(args.system):
        counts = sync.resync(
            engine, connector, catalog, stream=stream, since=args.since, until=args.until,
            ids=ids, progress=_progress,
        )  # fmt: skip
        print(_summary(args.system, stream, counts))
    return 0


# --- bridge push / failures ----------------------------------------------------------------


def _add_push(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("push", help="send the outbox to the other systems (or show it)")
    p.add_argument("--dry-run", action="store_true", help="print what would be sent, send nothing")
    p.set_defaults(func=_run_push)


def _run_push(args: argparse.Namespace) -> int:
    from bridge.settings import load_settings
    from pipelines import push, systems
    from store import database

    settings = load_settings()
    engine = database.connect(settings.effective_database_url)
    if args.dry_run:
        lines = push.dry_run(engine)
        print("\n".join(lines) if lines else "Không có cập nhật nào đang chờ gửi.")
        return 0
    connectors = {name: systems.build_connector(settings, name)
                  for name in systems.configured_systems(settings)}  # fmt: skip

    def show(counts: push.PushCounts) -> None:
        print(f"  claimed {counts.claimed}, done {counts.done}, retrying {counts.retrying}, "
              f"dead {counts.dead}", file=sys.stderr)  # fmt: skip

    counts = push.push_due(
        engine, connectors, max_attempts=settings.outbox_max_attempts, progress=show
    )
    print(f"pushed: {counts.done} done, {counts.retrying} to retry, {counts.dead} dead")
    return 1 if counts.dead else 0


def _add_failures(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("failures", help="dead letters and dead outbox rows, with --retry")
    p.add_argument("--retry", metavar="ID", help="retry one: dead letter L<id> or outbox O<id>")
    p.set_defaults(func=_run_failures)


def _run_failures(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bridge.settings import load_settings
    from store import database, queries

    engine = database.connect(load_settings().effective_database_url)
    now = datetime.now(UTC)
    if args.retry:
        tag = args.retry.strip().upper()
        kind, number = tag[:1], tag[1:]
        if kind not in ("L", "O") or not number.isdigit():
            raise UsageError(f"--retry takes L<id> (dead letter) or O<id> (outbox), not {tag!r}")
        if kind == "L":
            where = queries.resolve_dead_letter(engine, int(number), now)
            if where is None:
                raise UsageError(f"no open dead letter L{number}")
            system, stream, source_id = where
            if stream == queries.CALENDAR_STREAM:  # reconcile reopens it while the year is missing
                print(
                    f"L{number}: marked resolved. Add the year's calendar file, then: bridge sync"
                )
            else:
                print(
                    f"L{number}: marked resolved. Read the record again with: "
                    f"bridge resync --system {system} --stream {stream} --ids {source_id}"
                )
        else:
            if not queries.retry_dead_outbox(engine, int(number), now):
                raise UsageError(f"no dead outbox row O{number}")
            print(f"O{number}: pending again; `bridge push` sends it")
        return 0
    failures = queries.list_failures(engine)
    if not failures:
        print("No failures.")
        return 0
    for failure in failures:
        tag = {"dead_letter": "L", "secret_answer": "S"}.get(failure.kind, "O") + str(failure.id)
        print(
            f"{tag:<7} {failure.where}  ({failure.count}x, last {failure.last_seen:%Y-%m-%d %H:%M})"
        )
        print(f"        {failure.reason}")
    print(f"{len(failures)} failure(s). Retry one with: bridge failures --retry L<id>|O<id>")
    return 1


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
    p.add_argument(
        "--text", action="append",
        help="directive or document text (abstract, body) that may state a deadline; repeat it "
        "for several texts: every deadline they state is read and the earliest wins",
    )  # fmt: skip
    p.add_argument("--doc-date", help="document date, gives the year of dates without one")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run_deadline)


def _run_deadline(args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from pipelines import deadlines, due

    try:
        received = deadlines.parse_local_instant(args.received)
        explicit = deadlines.parse_date_or_instant(args.explicit) if args.explicit else None
        doc_date = deadlines.parse_local_date(args.doc_date) if args.doc_date else None
        policy = due.active_policy()  # the settings' [deadline_policy]
        if args.days is not None:
            policy = dataclasses.replace(policy, default_working_days=args.days)
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


# --- bridge parse --------------------------------------------------------------------------

_PARSE_LABELS = {
    "number": "Số",
    "notation": "Ký hiệu",
    "type_code": "Loại (viết tắt)",
    "type_name": "Loại văn bản",
    "issuer": "Cơ quan ban hành",
    "year": "Năm",
    "date": "Ngày ban hành",
    "place": "Địa danh",
    "urgency": "Độ khẩn",
    "secrecy": "Độ mật",
    "signer_competence": "Thẩm quyền ký",
    "signer_position": "Chức vụ người ký",
    "deadline": "Hạn",
    "deadline_phrase": "Cụm từ nêu hạn",
    "recurring": "Lịch định kỳ",
    "citations": "Văn bản được dẫn",
}


def _add_parse(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parse", help="read number, notation, type, dates and marks from text")
    p.add_argument("text", nargs="?", help="the text (default: --file, else standard input)")
    p.add_argument("--file", help="read the text from this UTF-8 file")
    p.add_argument("--doc-date", help="the document's date, for dates written without a year")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run_parse)


def _run_parse(args: argparse.Namespace) -> int:
    import json
    from datetime import date
    from pathlib import Path

    from pipelines.parsing import parse_text

    if args.text is not None:
        text = args.text
    else:
        try:
            raw = Path(args.file).read_bytes() if args.file else sys.stdin.buffer.read()
            text = raw.decode("utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"the input is not UTF-8 (byte {exc.start}); convert it first, e.g. iconv"
            ) from None
    try:
        doc_date = date.fromisoformat(args.doc_date) if args.doc_date else None
    except ValueError:
        raise UsageError(f"--doc-date {args.doc_date!r} is not YYYY-MM-DD") from None
    found = parse_text(text, doc_date=doc_date)
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
    else:
        for key, value in found.items():
            if key == "citations":  # "Nghị định 45/2024/NĐ-CP ngày 2024-10-04; ..."
                value = "; ".join(
                    " ".join(
                        part
                        for part in (
                            c.get("type_name", ""),
                            c["code"],
                            f"ngày {c['date']}" if "date" in c else "",
                        )
                        if part
                    )
                    for c in value
                )
            print(f"{_PARSE_LABELS.get(key, key)}: {value}")
        if not found:
            print("Không nhận ra thông tin nào.")
    return 0


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
    if database.current_revision(url) is None:
        print("The store has no schema yet: run `bridge db upgrade` and `bridge sync` first.")
        return 1
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
    for add in (
        _add_config,
        _add_db,
        _add_status,
        _add_check,
        _add_sync,
        _add_resync,
        _add_push,
        _add_failures,
        _add_demo,
        _add_deadline,
        _add_parse,
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
    except Exception as exc:
        return _known_failure(args.command, exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _known_failure(command: str, exc: Exception) -> int:
    """A system that failed (exit 1) or a configuration that is wrong (exit 2), said in one
    line; anything else is a bug and keeps its traceback."""
    from connectors.http import ConnectorError
    from mappings.loader import MappingError
    from pipelines.systems import NotConfigured

    if isinstance(exc, ConnectorError):
        print(f"bridge {command}: {exc}", file=sys.stderr)
        return 1
    if isinstance(exc, MappingError | NotConfigured):
        print(f"bridge {command}: {exc}", file=sys.stderr)
        return 2
    raise exc


if __name__ == "__main__":
    sys.exit(main())
