"""branch terms (换届): each branch committee's election, its term and who was elected; the
latest election of a branch is its current committee

Revision ID: c59f3282200d
Revises: b7e4c1d2a9f3
Create Date: 2026-12-03 23:59:00.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "c59f3282200d"
down_revision: str | None = "b7e4c1d2a9f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "branch_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("elected_on", sa.Date(), nullable=False),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("secretary_id", sa.Integer(), nullable=False),
        sa.Column("committee", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_branch_terms_branch_id_branches")),
        sa.ForeignKeyConstraint(["recorded_by"], ["members.id"], name=op.f("fk_branch_terms_recorded_by_members")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_branch_terms_region_id_regions")),
        sa.ForeignKeyConstraint(["secretary_id"], ["members.id"], name=op.f("fk_branch_terms_secretary_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_terms")),
    )
    with op.batch_alter_table("branch_terms", schema=None) as batch_op:
        batch_op.create_index("ix_branch_terms_branch", ["branch_id", "elected_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_branch_terms_region_id"), ["region_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("branch_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_branch_terms_region_id"))
        batch_op.drop_index("ix_branch_terms_branch")

    op.drop_table("branch_terms")
