"""instructors (党建指导员): who guides which branch from a day on, and their visits (指导记录)

Revision ID: e36e9ea8a24c
Revises: ad0c995a9c38
Create Date: 2026-12-04 00:10:00.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "e36e9ea8a24c"
down_revision: str | None = "ad0c995a9c38"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guidance_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("instructor_id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("photo", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_guidance_visits_branch_id_branches")),
        sa.ForeignKeyConstraint(
            ["instructor_id"], ["members.id"], name=op.f("fk_guidance_visits_instructor_id_members")
        ),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_guidance_visits_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_visits")),
    )
    with op.batch_alter_table("guidance_visits", schema=None) as batch_op:
        batch_op.create_index("ix_guidance_visits_region", ["region_id", "visited_on"], unique=False)

    op.create_table(
        "instructor_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_instructor_links_branch_id_branches")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_instructor_links_member_id_members")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_instructor_links_region_id_regions")),
        sa.ForeignKeyConstraint(["set_by"], ["members.id"], name=op.f("fk_instructor_links_set_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instructor_links")),
    )
    with op.batch_alter_table("instructor_links", schema=None) as batch_op:
        batch_op.create_index("ix_instructor_links_region", ["region_id", "member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("instructor_links", schema=None) as batch_op:
        batch_op.drop_index("ix_instructor_links_region")

    op.drop_table("instructor_links")
    with op.batch_alter_table("guidance_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_guidance_visits_region")

    op.drop_table("guidance_visits")
