"""Incremental ingest of one (system, stream): pages in, one transaction per page out.

The cursor is the source's own change marker, an ISO 8601 instant (connectors translate their
system's marker to and from it). Each run re-reads from ``cursor - overlap`` so records that
share a change time with the last record seen are never skipped, and deduplicates by content
hash so re-reading costs no writes: a record whose hash is already stored is counted as
unchanged and neither validated nor written (DESIGN.md performance facts: validation and the
store dominate, so hash first).

Each page's records, rejects (dead letters), secret counts and new cursor are written by
``queries.write_page`` in one transaction, so a crash can never leave the cursor ahead of the
data. The cursor never moves past the run's start, so a record changed while the run was paging
is read again next run. A resync (a range or a list of ids) runs the same code with
``move_cursor=False``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bridge.connectors.http import BadRecord, RawPage
from bridge.mappings.loader import StreamMapping
from bridge.mappings.units import UnitTable
from bridge.pipelines.normalize import (
    Normalized,
    Rejected,
    SecretSkipped,
    content_hash,
    normalize,
)
from bridge.schemas import Directive, Document, Task
from bridge.store import queries
from bridge.store.queries import DeadLetter, Page, SourceRecord
from bridge.store.secret_digests import SecretRecord

log = logging.getLogger(__name__)

DEFAULT_OVERLAP = timedelta(minutes=10)


@dataclass
class RunCounts:
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    secret_skipped: int = 0
    secret_purged: int = 0
    pages: int = 0

    def as_run_counters(self) -> dict[str, int]:
        return {
            "fetched": self.fetched,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "secret_skipped": self.secret_skipped,
            "secret_purged": self.secret_purged,
        }


@dataclass
class _PageBuilder:
    """Sorts one page's outcomes into the store's Page and the run's counts."""

    page: Page
    counts: RunCounts
    known: dict[str, str]
    kind: str

    def add(self, raw: dict[str, Any], digest: str, outcome: Any) -> None:
        if isinstance(outcome, SecretSkipped):
            _add_secret(self.page, self.counts, outcome, self.kind)
            return
        if isinstance(outcome, Rejected):
            self.page.dead_letters.append(DeadLetter(outcome.source_id, outcome.reason, raw))
            self.counts.rejected += 1
            return
        assert isinstance(outcome, Normalized)
        self.page.read_cleanly.append(outcome.source_id)
        if outcome.source_id in self.known:
            self.counts.changed += 1
        else:
            self.counts.new += 1
        self.page.source_records.append(
            SourceRecord(outcome.source_id, digest, raw, outcome.changed_at)
        )
        record = outcome.record
        if isinstance(record, Document):
            self.page.documents.append(record)
        elif isinstance(record, Directive):
            self.page.directives.append(record)
        elif isinstance(record, Task):
            self.page.tasks.append(record)
        self.page.assignments.extend(outcome.assignments)


def _kind(mapping: StreamMapping) -> str:
    return f"document:{mapping.direction}" if mapping.model == "document" else mapping.model


def _add_secret(page: Page, counts: RunCounts, outcome: SecretSkipped, kind: str) -> None:
    """Nothing of a secret record is kept: the store turns its identity into a keyed digest
    (counted once per document, earlier rows purged) and drops the rest."""
    page.secrets.append(
        SecretRecord(outcome.unit_id, outcome.day, kind, outcome.identity, outcome.answers)
    )
    counts.secret_skipped += 1


def parse_marker(marker: str | None) -> datetime | None:
    if not marker:
        return None
    moment = datetime.fromisoformat(marker)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
) -> RunCounts:
    """Normalise and write every page; returns the counts (also kept up to date in ``counts``
    if given, so a caller still has them when a page fails). Stops at the first page that
    fails to write: the pages before it are committed, that one and its cursor are not.
    ``dry_run`` counts what would be written and writes nothing."""
    now = clock or (lambda: datetime.now(UTC))
    counts = counts if counts is not None else RunCounts()
    system, stream = mapping.system, mapping.stream
    for raw_page in pages:
        counts.pages += 1
        builder = _build_page(engine, raw_page, mapping, units, counts, now())
        if move_cursor and raw_page.marker:
            # Never ahead of the run's start: whatever changed during the run is re-read.
            marker = min(parse_marker(raw_page.marker), run_started_at)
            builder.page.cursor = marker.isoformat()
        if not dry_run:
            secret = queries.write_page(engine, builder.page, now())
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


def _build_page(
    engine: Engine,
    raw_page: RawPage,
    mapping: StreamMapping,
    units: UnitTable,
    counts: RunCounts,
    seen_at: datetime,
) -> _PageBuilder:
    page = Page(system=mapping.system, stream=mapping.stream, secret_skips=Counter())
    readable: dict[str, tuple[dict[str, Any], str]] = {}
    for item in raw_page.records:
        counts.fetched += 1
        if isinstance(item, BadRecord):
            _bad_record(item, mapping, units, page, counts, seen_at)
            continue
        source_id = mapping.source_id.dig(item)
        key = str(source_id) if source_id not in (None, "") else f"sha256:{content_hash(item)}"
        # The same record twice in one page (a source paging while it changes): keep the last.
        readable[key] = (item, content_hash(item))

    with engine.connect() as conn:
        known = queries.known_hashes(conn, mapping.system, mapping.stream, list(readable))
    builder = _PageBuilder(page, counts, known, _kind(mapping))
    for source_id, (raw, digest) in readable.items():
        if known.get(source_id) == digest:
            counts.unchanged += 1
            page.read_cleanly.append(source_id)
            continue
        builder.add(raw, digest, normalize(raw, mapping, units, seen_at=seen_at))
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
            _add_secret(page, counts, outcome, _kind(mapping))
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
    """Where the next incremental run starts: the stored cursor minus the overlap window."""
    with engine.connect() as conn:
        stored = parse_marker(queries.get_cursor(conn, system, stream))
    return (stored - overlap).isoformat() if stored else None


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
        )
    except Exception as exc:
        queries.finish_run(engine, run_id, datetime.now(UTC), counts.as_run_counters(),
                           error=f"{exc.__class__.__name__}: {exc}")  # fmt: skip
        raise
    queries.finish_run(engine, run_id, datetime.now(UTC), counts.as_run_counters())
    return counts
