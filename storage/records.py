"""Plain, immutable records handed to features instead of ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

ATTENDED = frozenset({"on_time", "late", "remote", "makeup"})  # attendance statuses that count as present


@dataclass(frozen=True, slots=True)
class RegionRec:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class BranchRec:
    id: int
    region_id: int
    name: str


@dataclass(frozen=True, slots=True)
class MemberRec:
    id: int
    region_id: int
    branch_id: int
    name: str
    role: str
    is_mobile: bool
    active: bool
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class BindingRec:
    id: int
    platform: str
    chat_id: str
    region_id: int
    branch_id: int | None
    active: bool
    locale: str | None
    nudges: bool = True


@dataclass(frozen=True, slots=True)
class RuleRec:
    id: int
    region_id: int
    branch_id: int | None
    kind: str
    text: str
    spec: dict[str, Any]
    at_time: str
    place: str
    topic: str
    lecturer: str | None
    holiday_policy: str
    reminders: list[int]
    status: str


@dataclass(frozen=True, slots=True)
class EventRec:
    id: int
    region_id: int
    branch_id: int | None
    kind: str
    topic: str
    place: str
    lecturer: str | None
    starts_at: datetime
    opens_at: datetime
    late_after: datetime
    closes_at: datetime
    status: str
    rule_id: int | None = None

    def window_open(self, now: datetime) -> bool:
        return self.status == "scheduled" and self.opens_at <= now <= self.closes_at


@dataclass(frozen=True, slots=True)
class AttendanceRec:
    member_id: int
    name: str
    branch_id: int
    status: str
    reason: str | None
    recorded_by: int | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxRec:
    id: int
    dedupe_key: str
    purpose: str
    event_id: int | None
    platform: str
    chat_id: str
    payload: dict[str, object]
    due_at: datetime
    status: str
    attempts: int
