"""a region's start date (启用日期): periods before it are not counted as failures

Revision ID: 4c2e9a7d1b30
Revises: be71d9a33fa2
Create Date: 2026-12-02 10:00:00.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4c2e9a7d1b30"
down_revision: str | None = "be71d9a33fa2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_column("started_on")
