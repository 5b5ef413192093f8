"""duty rules and hosting records: recurring shifts (值班规则) expanded into shifts that carry
the rule and their date; who hosted each period of the rotation, and whether a turn is a month or
a quarter

Revision ID: 711846f8671e
Revises: 8c3d2a61f0b5
Create Date: 2026-11-29 16:08:16.530210+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "711846f8671e"
down_revision: str | None = "8c3d2a61f0b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hosting_records",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_hosting_records_branch_id_branches")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_hosting_records_region_id_regions")),
        sa.PrimaryKeyConstraint("region_id", "period", name=op.f("pk_hosting_records")),
    )
    op.create_table(
        "duty_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("starts", sa.String(length=5), nullable=False),
        sa.Column("ends", sa.String(length=5), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("member_ids", sa.JSON(), nullable=False),
        sa.Column("backup_id", sa.Integer(), nullable=True),
        sa.Column("holiday_policy", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["backup_id"], ["members.id"], name=op.f("fk_duty_rules_backup_id_members")),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], name=op.f("fk_duty_rules_created_by_members")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_duty_rules_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_rules")),
    )
    with op.batch_alter_table("duty_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_rules_region_id"), ["region_id"], unique=False)

    with op.batch_alter_table("duty_shifts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("occurs_on", sa.Date(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_duty_shifts_rule_id"), ["rule_id", "occurs_on"])
        batch_op.create_foreign_key(batch_op.f("fk_duty_shifts_rule_id_duty_rules"), "duty_rules", ["rule_id"], ["id"])

    with op.batch_alter_table("rotations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cadence", sa.String(length=10), server_default="month", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("rotations", schema=None) as batch_op:
        batch_op.drop_column("cadence")

    with op.batch_alter_table("duty_shifts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_duty_shifts_rule_id_duty_rules"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_duty_shifts_rule_id"), type_="unique")
        batch_op.drop_column("occurs_on")
        batch_op.drop_column("rule_id")

    with op.batch_alter_table("duty_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duty_rules_region_id"))

    op.drop_table("duty_rules")
    op.drop_table("hosting_records")
