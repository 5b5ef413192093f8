"""the middle level (党总支 / 编组, their branches and funds), pairings (结对共建) and joint events' partners

Revision ID: 4cc0cfd6000f
Revises: 5eb80ddcc971
Create Date: 2026-12-04 07:19:27.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "4cc0cfd6000f"
down_revision: str | None = "5eb80ddcc971"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pairings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("a_branch_id", sa.Integer(), nullable=False),
        sa.Column("b_branch_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["a_branch_id"], ["branches.id"], name=op.f("fk_pairings_a_branch_id_branches")),
        sa.ForeignKeyConstraint(["b_branch_id"], ["branches.id"], name=op.f("fk_pairings_b_branch_id_branches")),
        sa.ForeignKeyConstraint(["recorded_by"], ["members.id"], name=op.f("fk_pairings_recorded_by_members")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_pairings_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairings")),
    )
    with op.batch_alter_table("pairings", schema=None) as batch_op:
        batch_op.create_index("ix_pairings_region", ["region_id", "started_on"], unique=False)

    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("secretary_id", sa.Integer(), nullable=True),
        sa.Column("lead_branch_id", sa.Integer(), nullable=True),
        sa.Column("activity_day", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["lead_branch_id"], ["branches.id"], name=op.f("fk_units_lead_branch_id_branches")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_units_region_id_regions")),
        sa.ForeignKeyConstraint(["secretary_id"], ["members.id"], name=op.f("fk_units_secretary_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("region_id", "name", name=op.f("uq_units_region_id")),
    )
    op.create_table(
        "unit_branches",
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_unit_branches_branch_id_branches")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_unit_branches_unit_id_units")),
        sa.PrimaryKeyConstraint("branch_id", name=op.f("pk_unit_branches")),
    )
    with op.batch_alter_table("unit_branches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_branches_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "unit_funds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("on_day", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by"], ["members.id"], name=op.f("fk_unit_funds_recorded_by_members")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_unit_funds_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_funds")),
    )
    with op.batch_alter_table("unit_funds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_funds_unit_id"), ["unit_id"], unique=False)

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partners", sa.String(length=500), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("partners")

    with op.batch_alter_table("unit_funds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_funds_unit_id"))

    op.drop_table("unit_funds")
    with op.batch_alter_table("unit_branches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_branches_unit_id"))

    op.drop_table("unit_branches")
    op.drop_table("units")
    with op.batch_alter_table("pairings", schema=None) as batch_op:
        batch_op.drop_index("ix_pairings_region")

    op.drop_table("pairings")
