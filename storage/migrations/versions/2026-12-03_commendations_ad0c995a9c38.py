"""commendations (表彰): a branch or a member commended, with the title and the day

Revision ID: ad0c995a9c38
Revises: 54de213e665e
Create Date: 2026-12-03 23:59:59.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "ad0c995a9c38"
down_revision: str | None = "54de213e665e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=50), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_commendations_branch_id_branches")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_commendations_member_id_members")),
        sa.ForeignKeyConstraint(["recorded_by"], ["members.id"], name=op.f("fk_commendations_recorded_by_members")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_commendations_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commendations")),
    )
    with op.batch_alter_table("commendations", schema=None) as batch_op:
        batch_op.create_index("ix_commendations_region", ["region_id", "given_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("commendations", schema=None) as batch_op:
        batch_op.drop_index("ix_commendations_region")

    op.drop_table("commendations")
