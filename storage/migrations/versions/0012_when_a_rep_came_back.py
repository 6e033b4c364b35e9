"""When a rep came back after blocking the bot

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

`rep.returned_at` is set when a rep who had blocked the bot starts it again. A reminder that fell due
before then was held back for them, and says so, instead of calling itself late as after the bot's own
downtime. A nullable column added in place; on SQLite dropped with DROP COLUMN (SQLite 3.35), never by
rebuilding `rep`, which would delete every contact through ON DELETE CASCADE.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("rep", sa.Column("returned_at", storage.models.UTCDateTime(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE rep DROP COLUMN returned_at")
    else:
        op.drop_column("rep", "returned_at")
