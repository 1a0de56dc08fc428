"""Prefect flows: thin wrappers over pipelines/orchestration.py, which the `bridge` command
(cli.py) calls too, so a scheduled run and a run by hand do the same thing.

State lives in our store, not in Prefect (docs/design.md). What Prefect adds is the schedule
(prefect.yaml, or bridge/serve.py on one machine), the run history, a task per stream and per
step (so a run page shows its graph and which stream failed: bridge/flow_tasks.py, with how a
run ends), and what every run shows the
officials who watch it: the Vietnamese tables of reports/artifacts.py, published here. A run
that left *new* failures ends Failed, saying how many and where, so a Prefect automation can
tell someone; failures known before the run are listed again but do not fail every run after.
Every run also refreshes the standing table of every open failure (``open-failures``), and the
``retry-failures`` flow retries them (pipelines/failure_retry.py).

Calls to an external system run inside the Prefect global concurrency limit named after that
system (``concurrency(<system>, occupy=1, strict=True)``); bridge/serve.py creates the limits.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Literal

from prefect import flow, get_run_logger
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.states import Completed, Failed, State

from bridge.flow_tasks import HOOKS, TASKS, limit, new_run, publish, publish_open, refused, verdict
from bridge.settings import load_settings
from connectors import registry
from pipelines import failure_retry as retry
from pipelines import orchestration as orch
from pipelines import orchestration_checks as checks
from pipelines import orchestration_resync as resyncs
from reports import artifacts as tables
from reports import failure_tables
from reports.artifacts import MAX_ROWS, SYSTEM_LABELS
from store import operations

# The registered systems and their streams (connectors/registry.py): the choices of the
# flows' forms. bridge/serve.py narrows them to the configured systems when it serves.
SystemName = Literal[registry.names()]  # type: ignore[valid-type]
StreamName = Literal[registry.stream_names()]  # type: ignore[valid-type]
ReportSchedule = Literal["weekly", "monthly", "quarterly", "half_yearly", "yearly"]
RetryWhich = Literal["all", "system", "ids", "time_range"]


@flow(name="sync-system", flow_run_name="sync-{system}", **HOOKS)
def sync_system(system: SystemName, now: datetime | None = None) -> State:
    """Read what changed in one system, link tasks to their documents, then push the outbox.

    Every stream of the system from its stored cursor (the same run as `bridge sync`), the
    records rejected earlier read again one by one, then reconcile (links, derived statuses,
    computed deadlines, at-risk warnings, the outbox), then push.

    Args:
        system: the system to read (one of the registered systems).
        now: reference time for statuses and deadlines; empty means now. A time without an
            offset is local (Asia/Ho_Chi_Minh).
    """
    settings = load_settings()
    tz, label = settings.timezone, SYSTEM_LABELS[system]
    with operations.opened(settings.effective_database_url) as engine:
        try:
            out = orch.sync_run(new_run(settings, engine), system, orch.aware(now, tz), steps=TASKS)
        except ValueError as exc:  # not configured, no mapping: said before reading anything
            return refused(exc)
        if out.error is not None:
            note = tables.error_note(out.error)
            rows = [tables.stream_row(system, s, c, note if s == out.failed_stream else "")
                    for s, c in out.streams.items()]  # fmt: skip
            publish(f"sync-{system}", rows, f"Đồng bộ {label}: lỗi")
            verdict(out, tz, "sync", {})
            return refused(out.error)
        rows = [tables.stream_row(system, s, c, tables.healed_note(out.healed.get(s)))
                for s, c in out.streams.items()] + [tables.push_row(out.pushed)]  # fmt: skip
        report = out.reconciled
        publish(
            f"sync-{system}", rows,
            f"Đồng bộ {label}, liên kết nhiệm vụ và gửi cập nhật. Nhiệm vụ: {report.tasks}; đã "
            f"có văn bản trả lời: {report.linked_response}; chưa rõ văn bản trả lời: "
            f"{len(report.ambiguous)}.",
        )  # fmt: skip
        return verdict(out, tz, "sync", out.result())


@flow(name="push-updates", **HOOKS)
def push_updates(dry_run: bool = False) -> State:
    """Send the outbox to the other systems: completions, progress, extensions, deadlines.

    Every sync already ends with a push; run this after retrying a dead update
    (`bridge failures --retry O<id>`) or to see what is waiting.

    Args:
        dry_run: only describe (in Vietnamese) what would be sent; send nothing.
    """
    settings = load_settings()
    with operations.opened(settings.effective_database_url) as engine:
        out = orch.push_run(new_run(settings, engine), dry_run=dry_run, steps=TASKS)
        if dry_run:
            body = "\n".join(f"- {line}" for line in out.due[:MAX_ROWS])
            create_markdown_artifact(
                f"## Các cập nhật đang chờ gửi ({len(out.due)})\n\n"
                + (body or "Không có cập nhật nào đang chờ gửi."),
                key="push-dry-run",
                description="Chạy thử: chưa gửi gì.",
            )
            return Completed(message=f"dry run: {len(out.due)} update(s) due", data=out.due)
        publish("push", [tables.push_row(out.pushed)], "Gửi cập nhật sang các hệ thống.")
        return verdict(out, settings.timezone, "push", asdict(out.pushed))


def _resync_run_name() -> str:
    """The run's name says what it was asked to read (orchestration_resync.resync_name)."""
    from prefect.runtime import flow_run

    p = flow_run.parameters
    return resyncs.resync_name(
        p.get("system", "?"), p.get("streams"), p.get("since"), p.get("until"),
        p.get("source_ids"), bool(p.get("dry_run")),
    )  # fmt: skip


