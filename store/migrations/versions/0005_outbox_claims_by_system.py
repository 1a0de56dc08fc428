"""Push claims each system's due rows on its own (per-system senders and time budgets, issue
17): an index leads with the target system, then the state and the back-off's due time, so a
claim for one system reads only that system's due rows.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.create_index(
            "ix_outbox_due_by_system", ["target_system", "state", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_due_by_system")
