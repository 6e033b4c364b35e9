"""follow-ups and digests

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Columns added to existing tables get a server default, so rows written before this migration stay valid.
    op.create_table(
        "digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("due_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=40), nullable=True),
        sa.Column("lease_until", storage.models.UTCDateTime(), nullable=True),
        sa.Column("not_before", storage.models.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", storage.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["rep_id"], ["rep.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rep_id", "local_date", name="uq_digest_rep_day"),
    )
    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_rep_id"), ["rep_id"], unique=False)
        batch_op.create_index("ix_digest_state_due", ["state", "due_at"], unique=False)

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lost_reason", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("birthday", sa.Date(), nullable=True))

    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="next"))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("lease_until", storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("not_before", storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("sent_at", storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("rep", schema=None) as batch_op:
        batch_op.add_column(sa.Column("awaiting_until", storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("working_days", sa.String(length=7), nullable=False, server_default="12345")
        )
        batch_op.add_column(
            sa.Column("digest_when_empty", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.alter_column(
            "awaiting",
            existing_type=sa.VARCHAR(length=32),
            type_=sa.String(length=48),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("rep", schema=None) as batch_op:
        batch_op.alter_column(
            "awaiting",
            existing_type=sa.String(length=48),
            type_=sa.VARCHAR(length=32),
            existing_nullable=True,
        )
        batch_op.drop_column("digest_when_empty")
        batch_op.drop_column("working_days")
        batch_op.drop_column("awaiting_until")

    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.drop_column("message_id")
        batch_op.drop_column("sent_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("not_before")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("kind")

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("birthday")
        batch_op.drop_column("lost_reason")

    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.drop_index("ix_digest_state_due")
        batch_op.drop_index(batch_op.f("ix_digest_rep_id"))

    op.drop_table("digest")
