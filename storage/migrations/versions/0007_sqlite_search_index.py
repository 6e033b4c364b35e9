"""SQLite: /find reads a rep's folded search text from an index instead of the rows

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

SQLite has no index for LIKE '%fragment%', so /find tests every one of the rep's contacts. An index on
(owner_id, search_text, score) holds all that test needs, so it reads the index alone, a fraction of the
rows' size: a rare word in one rep's 100,000 contacts went from 268 ms to 33 ms at p99 (benchmarks/README.md).
PostgreSQL has the trigram index of migration 0006 instead; a B-tree there would refuse a contact whose
notes make the text longer than a B-tree entry may be.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(
            "ix_contact_owner_search", "contact", ["owner_id", "search_text", "score"], unique=False
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_contact_owner_search", table_name="contact")
