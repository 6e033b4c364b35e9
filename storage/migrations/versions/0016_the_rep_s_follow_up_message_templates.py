"""The rep's follow-up message templates

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08

A reminder and a contact card carry a follow-up message drafted from a template (after a first meeting,
after silence, a win-back); the rep may write their own in /settings. `rep.message_templates` keeps those,
by kind ({"first": "Hi {name}, ..."}); nullable, since every rep starts with the defaults of their
language. Added in place on SQLite and dropped with DROP COLUMN, as in 0010, 0014 and 0015: rebuilding `rep`
would drop the table that every other table refers to.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("rep", sa.Column("message_templates", sa.JSON(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE rep DROP COLUMN message_templates")
    else:
        op.drop_column("rep", "message_templates")
