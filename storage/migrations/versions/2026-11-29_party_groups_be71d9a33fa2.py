"""party groups: Party groups (党小组) and self-organized groups (自主党小组) with their members,
leader elections, yearly plans and monthly reports; an event may belong to a group

Revision ID: be71d9a33fa2
Revises: 47025a64ae8a
Create Date: 2026-11-29 16:34:20.569669+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "be71d9a33fa2"
down_revision: str | None = "47025a64ae8a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "party_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.Column("decided_at", storage.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_party_groups_branch_id_branches")),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], name=op.f("fk_party_groups_created_by_members")),
        sa.ForeignKeyConstraint(["decided_by"], ["members.id"], name=op.f("fk_party_groups_decided_by_members")),
        sa.ForeignKeyConstraint(["leader_id"], ["members.id"], name=op.f("fk_party_groups_leader_id_members")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_party_groups_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_groups")),
        sa.UniqueConstraint("region_id", "name", name=op.f("uq_party_groups_region_id")),
    )
    with op.batch_alter_table("party_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_groups_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "group_plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        sa.Column("claimed_at", storage.models.base.UTCDateTime(), nullable=True),
        sa.Column("done_at", storage.models.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["claimed_by"], ["members.id"], name=op.f("fk_group_plan_items_claimed_by_members")),
        sa.ForeignKeyConstraint(
            ["group_id"], ["party_groups.id"], name=op.f("fk_group_plan_items_group_id_party_groups")
        ),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_group_plan_items_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_plan_items")),
        sa.UniqueConstraint("region_id", "year", "number", name=op.f("uq_group_plan_items_region_id")),
    )
    with op.batch_alter_table("group_plan_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_plan_items_group_id"), ["group_id"], unique=False)

    op.create_table(
        "group_reports",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("by", sa.Integer(), nullable=False),
        sa.Column("at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["by"], ["members.id"], name=op.f("fk_group_reports_by_members")),
        sa.ForeignKeyConstraint(["group_id"], ["party_groups.id"], name=op.f("fk_group_reports_group_id_party_groups")),
        sa.PrimaryKeyConstraint("group_id", "month", name=op.f("pk_group_reports")),
    )
    op.create_table(
        "group_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("deadline", storage.models.base.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("winner_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["party_groups.id"], name=op.f("fk_group_votes_group_id_party_groups")),
        sa.ForeignKeyConstraint(["winner_id"], ["members.id"], name=op.f("fk_group_votes_winner_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_votes")),
    )
    with op.batch_alter_table("group_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_votes_group_id"), ["group_id"], unique=False)

    op.create_table(
        "party_group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("guest", sa.Boolean(), nullable=False),
        sa.Column("joined_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["party_groups.id"], name=op.f("fk_party_group_members_group_id_party_groups")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_party_group_members_member_id_members")),
        sa.PrimaryKeyConstraint("group_id", "member_id", name=op.f("pk_party_group_members")),
    )
    with op.batch_alter_table("party_group_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_group_members_member_id"), ["member_id"], unique=False)

    op.create_table(
        "group_ballots",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("voted_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["members.id"], name=op.f("fk_group_ballots_candidate_id_members")),
        sa.ForeignKeyConstraint(["vote_id"], ["group_votes.id"], name=op.f("fk_group_ballots_vote_id_group_votes")),
        sa.ForeignKeyConstraint(["voter_id"], ["members.id"], name=op.f("fk_group_ballots_voter_id_members")),
        sa.PrimaryKeyConstraint("vote_id", "voter_id", name=op.f("pk_group_ballots")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_events_group_id_party_groups"), "party_groups", ["group_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_events_group_id_party_groups"), type_="foreignkey")
        batch_op.drop_column("group_id")

    op.drop_table("group_ballots")
    with op.batch_alter_table("party_group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_group_members_member_id"))

    op.drop_table("party_group_members")
    with op.batch_alter_table("group_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_votes_group_id"))

    op.drop_table("group_votes")
    op.drop_table("group_reports")
    with op.batch_alter_table("group_plan_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_plan_items_group_id"))

    op.drop_table("group_plan_items")
    with op.batch_alter_table("party_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_groups_branch_id"))

    op.drop_table("party_groups")
