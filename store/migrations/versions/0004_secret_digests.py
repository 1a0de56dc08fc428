"""Secret documents counted per document, secret replies recognised, purges counted.

``secret_keys`` (the HMAC key, generated once), ``secret_seen`` and ``secret_answers`` (keyed
digests only, never a field of a secret document), ``tasks.secret_answer_at`` and
``runs.secret_purged``. See store/secret_digests.py.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secret_keys",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column(
            "key", sa.String(length=64), nullable=False, comment="hex HMAC key, generated once"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_secret_keys")),
    )
    op.create_table(
        "secret_seen",
        sa.Column(
            "digest",
            sa.String(length=64),
            nullable=False,
            comment="HMAC of system, stream, source id",
        ),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_secret_seen")),
    )
    op.create_table(
        "secret_answers",
        sa.Column(
            "digest",
            sa.String(length=64),
            nullable=False,
            comment="HMAC of what a secret reply answers",
        ),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_secret_answers")),
    )
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column(
                "secret_answer_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="when reconcile found this task answered by a secret document "
                "(none of it kept)",
            )
        )
    with op.batch_alter_table("secret_skips") as batch:
        batch.alter_column(
            "day",
            existing_type=sa.Date(),
            comment="local day the documents were received",
            existing_comment="local day the documents were seen",
            existing_nullable=False,
        )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("secret_purged", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("secret_purged")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("secret_answer_at")
    op.drop_table("secret_answers")
    op.drop_table("secret_seen")
    op.drop_table("secret_keys")
