"""a 党总支's or 编组's own norms (so many events for the whole unit per period)

Revision ID: 8f4d1babcf1f
Revises: 4cc0cfd6000f
Create Date: 2026-12-04 09:53:55.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "8f4d1babcf1f"
down_revision: str | None = "4cc0cfd6000f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_norms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("per", sa.String(length=10), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_unit_norms_unit_id_units")),
        sa.ForeignKeyConstraint(["updated_by"], ["members.id"], name=op.f("fk_unit_norms_updated_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_norms")),
        sa.UniqueConstraint("unit_id", "kind", name=op.f("uq_unit_norms_unit_id")),
    )


def downgrade() -> None:
    op.drop_table("unit_norms")
