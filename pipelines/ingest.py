"""Incremental ingest of one (system, stream): pages in, one transaction per page out.

The cursor is the source's own change marker, an ISO 8601 instant (connectors translate their
system's marker to and from it). Each run re-reads from ``cursor - overlap`` so records that
share a change time with the last record seen are never skipped, and deduplicates by content
hash so re-reading costs no writes: a record whose hash is already stored is counted as
unchanged and neither validated nor written (docs/design.md, "Performance facts": validation and the
store dominate, so hash first).

Each page's records, rejects (dead letters), secret counts and new cursor are written by
``queries.write_page`` in one transaction, so a crash can never leave the cursor ahead of the
data. The cursor never moves past the run's start, so a record changed while the run was paging
is read again next run. A resync (a range or a list of ids) runs the same code with
``move_cursor=False``.

One bad record never stops its stream (issue 18): whatever is wrong with it (its id, a value
the store could not keep, anything normalize raises, a row the database refuses) makes it a
dead letter naming the field and the value, and the rest of the page and the cursor go on
(``record_checks``; ``_write`` for the database's refusals).
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from connectors.http import BadRecord, RawPage
from mappings.loader import StreamMapping
from mappings.units import UnitTable
from pipelines.calendar import load_calendar
from pipelines.normalize import (
    SecretSkipped,
    canonical_json,
    content_hash,
    normalize,
    text_hash,
)
from pipelines.page_builder import PageBuilder, RunCounts, add_record, add_secret
from pipelines.record_checks import record_key, total_outcome
from schemas import limits
from store import queries
from store.fits import RECORD_REFUSALS, is_connection_error
from store.queries import DeadLetter, Page
from store.secret_digests import SecretOutcome

log = logging.getLogger(__name__)

DEFAULT_OVERLAP = timedelta(minutes=10)


class BadMarker(ValueError):
    """A change marker that is not an ISO 8601 instant."""


def _kind(mapping: StreamMapping) -> str:
    return f"document:{mapping.direction}" if mapping.model == "document" else mapping.model


def parse_marker(marker: str | None) -> datetime | None:
    """The marker as an aware instant (naive means UTC); ``BadMarker`` if it is not one."""
    if not marker:
        return None
    try:
        moment = datetime.fromisoformat(str(marker))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment.astimezone(UTC)
    except (ValueError, TypeError, OverflowError):
        shown = limits.shorten(limits.storable_text(repr(marker)), 80)
        raise BadMarker(f"change marker is not a date and time (value: {shown})") from None
    return moment


def ingest_pages(
    engine: Engine,
    pages: Iterable[RawPage],
    mapping: StreamMapping,
    units: UnitTable,
    *,
    run_started_at: datetime,
    move_cursor: bool = True,
    clock: Callable[[], datetime] | None = None,
    progress: Callable[[RunCounts], None] | None = None,
    counts: RunCounts | None = None,
    dry_run: bool = False,
    run_id: int | None = None,
) -> RunCounts:
    """Normalise and write every page; returns the counts (also kept up to date in ``counts``
    if given, so a caller still has them when a page fails). Stops at the first page that
    fails to write: the pages before it are committed, that one and its cursor are not.
    ``dry_run`` counts what would be written and writes nothing. With ``run_id`` each page
    also writes the run's counters so far, so a run that dies leaves what it had done."""
    now = clock or (lambda: datetime.now(UTC))
    counts = counts if counts is not None else RunCounts()
    system, stream = mapping.system, mapping.stream
    for raw_page in pages:
        counts.pages += 1
        builder = _build_page(engine, raw_page, mapping, units, counts, now())
        if move_cursor:
            marker = _page_marker(raw_page, builder)
            if marker is not None:
                # Never ahead of the run's start: whatever changed during the run is re-read.
                builder.page.cursor = min(marker, run_started_at).isoformat()
        if not dry_run:
            builder.page.run_id = run_id
            secret = _write(engine, builder, now())
            counts.secret_purged += secret.purged
        if progress:
            progress(counts)
    log.info(
        "%s/%s: fetched %d, new %d, changed %d, unchanged %d, rejected %d, secret skipped %d,"
        " purged as now secret %d",
        system, stream, counts.fetched, counts.new, counts.changed, counts.unchanged,
        counts.rejected, counts.secret_skipped, counts.secret_purged,
    )  # fmt: skip
    return counts


