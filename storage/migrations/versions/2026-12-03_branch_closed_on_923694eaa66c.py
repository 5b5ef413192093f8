"""branch closed on (撤销支部 / 合并支部): from that day on no longer a branch; its history keeps
its name

Revision ID: 923694eaa66c
Revises: efd22cd3d17c
Create Date: 2026-12-03 23:59:50.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "923694eaa66c"
down_revision: str | None = "efd22cd3d17c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("branches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("branches", schema=None) as batch_op:
        batch_op.drop_column("closed_on")
