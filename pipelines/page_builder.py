"""One page of one stream, as ingest sorts it: the records to write, the dead letters and the
secret records, and the run's counts as they grow (pipelines/ingest.py pages, this builds).

A record's canonical JSON travels with it: its hash was taken of that text, and the store keeps
that same text as the record's payload, so a record is serialised once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipelines.normalize import Normalized, Rejected, SecretSkipped
from pipelines.record_checks import Withheld
from schemas import Directive, Document, Task
from store.queries import DeadLetter, Page, SourceRecord
from store.secret_digests import SecretRecord


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
class PageBuilder:
    """Sorts one page's outcomes into the store's Page and the run's counts."""

    page: Page
    counts: RunCounts
    known: dict[str, str]
    kind: str
    # The page's readable records one by one, so a page the store refuses can be retried
    # record by record and only the guilty one turned into a dead letter.
    # With each, its canonical JSON (what its hash was taken of, stored as its payload).
    entries: list[tuple[dict[str, Any], str, Normalized, str | None]] = field(default_factory=list)

    def add(
        self, raw: dict[str, Any], digest: str | None, outcome: Any, canonical: str | None = None
    ) -> None:
        if isinstance(outcome, SecretSkipped):
            add_secret(self.page, self.counts, outcome, self.kind)
            return
        if isinstance(outcome, Rejected | Withheld):
            payload = None if isinstance(outcome, Withheld) else raw
            self.page.dead_letters.append(DeadLetter(outcome.source_id, outcome.reason, payload))
            self.counts.rejected += 1
            return
        assert isinstance(outcome, Normalized) and digest is not None
        self.entries.append((raw, digest, outcome, canonical))
        add_record(self.page, raw, digest, outcome, canonical)
        if outcome.source_id in self.known:
            self.counts.changed += 1
        else:
            self.counts.new += 1

    def refuse(self, guilty: dict[int, str]) -> None:
        """Turn the records at these positions of ``entries`` into dead letters (reason
        each) and rebuild the page's records without them."""
        page = self.page
        page.source_records, page.documents, page.directives = [], [], []
        page.assignments, page.tasks = [], []
        kept = []
        for position, entry in enumerate(self.entries):
            raw, digest, outcome, canonical = entry
            reason = guilty.get(position)
            if reason is None:
                kept.append(entry)
                add_record(page, raw, digest, outcome, canonical)
                continue
            page.read_cleanly.remove(outcome.source_id)
            where = f"{page.system}/{page.stream} {outcome.source_id}"
            page.dead_letters.append(DeadLetter(outcome.source_id, f"{where}: {reason}", raw))
            if outcome.source_id in self.known:
                self.counts.changed -= 1
            else:
                self.counts.new -= 1
            self.counts.rejected += 1
        self.entries = kept


def add_record(
    page: Page, raw: dict[str, Any], digest: str, outcome: Normalized, canonical: str | None
) -> None:
    page.read_cleanly.append(outcome.source_id)
    # A capped form (a record too deep to encode) is no JSON; such a record never gets here.
    text = canonical if canonical and not canonical.startswith("capped:") else None
    page.source_records.append(
        SourceRecord(outcome.source_id, digest, raw, outcome.changed_at, payload_json=text)
    )
    record = outcome.record
    if isinstance(record, Document):
        page.documents.append(record)
    elif isinstance(record, Directive):
        page.directives.append(record)
    elif isinstance(record, Task):
        page.tasks.append(record)
    page.assignments.extend(outcome.assignments)


def add_secret(page: Page, counts: RunCounts, outcome: SecretSkipped, kind: str) -> None:
    """Nothing of a secret record is kept: the store turns its identity into a keyed digest
    (counted once per document, earlier rows purged) and drops the rest."""
    page.secrets.append(
        SecretRecord(outcome.unit_id, outcome.day, kind, outcome.identity, outcome.answers)
    )
    counts.secret_skipped += 1