def _page_marker(raw_page: RawPage, builder: PageBuilder) -> datetime | None:
    """The page's change marker; if the source sent one that is not a date, the latest change
    time of the page's records instead (a listing is change-ordered, so that is what the
    marker should have said), or no move at all. The bad marker is a dead letter of its own,
    so it shows in `bridge failures`; the page's records are kept either way."""
    try:
        return parse_marker(raw_page.marker)
    except BadMarker as exc:
        page = builder.page
        digest = content_hash(str(raw_page.marker))
        reason = f"{page.system}/{page.stream} page: field 'marker': {exc}"
        page.dead_letters.append(DeadLetter(f"sha256:{digest}", reason, None))
        log.warning("%s/%s: a page's change marker is not a date; records kept", page.system,
                    page.stream)  # fmt: skip
        times = [entry[2].changed_at for entry in builder.entries if entry[2].changed_at]
        return max(times) if times else None


def _write(engine: Engine, builder: PageBuilder, now: datetime) -> SecretOutcome:
    """Write the page in one transaction. If the store refuses it for a reason the models did
    not foresee, find the record(s) it refuses, one trial (rolled back) each, make them dead
    letters and write the rest of the page, with its cursor, in one transaction after all."""
    builder.page.run_counts = builder.counts.as_run_counters()
    try:
        return queries.write_page(engine, builder.page, now)
    except RECORD_REFUSALS as exc:
        if is_connection_error(exc):
            raise
        log.warning("%s/%s: the store refused a page (%s); finding the record at fault",
                    builder.page.system, builder.page.stream, type(exc).__name__)  # fmt: skip
    guilty: dict[int, str] = {}
    for position, (raw, digest, outcome, canonical) in enumerate(builder.entries):
        single = Page(system=builder.page.system, stream=builder.page.stream)
        add_record(single, raw, digest, outcome, canonical)
        refusal = queries.page_refusal(engine, single, now)
        if refusal is not None:
            guilty[position] = refusal
    builder.refuse(guilty)
    builder.page.run_counts = builder.counts.as_run_counters()
    return queries.write_page(engine, builder.page, now)


def _build_page(
    engine: Engine,
    raw_page: RawPage,
    mapping: StreamMapping,
    units: UnitTable,
    counts: RunCounts,
    seen_at: datetime,
) -> PageBuilder:
    page = Page(system=mapping.system, stream=mapping.stream, secret_skips=Counter())
    readable: dict[str, tuple[dict[str, Any], str, str, str | None]] = {}
    for item in raw_page.records:
        counts.fetched += 1
        if isinstance(item, BadRecord):
            try:
                _bad_record(item, mapping, units, page, counts, seen_at)
            except Exception as exc:
                reason = (f"{mapping.system}/{mapping.stream}: {limits.shorten(item.reason, 200)}; "
                          f"then {type(exc).__name__} (payload withheld: its secrecy could not "
                          "be checked)")  # fmt: skip
                page.dead_letters.append(DeadLetter(f"sha256:{content_hash(item.raw)}", reason))
                counts.rejected += 1
            continue
        key, problem = record_key(item, mapping)
        # The same record twice in one page (a source paging while it changes): keep the last.
        # Serialised once: the canonical text is hashed here and stored as the payload.
        canonical = canonical_json(item)
        readable[key] = (item, text_hash(canonical), canonical, problem)

    comparable = [key for key, (_, _, _, problem) in readable.items() if problem is None]
    with engine.connect() as conn:
        known = queries.known_hashes(conn, mapping.system, mapping.stream, comparable)
    builder = PageBuilder(page, counts, known, _kind(mapping))
    # The working calendar, loaded once per page (at the first date-only deadline) rather
    # than per record; a failed load is not kept, so each record meets it as before.
    calendar = functools.cache(load_calendar)
    for key, (raw, digest, canonical, problem) in readable.items():
        if problem is None and known.get(key) == digest:
            counts.unchanged += 1
            page.read_cleanly.append(key)
            continue
        outcome = total_outcome(raw, key, problem, mapping, units, seen_at, calendar, canonical)
        builder.add(raw, digest, outcome, canonical)
    return builder


