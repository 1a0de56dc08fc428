"""Prefect flows: thin wrappers over pipelines/, which Prefect schedules, runs and shows.

State lives in our store, not in Prefect (DESIGN.md): each flow reads the settings, opens the
store and calls the same pipeline functions as the `bridge` command (cli.py), so any flow can be
run again at any time. What Prefect adds is the schedule, the run history and what every run
shows the officials who watch it (artifact text is Vietnamese, logs are English):

* a table per run: per system and stream, records read, new, changed, rejected, secret
  documents skipped, updates pushed and pushes that failed;
* a failure table when the run met a dead letter or a dead outbox row: each with its reason and
  the exact command that retries it;
* a Failed state when the run left *new* failures, saying how many and where, so a Prefect
  automation can tell someone (README, "Running it in production"). Failures already known
  before the run are listed again but do not fail every run after them.

Calls to an external system run inside the Prefect global concurrency limit named after that
system (``concurrency(<system>, occupy=1, strict=True)``); bridge/serve.py creates the limits
before serving. The deployments and their schedules are in bridge/serve.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.concurrency.sync import concurrency
from prefect.logging.loggers import flow_run_logger
from prefect.states import Completed, Failed, State
from sqlalchemy import Engine, or_, select, text

from bridge.settings import BridgeSettings, display_database_url, load_settings
from connectors import registry
from pipelines import due, extensions, push, reconcile, sync, systems
from pipelines.calendar import CalendarRangeError, load_calendar, local_date
from pipelines.ingest import RunCounts
from store import database, queries
from store.queries import Failure
from store.tables import documents, tasks

# The registered systems (connectors/registry.py): the choices of the flows' forms.
SystemName = Literal[registry.names()]  # type: ignore[valid-type]
ReportSchedule = Literal["weekly", "monthly", "quarterly", "half_yearly", "yearly"]

SYSTEM_LABELS = {
    **{spec.name: spec.label for spec in registry.specs()},
    "store": "Kho dữ liệu",
    "calendar": "Lịch ngày làm việc",
}
STREAM_LABELS = {
    "incoming": "Văn bản đến",
    "outgoing": "Văn bản đi",
    "directives": "Thông tin chỉ đạo",
    "tasks": "Nhiệm vụ",
}
# An artifact is read by a person: past a few hundred rows it stops being read at all.
MAX_ROWS = 300


# --- opening the store ---------------------------------------------------------------------


@contextmanager
def _store(settings: BridgeSettings, *, migrate: bool = True) -> Iterator[Engine]:
    """The store of ``settings``, brought up to date first (safe on every run, as the CLI does)."""
    url = settings.effective_database_url
    if migrate:
        database.upgrade(url)
    engine = database.connect(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _aware(moment: datetime | None, settings: BridgeSettings) -> datetime | None:
    """A time typed in the Prefect form has no offset: read it as local time, not UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo(settings.timezone))


def _local(moment: datetime | None, settings: BridgeSettings) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(settings.timezone)).strftime("%d/%m/%Y %H:%M")


# --- failures: what this run met, and what is new --------------------------------------------


def failure_tag(failure: Failure) -> str:
    """The id `bridge failures --retry` takes: L<id> for a dead letter, O<id> for the outbox."""
    prefix = {"dead_letter": "L", "secret_answer": "S"}.get(failure.kind, "O")
    return prefix + str(failure.id)


def retry_command(failure: Failure) -> str:
    """The exact command (and the Prefect run) that retries ``failure``."""
    tag = failure_tag(failure)
    if failure.kind == "secret_answer":
        return "không thử lại: đơn vị báo cáo kết quả qua kênh mật"
    if failure.kind != "dead_letter":
        return f"bridge failures --retry {tag} rồi bridge push (hoặc chạy push-updates)"
    # queries.list_failures names a dead letter "system/stream source_id".
    place, _, source_id = failure.where.partition(" ")
    system, _, stream = place.partition("/")
    if stream == queries.CALENDAR_STREAM:  # closes by itself once the year's file is added
        return "thêm tệp lịch <năm>.toml (xem Lý do) rồi chạy lại đồng bộ; lỗi tự đóng"
    return (
        f"bridge failures --retry {tag} rồi bridge resync --system {system} --stream {stream} "
        f"--ids {source_id} (hoặc chạy resync: system={system}, streams=[{stream}], "
        f"source_ids=[{source_id}])"
    )


