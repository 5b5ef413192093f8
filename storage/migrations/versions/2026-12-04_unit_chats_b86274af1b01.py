"""a chat bound to a 党总支 or 编组 (chat_bindings.unit_id)

Revision ID: b86274af1b01
Revises: 8f4d1babcf1f
Create Date: 2026-12-04 09:59:36.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b86274af1b01"
down_revision: str | None = "8f4d1babcf1f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_bindings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_chat_bindings_unit_id_units"), "units", ["unit_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("chat_bindings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_chat_bindings_unit_id_units"), type_="foreignkey")
        batch_op.drop_column("unit_id")
