"""WeCom cards kept by task_id: a click is answered by updating the clicked card, in any process

Revision ID: 9c3e5a1f7b24
Revises: 7d41b2e0c9a5
Create Date: 2026-12-03 10:00:00.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "9c3e5a1f7b24"
down_revision: str | None = "7d41b2e0c9a5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wecom_cards",
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("sent_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("task_id"),
    )
    with op.batch_alter_table("wecom_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wecom_cards_sent_at"), ["sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wecom_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wecom_cards_sent_at"))
    op.drop_table("wecom_cards")
