"""The lecturer pool (讲师团) and lesson requests (点单): who may give which lessons to which
regions, what a branch or region asked for and who accepted it, and how attendees rated it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Lecturer(Base):
    """A roster member in the pool, with the topics they lecture on."""

    __tablename__ = "lecturers"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    topics: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LecturerRegion(Base):
    """A region the lecturer serves (a pool may be shared by several regions)."""

    __tablename__ = "lecturer_regions"

    lecturer_id: Mapped[int] = mapped_column(ForeignKey("lecturers.id"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)


class LessonRequest(Base):
    """点单: a branch (or the region) asks for a lesson on a topic; a lecturer is asked, and
    accepts (the lesson becomes an event) or declines (another may be asked)."""

    __tablename__ = "lesson_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    requested_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    topic: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # as asked, if given
    place: Mapped[str | None] = mapped_column(String(200))
    lecturer_id: Mapped[int | None] = mapped_column(ForeignKey("lecturers.id"))  # the one asked
    # open (nobody asked yet, or the last one declined) / asked / accepted / cancelled
    status: Mapped[str] = mapped_column(String(12), default="open")
    declined: Mapped[list[int]] = mapped_column(JSON)  # lecturers who declined it
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    platform: Mapped[str] = mapped_column(String(20))  # where it was asked: the answer is told there
    chat_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LessonRating(Base):
    """One attendee's rating of a lesson (1–5), once."""

    __tablename__ = "lesson_ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime())
