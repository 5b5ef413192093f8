"""duty logs and backups: what the member on duty noted at the end of a shift (值班日志), and
the member who takes a shift over when nobody checked in (AB岗)

Revision ID: 8c3d2a61f0b5
Revises: 5b1f0c2d9e47
Create Date: 2026-11-29 14:10:00.000000+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "8c3d2a61f0b5"
down_revision: str | None = "5b1f0c2d9e47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("duty_assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("log", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("logged_at", storage.models.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table("duty_shifts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("backup_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_duty_shifts_backup_id_members"), "members", ["backup_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("duty_shifts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_duty_shifts_backup_id_members"), type_="foreignkey")
        batch_op.drop_column("backup_id")
    with op.batch_alter_table("duty_assignments", schema=None) as batch_op:
        batch_op.drop_column("logged_at")
        batch_op.drop_column("log")
