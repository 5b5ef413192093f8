"""registration requests keep the name asked for, and one for a name not in the roster has no
member: every stranger gets the same answer, and no card is posted for it

Revision ID: 7d41b2e0c9a5
Revises: 4c2e9a7d1b30
Create Date: 2026-12-02 16:00:00.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d41b2e0c9a5"
down_revision: str | None = "4c2e9a7d1b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("link_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=50), nullable=True))
        batch_op.alter_column("member_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM link_requests WHERE member_id IS NULL")
    with op.batch_alter_table("link_requests", schema=None) as batch_op:
        batch_op.alter_column("member_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("name")