@dataclass(frozen=True)
class FailureWatch:
    """The open failures when a run starts, to tell afterwards which ones the run met."""

    before: dict[str, tuple[int, datetime]]

    @classmethod
    def start(cls, engine: Engine) -> FailureWatch:
        return cls({failure_tag(f): (f.count, f.last_seen) for f in queries.list_failures(engine)})

    def changes(self, engine: Engine) -> tuple[list[Failure], list[Failure]]:
        """(met, new): failures this run added or saw again, and those not open before it.

        A dead letter seen again counts up and moves its last-seen time; a dead outbox row's
        attempts and update time move the same way, so either shows the run met it.
        """
        met, new = [], []
        for failure in queries.list_failures(engine):
            tag = failure_tag(failure)
            if tag not in self.before:
                new.append(failure)
                met.append(failure)
            elif self.before[tag] != (failure.count, failure.last_seen):
                met.append(failure)
        return met, new


_FAILURE_KINDS = {
    "dead_letter": "Bản ghi không đọc được",
    "secret_answer": "Nhiệm vụ có văn bản trả lời mật",
}


def publish_failures(
    met: list[Failure], new: list[Failure], settings: BridgeSettings, flow_name: str
) -> None:
    """The failure table: each record or update that failed, why, and how to retry it."""
    fresh = {failure_tag(f) for f in new}
    rows = [
        {
            "Mã": failure_tag(f),
            "Loại": _FAILURE_KINDS.get(f.kind, "Cập nhật không gửi được"),
            "Ở đâu": f.where,
            "Lý do": queries.CLASSIFIED_REPLY_VI if f.kind == "secret_answer" else f.reason,
            "Số lần": f.count,
            "Lần cuối": _local(f.last_seen, settings),
            "Mới": "mới" if failure_tag(f) in fresh else "",
            "Thử lại bằng": retry_command(f),
        }
        for f in sorted(met, key=lambda f: (failure_tag(f) not in fresh, f.kind, f.id))
    ]
    shown = rows[:MAX_ROWS]
    more = (
        f" Chỉ hiện {MAX_ROWS} dòng đầu; xem tất cả: bridge failures."
        if len(rows) > MAX_ROWS
        else ""
    )
    create_table_artifact(
        shown,
        key=f"{flow_name}-failures",
        description=(
            f"Lỗi gặp trong lượt chạy này: {len(met)}, trong đó {len(new)} lỗi mới.{more} "
            "Sửa nguyên nhân rồi chạy lệnh ở cột «Thử lại bằng»."
        ),
    )


def _failure_summary(new: list[Failure]) -> str:
    shown = "; ".join(f"{failure_tag(f)} {f.where}: {f.reason[:120]}" for f in new[:5])
    more = f"; and {len(new) - 5} more" if len(new) > 5 else ""
    return (
        f"{len(new)} new failure(s): {shown}{more}. See the failures artifact or "
        "`bridge failures`; retry with `bridge failures --retry L<id>|O<id>`."
    )


def _conclude(
    engine: Engine,
    watch: FailureWatch,
    settings: BridgeSettings,
    flow_name: str,
    result: dict[str, Any],
) -> State:
    """Completed with ``result``, or Failed naming the new failures (published either way)."""
    met, new = watch.changes(engine)
    if met:
        publish_failures(met, new, settings, flow_name)
    if new:
        return Failed(message=_failure_summary(new), data=result)
    return Completed(message=f"{flow_name}: no new failures", data=result)


# --- the run table ------------------------------------------------------------------------


def _stream_row(system: str, stream: str, counts: RunCounts | None, note: str = "") -> dict:
    counts = counts or RunCounts()
    if counts.secret_purged:
        purged = f"đã xóa {counts.secret_purged} bản ghi nay được đóng dấu mật"
        note = f"{note}; {purged}" if note else purged
    return {
        "Hệ thống": SYSTEM_LABELS.get(system, system),
        "Luồng": STREAM_LABELS.get(stream, stream),
        "Đã đọc": counts.fetched,
        "Mới": counts.new,
        "Thay đổi": counts.changed,
        "Bị từ chối": counts.rejected,
        "Văn bản mật (bỏ qua)": counts.secret_skipped,
        "Đã gửi": 0,
        "Gửi lỗi": 0,
        "Ghi chú": note,
    }


