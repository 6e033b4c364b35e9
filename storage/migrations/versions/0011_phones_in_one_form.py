"""Every contact's phone in one form: E.164, read in the owner's country

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

Phones were stored as typed and matched on their last nine digits, which never matched an 8-digit
Norwegian number or a short Finnish landline with its country code. Each stored phone is now read in its
owner's country (bot/phones.py: from the rep's zone, else language): a valid number is stored as E.164
with that as its `phone_key`, any other keeps its text and is keyed on its digits. What /find looks in
gets the number's digits in both forms. Only values change (row by row, in chunks): no table is rebuilt.

Downgrade leaves the numbers in E.164 (still a valid way to write them) and gives back the old keys.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from bot import phones

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 500
_contact = sa.table(
    "contact",
    sa.column("id", sa.Integer),
    sa.column("owner_id", sa.Integer),
    sa.column("phone", sa.String),
    sa.column("phone_key", sa.String),
    sa.column("search_text", sa.Text),
)
_rep = sa.table("rep", sa.column("id", sa.Integer), sa.column("timezone"), sa.column("language"))


def _phoned_contacts(connection: sa.Connection, after: int) -> list[Any]:
    """The next chunk of contacts with a phone: id, owner, phone, search text."""
    return list(
        connection.execute(
            sa.select(_contact.c.id, _contact.c.owner_id, _contact.c.phone, _contact.c.search_text)
            .where(_contact.c.phone.is_not(None), _contact.c.id > after)
            .order_by(_contact.c.id)
            .limit(_CHUNK)
        ).all()
    )


def upgrade() -> None:
    connection = op.get_bind()
    regions = {
        rep_id: phones.region_for(zone, language)
        for rep_id, zone, language in connection.execute(
            sa.select(_rep.c.id, _rep.c.timezone, _rep.c.language)
        ).all()
    }
    after = 0
    while rows := _phoned_contacts(connection, after):
        for contact_id, owner_id, typed, search_text in rows:
            phone = phones.read_phone(typed, regions.get(owner_id))
            connection.execute(
                sa.update(_contact)
                .where(_contact.c.id == contact_id)
                .values(
                    phone=phone.stored,
                    phone_key=phone.key,
                    search_text=f"{search_text or ''} | {phones.search_digits(phone.stored)}",
                )
            )
        after = int(rows[-1][0])


def downgrade() -> None:
    connection = op.get_bind()
    after = 0
    while rows := _phoned_contacts(connection, after):
        for contact_id, _owner_id, stored, _search_text in rows:
            digits = "".join(char for char in stored if char.isdigit())
            connection.execute(
                sa.update(_contact)
                .where(_contact.c.id == contact_id)
                .values(phone_key=digits[-9:] if len(digits) >= 5 else None)
            )
        after = int(rows[-1][0])
