"""Plain, immutable records handed to features instead of ORM rows."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

ATTENDED = frozenset({"on_time", "late", "remote", "makeup"})  # attendance statuses that count as present


def rate_of(expected: int, present: int, leave: int = 0) -> int | None:
    """出席率 in percent: present of expected; None (shown —) when nobody was expected, or when
    everyone expected was on approved leave and nobody came (not "0 %: nobody came")."""
    if expected <= 0 or (present == 0 and leave >= expected):
        return None
    return min(100, round(100 * present / expected))


_PHONE_NOISE = re.compile(r"[\s\-().]")


def normalize_phone(value: str | None) -> str | None:
    """'+86 138-0000-0011' / '8613800000011' / '13800000011' -> '13800000011'; None if not a number.
    Rosters store phones this way, so a shared contact matches by equality."""
    if not value:
        return None
    digits = _PHONE_NOISE.sub("", value.strip()).lstrip("+")
    if not digits.isascii() or not digits.isdigit():
        return None
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


@dataclass(frozen=True, slots=True)
class RegionRec:
    id: int
    name: str
    created_at: datetime | None = None
    started_on: date | None = None  # 启用日期 as set (None: the day it was created)

    def start(self, tz: tzinfo) -> date:
        """The region's 启用日期: as set, else the day it was created (local time)."""
        if self.started_on is not None:
            return self.started_on
        assert self.created_at is not None
        return self.created_at.astimezone(tz).date()


@dataclass(frozen=True, slots=True)
class BranchRec:
    id: int
    region_id: int
    name: str
    closed_on: date | None = None  # 撤销 or merged away from this day on

    def open_on(self, day: date) -> bool:
        """Still a branch on that day (closed ones keep their history, not their duties)."""
        return self.closed_on is None or day < self.closed_on


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
    wecom_userid: str | None = None
    guides: frozenset[int] = frozenset()  # a 党建指导员: the branches they guide now (as the chat loads them)
    manages: frozenset[int] = frozenset()  # a 党总支's or 编组's manager: its branches (as the chat loads them)


def partners_text(partners: Iterable[int]) -> str:
    """A joint event's partners as stored: ",3,7," ("" for none)."""
    ids = sorted(set(partners))
    return f",{','.join(map(str, ids))}," if ids else ""


def partners_of(text: str | None) -> tuple[int, ...]:
    return tuple(int(p) for p in (text or "").split(",") if p)


INSTRUCTOR = "instructor"  # the roster role of a 党建指导员 (handlers/core/access.py)


@dataclass(frozen=True, slots=True)
class LinkRequestRec:
    """An account waiting to be linked to a member (see storage.models.org.LinkRequest)."""

    id: int
    member_id: int | None  # None: a name the roster does not have
    platform: str
    user_id: str
    display: str
    chat_id: str
    private: bool
    status: str
    created_at: datetime


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
    unit_id: int | None = None  # a 党总支's or 编组's own chat (branch_id is then None)


@dataclass(frozen=True, slots=True)
class BoundChat:
    """A bound chat as 群列表 shows it: the binding, who bound it (None: the operator) and when."""

    binding: BindingRec
    bound_by: str | None
    bound_at: datetime


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
    group_id: int | None = None  # a Party group's event: it expects that group's members only
    partners: tuple[int, ...] = ()  # a joint event (结对 / 党总支): the other branches it expects
    joint_of: int | None = None  # another region's joint event this is that region's copy of (跨党委结对)

    @property
    def branches(self) -> tuple[int, ...]:
        """The branches a branch's event expects (its own, and a joint event's partners); () for the region's."""
        return () if self.branch_id is None else (self.branch_id, *self.partners)

    def window_open(self, now: datetime) -> bool:
        return self.status == "scheduled" and self.opens_at <= now <= self.closes_at

    def state(self, now: datetime) -> str:
        """How a reader sees it now: upcoming, running (started, sign-in open), ended or cancelled."""
        if self.status == "cancelled":
            return "cancelled"
        if now < self.starts_at:
            return "upcoming"
        return "running" if self.status == "scheduled" and now <= self.closes_at else "ended"


@dataclass(frozen=True, slots=True)
class AttendanceRec:
    member_id: int
    name: str
    branch_id: int
    status: str
    reason: str | None
    recorded_by: int | None
    recorded_at: datetime

    @property
    def self_made(self) -> bool:
        """A make-up sign-in the member entered for themselves (本人补签)."""
        return self.status == "makeup" and self.recorded_by == self.member_id


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
