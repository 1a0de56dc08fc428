"""The store's tables (SQLAlchemy Core). The Alembic migrations create exactly these.

Conventions: every instant is ``UTCDateTime``; ``system`` and ``stream`` name where a record came
from; ``source_id`` is its id in that system. Unit ids are soft references (no foreign key)
because records routinely arrive before the unit table knows a renamed or new unit, and a
record must never be rejected for that alone.

No table has a column for secrecy: secret documents are never stored (docs/domain.md §3);
only ``secret_skips`` counts them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from schemas.limits import (
    DOC_TYPE,
    INCOMING_NUMBER,
    KEY,
    NOTATION,
    NUMBER,
    ORGAN_ID,
    SOURCE_ID,
    STREAM,
    SYSTEM,
    TASK_CLASS,
    UNIT_ID,
    WORKER,
)
from store.types import Json, UTCDateTime

# Stable constraint names, so migrations can refer to them on both databases.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Column lengths come from schemas/limits.py, where the canonical models check them too,
# so a value that would not fit is refused by validation (a dead letter), never by the database.

units = Table(
    "units",
    metadata,
    Column("id", String(UNIT_ID), primary_key=True, comment="canonical unit id"),
    Column("name", Text, nullable=False),
    Column("organ_id", String(ORGAN_ID), comment="electronic identifier code (QĐ 20/2020/QĐ-TTg)"),
    Column("parent_id", String(UNIT_ID), ForeignKey("units.id")),
    Column("successor_id", String(UNIT_ID), ForeignKey("units.id"), comment="after a merge"),
    Column("valid_from", Date),
    Column("valid_to", Date),
)

unit_aliases = Table(
    "unit_aliases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("system", String(SYSTEM), nullable=False),
    Column("alias", String(SOURCE_ID), nullable=False, comment="the unit's id in that system"),
    Column("unit_id", String(UNIT_ID), ForeignKey("units.id"), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    UniqueConstraint("system", "alias", "valid_from", name="uq_unit_aliases_system_alias_from"),
)

source_records = Table(
    "source_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("system", String(SYSTEM), nullable=False),
    Column("stream", String(STREAM), nullable=False),
    Column("source_id", String(SOURCE_ID), nullable=False),
    Column("content_hash", String(64), nullable=False, comment="sha256 of the canonical raw JSON"),
    Column("payload", Json, nullable=False),
    Column("changed_at", UTCDateTime, comment="the source's own change marker"),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    UniqueConstraint("system", "stream", "source_id", name="uq_source_records_identity"),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("system", String(SYSTEM), nullable=False),
    Column("source_id", String(SOURCE_ID), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("document_id", String(KEY), nullable=False, index=True, comment="edXML DocumentId"),
    Column("organ_id", String(ORGAN_ID), nullable=False),
    Column("promulgation_date", Date, nullable=False),
    Column("number", String(NUMBER), nullable=False),
    Column("notation", String(NOTATION), nullable=False),
    Column("doc_type", String(DOC_TYPE), nullable=False),
    Column("abstract", Text, nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("signer_name", Text),
    Column("signer_position", Text),
    Column("signer_competence", Text),
    Column("place", Text),
    Column("received_at", UTCDateTime),
    Column("incoming_number", String(INCOMING_NUMBER)),
    Column("issued_at", UTCDateTime, index=True),  # reconcile: responses whose time came
    Column("stated_deadline", UTCDateTime),
    Column("response_for_document_id", String(KEY), index=True),
    Column("response_for_source_id", String(SOURCE_ID)),
    Column("unit_id", String(UNIT_ID)),
    Column("computed_deadline", UTCDateTime),
    Column("deadline_rule", String(16)),
    Column("deadline_explanation", Json),
    Column("deadline_milestone", UTCDateTime, comment="review milestone of the deadline"),
    Column("changed_at", UTCDateTime),
    Column(
        "reconcile_mark",
        String(32),
        index=True,
        comment="set by every write, cleared by the reconcile that read it: changed since",
    ),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("system", "source_id", name="uq_documents_system_source"),
)

directives = Table(
    "directives",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("system", String(SYSTEM), nullable=False),
    Column("source_id", String(SOURCE_ID), nullable=False),
    Column("document_source_id", String(SOURCE_ID), nullable=False, index=True),
    Column("title", Text),
    Column("content", Text, nullable=False),
    Column("author", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("changed_at", UTCDateTime),
    Column(
        "reconcile_mark",
        String(32),
        index=True,
        comment="set by every write, cleared by the reconcile that read it: changed since",
    ),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("system", "source_id", name="uq_directives_system_source"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("system", String(SYSTEM), nullable=False),
    Column("document_source_id", String(SOURCE_ID), nullable=False),
    Column("directive_source_id", String(SOURCE_ID)),
    Column("unit_id", String(SOURCE_ID), nullable=False),
    Column("role", String(16), nullable=False),
    Column("assigned_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint(
        "system", "document_source_id", "unit_id", "role", name="uq_assignments_identity"
    ),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("system", String(SYSTEM), nullable=False, server_default="tracking"),
    Column("source_id", String(SOURCE_ID), nullable=False),
    Column("title", Text, nullable=False),
    Column("task_class", String(TASK_CLASS), nullable=False),
    Column("source_document_id", String(KEY), index=True, comment="DocumentId of its source"),
    Column("source_document_abstract", Text),
    Column("assigning_text", Text),
    Column("lead_unit_id", String(SOURCE_ID), nullable=False),
    Column("coordinating_unit_ids", Json, nullable=False),
    Column("monitor_unit_id", String(SOURCE_ID)),
    Column("deadline", UTCDateTime, index=True, comment="as the tracking system holds it"),
    Column(
        "deadline_whole_day",
        Boolean,
        nullable=False,
        server_default=text("false"),
        comment="given as a date: a completion any time that day is on time",
    ),
    Column("original_deadline", UTCDateTime, comment="before any extension, as the system shows"),
    Column("extended_at", UTCDateTime, comment="latest extension granted, as the system says"),
    Column("status", String(16), nullable=False, comment="as the tracking system shows it"),
    Column("completed_at", UTCDateTime, index=True, comment="as the tracking system says"),
    Column("revision", Integer, nullable=False, server_default="0"),
    Column("notes", Text),
    Column("derived_status", String(16), comment="what the bridge derives from facts"),
    Column("at_risk", Boolean, nullable=False, server_default=text("false")),
    Column("computed_deadline", UTCDateTime),
    Column("deadline_rule", String(16)),
    Column("deadline_explanation", Json),
    Column("deadline_milestone", UTCDateTime, comment="review milestone of the deadline in force"),
    Column("extension_count", Integer, nullable=False, server_default="0"),
    Column(
        "secret_answer_at",
        UTCDateTime,
        comment="when reconcile found this task answered by a secret document (none of it kept)",
    ),
    Column("changed_at", UTCDateTime),
    Column(
        "reconcile_mark",
        String(32),
        index=True,
        comment="set by every write, cleared by the reconcile that read it: changed since",
    ),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("system", "source_id", name="uq_tasks_system_source"),
)

deadline_history = Table(
    "deadline_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("deadline", UTCDateTime, nullable=False),
    Column("milestone", UTCDateTime, comment="review milestone of this deadline"),
    Column("kind", String(16), nullable=False, comment="original | extension"),
    Column("granted_at", UTCDateTime, comment="when the extension was granted (if known)"),
    Column("seen_at", UTCDateTime, nullable=False, comment="when the bridge first saw it"),
    UniqueConstraint("task_id", "deadline", name="uq_deadline_history_task_deadline"),
)

task_document_links = Table(
    "task_document_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(16), nullable=False, comment="source | response"),
    Column("method", String(16), nullable=False, comment="how the link was found"),
    Column("found_at", UTCDateTime, nullable=False),
    UniqueConstraint("task_id", "document_id", "role", name="uq_task_document_links_identity"),
)

sync_cursors = Table(
    "sync_cursors",
    metadata,
    Column("system", String(SYSTEM), primary_key=True),
    Column("stream", String(STREAM), primary_key=True),
    Column("cursor", Text, nullable=False, comment="the source's own change marker"),
    Column("updated_at", UTCDateTime, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("target_system", String(SYSTEM), nullable=False),
    Column("operation", String(32), nullable=False),
    Column("target_id", String(SOURCE_ID), nullable=False, comment="task or document id there"),
    Column("payload", Json, nullable=False),
    Column("state", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Column("claimed_by", String(128)),
    Column("claimed_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("done_at", UTCDateTime),
)
Index("ix_outbox_claimable", outbox.c.state, outbox.c.next_attempt_at)
# Push claims each system's rows on its own (a sender pool and a time budget per system).
Index("ix_outbox_due_by_system", outbox.c.target_system, outbox.c.state, outbox.c.next_attempt_at)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("system", String(SYSTEM), nullable=False),
    Column("stream", String(STREAM), nullable=False),
    Column("source_id", String(SOURCE_ID), nullable=False, comment="or sha256:<hash> if unknown"),
    Column("reason", Text, nullable=False),
    Column("payload", Json, comment="the raw record as received (never of a secret document)"),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("count", Integer, nullable=False, server_default="1"),
    Column("resolved_at", UTCDateTime),
    UniqueConstraint("system", "stream", "source_id", name="uq_dead_letters_identity"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False, comment="sync | resync | push | reconcile | report"),
    Column("system", String(SYSTEM)),
    Column("stream", String(STREAM)),
    Column("status", String(16), nullable=False, server_default="running"),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("worker", String(WORKER), comment="host:pid of the process running it"),
    Column("heartbeat_at", UTCDateTime, comment="last committed progress"),
    Column("fetched", Integer, nullable=False, server_default="0"),
    Column("new", Integer, nullable=False, server_default="0"),
    Column("changed", Integer, nullable=False, server_default="0"),
    Column("unchanged", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
    Column("secret_skipped", Integer, nullable=False, server_default="0"),
    Column("secret_purged", Integer, nullable=False, server_default="0"),
    Column("pushed", Integer, nullable=False, server_default="0"),
    Column("failed", Integer, nullable=False, server_default="0"),
    Column(
        "retrying",
        Integer,
        nullable=False,
        server_default="0",
        comment="push: rows scheduled again after a transient failure",
    ),
    Column(
        "left_for_later",
        Integer,
        nullable=False,
        server_default="0",
        comment="push: due rows left for later runs, its time being up",
    ),
    Column("error", Text),
)

secret_skips = Table(
    "secret_skips",
    metadata,
    Column("system", String(SYSTEM), primary_key=True),
    Column("unit_id", String(SOURCE_ID), primary_key=True, comment="'' when not known"),
    Column("day", Date, primary_key=True, comment="local day the documents were received"),
    Column("count", Integer, nullable=False),
)

# Secret documents leave no field behind; these three tables hold only what counting per
# document and recognising a secret reply need (store/secret_digests.py explains the design).
secret_keys = Table(
    "secret_keys",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("key", String(64), nullable=False, comment="hex HMAC key, generated once"),
    Column("created_at", UTCDateTime, nullable=False),
)

secret_seen = Table(
    "secret_seen",
    metadata,
    Column("digest", String(64), primary_key=True, comment="HMAC of system, stream, source id"),
    Column("system", String(SYSTEM), nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
)

secret_answers = Table(
    "secret_answers",
    metadata,
    Column("digest", String(64), primary_key=True, comment="HMAC of what a secret reply answers"),
    Column("system", String(SYSTEM), nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
)


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
