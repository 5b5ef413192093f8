"""members indexed by region and branch: one branch's members (an event page, a sign-in board)
are found without reading the whole region

Revision ID: 5b1f0c2d9e47
Revises: 726b1e963046
Create Date: 2026-11-29 13:30:00.000000+08:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b1f0c2d9e47"
down_revision: str | None = "726b1e963046"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_region")
        batch_op.create_index("ix_members_region", ["region_id", "branch_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_region")
        batch_op.create_index("ix_members_region", ["region_id"], unique=False)
