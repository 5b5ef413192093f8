"""The service-center duty rota (值班) and the rotation of which branch hosts activities (活动轮值)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class DutyShift(Base):
    __tablename__ = "duty_shifts"
    __table_args__ = (Index("ix_duty_region_starts", "region_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # AB岗: the member who takes the shift over when nobody has checked in by the start + grace
    backup_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


class DutyAssignment(Base):
    """One member on one shift, with the check-in and check-out times and how they went."""

    __tablename__ = "duty_assignments"
    __table_args__ = (UniqueConstraint("shift_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shifts.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    arrival: Mapped[str | None] = mapped_column(String(10))  # on_time / late
    departure: Mapped[str | None] = mapped_column(String(10))  # on_time / early
    log: Mapped[str | None] = mapped_column(Text)  # 值班日志: visitors, services given, issues
    logged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DutySwap(Base):
    __tablename__ = "duty_swaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("duty_assignments.id"))
    from_member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    to_member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    # pending / accepted / declined, or backup: the shift's backup took it over (AB岗)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HostingTurn(Base):
    """The order in which branches host the region's monthly activity; position 0 hosts the
    month `Rotation.start_month`, and each month after that the next one does."""

    __tablename__ = "hosting_turns"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))


class Rotation(Base):
    __tablename__ = "rotations"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    start_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM: the month position 0 hosts
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # turns skipped so far (shifts everyone on)
