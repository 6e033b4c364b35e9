"""One typed "awaiting" value on the rep, and the button press that last changed a capture draft

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

`rep.awaiting` now holds one encoded value (bot/awaiting.py: the question, the records it is about, when
it was asked, and text kept while the rep is asked what it was for), so it needs room for a note; when it
lapses follows from when it was asked, so `awaiting_until` goes. Older values do not decode and read as
"no question", which is what a lapsed one was.

`capturedraft.changed_by` is the callback query that made the draft's latest change: when Telegram sends
that same press again (the process died before the message was edited), the bot redraws the question;
when another press changed it (a double tap handled by another replica), that press redraws it.

On SQLite the tables are altered in place, not rebuilt as Alembic's batch mode would: dropping the old
`rep` table while foreign keys are on deletes every contact through ON DELETE CASCADE. SQLite does not
enforce a VARCHAR's length, so `awaiting` needs no new type there, and DROP COLUMN (SQLite 3.35) keeps
the rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE rep DROP COLUMN awaiting_until")
    else:
        op.alter_column("rep", "awaiting", type_=sa.Text(), existing_type=sa.String(length=48))
        op.drop_column("rep", "awaiting_until")
    op.add_column("capturedraft", sa.Column("changed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # The older form cannot read the encoded values (nor hold them in 48 characters): questions lapse.
    op.execute("UPDATE rep SET awaiting = NULL")
    op.add_column("rep", sa.Column("awaiting_until", storage.models.UTCDateTime(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE capturedraft DROP COLUMN changed_by")
    else:
        op.alter_column("rep", "awaiting", type_=sa.String(length=48), existing_type=sa.Text())
        op.drop_column("capturedraft", "changed_by")
