"""The file an import came from and the columns the rep picked

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

When no header of a CSV names the contacts' names (or a phone or e-mail column goes unrecognised), the rep
taps the file's column instead. The batch keeps Telegram's `file_id` of the file, which is read again at
each pick, and `picked`, the rep's choices so far ({"name": 2}). Both nullable: the batches of earlier
imports have neither. Added in place on SQLite and dropped with DROP COLUMN, as in 0010, so that
`importbatch` is never rebuilt under the contacts that refer to it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("importbatch", sa.Column("file_id", sa.String(length=256), nullable=True))
    op.add_column("importbatch", sa.Column("picked", sa.JSON(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE importbatch DROP COLUMN picked")
        op.execute("ALTER TABLE importbatch DROP COLUMN file_id")
    else:
        op.drop_column("importbatch", "picked")
        op.drop_column("importbatch", "file_id")
