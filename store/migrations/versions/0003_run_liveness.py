"""Runs carry who runs them and when they last made progress, so a run whose process died is
found and marked at the next start instead of staying "running" forever (issue 18).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("worker", sa.String(length=128), nullable=True,
                                    comment="host:pid of the process running it"))  # fmt: skip
    op.add_column("runs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True,
                                    comment="last committed progress"))  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("worker")
