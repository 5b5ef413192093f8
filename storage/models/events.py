"""Events (meetings, lessons, activity days) and their attendance rows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class ScheduleRule(Base):
    """A recurring entry of the Party calendar (书记例会 每月第一个周二 14:00, …).

    Occurrences are materialised ahead of time as events carrying the rule and the nominal date,
    so expanding a rule twice creates nothing twice, and one occurrence can be moved or cancelled.
    """

    __tablename__ = "schedule_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(String(200))  # the rule as typed, e.g. 每月第一个周二
    spec: Mapped[dict[str, object]] = mapped_column(JSON)  # structured form, see handlers/calendar.py
    at_time: Mapped[str] = mapped_column(String(5))  # HH:MM local time
    place: Mapped[str] = mapped_column(String(200), default="")
    topic: Mapped[str] = mapped_column(Text, default="")
    lecturer: Mapped[str | None] = mapped_column(String(100))
    holiday_policy: Mapped[str] = mapped_column(String(8), default="move")  # move / skip / keep
    reminders: Mapped[list[int]] = mapped_column(JSON)  # minutes before the start
    status: Mapped[str] = mapped_column(String(20), default="active")  # active / paused / cancelled
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_region_starts", "region_id", "starts_at"),
        UniqueConstraint("rule_id", "occurs_on"),
    )

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
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("schedule_rules.id"))
    occurs_on: Mapped[date | None] = mapped_column(Date)  # the rule's date before any holiday move
    # a Party group's meeting or activity: it expects that group's members only
    group_id: Mapped[int | None] = mapped_column(ForeignKey("party_groups.id"))
    # a joint event (联合活动: a pairing's, a 党总支's or 编组's): the other branches it expects,
    # ",3,7," (their ids between commas), "" for one branch's or the region's
    partners: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # a joint event with a branch of another region (跨党委结对): that region's copy of it, which
    # expects that branch's members and counts there; it follows the host's event (moved, cancelled)
    joint_of: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)


class EventDraft(Base):
    """An event a manager announced in plain words ("明天下午三点开书记例会"), waiting for their
    发布 or 取消 button: the 发布 command it stands for, kept until pressed (open / published /
    dropped)."""

    __tablename__ = "event_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    command: Mapped[str] = mapped_column(Text)  # the arguments of 发布, as it will run
    status: Mapped[str] = mapped_column(String(12), default="open")
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
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


class MeetingRecord(Base):
    """The minutes of an event (会议记录) as they stand now; every earlier text is kept in
    meeting_record_versions."""

    __tablename__ = "meeting_records"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MeetingRecordVersion(Base):
    """A text an event's record had, with who wrote it (added to, or corrected)."""

    __tablename__ = "meeting_record_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    change: Mapped[str] = mapped_column(String(10))  # append / correct
    by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class MeetingPhoto(Base):
    """A photo attached to an event's record; the file is under the media folder, named by the
    SHA-256 of its content (the same photo twice is kept once)."""

    __tablename__ = "meeting_photos"
    __table_args__ = (UniqueConstraint("event_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))  # jpeg / png / gif / webp
    size: Mapped[int] = mapped_column(Integer)
    by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    platform: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Norm(Base):
    """A norm of organizational life (三会一课 …) a region keeps: so many events of a kind per
    month, quarter or year, for each branch (scope "branch") or for the region itself ("region").
    A region without rows keeps the defaults (handlers/compliance.py)."""

    __tablename__ = "norms"
    __table_args__ = (UniqueConstraint("region_id", "kind", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    kind: Mapped[str] = mapped_column(String(30))
    scope: Mapped[str] = mapped_column(String(10))  # branch / region
    per: Mapped[str] = mapped_column(String(10))  # month / quarter / year
    count: Mapped[int] = mapped_column(Integer)  # 0: no norm for this kind
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Finding(Base):
    """A supervision finding (季督): a problem a supervisor found in a branch, numbered per region,
    rectified by the branch (整改完成) and confirmed by the supervisor (确认整改)."""

    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("region_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    number: Mapped[int] = mapped_column(Integer)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open / fixed / confirmed
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fix_note: Mapped[str | None] = mapped_column(Text)
    fixed_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FindingPhoto(Base):
    """A photo a branch sent as evidence of a rectification (整改完成 #n with a picture); the file is
    under the media folder, named by the SHA-256 of its content, as a meeting photo is."""

    __tablename__ = "finding_photos"
    __table_args__ = (UniqueConstraint("finding_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(Integer)
    by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    platform: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class MonthlyReport(Base):
    """A branch's narrative of a month's work (月报 本月工作情况), as its secretary wrote it."""

    __tablename__ = "monthly_reports"
    __table_args__ = (UniqueConstraint("branch_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    text: Mapped[str] = mapped_column(Text)
    by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ManualScore(Base):
    """A score the committee gives a branch on one dimension of the yearly evaluation (年评)."""

    __tablename__ = "manual_scores"
    __table_args__ = (UniqueConstraint("branch_id", "year", "dimension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    year: Mapped[int] = mapped_column(Integer)
    dimension: Mapped[str] = mapped_column(String(20))
    score: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
