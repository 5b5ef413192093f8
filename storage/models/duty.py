"""The service-center duty rota (值班) and the rotation of which branch hosts activities (活动轮值)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class DutyRule(Base):
    """A recurring shift (值班规则 每周四 9:00-17:00 法律援助室 赵强): expanded ahead into shifts
    carrying the rule and the nominal date, so expanding twice creates nothing twice."""

    __tablename__ = "duty_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    text: Mapped[str] = mapped_column(String(200))  # the rule as typed, e.g. 每周四
    # weekly / monthly (handlers/core/calendar_rules.py), or lunar_last days=N: the last N days of each lunar month
    spec: Mapped[dict[str, object]] = mapped_column(JSON)
    starts: Mapped[str] = mapped_column(String(5))  # HH:MM local time
    ends: Mapped[str] = mapped_column(String(5))
    place: Mapped[str] = mapped_column(String(200))
    member_ids: Mapped[list[int]] = mapped_column(JSON)
    backup_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    holiday_policy: Mapped[str] = mapped_column(String(8), default="keep")  # keep / skip / move
    status: Mapped[str] = mapped_column(String(20), default="active")  # active / cancelled
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DutyShift(Base):
    __tablename__ = "duty_shifts"
    __table_args__ = (
        Index("ix_duty_region_starts", "region_id", "starts_at"),
        UniqueConstraint("rule_id", "occurs_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # AB岗: the member who takes the shift over when nobody has checked in by the start + grace
    backup_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("duty_rules.id"))
    occurs_on: Mapped[date | None] = mapped_column(Date)  # the rule's date before any holiday move


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
    # month / quarter: how long one branch's turn lasts
    cadence: Mapped[str] = mapped_column(String(10), default="month", server_default="month")


class HostingRecord(Base):
    """Who hosted one period (a month, or a quarter), as the turn stood when it opened or was last
    changed: the history 轮值记录 shows, whatever the order becomes later."""

    __tablename__ = "hosting_records"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)  # 2026-12, or 2026-Q4
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