def _push_row(counts: push.PushCounts | None, note: str = "") -> dict:
    counts = counts or push.PushCounts()
    waiting = f"{counts.retrying} cập nhật sẽ gửi lại sau" if counts.retrying else ""
    return {
        "Hệ thống": "Tất cả",
        "Luồng": "Gửi cập nhật",
        "Đã đọc": 0,
        "Mới": 0,
        "Thay đổi": 0,
        "Bị từ chối": 0,
        "Văn bản mật (bỏ qua)": 0,
        "Đã gửi": counts.done,
        "Gửi lỗi": counts.dead,
        "Ghi chú": "; ".join(part for part in (note, waiting) if part),
    }


def publish_run_table(key: str, rows: list[dict], description: str) -> None:
    create_table_artifact(rows, key=key, description=description)


# --- the pipeline calls, each inside its systems' concurrency limits -----------------------


def _page_logger(logger: logging.Logger | logging.LoggerAdapter, system: str, live: dict):
    """A progress callback: keep each stream's running counts and log each page."""

    def progress(stream: str, counts: RunCounts) -> None:
        live[stream] = counts
        logger.info(
            "%s/%s: page %d, fetched %d, new %d, changed %d, rejected %d",
            system, stream, counts.pages, counts.fetched, counts.new, counts.changed,
            counts.rejected,
        )  # fmt: skip

    return progress


def _push(settings: BridgeSettings, engine: Engine) -> push.PushCounts:
    """Send every due outbox row, recorded as a push run; holds a slot of every target."""
    logger = get_run_logger()
    targets = systems.configured_systems(settings)
    connectors = {name: systems.build_connector(settings, name) for name in targets}
    run_id = queries.start_run(engine, "push", datetime.now(UTC))
    counts = push.PushCounts()
    try:
        with concurrency(targets, occupy=1, strict=True) if targets else _nothing():
            counts = push.push_due(
                engine,
                connectors,
                max_attempts=settings.outbox_max_attempts,
                progress=lambda c: logger.info(
                    "push: claimed %d, done %d, retrying %d, dead %d",
                    c.claimed, c.done, c.retrying, c.dead,
                ),
            )  # fmt: skip
    except Exception as exc:
        queries.finish_run(engine, run_id, datetime.now(UTC),
                           {"pushed": counts.done, "failed": counts.dead},
                           error=f"{exc.__class__.__name__}: {exc}")  # fmt: skip
        raise
    queries.finish_run(
        engine, run_id, datetime.now(UTC), {"pushed": counts.done, "failed": counts.dead}
    )
    return counts


def _reconcile(
    settings: BridgeSettings, engine: Engine, moment: datetime | None
) -> reconcile.ReconcileReport:
    """Links, statuses, computed deadlines and the outbox, with the settings' at-risk actions."""
    report = reconcile.reconcile(
        engine, moment, actions=reconcile.AtRiskActions.from_settings(settings.at_risk)
    )
    get_run_logger().info(
        "reconcile: %d tasks, %d linked to their source, %d answered; queued %d completion(s), "
        "%d deadline(s), %d warning(s), %d extension request(s); %d ambiguous; %d answered by a "
        "secret document (not pushed)",
        report.tasks, report.linked_source, report.linked_response, report.completions_queued,
        report.deadlines_queued, report.warnings_queued, report.extensions_queued,
        len(report.ambiguous), report.secret_answers,
    )  # fmt: skip
    return report


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _log_outcome(flow_: Any, flow_run: Any, state: State) -> None:
    """on_completion / on_failure hook: one line for whoever reads the worker's log."""
    logger = flow_run_logger(flow_run, flow_)
    if state.is_failed():
        logger.error("%s ended %s: %s", flow_run.name, state.name, state.message)
    else:
        logger.info("%s ended %s: %s", flow_run.name, state.name, state.message)


