"""All tables share one declarative Base; importing this package registers every model."""

from storage.models.base import Base, UTCDateTime
from storage.models.duty import DutyAssignment, DutyShift, DutySwap, HostingTurn, Rotation
from storage.models.engage import Idea, IdeaChange, IdeaVote, PointBalance, PointEntry, Redemption, StoreItem
from storage.models.events import (
    Attendance,
    Event,
    Finding,
    FindingPhoto,
    ManualScore,
    MeetingPhoto,
    MeetingRecord,
    MeetingRecordVersion,
    MonthlyReport,
    Norm,
    ScheduleRule,
)
from storage.models.ops import AuditLog, CacheVersion, InboxUpdate, Outbox, ProcessedUpdate, SentMessage
from storage.models.org import Branch, ChatBinding, LinkRequest, Member, MemberAccount, Region

__all__ = [
    "Attendance",
    "AuditLog",
    "Base",
    "Branch",
    "CacheVersion",
    "ChatBinding",
    "DutyAssignment",
    "DutyShift",
    "DutySwap",
    "Event",
    "Finding",
    "FindingPhoto",
    "HostingTurn",
    "Idea",
    "IdeaChange",
    "IdeaVote",
    "InboxUpdate",
    "LinkRequest",
    "ManualScore",
    "MeetingPhoto",
    "MeetingRecord",
    "MeetingRecordVersion",
    "Member",
    "MemberAccount",
    "MonthlyReport",
    "Norm",
    "Outbox",
    "PointBalance",
    "PointEntry",
    "ProcessedUpdate",
    "Redemption",
    "Region",
    "Rotation",
    "ScheduleRule",
    "SentMessage",
    "StoreItem",
    "UTCDateTime",
]
