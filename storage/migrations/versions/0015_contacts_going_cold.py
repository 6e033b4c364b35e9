"""Contacts going cold

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

A contact with no open follow-up and no touch for a while (per status, the rep's `rep.quiet_days` over
the defaults) gets a follow-up of kind "cold". `followup.quiet_since` is the touch its silence is counted
from, unique per contact, so that the same silence never brings two (whichever replica plans the digest);
NULL for every other follow-up, and NULLs are distinct in a unique index on SQLite and PostgreSQL alike.
Columns added in place, as in 0010: no table is rebuilt under the rows that refer to it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("rep", sa.Column("quiet_days", sa.JSON(), nullable=True))
    op.add_column("followup", sa.Column("quiet_since", storage.models.UTCDateTime(), nullable=True))
    op.create_index("uq_followup_contact_quiet", "followup", ["contact_id", "quiet_since"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_followup_contact_quiet", table_name="followup")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE followup DROP COLUMN quiet_since")
        op.execute("ALTER TABLE rep DROP COLUMN quiet_days")
    else:
        op.drop_column("followup", "quiet_since")
        op.drop_column("rep", "quiet_days")