_HOOKS: dict[str, list[Callable]] = {"on_completion": [_log_outcome], "on_failure": [_log_outcome]}


# --- sync_system ---------------------------------------------------------------------------


@flow(name="sync-system", flow_run_name="sync-{system}", **_HOOKS)
def sync_system(system: SystemName, now: datetime | None = None) -> State:
    """Read what changed in one system, link tasks to their documents, then push the outbox.

    Every stream of the system from its stored cursor (the same call as `bridge sync`), the
    records rejected earlier read again one by one, then reconcile (links, derived statuses,
    computed deadlines, at-risk warnings, the outbox), then push.

    Args:
        system: the system to read: ioffice, idesk or tracking.
        now: reference time for statuses and deadlines; empty means now. A time without an
            offset is local (Asia/Ho_Chi_Minh).
    """
    logger = get_run_logger()
    settings = load_settings()
    moment = _aware(now, settings)
    catalog = sync.Catalog.load()
    connector = systems.build_connector(settings, system)
    with _store(settings) as engine:
        watch = FailureWatch.start(engine)
        live: dict[str, RunCounts] = {}
        progress = _page_logger(logger, system, live)
        stream = ""
        try:
            with concurrency(system, occupy=1, strict=True):
                for stream in catalog.streams_of(system):
                    live[stream] = RunCounts()
                    live.update(sync.sync_system(
                        engine, connector, catalog, streams=[stream], progress=progress
                    ))  # fmt: skip
                stream = ""
                # A record corrupted on the way heals here, in the same run, by itself.
                healed = sync.reread_rejected(engine, connector, catalog)
        except Exception as exc:
            rows = [_stream_row(system, s, c, _error_note(exc) if s == stream else "")
                    for s, c in live.items()]  # fmt: skip
            publish_run_table(f"sync-{system}", rows, f"Đồng bộ {SYSTEM_LABELS[system]}: lỗi")
            _conclude(engine, watch, settings, "sync", {})
            raise
        report = _reconcile(settings, engine, moment)
        pushed = _push(settings, engine)
        rows = [_stream_row(system, s, c, _healed_note(healed.get(s))) for s, c in live.items()] + [
            _push_row(pushed)
        ]
        publish_run_table(
            f"sync-{system}",
            rows,
            f"Đồng bộ {SYSTEM_LABELS[system]}, liên kết nhiệm vụ và gửi cập nhật. "
            f"Nhiệm vụ: {report.tasks}; đã có văn bản trả lời: {report.linked_response}; "
            f"chưa rõ văn bản trả lời: {len(report.ambiguous)}.",
        )
        result = {
            "streams": {s: asdict(c) for s, c in live.items()},
            "reconcile": {"tasks": report.tasks, "completions_queued": report.completions_queued,
                          "deadlines_queued": report.deadlines_queued},
            "push": asdict(pushed),
        }  # fmt: skip
        return _conclude(engine, watch, settings, "sync", result)


def _healed_note(counts: RunCounts | None) -> str:
    if counts is None:
        return ""
    healed = counts.fetched - counts.rejected
    return f"Đọc lại {counts.fetched} bản ghi bị từ chối trước đó: {healed} đã đọc được"


def _error_note(exc: Exception) -> str:
    return f"Lỗi: {exc}"[:500]


# --- push_updates --------------------------------------------------------------------------


@flow(name="push-updates", **_HOOKS)
def push_updates(dry_run: bool = False) -> State:
    """Send the outbox to the other systems: completions, progress, extensions, deadlines.

    Every sync already ends with a push; run this after retrying a dead update
    (`bridge failures --retry O<id>`) or to see what is waiting.

    Args:
        dry_run: only describe (in Vietnamese) what would be sent; send nothing.
    """
    settings = load_settings()
    with _store(settings) as engine:
        if dry_run:
            lines = push.dry_run(engine)
            body = "\n".join(f"- {line}" for line in lines[:MAX_ROWS])
            create_markdown_artifact(
                f"## Các cập nhật đang chờ gửi ({len(lines)})\n\n"
                + (body or "Không có cập nhật nào đang chờ gửi."),
                key="push-dry-run",
                description="Chạy thử: chưa gửi gì.",
            )
            return Completed(message=f"dry run: {len(lines)} update(s) due", data=lines)
        watch = FailureWatch.start(engine)
        pushed = _push(settings, engine)
        publish_run_table("push", [_push_row(pushed)], "Gửi cập nhật sang các hệ thống.")
        return _conclude(engine, watch, settings, "push", asdict(pushed))


