"""pairings across regions (b_region_id, status); a joint event's copy in the other region (events.joint_of)

Revision ID: 5f32d8529e8e
Revises: b86274af1b01
Create Date: 2026-12-04 11:55:01.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5f32d8529e8e"
down_revision: str | None = "b86274af1b01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joint_of", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_events_joint_of"), ["joint_of"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_events_joint_of_events"), "events", ["joint_of"], ["id"])

    with op.batch_alter_table("pairings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("b_region_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(length=12), server_default="active", nullable=False))
        batch_op.create_index(batch_op.f("ix_pairings_b_region_id"), ["b_region_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_pairings_b_region_id_regions"), "regions", ["b_region_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("pairings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_pairings_b_region_id_regions"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_pairings_b_region_id"))
        batch_op.drop_column("status")
        batch_op.drop_column("b_region_id")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_events_joint_of_events"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_events_joint_of"))
        batch_op.drop_column("joint_of")
