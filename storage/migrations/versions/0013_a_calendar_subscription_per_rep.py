"""A calendar subscription per rep

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

`calendar_feed` holds, for each rep who turned the calendar on, the SHA-256 of the token in their private
subscription address (never the token), which address it is (`version`), and what the feed last showed
(`content_hash`, `changed_at`) for its ETag and Last-Modified. A new table keyed by the rep: no table is
rebuilt, so nothing that refers to `rep` is touched on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_feed",
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issued_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("changed_at", storage.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["rep_id"], ["rep.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rep_id"),
        sa.UniqueConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("calendar_feed")
