"""Reconcile works from what changed since its last run (issue 19): every write marks its
document, directive or task (``reconcile_mark``), ``reconcile_state`` keeps the last run's
reference time and what it used, ``reconcile_tokens`` the keys that tie items together.

Existing rows carry no mark and no token: with no ``reconcile_state`` row, the first reconcile
after this migration reads everything (a full run) and writes them.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

MARKED = ("documents", "directives", "tasks")
# What an incremental run looks up by time: deadlines and completions crossed, responses issued.
TIME_INDEXES = (("tasks", "deadline"), ("tasks", "completed_at"), ("documents", "issued_at"))


def upgrade() -> None:
    for table in MARKED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    "reconcile_mark",
                    sa.String(length=32),
                    nullable=True,
                    comment="set by every write, cleared by the reconcile that read it: "
                    "changed since",
                )
            )
            batch.create_index(f"ix_{table}_reconcile_mark", ["reconcile_mark"], unique=False)
    op.create_table(
        "reconcile_state",
        sa.Column(
            "name", sa.String(length=32), nullable=False,
            comment="'global': one reconcile per store",
        ),
        sa.Column(
            "last_now", sa.DateTime(timezone=True), nullable=False,
            comment="reference time of the last run",
        ),
        sa.Column(
            "fingerprint", sa.String(length=64), nullable=False,
            comment="calendar, policy, settings and logic the last run used; another one: "
            "full run",
        ),
        sa.Column(
            "full_needed", sa.Boolean(), server_default=sa.text("false"), nullable=False,
            comment="set when records were deleted (a purge): the next run reads everything",
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_reconcile_state")),
    )  # fmt: skip
    op.create_table(
        "reconcile_tokens",
        sa.Column("kind", sa.String(length=8), nullable=False, comment="document | task"),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column(
            "token", sa.String(length=24), nullable=False,
            comment="hash of a key two items must share to affect each other (as last "
            "reconciled)",
        ),
        sa.PrimaryKeyConstraint("kind", "item_id", "token", name=op.f("pk_reconcile_tokens")),
    )  # fmt: skip
    op.create_index("ix_reconcile_tokens_token", "reconcile_tokens", ["token"], unique=False)
    for table, column in TIME_INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def downgrade() -> None:
    for table, column in TIME_INDEXES:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
    op.drop_index("ix_reconcile_tokens_token", table_name="reconcile_tokens")
    op.drop_table("reconcile_tokens")
    op.drop_table("reconcile_state")
    for table in reversed(MARKED):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_reconcile_mark")
            batch.drop_column("reconcile_mark")
