"""Push claims each system's due rows on its own (per-system senders and time budgets, issue
17): an index leads with the target system, then the state and the back-off's due time, so a
claim for one system reads only that system's due rows. A push run records, besides the rows
done (``pushed``) and dead (``failed``), the rows scheduled again after a transient failure
(``retrying``) and the due rows it left for later runs when its time was up
(``left_for_later``).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COUNTERS = (
    ("retrying", "push: rows scheduled again after a transient failure"),
    ("left_for_later", "push: due rows left for later runs, its time being up"),
)


def upgrade() -> None:
    for name, comment in COUNTERS:
        op.add_column(
            "runs",
            sa.Column(name, sa.Integer(), server_default="0", nullable=False, comment=comment),
        )
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.create_index(
            "ix_outbox_due_by_system", ["target_system", "state", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_due_by_system")
    with op.batch_alter_table("runs") as batch_op:
        for name, _ in reversed(COUNTERS):
            batch_op.drop_column(name)
