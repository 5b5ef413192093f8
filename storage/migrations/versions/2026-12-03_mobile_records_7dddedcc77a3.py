"""mobile records (流动党员): where a member working away is, how to reach them and where they
take part in Party life

Revision ID: 7dddedcc77a3
Revises: 923694eaa66c
Create Date: 2026-12-03 23:59:55.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "7dddedcc77a3"
down_revision: str | None = "923694eaa66c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mobile_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("whereabouts", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=100), nullable=True),
        sa.Column("takes_part", sa.String(length=200), nullable=True),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_mobile_records_member_id_members")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_mobile_records_region_id_regions")),
        sa.ForeignKeyConstraint(["updated_by"], ["members.id"], name=op.f("fk_mobile_records_updated_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mobile_records")),
    )
    with op.batch_alter_table("mobile_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mobile_records_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mobile_records_region_id"), ["region_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mobile_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mobile_records_region_id"))
        batch_op.drop_index(batch_op.f("ix_mobile_records_member_id"))

    op.drop_table("mobile_records")
