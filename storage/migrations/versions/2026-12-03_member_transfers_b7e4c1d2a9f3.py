"""member transfers (组织关系转接): a member moved within the region, out of it or into it, with
the introduction letter's number; a move within the region waits for the receiving branch

Revision ID: b7e4c1d2a9f3
Revises: 9c3e5a1f7b24
Create Date: 2026-12-03 16:00:00.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "b7e4c1d2a9f3"
down_revision: str | None = "9c3e5a1f7b24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("from_branch_id", sa.Integer(), nullable=True),
        sa.Column("to_branch_id", sa.Integer(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("letter_no", sa.String(length=50), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("done_at", storage.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["done_by"], ["members.id"], name=op.f("fk_member_transfers_done_by_members")),
        sa.ForeignKeyConstraint(
            ["from_branch_id"], ["branches.id"], name=op.f("fk_member_transfers_from_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_member_transfers_member_id_members")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_member_transfers_region_id_regions")),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["members.id"], name=op.f("fk_member_transfers_requested_by_members")
        ),
        sa.ForeignKeyConstraint(
            ["to_branch_id"], ["branches.id"], name=op.f("fk_member_transfers_to_branch_id_branches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_transfers")),
    )
    with op.batch_alter_table("member_transfers", schema=None) as batch_op:
        batch_op.create_index("ix_member_transfers_region", ["region_id", "requested_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_transfers_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("member_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_transfers_member_id"))
        batch_op.drop_index("ix_member_transfers_region")
    op.drop_table("member_transfers")
