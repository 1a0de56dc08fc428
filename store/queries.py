"""The operations the pipeline needs from the store, in one namespace.

Each job has its module; this one re-exports them, where callers have always found them
(``from store import queries``; ``queries.write_page``):

* ``store/pages.py``: ingest's page writing (one transaction per page), content hashes, cursors;
* ``store/outbox.py``: the outbox, queued, claimed (one worker per row), renewed and settled;
* ``store/failures.py``: dead letters, dead outbox rows, secret answers; the calendar's dead
  letters;
* ``store/run_log.py``: the runs table and its died runs;
* ``store/summary.py``: what the store holds, counted;
* ``store/upsert.py``: the upsert that works on both databases.

The reads and writes of one pipeline step live beside it: ``reconcile_queries.py``,
``extension_queries.py``, ``report_queries.py``.
"""

from __future__ import annotations

from store.failures import (
    CALENDAR_STREAM,
    CLASSIFIED_REPLY,
    CLASSIFIED_REPLY_VI,
    Failure,
    list_failures,
    open_dead_letter_ids,
    replace_calendar_failures,
)
from store.outbox import (
    DEFAULT_LEASE,
    ClaimedRow,
    OutboxItem,
    claim_outbox,
    database_now,
    enqueue_outbox,
    mark_outbox_done,
    mark_outbox_failed,
    renew_claims,
    retry_dead_outbox,
)
from store.pages import (
    DeadLetter,
    Page,
    SourceRecord,
    get_cursor,
    known_hashes,
    page_refusal,
    write_page,
)
from store.reconcile_queries import upsert_links
from store.run_log import (
    RUN_COUNTERS,
    STALE_RUN_AFTER,
    finish_run,
    mark_dead_runs,
    record_run_progress,
    start_run,
    this_worker,
)
from store.summary import SUMMARY_TABLES, StoreSummary, render_summary, store_summary
from store.upsert import _upsert, upsert

__all__ = [
    "CALENDAR_STREAM",
    "CLASSIFIED_REPLY",
    "CLASSIFIED_REPLY_VI",
    "DEFAULT_LEASE",
    "RUN_COUNTERS",
    "STALE_RUN_AFTER",
    "SUMMARY_TABLES",
    "ClaimedRow",
    "DeadLetter",
    "Failure",
    "OutboxItem",
    "Page",
    "SourceRecord",
    "StoreSummary",
    "_upsert",
    "claim_outbox",
    "database_now",
    "enqueue_outbox",
    "finish_run",
    "get_cursor",
    "known_hashes",
    "list_failures",
    "mark_dead_runs",
    "mark_outbox_done",
    "mark_outbox_failed",
    "open_dead_letter_ids",
    "page_refusal",
    "record_run_progress",
    "render_summary",
    "renew_claims",
    "replace_calendar_failures",
    "retry_dead_outbox",
    "start_run",
    "store_summary",
    "this_worker",
    "upsert",
    "upsert_links",
    "write_page",
]
