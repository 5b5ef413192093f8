"""points rules per region (积分规则): what each rule earns from a day on, the history kept

Revision ID: 54de213e665e
Revises: 7dddedcc77a3
Create Date: 2026-12-03 23:59:58.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "54de213e665e"
down_revision: str | None = "7dddedcc77a3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "point_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=30), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("from_day", sa.Date(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("set_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_point_rules_region_id_regions")),
        sa.ForeignKeyConstraint(["set_by"], ["members.id"], name=op.f("fk_point_rules_set_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_rules")),
    )
    with op.batch_alter_table("point_rules", schema=None) as batch_op:
        batch_op.create_index("ix_point_rules_region", ["region_id", "rule", "from_day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("point_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_point_rules_region")

    op.drop_table("point_rules")
