"""contact details, tags and history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contacttag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=30), nullable=False),
        sa.Column("tag_key", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["rep.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contact_id", "tag_key", name="uq_contact_tag"),
    )
    with op.batch_alter_table("contacttag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacttag_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index("ix_contacttag_owner_key", ["owner_id", "tag_key"], unique=False)

    with op.batch_alter_table("capturedraft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="meeting"))

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("stage", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("industry", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("location", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("company_size", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("purchase_frequency", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("purchase_volume", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("influence", sa.String(length=16), nullable=True))

    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changes", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("actor_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_interaction_actor", "rep", ["actor_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.drop_constraint("fk_interaction_actor", type_="foreignkey")
        batch_op.drop_column("actor_id")
        batch_op.drop_column("changes")

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("influence")
        batch_op.drop_column("purchase_volume")
        batch_op.drop_column("purchase_frequency")
        batch_op.drop_column("company_size")
        batch_op.drop_column("location")
        batch_op.drop_column("industry")
        batch_op.drop_column("stage")
        batch_op.drop_column("role")

    with op.batch_alter_table("capturedraft", schema=None) as batch_op:
        batch_op.drop_column("kind")

    with op.batch_alter_table("contacttag", schema=None) as batch_op:
        batch_op.drop_index("ix_contacttag_owner_key")
        batch_op.drop_index(batch_op.f("ix_contacttag_contact_id"))

    op.drop_table("contacttag")
