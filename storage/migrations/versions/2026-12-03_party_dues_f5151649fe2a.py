"""party dues (党费): each member's declared base and monthly amount from a month on, and each
month's payment with its receipt number

Revision ID: f5151649fe2a
Revises: c59f3282200d
Create Date: 2026-12-03 23:59:30.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "f5151649fe2a"
down_revision: str | None = "c59f3282200d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dues_bases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("from_month", sa.String(length=7), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("base_cents", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("set_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_dues_bases_member_id_members")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_dues_bases_region_id_regions")),
        sa.ForeignKeyConstraint(["set_by"], ["members.id"], name=op.f("fk_dues_bases_set_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dues_bases")),
        sa.UniqueConstraint("member_id", "from_month", name=op.f("uq_dues_bases_member_id")),
    )
    with op.batch_alter_table("dues_bases", schema=None) as batch_op:
        batch_op.create_index("ix_dues_bases_region", ["region_id"], unique=False)

    op.create_table(
        "dues_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("receipt_no", sa.String(length=50), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_dues_payments_branch_id_branches")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_dues_payments_member_id_members")),
        sa.ForeignKeyConstraint(["recorded_by"], ["members.id"], name=op.f("fk_dues_payments_recorded_by_members")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_dues_payments_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dues_payments")),
        sa.UniqueConstraint("member_id", "month", name=op.f("uq_dues_payments_member_id")),
    )
    with op.batch_alter_table("dues_payments", schema=None) as batch_op:
        batch_op.create_index("ix_dues_payments_region", ["region_id", "month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dues_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_dues_payments_region")

    op.drop_table("dues_payments")
    with op.batch_alter_table("dues_bases", schema=None) as batch_op:
        batch_op.drop_index("ix_dues_bases_region")

    op.drop_table("dues_bases")
