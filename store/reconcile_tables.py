"""Reconcile's bookkeeping tables (pipelines/reconcile_scope.py), on the store's metadata."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, text

from store.metadata import metadata
from store.types import UTCDateTime

# Reconcile works from what changed since its last run (pipelines/reconcile_scope.py): every
# write marks its row (``reconcile_mark``); these two tables hold the rest of what it needs.
reconcile_state = Table(
    "reconcile_state",
    metadata,
    Column("name", String(32), primary_key=True, comment="'global': one reconcile per store"),
    Column("last_now", UTCDateTime, nullable=False, comment="reference time of the last run"),
    Column(
        "fingerprint",
        String(64),
        nullable=False,
        comment="calendar, policy, settings and logic the last run used; another one: full run",
    ),
    Column(
        "full_needed",
        Boolean,
        nullable=False,
        server_default=text("false"),
        comment="set when records were deleted (a purge): the next run reads everything",
    ),
    Column("updated_at", UTCDateTime, nullable=False),
)

reconcile_tokens = Table(
    "reconcile_tokens",
    metadata,
    Column("kind", String(8), primary_key=True, comment="document | task"),
    Column("item_id", Integer, primary_key=True),
    Column(
        "token",
        String(24),
        primary_key=True,
        index=True,
        comment="hash of a key two items must share to affect each other (as last reconciled)",
    ),
)