@flow(name="resync", flow_run_name=_resync_run_name, **HOOKS)
def resync(
    system: SystemName,
    streams: list[StreamName] = (),  # type: ignore[assignment]  # a list, not None: no toggle
    since: date | None = None,
    until: date | None = None,
    source_ids: list[str] = (),  # type: ignore[assignment]
    dry_run: bool = False,
) -> State:
    """Read some days or some records of one system again; the live cursor does not move.

    The same path as `bridge resync`. Give either days (since, until) or source ids.

    Args:
        system: the system to read again (the configured systems).
        streams: streams of that system; empty means every stream of the system. A stream the
            system does not have fails the run before anything is read.
        since: first day to read, a local day (Asia/Ho_Chi_Minh) from 00:00; empty means from
            the beginning.
        until: last day to read, included up to 24:00 local time; empty means up to now.
        source_ids: ids of the records in that system, instead of days.
        dry_run: read and compare with the store, write nothing.
    """
    settings = load_settings()
    tz, label = settings.timezone, SYSTEM_LABELS[system]
    ids = [i.strip() for i in source_ids or [] if i.strip()] or None
    with operations.opened(settings.effective_database_url) as engine:
        try:
            start, stop = resyncs.local_days(since, until, tz)
            out = resyncs.resync_run(new_run(settings, engine), system, list(streams), since=start,
                                  until=stop, ids=ids, dry_run=dry_run, steps=TASKS)  # fmt: skip
        except ValueError as exc:  # a request that cannot be met: said before reading anything
            return refused(exc)
        if out.error is not None:
            note = tables.error_note(out.error)
            rows = [tables.stream_row(system, s, c, note if s == out.failed_stream else "")
                    for s, c in out.streams.items()]  # fmt: skip
            publish(f"resync-{system}", rows, f"Đọc lại {label}: lỗi")
            verdict(out, tz, "resync", {})
            return refused(out.error)
        what = f"các bản ghi {', '.join(ids)}" if ids else tables.range_label(start, stop, tz)
        note = "Chạy thử: không ghi gì vào kho." if dry_run else "Con trỏ đồng bộ không đổi."
        rows = [tables.stream_row(system, s, c) for s, c in out.streams.items()]
        publish(f"resync-{system}", rows, f"Đọc lại {label}: {what}. {note}")
        return verdict(out, tz, "resync", {s: asdict(c) for s, c in out.streams.items()})


