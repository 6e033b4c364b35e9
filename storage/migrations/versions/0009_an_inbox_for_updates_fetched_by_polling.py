"""An inbox for updates fetched by long polling

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

In polling mode an update is written to `inbox` before the next getUpdates confirms it to Telegram, and
deleted once processed: a process killed with updates fetched but not yet processed finds them here on
start (runtime/polling.py). A new table that nothing references, so creating and dropping it is safe on
SQLite too (no table is rebuilt).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("update_id"),
    )


def downgrade() -> None:
    op.drop_table("inbox")
