"""Golden ideas (金点子), the points ledger (积分) and the points store (积分超市)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Idea(Base):
    """A suggestion, numbered per region (金点子 #12)."""

    __tablename__ = "ideas"
    __table_args__ = (UniqueConstraint("region_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    number: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(30))
    # pending (待审) / adopted (采纳) / rejected (不采纳) / implementing (实施中) / implemented (已实施)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    platform: Mapped[str] = mapped_column(String(20))  # where it was submitted: changes are told there
    chat_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IdeaVote(Base):
    __tablename__ = "idea_votes"

    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IdeaChange(Base):
    """One step of an idea's review, with the reason or benefit note given."""

    __tablename__ = "idea_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class PointEntry(Base):
    """The append-only points ledger. `ref` names what earned or spent the points (one row per
    ref: the same sign-in or idea step never counts twice); a reversal is a new row."""

    __tablename__ = "point_entries"
    __table_args__ = (Index("ix_points_member_at", "member_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    amount: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20))  # signin / duty / idea / store / manual
    ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class PointRule(Base):
    """A region's own points rule (积分规则): what `rule` earns from `from_day` on. The rule in
    effect on a day is the latest set from that day or before; without one, the default. Points
    already given stay as they were: a change holds from its day, it recomputes nothing."""

    __tablename__ = "point_rules"
    __table_args__ = (Index("ix_point_rules_region", "region_id", "rule", "from_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    rule: Mapped[str] = mapped_column(String(30))  # signin_on_time, duty, idea_adopted, …
    amount: Mapped[int] = mapped_column(Integer)
    from_day: Mapped[date] = mapped_column(Date)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PointBalance(Base):
    """Each member's balance, kept in step with the ledger in the same transaction. Redemptions
    debit it with a guarded UPDATE (balance >= price), which is what makes racing redemptions
    safe on SQLite and PostgreSQL alike; the check constraint is the last line of defence."""

    __tablename__ = "point_balances"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    balance: Mapped[int] = mapped_column(Integer, default=0)


class StoreItem(Base):
    __tablename__ = "store_items"
    __table_args__ = (
        UniqueConstraint("region_id", "name"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Redemption(Base):
    __tablename__ = "redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("store_items.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    price: Mapped[int] = mapped_column(Integer)  # at the time of asking
    # pending / approved / rejected / cancelled (an approved one cancelled is refunded)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