@flow(name="retry-failures", **HOOKS)
def retry_failures(
    which: RetryWhich = "all",
    system: SystemName | None = None,
    ids: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> State:
    """Retry open failures: dead updates are queued again, rejected records read again.

    A rejected record's failure closes only once it has been read again successfully; one that
    fails again stays open and the run says so (Failed, naming it). The same as
    `bridge failures --retry`; the open-failures artifact lists what is open.

    Args:
        which: all (every open failure), system (those of one system), ids (L12, O142...)
            or time_range (those opened between since and until).
        system: the system, for which=system (or to narrow a time range).
        ids: the failures' ids as the open-failures table shows them, for which=ids.
        since: first day (local), for which=time_range; empty means from the first.
        until: last day (local, included), for which=time_range; empty means today.
    """
    settings = load_settings()
    tz = settings.timezone
    choice = retry.Choice.from_form(which, system, ids, since, until)
    with operations.opened(settings.effective_database_url) as engine:
        out = retry.retry_run(new_run(settings, engine), choice)
    rows, description = failure_tables.retry_table(out.retried, tz)
    publish("retry-failures", rows, description)
    publish_open(out.open, tz)
    result = out.counts()
    if out.still_open:
        return Failed(message=out.summary(), data=result)
    return Completed(message=out.summary(), data=result)


@flow(name="deadline-watch", **HOOKS)
def deadline_watch(now: datetime | None = None, skip_days_off: bool = False) -> State:
    """Derive statuses again, push what is due, and list the tasks at risk and overdue.

    Args:
        now: reference time; empty means now. A time without an offset is local.
        skip_days_off: do nothing on a day the working-day calendar says is off (the schedule
            sets this; a run started by hand always runs).
    """
    settings = load_settings()
    tz = settings.timezone
    with operations.opened(settings.effective_database_url) as engine:
        out = orch.deadline_watch_run(new_run(settings, engine), orch.aware(now, tz),
                                      skip_days_off=skip_days_off, steps=TASKS)  # fmt: skip
        if out.day_off:
            get_run_logger().info("%s is not a working day: nothing to watch", out.moment)
            return Completed(message=f"{out.moment:%Y-%m-%d} is not a working day")
        rows = tables.watched_task_rows(out.watched, out.units, tz)
        rows += tables.unreadable_deadline_rows(out.unreadable, out.units, tz)
        at_risk = sum(1 for row in rows if row["Tình trạng"] == "Sắp đến hạn")
        overdue = sum(1 for row in rows if row["Tình trạng"] == "Quá hạn")
        unread = len(rows) - at_risk - overdue
        unread_note = f", {unread} văn bản không đọc được hạn" if unread else ""
        more = f" Chỉ hiện {MAX_ROWS} dòng đầu." if len(rows) > MAX_ROWS else ""
        publish(
            "deadline-watch",
            rows[:MAX_ROWS] or [{"Tình trạng": "Không có nhiệm vụ sắp đến hạn hay quá hạn"}],
            f"Theo dõi hạn lúc {tables.local(out.moment, tz)}: {at_risk} nhiệm vụ sắp đến hạn, "
            f"{overdue} nhiệm vụ quá hạn (trên {out.reconciled.tasks} nhiệm vụ){unread_note}."
            f"{more}",
        )
        publish("deadline-watch-push", [tables.push_row(out.pushed)], "Gửi cập nhật.")
        review = [item.as_row() for item in out.review]
        publish(
            "deadline-watch-review",
            review[:MAX_ROWS] or [{"Loại": "Không có việc đến mốc trình duyệt chưa có phản hồi"}],
            f"{len(review)} việc đã đến mốc trình lãnh đạo duyệt dự thảo (trước hạn "
            f"{_milestone_days()} ngày làm việc) mà chưa có văn bản phản hồi.",
        )
        result = {"at_risk": at_risk, "overdue": overdue, "review_due": len(review),
                  "push": asdict(out.pushed)}  # fmt: skip
        return verdict(out, tz, "deadline-watch", result)


def _milestone_days() -> int:
    from pipelines import due

    return due.active_policy().milestone_working_days


@flow(name="periodic-report", flow_run_name="report-{schedule}", **HOOKS)
def periodic_report(
    period: str | None = None, schedule: ReportSchedule = "monthly", unit: str | None = None
) -> State:
    """The report on on-time and late work (docs/domain.md §7): an Excel file of the figures
    and a Word narrative, linked from the run's artifacts with a summary.

    The same call as `bridge report`; the files go under the settings' reports directory.

    Args:
        period: 2024-W48, 2024-11, 2024-Q4, 2024-H1, 2024-9M, 2024 or 2024-11-01..2024-11-30;
            empty means the latest complete period of the schedule (up to its data cut-off
            unless ``[reports] calendar_periods``).
        schedule: weekly, monthly, quarterly, half_yearly or yearly; picks the period when
            none is given.
        unit: one canonical unit id; empty means every unit.
    """
    from reports import summary_markdown

    chosen, written = checks.report_run(load_settings(), period, schedule, unit)
    key = f"report-{schedule}".replace("_", "-")  # artifact keys allow no underscore
    create_markdown_artifact(
        summary_markdown(written), key=key,
        description=f"Báo cáo {chosen.label}: {written.path.name}, {written.docx_path.name}",
    )  # fmt: skip
    create_link_artifact(
        written.path.resolve().as_uri(), link_text=f"Bảng số liệu {chosen.label} (Excel)",
        key=f"{key}-excel", description=str(written.path),
    )  # fmt: skip
    create_link_artifact(
        written.docx_path.resolve().as_uri(), link_text=f"Báo cáo {chosen.label} (Word)",
        key=f"{key}-word", description=str(written.docx_path),
    )  # fmt: skip
    get_run_logger().info("report %s written to %s", chosen.label, written.path.parent)
    return Completed(
        message=f"report {chosen.label} written to {written.path} and {written.docx_path}"
    )


@flow(name="health-check", **HOOKS)
def health_check() -> State:
    """Connect to each configured system and to the store; Failed if any of them is down."""
    health = checks.health_run(load_settings(), limit)
    down = health.down
    publish(
        "health-check", tables.health_rows(health.results),
        "Kiểm tra kết nối: " + (
            "tất cả hoạt động." if not down else f"{len(down)} thành phần không hoạt động."
        ),
    )  # fmt: skip
    if down:
        return Failed(message="down: " + "; ".join(f"{r.system}: {r.detail}" for r in down))
    return Completed(message=f"{len(health.results)} checks passed")