def _bad_record(
    item: BadRecord,
    mapping: StreamMapping,
    units: UnitTable,
    page: Page,
    counts: RunCounts,
    seen_at: datetime,
) -> None:
    """A record the connector could not read: a dead letter, unless it may be secret.

    The secrecy guard applies here too: a readable object goes through the same check as any
    record, and unreadable text keeps no payload at all (its length only).
    """
    if isinstance(item.raw, dict):
        # normalize decides secrecy before anything else, whatever else is wrong.
        outcome = normalize(item.raw, mapping, units, seen_at=seen_at)
        if isinstance(outcome, SecretSkipped):
            add_secret(page, counts, outcome, _kind(mapping))
            return
    source_id = item.source_id or f"sha256:{_unreadable_hash(item.raw)}"
    reason, payload = item.reason, None
    if isinstance(item.raw, dict):
        payload = item.raw  # normalize's guard above found no secrecy mark in it
    else:
        # Text that is not a record cannot be searched for a secrecy mark reliably (a stamp
        # may be cut, encoded or spaced), so none of it is kept: where and how long, never what.
        reason += f" ({_length(item.raw)}; content withheld: it may belong to a secret document)"
    page.dead_letters.append(DeadLetter(source_id, reason, payload))
    counts.rejected += 1


def _length(raw: Any) -> str:
    if isinstance(raw, bytes | bytearray):
        return f"{len(raw)} bytes"
    return f"{len(str(raw))} characters"


def _unreadable_hash(raw: Any) -> str:
    data = raw if isinstance(raw, bytes | bytearray) else repr(raw).encode("utf-8", "replace")
    return content_hash(data.hex())


def resume_marker(
    engine: Engine, system: str, stream: str, overlap: timedelta = DEFAULT_OVERLAP
) -> str | None:
    """Where the next incremental run starts: the stored cursor minus the overlap window.

    A stored cursor that is not a date (written by an older version, or by hand) would stop
    every run of the stream; the stream is read from the beginning instead, which costs a
    re-read (unchanged records are skipped by their hash) and loses nothing."""
    with engine.connect() as conn:
        text = queries.get_cursor(conn, system, stream)
    try:
        stored = parse_marker(text)
    except BadMarker as exc:
        log.warning("%s/%s: stored cursor unreadable (%s); reading from the beginning",
                    system, stream, exc)  # fmt: skip
        return None
    try:
        return (stored - overlap).isoformat() if stored else None
    except OverflowError:  # a cursor within the overlap of the calendar's first day
        return None


def run_stream(
    engine: Engine,
    fetch: Callable[[str | None], Iterable[RawPage]],
    mapping: StreamMapping,
    units: UnitTable,
    *,
    kind: str = "sync",
    resync_since: str | None = None,
    move_cursor: bool = True,
    overlap: timedelta = DEFAULT_OVERLAP,
    progress: Callable[[RunCounts], None] | None = None,
    dry_run: bool = False,
) -> RunCounts:
    """One run of one stream, recorded in the runs table (counts, duration, error).

    A sync (``move_cursor=True``) reads from the stored cursor minus the overlap; a resync
    reads from ``resync_since`` (None: from the beginning) and leaves the cursor alone. A
    ``dry_run`` reads, compares and normalises the same way and writes nothing, not even its
    run record.
    """
    started = datetime.now(UTC)
    if move_cursor:
        marker = resume_marker(engine, mapping.system, mapping.stream, overlap)
    else:
        marker = resync_since
    if dry_run:
        return ingest_pages(
            engine, fetch(marker), mapping, units, run_started_at=started,
            move_cursor=move_cursor, progress=progress, dry_run=True,
        )  # fmt: skip
    run_id = queries.start_run(engine, kind, started, mapping.system, mapping.stream)
    counts = RunCounts()
    try:
        ingest_pages(
            engine,
            fetch(marker),
            mapping,
            units,
            run_started_at=started,
            move_cursor=move_cursor,
            progress=progress,
            counts=counts,
            run_id=run_id,
        )
    except Exception as exc:
        queries.finish_run(engine, run_id, datetime.now(UTC), counts.as_run_counters(),
                           error=f"{exc.__class__.__name__}: {exc}")  # fmt: skip
        raise
    queries.finish_run(engine, run_id, datetime.now(UTC), counts.as_run_counters())
    return counts
