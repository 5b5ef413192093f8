"""recruits (发展党员): each person on the way to membership with the day of each stage and
their 培养联系人, and the quarterly 思想汇报 received

Revision ID: efd22cd3d17c
Revises: f5151649fe2a
Create Date: 2026-12-03 23:59:45.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "efd22cd3d17c"
down_revision: str | None = "f5151649fe2a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recruits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=True),
        sa.Column("activist_on", sa.Date(), nullable=True),
        sa.Column("candidate_on", sa.Date(), nullable=True),
        sa.Column("admitted_on", sa.Date(), nullable=True),
        sa.Column("full_on", sa.Date(), nullable=True),
        sa.Column("contacts", sa.Text(), nullable=False),
        sa.Column("updated_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_recruits_branch_id_branches")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_recruits_member_id_members")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_recruits_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recruits")),
        sa.UniqueConstraint("branch_id", "name", name=op.f("uq_recruits_branch_id")),
    )
    with op.batch_alter_table("recruits", schema=None) as batch_op:
        batch_op.create_index("ix_recruits_region", ["region_id"], unique=False)

    op.create_table(
        "thought_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recruit_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by"], ["members.id"], name=op.f("fk_thought_reports_recorded_by_members")),
        sa.ForeignKeyConstraint(["recruit_id"], ["recruits.id"], name=op.f("fk_thought_reports_recruit_id_recruits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thought_reports")),
        sa.UniqueConstraint("recruit_id", "quarter", name=op.f("uq_thought_reports_recruit_id")),
    )


def downgrade() -> None:
    op.drop_table("thought_reports")
    with op.batch_alter_table("recruits", schema=None) as batch_op:
        batch_op.drop_index("ix_recruits_region")

    op.drop_table("recruits")
