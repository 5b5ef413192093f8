"""Events (meetings, lessons, activity days) and their attendance rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_region_starts", "region_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"), index=True)
    # secretary_meeting / party_lesson / activity_day / general_meeting / committee / group / other
    kind: Mapped[str] = mapped_column(String(30))
    topic: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    lecturer: Mapped[str | None] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())  # sign-in window opens
    late_after: Mapped[datetime] = mapped_column(UTCDateTime())  # start + grace
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())  # sign-in window closes
    # scheduled / closed / cancelled
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("event_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    # on_time / late / leave / remote / makeup / absent
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    platform: Mapped[str | None] = mapped_column(String(20))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
