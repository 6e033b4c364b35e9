"""imports and the weekly summary

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "importbatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("merged", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["rep.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("importbatch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_importbatch_owner_id"), ["owner_id"], unique=False)

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_batch_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_contact_import_batch_id"), ["import_batch_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_contact_import_batch", "importbatch", ["import_batch_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("rep", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("weekly_summary", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("rep", schema=None) as batch_op:
        batch_op.drop_column("weekly_summary")

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_constraint("fk_contact_import_batch", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_contact_import_batch_id"))
        batch_op.drop_column("import_batch_id")

    with op.batch_alter_table("importbatch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_importbatch_owner_id"))

    op.drop_table("importbatch")
