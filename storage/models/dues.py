"""党费 (Party dues), 一册一账一票 as 001 asks: each member's declared base and the monthly amount
set from it, and each month's payment with its receipt number."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class DuesBase(Base):
    """A member's dues base from a month on (a later row from a later month replaces it). The base
    is private: only the member, the branch's secretary and the region's officers see it."""

    __tablename__ = "dues_bases"
    __table_args__ = (UniqueConstraint("member_id", "from_month"), Index("ix_dues_bases_region", "region_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    from_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    category: Mapped[str] = mapped_column(String(10))  # working / retired / low
    base_cents: Mapped[int] = mapped_column(Integer)  # monthly income declared, in fen
    amount_cents: Mapped[int] = mapped_column(Integer)  # the month's dues it makes, in fen
    set_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DuesPayment(Base):
    """One member's dues for one month, paid (收缴), with the receipt's number (票据)."""

    __tablename__ = "dues_payments"
    __table_args__ = (UniqueConstraint("member_id", "month"), Index("ix_dues_payments_region", "region_id", "month"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))  # where the member was when paying
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM: the month paid for
    amount_cents: Mapped[int] = mapped_column(Integer)
    receipt_no: Mapped[str | None] = mapped_column(String(50))
    paid_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
