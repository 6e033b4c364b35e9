"""An import's claim and its Stop, in the database

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

An import is claimed before it is applied (`importbatch.state` goes from pending to applying in one
conditional UPDATE), so that of two taps, on one replica or two, exactly one applies it. `lease_until` is
how long that claim holds: past it, the process that claimed it is taken to be gone. `stop_requested` is
the Stop button, pressed on whichever replica: the one applying the import reads it between chunks.

Two columns added to `importbatch`. On SQLite they are added in place and dropped with DROP COLUMN
(SQLite 3.35), never by Alembic's batch mode: rebuilding `importbatch` would drop the table its contacts
refer to, and ON DELETE SET NULL would forget which import made them (so /undoimport would remove none).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("importbatch", sa.Column("lease_until", storage.models.UTCDateTime(), nullable=True))
    op.add_column(
        "importbatch",
        sa.Column("stop_requested", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # An import being applied now is left claimed by nobody: it reads as cancelled.
    op.execute("UPDATE importbatch SET state = 'cancelled' WHERE state = 'applying'")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE importbatch DROP COLUMN stop_requested")
        op.execute("ALTER TABLE importbatch DROP COLUMN lease_until")
    else:
        op.drop_column("importbatch", "stop_requested")
        op.drop_column("importbatch", "lease_until")
