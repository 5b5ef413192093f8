"""述职 and its appraisal (双述双评): a branch secretary's report of the year, and one score each by the
committee's officers and the branch's members

Revision ID: 5eb80ddcc971
Revises: e36e9ea8a24c
Create Date: 2026-12-04 00:20:00.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "5eb80ddcc971"
down_revision: str | None = "e36e9ea8a24c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appraisals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_appraisals_branch_id_branches")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_appraisals_region_id_regions")),
        sa.ForeignKeyConstraint(["voter_id"], ["members.id"], name=op.f("fk_appraisals_voter_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisals")),
        sa.UniqueConstraint("branch_id", "year", "voter_id", name=op.f("uq_appraisals_branch_id")),
    )
    with op.batch_alter_table("appraisals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appraisals_region_id"), ["region_id"], unique=False)

    op.create_table(
        "secretary_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("by", sa.Integer(), nullable=True),
        sa.Column("at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_secretary_reports_branch_id_branches")),
        sa.ForeignKeyConstraint(["by"], ["members.id"], name=op.f("fk_secretary_reports_by_members")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_secretary_reports_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secretary_reports")),
        sa.UniqueConstraint("branch_id", "year", name=op.f("uq_secretary_reports_branch_id")),
    )
    with op.batch_alter_table("secretary_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_secretary_reports_region_id"), ["region_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("secretary_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_secretary_reports_region_id"))

    op.drop_table("secretary_reports")
    with op.batch_alter_table("appraisals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisals_region_id"))

    op.drop_table("appraisals")
