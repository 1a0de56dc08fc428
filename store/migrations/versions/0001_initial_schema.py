"""Initial schema: every table of store/tables.py.

Types are spelled out here (DateTime, JSON/JSONB) instead of importing the application's
column types, so this migration keeps meaning the same thing when the code changes.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 11:08:32.255095
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("document_source_id", sa.String(length=128), nullable=False),
        sa.Column("directive_source_id", sa.String(length=128), nullable=True),
        sa.Column("unit_id", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint(
            "system", "document_source_id", "unit_id", "role", name="uq_assignments_identity"
        ),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column(
            "source_id",
            sa.String(length=128),
            nullable=False,
            comment="or sha256:<hash> if unknown",
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="the raw record as received (never of a secret document)",
        ),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), server_default="1", nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint("system", "stream", "source_id", name="uq_dead_letters_identity"),
    )
    op.create_table(
        "directives",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("document_source_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directives")),
        sa.UniqueConstraint("system", "source_id", name="uq_directives_system_source"),
    )
    with op.batch_alter_table("directives", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_directives_document_source_id"), ["document_source_id"], unique=False
        )

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("document_id", sa.String(length=256), nullable=False, comment="edXML DocumentId"),
        sa.Column("organ_id", sa.String(length=64), nullable=False),
        sa.Column("promulgation_date", sa.Date(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("notation", sa.String(length=64), nullable=False),
        sa.Column("doc_type", sa.String(length=8), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("signer_name", sa.Text(), nullable=True),
        sa.Column("signer_position", sa.Text(), nullable=True),
        sa.Column("signer_competence", sa.Text(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("incoming_number", sa.String(length=32), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stated_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_for_document_id", sa.String(length=256), nullable=True),
        sa.Column("response_for_source_id", sa.String(length=128), nullable=True),
        sa.Column("unit_id", sa.String(length=64), nullable=True),
        sa.Column("computed_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_rule", sa.String(length=16), nullable=True),
        sa.Column(
            "deadline_explanation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("system", "source_id", name="uq_documents_system_source"),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_document_id"), ["document_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_documents_response_for_document_id"),
            ["response_for_document_id"],
            unique=False,
        )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("target_system", sa.String(length=16), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column(
            "target_id", sa.String(length=128), nullable=False, comment="task or document id there"
        ),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_claimable", ["state", "next_attempt_at"], unique=False)

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "kind",
            sa.String(length=16),
            nullable=False,
            comment="sync | resync | push | reconcile | report",
        ),
        sa.Column("system", sa.String(length=16), nullable=True),
        sa.Column("stream", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="running", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched", sa.Integer(), server_default="0", nullable=False),
        sa.Column("new", sa.Integer(), server_default="0", nullable=False),
        sa.Column("changed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unchanged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected", sa.Integer(), server_default="0", nullable=False),
        sa.Column("secret_skipped", sa.Integer(), server_default="0", nullable=False),
        sa.Column("pushed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_table(
        "secret_skips",
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.String(length=128), nullable=False, comment="'' when not known"),
        sa.Column("day", sa.Date(), nullable=False, comment="local day the documents were seen"),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("system", "unit_id", "day", name=op.f("pk_secret_skips")),
    )
    op.create_table(
        "source_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column(
            "content_hash",
            sa.String(length=64),
            nullable=False,
            comment="sha256 of the canonical raw JSON",
        ),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="the source's own change marker",
        ),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_records")),
        sa.UniqueConstraint("system", "stream", "source_id", name="uq_source_records_identity"),
    )
    op.create_table(
        "sync_cursors",
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False, comment="the source's own change marker"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system", "stream", name=op.f("pk_sync_cursors")),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("system", sa.String(length=16), server_default="tracking", nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("task_class", sa.String(length=32), nullable=False),
        sa.Column(
            "source_document_id",
            sa.String(length=256),
            nullable=True,
            comment="DocumentId of its source",
        ),
        sa.Column("source_document_abstract", sa.Text(), nullable=True),
        sa.Column("assigning_text", sa.Text(), nullable=True),
        sa.Column("lead_unit_id", sa.String(length=128), nullable=False),
        sa.Column(
            "coordinating_unit_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("monitor_unit_id", sa.String(length=128), nullable=True),
        sa.Column(
            "deadline",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="as the tracking system holds it",
        ),
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=False,
            comment="as the tracking system shows it",
        ),
        sa.Column(
            "completed_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="as the tracking system says",
        ),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "derived_status",
            sa.String(length=16),
            nullable=True,
            comment="what the bridge derives from facts",
        ),
        sa.Column("at_risk", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("computed_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_rule", sa.String(length=16), nullable=True),
        sa.Column(
            "deadline_explanation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("system", "source_id", name="uq_tasks_system_source"),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tasks_source_document_id"), ["source_document_id"], unique=False
        )

    op.create_table(
        "units",
        sa.Column("id", sa.String(length=64), nullable=False, comment="canonical unit id"),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "organ_id",
            sa.String(length=64),
            nullable=True,
            comment="electronic identifier code (QĐ 20/2020/QĐ-TTg)",
        ),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("successor_id", sa.String(length=64), nullable=True, comment="after a merge"),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["parent_id"], ["units.id"], name=op.f("fk_units_parent_id_units")),
        sa.ForeignKeyConstraint(
            ["successor_id"], ["units.id"], name=op.f("fk_units_successor_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
    )
    op.create_table(
        "task_document_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False, comment="source | response"),
        sa.Column("method", sa.String(length=16), nullable=False, comment="how the link was found"),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_task_document_links_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_document_links_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_document_links")),
        sa.UniqueConstraint(
            "task_id", "document_id", "role", name="uq_task_document_links_identity"
        ),
    )
    op.create_table(
        "unit_aliases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column(
            "alias", sa.String(length=128), nullable=False, comment="the unit's id in that system"
        ),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_aliases_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_aliases")),
        sa.UniqueConstraint(
            "system", "alias", "valid_from", name="uq_unit_aliases_system_alias_from"
        ),
    )


def downgrade() -> None:

    op.drop_table("unit_aliases")
    op.drop_table("task_document_links")
    op.drop_table("units")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_source_document_id"))

    op.drop_table("tasks")
    op.drop_table("sync_cursors")
    op.drop_table("source_records")
    op.drop_table("secret_skips")
    op.drop_table("runs")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_claimable")

    op.drop_table("outbox")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_response_for_document_id"))
        batch_op.drop_index(batch_op.f("ix_documents_document_id"))

    op.drop_table("documents")
    with op.batch_alter_table("directives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directives_document_source_id"))

    op.drop_table("directives")
    op.drop_table("dead_letters")
    op.drop_table("assignments")