# --- resync --------------------------------------------------------------------------------


@flow(name="resync", flow_run_name="resync-{system}", **_HOOKS)
def resync(
    system: SystemName,
    streams: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    source_ids: list[str] | None = None,
    dry_run: bool = False,
) -> State:
    """Read a time range or some records of one system again; the live cursor does not move.

    The same path as `bridge resync`. Give either a range (since, until) or source ids.

    Args:
        system: the system to read again: ioffice, idesk or tracking.
        streams: incoming, outgoing, directives or tasks; empty means every stream of the system.
        since: change time to start from; empty means from the beginning. A time without an
            offset is local (Asia/Ho_Chi_Minh).
        until: change time to stop after; empty means up to now.
        source_ids: ids of the records in that system, instead of a range.
        dry_run: read and compare with the store, write nothing.
    """
    logger = get_run_logger()
    settings = load_settings()
    if source_ids and (since or until):
        raise ValueError("give either source_ids or since/until, not both")
    start, stop = _aware(since, settings), _aware(until, settings)
    marker_from = start.isoformat() if start else None
    marker_to = stop.isoformat() if stop else None
    catalog = sync.Catalog.load()
    chosen = streams or catalog.streams_of(system)
    for stream in chosen:
        catalog.mapping(system, stream)  # an unknown stream fails here, before any reading
    connector = systems.build_connector(settings, system)
    ids = [i.strip() for i in source_ids or [] if i.strip()] or None
    with _store(settings) as engine:
        watch = FailureWatch.start(engine)
        live: dict[str, RunCounts] = {}
        progress = _page_logger(logger, system, live)
        stream = ""
        try:
            with concurrency(system, occupy=1, strict=True):
                for stream in chosen:
                    live[stream] = RunCounts()
                    live[stream] = sync.resync(
                        engine, connector, catalog, stream=stream, since=marker_from,
                        until=marker_to, ids=ids, progress=progress, dry_run=dry_run,
                    )  # fmt: skip
        except Exception as exc:
            rows = [_stream_row(system, s, c, _error_note(exc) if s == stream else "")
                    for s, c in live.items()]  # fmt: skip
            publish_run_table(f"resync-{system}", rows, f"Đọc lại {SYSTEM_LABELS[system]}: lỗi")
            _conclude(engine, watch, settings, "resync", {})
            raise
        what = f"các bản ghi {', '.join(ids)}" if ids else _range_label(start, stop, settings)
        note = "Chạy thử: không ghi gì vào kho." if dry_run else "Con trỏ đồng bộ không đổi."
        publish_run_table(
            f"resync-{system}",
            [_stream_row(system, s, c) for s, c in live.items()],
            f"Đọc lại {SYSTEM_LABELS[system]}: {what}. {note}",
        )
        result = {s: asdict(c) for s, c in live.items()}
        return _conclude(engine, watch, settings, "resync", result)


def _range_label(start: datetime | None, stop: datetime | None, settings: BridgeSettings) -> str:
    first = _local(start, settings) or "đầu"
    last = _local(stop, settings) or "nay"
    return f"thay đổi từ {first} đến {last}"


# --- deadline_watch ------------------------------------------------------------------------


