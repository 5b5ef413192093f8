"""lecturers and lesson requests: the lecturer pool (讲师团) with its topics and regions, lesson
requests (点单) and their ratings; a member account's private chat with the bot

Revision ID: 47025a64ae8a
Revises: 711846f8671e
Create Date: 2026-11-29 16:23:21.046280+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "47025a64ae8a"
down_revision: str | None = "711846f8671e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lecturers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_lecturers_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lecturers")),
        sa.UniqueConstraint("member_id", name=op.f("uq_lecturers_member_id")),
    )
    op.create_table(
        "lecturer_regions",
        sa.Column("lecturer_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lecturer_id"], ["lecturers.id"], name=op.f("fk_lecturer_regions_lecturer_id_lecturers")
        ),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_lecturer_regions_region_id_regions")),
        sa.PrimaryKeyConstraint("lecturer_id", "region_id", name=op.f("pk_lecturer_regions")),
    )
    op.create_table(
        "lesson_ratings",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("rated_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_lesson_ratings_score_range")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_lesson_ratings_event_id_events")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_lesson_ratings_member_id_members")),
        sa.PrimaryKeyConstraint("event_id", "member_id", name=op.f("pk_lesson_ratings")),
    )
    op.create_table(
        "lesson_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("starts_at", storage.models.base.UTCDateTime(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("lecturer_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("declined", sa.JSON(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.Column("decided_at", storage.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_lesson_requests_branch_id_branches")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_lesson_requests_event_id_events")),
        sa.ForeignKeyConstraint(
            ["lecturer_id"], ["lecturers.id"], name=op.f("fk_lesson_requests_lecturer_id_lecturers")
        ),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_lesson_requests_region_id_regions")),
        sa.ForeignKeyConstraint(["requested_by"], ["members.id"], name=op.f("fk_lesson_requests_requested_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_requests")),
    )
    with op.batch_alter_table("lesson_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lesson_requests_region_id"), ["region_id"], unique=False)

    with op.batch_alter_table("member_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dm_chat", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("member_accounts", schema=None) as batch_op:
        batch_op.drop_column("dm_chat")

    with op.batch_alter_table("lesson_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_requests_region_id"))

    op.drop_table("lesson_requests")
    op.drop_table("lesson_ratings")
    op.drop_table("lecturer_regions")
    op.drop_table("lecturers")
