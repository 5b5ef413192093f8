"""All tables share one declarative Base; importing this package registers every model."""

from storage.models.base import Base, UTCDateTime
from storage.models.engage import Idea, IdeaChange, IdeaVote, PointBalance, PointEntry, Redemption, StoreItem
from storage.models.events import Attendance, Event, ScheduleRule
from storage.models.ops import AuditLog, CacheVersion, Outbox, ProcessedUpdate, SentMessage
from storage.models.org import Branch, ChatBinding, Member, MemberAccount, Region

__all__ = [
    "Attendance",
    "AuditLog",
    "Base",
    "Branch",
    "CacheVersion",
    "ChatBinding",
    "Event",
    "Idea",
    "IdeaChange",
    "IdeaVote",
    "Member",
    "MemberAccount",
    "Outbox",
    "PointBalance",
    "PointEntry",
    "ProcessedUpdate",
    "Redemption",
    "Region",
    "ScheduleRule",
    "SentMessage",
    "StoreItem",
    "UTCDateTime",
]
