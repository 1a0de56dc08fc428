"""Deadline history and review milestones (docs/domain.md §6, "Extensions", rule 4).

Tasks keep the original deadline and the latest extension as the tracking system shows them,
the review milestone of the deadline in force and how many times it was extended; documents
keep the review milestone of their deadline; ``deadline_history`` keeps each deadline a task
has had (the original, then each extension with when it was granted and first seen).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "deadline_whole_day",
                sa.Boolean(),
                server_default=sa.text("false"),
                nullable=False,
                comment="given as a date: a completion any time that day is on time",
            )
        )
        batch_op.add_column(
            sa.Column(
                "original_deadline",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="before any extension, as the system shows",
            )
        )
        batch_op.add_column(
            sa.Column(
                "extended_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="latest extension granted, as the system says",
            )
        )
        batch_op.add_column(
            sa.Column(
                "deadline_milestone",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="review milestone of the deadline in force",
            )
        )
        batch_op.add_column(
            sa.Column("extension_count", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "deadline_milestone",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="review milestone of the deadline",
            )
        )
    op.create_table(
        "deadline_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "milestone",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="review milestone of this deadline",
        ),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="original | extension"),
        sa.Column(
            "granted_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when the extension was granted (if known)",
        ),
        sa.Column(
            "seen_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when the bridge first saw it",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_deadline_history_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_history")),
        sa.UniqueConstraint("task_id", "deadline", name="uq_deadline_history_task_deadline"),
    )


def downgrade() -> None:
    op.drop_table("deadline_history")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("deadline_milestone")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("extension_count")
        batch_op.drop_column("deadline_milestone")
        batch_op.drop_column("extended_at")
        batch_op.drop_column("original_deadline")
        batch_op.drop_column("deadline_whole_day")