@flow(name="deadline-watch", **_HOOKS)
def deadline_watch(now: datetime | None = None, skip_days_off: bool = False) -> State:
    """Derive statuses again, push what is due, and list the tasks at risk and overdue.

    Args:
        now: reference time; empty means now. A time without an offset is local.
        skip_days_off: do nothing on a day the working-day calendar says is off (the schedule
            sets this; a run started by hand always runs).
    """
    logger = get_run_logger()
    settings = load_settings()
    moment = _aware(now, settings) or datetime.now(UTC)
    today = local_date(moment)
    if skip_days_off and not _working_or_unknown(today):
        logger.info("%s is not a working day: nothing to watch", today)
        return Completed(message=f"{today} is not a working day")
    with _store(settings) as engine:
        watch = FailureWatch.start(engine)
        # Reconcile queues the at-risk warnings (and extension requests, if enabled); push sends.
        report = _reconcile(settings, engine, moment)
        pushed = _push(settings, engine)
        rows = watched_tasks(engine, settings) + unreadable_deadlines(engine, settings)
        at_risk = sum(1 for row in rows if row["Tình trạng"] == "Sắp đến hạn")
        overdue = sum(1 for row in rows if row["Tình trạng"] == "Quá hạn")
        unread = f", {len(rows) - at_risk - overdue} văn bản không đọc được hạn" if (
            len(rows) > at_risk + overdue
        ) else ""  # fmt: skip
        more = f" Chỉ hiện {MAX_ROWS} dòng đầu." if len(rows) > MAX_ROWS else ""
        create_table_artifact(
            rows[:MAX_ROWS] or [{"Tình trạng": "Không có nhiệm vụ sắp đến hạn hay quá hạn"}],
            key="deadline-watch",
            description=(
                f"Theo dõi hạn lúc {_local(moment, settings)}: {at_risk} nhiệm vụ sắp đến hạn, "
                f"{overdue} nhiệm vụ quá hạn (trên {report.tasks} nhiệm vụ){unread}.{more}"
            ),
        )
        publish_run_table("deadline-watch-push", [_push_row(pushed)], "Gửi cập nhật.")
        review = [item.as_row() for item in extensions.review_due(engine, moment)]
        create_table_artifact(
            review[:MAX_ROWS] or [{"Loại": "Không có việc đến mốc trình duyệt chưa có phản hồi"}],
            key="deadline-watch-review",
            description=(
                f"{len(review)} việc đã đến mốc trình lãnh đạo duyệt dự thảo (trước hạn "
                f"{due.active_policy().milestone_working_days} ngày làm việc) mà chưa có văn "
                "bản phản hồi."
            ),
        )
        result = {"at_risk": at_risk, "overdue": overdue, "review_due": len(review),
                  "push": asdict(pushed)}  # fmt: skip
        return _conclude(engine, watch, settings, "deadline-watch", result)


def _working_or_unknown(day: date) -> bool:
    """A day past the calendar data still gets its watch: reconcile then names the missing year
    per item (docs/domain.md §6), which is the warning the agency needs."""
    try:
        return load_calendar().is_working_day(day)
    except CalendarRangeError:
        return True


def watched_tasks(engine: Engine, settings: BridgeSettings) -> list[dict[str, Any]]:
    """Tasks at risk first (nearest deadline first), then overdue ones, as table rows."""
    query = (
        select(tasks.c.source_id, tasks.c.title, tasks.c.lead_unit_id, tasks.c.deadline,
               tasks.c.at_risk, tasks.c.derived_status)
        .where(or_(tasks.c.at_risk.is_(True), tasks.c.derived_status == "overdue"))
        .order_by(tasks.c.at_risk.desc(), tasks.c.deadline)
    )  # fmt: skip
    units = sync.Catalog.load().units.units
    with engine.connect() as conn:
        found = conn.execute(query).all()
    return [
        {
            "Mã nhiệm vụ": row.source_id,
            "Nhiệm vụ": row.title,
            "Đơn vị chủ trì": units[row.lead_unit_id].name
            if row.lead_unit_id in units
            else row.lead_unit_id,
            "Hạn": _local(row.deadline, settings),
            "Tình trạng": "Sắp đến hạn" if row.at_risk else "Quá hạn",
            "Ghi chú": "",
        }
        for row in found
    ]


