"""A deal value and close month on a contact, and the rep's currency

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-09

`contact.value_minor` is a deal's value in integer minor units of `contact.currency` (ISO 4217, the rep's
when it was typed), `contact.close_month` the first day of the month it is expected to close; `rep.currency`
the rep's chosen currency (None: their country's). All nullable: no contact had a deal before. The index
serves a list by value. Added in place on SQLite and dropped with DROP COLUMN, as in 0010 and 0014, so that
neither `contact` nor `rep` is rebuilt under the rows that refer to them (and 0006's indexes, which SQLite
cannot report to Alembic, stay as they are).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("contact", sa.Column("value_minor", sa.BigInteger(), nullable=True))
    op.add_column("contact", sa.Column("currency", sa.String(length=3), nullable=True))
    op.add_column("contact", sa.Column("close_month", sa.Date(), nullable=True))
    op.add_column("rep", sa.Column("currency", sa.String(length=3), nullable=True))
    op.create_index(
        "ix_contact_owner_status_value", "contact", ["owner_id", "status", "value_minor", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_contact_owner_status_value", table_name="contact")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE rep DROP COLUMN currency")
        op.execute("ALTER TABLE contact DROP COLUMN close_month")
        op.execute("ALTER TABLE contact DROP COLUMN currency")
        op.execute("ALTER TABLE contact DROP COLUMN value_minor")
    else:
        op.drop_column("rep", "currency")
        op.drop_column("contact", "close_month")
        op.drop_column("contact", "currency")
        op.drop_column("contact", "value_minor")
