"""indexes for big books: one per list order, the next follow-up on the contact, trigram search

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

A rep with 100,000 contacts, or a database with 1,000 reps of 1,000, needs each list page, /find, the card
and the digest to read only what they show (benchmarks/README.md has the plans before and after):

- contact.next_due_at holds the soonest open follow-up, so the list by next follow-up is one index walk
  instead of grouping every follow-up in the database;
- each list order has an index that ends with the id, so a page's ids come from the index alone;
- follow-ups and interactions are indexed by contact and state or time, which the card and the history
  read (without statistics SQLite picked a single-column index and walked every pending follow-up);
- on PostgreSQL, a pg_trgm index answers /find's LIKE '%fragment%' (where the extension can be created;
  without it /find still works, by a scan).

On SQLite, Alembic's batch mode rebuilds a table from what it can reflect, and it reflects neither the
birthday expression index nor the DESC of ix_contact_owner_status_next: a later migration that rebuilds the
contact table must create those two again.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger(__name__)

OPEN_STATES = ("pending", "claimed", "sent")
# As SQLite stores a DateTime (text with microseconds), so that it sorts alike with values written later.
NO_FOLLOW_UP_SQL = "9999-12-31 00:00:00.000000"


def upgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "next_due_at",
                storage.models.UTCDateTime(),
                nullable=False,
                server_default=NO_FOLLOW_UP_SQL,
            )
        )
    contact = sa.table("contact", sa.column("id"), sa.column("next_due_at"))
    followup = sa.table("followup", sa.column("contact_id"), sa.column("state"), sa.column("due_at"))
    is_open = sa.and_(followup.c.contact_id == contact.c.id, followup.c.state.in_(OPEN_STATES))
    soonest = sa.select(sa.func.min(followup.c.due_at)).where(is_open).scalar_subquery()
    # Only the contacts with an open follow-up: the others keep the default (no row rewritten for nothing).
    op.execute(
        sa.update(contact)
        .where(sa.select(followup.c.contact_id).where(is_open).exists())
        .values(next_due_at=soonest)
    )

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_owner_status_created")
        batch_op.create_index(
            "ix_contact_owner_status_created", ["owner_id", "status", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_contact_owner_status_score", ["owner_id", "status", "score", "id"], unique=False
        )
        batch_op.create_index(
            "ix_contact_owner_status_next",
            ["owner_id", "status", "next_due_at", sa.text("id DESC")],
            unique=False,
        )
        batch_op.create_index("ix_contact_owner_score", ["owner_id", "score", "id"], unique=False)
        batch_op.create_index(
            "ix_contact_owner_status_touch", ["owner_id", "status", "last_touch_at"], unique=False
        )
    birthday = sa.table("contact", sa.column("birthday", sa.Date())).c.birthday
    op.create_index(
        "ix_contact_owner_birthday",
        "contact",
        ["owner_id", sa.extract("month", birthday), sa.extract("day", birthday)],
        unique=False,
    )

    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.drop_index("ix_followup_contact_id")
        batch_op.drop_index("ix_followup_owner_id")
        batch_op.create_index(
            "ix_followup_contact_state_due", ["contact_id", "state", "due_at"], unique=False
        )
        batch_op.create_index("ix_followup_owner_state_due", ["owner_id", "state", "due_at"], unique=False)

    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.drop_index("ix_interaction_contact_id")
        batch_op.create_index("ix_interaction_contact_occurred", ["contact_id", "occurred_at"], unique=False)

    _create_trigram_index()


def _create_trigram_index() -> None:
    """pg_trgm's GIN index on contact.search_text, on PostgreSQL where the extension can be created
    (it is a trusted extension: a database owner may create it). The LIKE query is the same either way."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            # In public rather than the first schema on the search path: an extension goes with its schema,
            # and every index using its operators with it.
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    except sa.exc.DBAPIError:
        log.warning(
            "pg_trgm could not be created: /find will scan a rep's contacts instead of using an index"
        )
        return
    schema = bind.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    ).scalar_one()
    operators = f'"{schema}".gin_trgm_ops'
    bind.exec_driver_sql(
        f"CREATE INDEX ix_contact_search_trgm ON contact USING gin (search_text {operators})"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_contact_search_trgm")

    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.drop_index("ix_interaction_contact_occurred")
        batch_op.create_index("ix_interaction_contact_id", ["contact_id"], unique=False)

    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.drop_index("ix_followup_owner_state_due")
        batch_op.drop_index("ix_followup_contact_state_due")
        batch_op.create_index("ix_followup_owner_id", ["owner_id"], unique=False)
        batch_op.create_index("ix_followup_contact_id", ["contact_id"], unique=False)

    op.drop_index("ix_contact_owner_birthday", table_name="contact")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_owner_status_touch")
        batch_op.drop_index("ix_contact_owner_score")
        batch_op.drop_index("ix_contact_owner_status_next")
        batch_op.drop_index("ix_contact_owner_status_score")
        batch_op.drop_index("ix_contact_owner_status_created")
        batch_op.create_index(
            "ix_contact_owner_status_created", ["owner_id", "status", "created_at"], unique=False
        )
        batch_op.drop_column("next_due_at")