def unreadable_deadlines(engine: Engine, settings: BridgeSettings) -> list[dict[str, Any]]:
    """Documents whose text states a deadline the bridge cannot read ("không đọc được: …",
    docs/domain.md §6): their deadline is only the default, so a person must check it."""
    query = (
        select(documents.c.system, documents.c.source_id, documents.c.number,
               documents.c.notation, documents.c.unit_id, documents.c.computed_deadline,
               documents.c.deadline_explanation)
        .where(documents.c.deadline_rule == "not_understood")
        .order_by(documents.c.computed_deadline)
    )  # fmt: skip
    with engine.connect() as conn:
        found = conn.execute(query).all()
    units = sync.Catalog.load().units.units if found else {}
    return [
        {
            "Mã nhiệm vụ": f"{row.system}/{row.source_id}",
            "Nhiệm vụ": f"Văn bản số {row.number}/{row.notation}",
            "Đơn vị chủ trì": units[row.unit_id].name
            if row.unit_id in units
            else row.unit_id or "",
            "Hạn": f"{_local(row.computed_deadline, settings)} (tạm tính)",
            "Tình trạng": "Không đọc được hạn",
            "Ghi chú": " ".join(
                line for line in row.deadline_explanation or [] if "không đọc được: " in line
            ),
        }
        for row in found
    ]


# --- periodic_report -----------------------------------------------------------------------


@flow(name="periodic-report", flow_run_name="report-{schedule}", **_HOOKS)
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
    from pipelines.periods import parse_period, schedule_period
    from reports import summary_markdown, write_report

    settings = load_settings()
    cutoff = not settings.reports.calendar_periods
    today = local_date(datetime.now(UTC))
    chosen = (
        parse_period(period, cutoff=cutoff)
        if period
        else schedule_period(schedule, today, cutoff=cutoff)
    )
    with _store(settings) as engine:
        written = write_report(engine, chosen, unit, settings=settings)
    key = f"report-{schedule}".replace("_", "-")  # artifact keys allow no underscore
    create_markdown_artifact(
        summary_markdown(written),
        key=key,
        description=f"Báo cáo {chosen.label}: {written.path.name}, {written.docx_path.name}",
    )
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


# --- health_check --------------------------------------------------------------------------

BUSY_WAIT_S = 60


@flow(name="health-check", **_HOOKS)
def health_check() -> State:
    """Connect to each configured system and to the store; Failed if any of them is down."""
    settings = load_settings()
    results: list[systems.CheckResult] = []
    for name in systems.configured_systems(settings):
        try:
            # A check is one small call, but it still counts against the system's cap.
            with concurrency(name, occupy=1, strict=True, timeout_seconds=BUSY_WAIT_S):
                results.append(systems.check_system(settings, name))
        except TimeoutError:
            # Every slot is held by running syncs or pushes: the system is busy, not down.
            results.append(systems.CheckResult(name, True, 0, "busy: every call slot in use"))
    results.append(check_store(settings))
    results.append(systems.check_calendar(settings))
    rows = [
        {
            "Thành phần": SYSTEM_LABELS.get(r.system, r.system),
            "Trạng thái": ("Cảnh báo" if r.warning else "Hoạt động") if r.ok else "KHÔNG HOẠT ĐỘNG",
            "Độ trễ (ms)": round(r.latency_ms),
            "Chi tiết": r.detail,
        }
        for r in results
    ]
    down = [r for r in results if not r.ok]
    if not systems.configured_systems(settings):
        down.append(systems.CheckResult("settings", False, 0, "no external system is configured"))
    create_table_artifact(
        rows,
        key="health-check",
        description="Kiểm tra kết nối: " + (
            "tất cả hoạt động." if not down else f"{len(down)} thành phần không hoạt động."
        ),
    )  # fmt: skip
    if down:
        return Failed(message="down: " + "; ".join(f"{r.system}: {r.detail}" for r in down))
    return Completed(message=f"{len(results)} checks passed")


def check_store(settings: BridgeSettings) -> systems.CheckResult:
    """The store answers a query (it is not migrated here: a health check changes nothing)."""
    started = datetime.now(UTC)
    where = display_database_url(settings.effective_database_url)
    try:
        with _store(settings, migrate=False) as engine, engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means the same thing here: the store is down
        elapsed = (datetime.now(UTC) - started).total_seconds() * 1000
        return systems.CheckResult("store", False, elapsed, f"{where}: {exc}"[:500])
    elapsed = (datetime.now(UTC) - started).total_seconds() * 1000
    return systems.CheckResult("store", True, elapsed, where)
