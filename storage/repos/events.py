"""Events, their drafts and the calendar rules that make them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from storage.models import (
    Branch,
    Event,
    EventDraft,
    Region,
    ScheduleRule,
)
from storage.records import (
    EventRec,
    RuleRec,
    partners_of,
)
from storage.sql import bump_version

EVENT_COLS = (
    Event.id,
    Event.region_id,
    Event.branch_id,
    Event.kind,
    Event.topic,
    Event.place,
    Event.lecturer,
    Event.starts_at,
    Event.opens_at,
    Event.late_after,
    Event.closes_at,
    Event.status,
    Event.rule_id,
    Event.group_id,
    Event.partners,
    Event.joint_of,
)


def event_rec(row: Any) -> EventRec:
    *head, partners, joint_of = row
    event = EventRec(*head)
    if partners or joint_of is not None:
        event = replace(event, partners=partners_of(partners) if partners else (), joint_of=joint_of)
    return event


def takes_part(branch_id: int) -> ColumnElement[bool]:
    """The event is the branch's own or a joint event it is a partner of."""
    return or_(Event.branch_id == branch_id, Event.partners.like(f"%,{branch_id},%"))


_EVENT_BY_ID = select(*EVENT_COLS).where(Event.id == bindparam("event_id"))


_EVENT_AND_BRANCH = (
    select(*EVENT_COLS, Branch.name)
    .outerjoin(Branch, Branch.id == Event.branch_id)
    .where(Event.id == bindparam("event_id"))
)


_RULE_COLS = (
    ScheduleRule.id,
    ScheduleRule.region_id,
    ScheduleRule.branch_id,
    ScheduleRule.kind,
    ScheduleRule.text,
    ScheduleRule.spec,
    ScheduleRule.at_time,
    ScheduleRule.place,
    ScheduleRule.topic,
    ScheduleRule.lecturer,
    ScheduleRule.holiday_policy,
    ScheduleRule.reminders,
    ScheduleRule.status,
)


@dataclass
class EventRepo:
    conn: AsyncConnection

    async def create(self, **values: Any) -> int:
        await bump_version(self.conn, "events")
        return int((await self.conn.execute(insert(Event).values(**values).returning(Event.id))).scalar_one())

    async def add_draft(self, platform: str, chat_id: str, member_id: int, command: str, now: datetime) -> int:
        """Keep an event announced in plain words until its 发布 or 取消 button."""
        values = dict(platform=platform, chat_id=chat_id, member_id=member_id, command=command, created_at=now)
        return int((await self.conn.execute(insert(EventDraft).values(**values).returning(EventDraft.id))).scalar_one())

    async def draft(self, draft_id: int) -> tuple[str, str, int, str, str] | None:
        """(platform, chat, member, command, status) of a draft."""
        row = (
            await self.conn.execute(
                select(
                    EventDraft.platform, EventDraft.chat_id, EventDraft.member_id, EventDraft.command, EventDraft.status
                ).where(EventDraft.id == draft_id)
            )
        ).first()
        return (str(row[0]), str(row[1]), int(row[2]), str(row[3]), str(row[4])) if row else None

    async def settle_draft(self, draft_id: int, status: str, event_id: int | None = None) -> bool:
        """Mark an open draft published or dropped; False when it was settled already."""
        res = await self.conn.execute(
            update(EventDraft)
            .where(EventDraft.id == draft_id, EventDraft.status == "open")
            .values(status=status, event_id=event_id)
        )
        return bool(res.rowcount)

    async def get(self, event_id: int) -> EventRec | None:
        row = (await self.conn.execute(_EVENT_BY_ID, {"event_id": event_id})).first()
        return event_rec(row) if row else None

    async def with_branch(self, event_id: int) -> tuple[EventRec, str | None] | None:
        """An event and the name of its branch (None: region-wide), in one statement."""
        row = (await self.conn.execute(_EVENT_AND_BRANCH, {"event_id": event_id})).first()
        return (event_rec(row[:-1]), None if row[-1] is None else str(row[-1])) if row else None

    async def get_many(self, event_ids: Iterable[int]) -> dict[int, EventRec]:
        ids = set(event_ids)
        if not ids:
            return {}
        rows = await self.conn.execute(select(*EVENT_COLS).where(Event.id.in_(ids)))
        return {e.id: e for e in map(event_rec, rows)}

    async def active_in_region(self, region_id: int, now: datetime) -> list[EventRec]:
        """Scheduled events whose sign-in window has not closed yet."""
        rows = await self.conn.execute(
            select(*EVENT_COLS)
            .where(Event.region_id == region_id, Event.status == "scheduled", Event.closes_at >= now)
            .order_by(Event.starts_at, Event.id)
        )
        return [event_rec(r) for r in rows]

    async def recent_for_node(self, region_id: int, branch_id: int | None, limit: int = 1) -> list[EventRec]:
        """The latest started events visible from a chat's node (its branch's and the region's)."""
        node = Event.branch_id.is_(None) if branch_id is None else or_(Event.branch_id.is_(None), takes_part(branch_id))
        rows = await self.conn.execute(
            select(*EVENT_COLS)
            .where(Event.region_id == region_id, node, Event.status != "cancelled")
            .order_by(Event.starts_at.desc(), Event.id.desc())
            .limit(limit)
        )
        return [event_rec(r) for r in rows]

    async def upcoming_for_node(
        self, region_id: int, branch_id: int | None, now: datetime, limit: int = 10
    ) -> list[EventRec]:
        node = Event.branch_id.is_(None) if branch_id is None else or_(Event.branch_id.is_(None), takes_part(branch_id))
        rows = await self.conn.execute(
            select(*EVENT_COLS)
            .where(Event.region_id == region_id, node, Event.status == "scheduled", Event.closes_at >= now)
            .order_by(Event.starts_at, Event.id)
            .limit(limit)
        )
        return [event_rec(r) for r in rows]

    async def set_status(self, event_id: int, status: str) -> None:
        await bump_version(self.conn, "events")
        await self.conn.execute(update(Event).where(Event.id == event_id).values(status=status))

    async def reschedule(self, event_id: int, **times: datetime) -> None:
        await self.change(event_id, **times)

    async def change(self, event_id: int, **values: Any) -> None:
        """Change an event in place (its details, times, nominal date): its number stays."""
        await bump_version(self.conn, "events")
        await self.conn.execute(update(Event).where(Event.id == event_id).values(**values))

    async def between(self, region_id: int, start: datetime, end: datetime) -> list[EventRec]:
        """Events of a region (any node) starting in [start, end), not cancelled."""
        rows = await self.conn.execute(
            select(*EVENT_COLS)
            .where(
                Event.region_id == region_id,
                Event.status != "cancelled",
                Event.starts_at >= start,
                Event.starts_at < end,
            )
            .order_by(Event.starts_at, Event.id)
        )
        return [event_rec(r) for r in rows]

    async def copies(self, event_id: int) -> list[EventRec]:
        """Other regions' copies of a joint event (跨党委结对), which follow it."""
        rows = await self.conn.execute(select(*EVENT_COLS).where(Event.joint_of == event_id).order_by(Event.id))
        return [event_rec(r) for r in rows]

    async def joint_sides(self, region_id: int, event_id: int | None = None) -> dict[int, list[tuple[str, str]]]:
        """The region's joint events held with another region's branch (or just `event_id`): the
        other side of each, as (region, branch) — a host's copies' branches, or a copy's host."""
        found: dict[int, list[tuple[str, str]]] = {}
        other = aliased(Event)
        for mine, theirs in ((Event.id, other.joint_of), (Event.joint_of, other.id)):
            q = (
                select(Event.id, Region.name, Branch.name)
                .join(other, theirs == mine)
                .join(Region, Region.id == other.region_id)
                .join(Branch, Branch.id == other.branch_id)
                .where(Event.region_id == region_id)
                .order_by(Event.id, other.id)
            )
            if event_id is not None:
                q = q.where(Event.id == event_id)
            for found_id, region, branch in await self.conn.execute(q):
                found.setdefault(found_id, []).append((region, branch))
        return found

    async def occurrences(self, rule_id: int) -> dict[date, EventRec]:
        """The events a rule has materialised, by nominal date."""
        rows = await self.conn.execute(
            select(Event.occurs_on, *EVENT_COLS).where(Event.rule_id == rule_id, Event.occurs_on.is_not(None))
        )
        return {r[0]: event_rec(r[1:]) for r in rows if r[0] is not None}

    async def detach_future(self, rule_id: int, now: datetime) -> list[int]:
        """Cancel a rule's occurrences that have not started and free their dates, so the rule
        can be expanded afresh (after an edit) or not at all (paused, cancelled)."""
        ids = list(
            (
                await self.conn.execute(
                    select(Event.id).where(Event.rule_id == rule_id, Event.status == "scheduled", Event.starts_at > now)
                )
            ).scalars()
        )
        if ids:
            await bump_version(self.conn, "events")
            await self.conn.execute(update(Event).where(Event.id.in_(ids)).values(status="cancelled", occurs_on=None))
        return ids


@dataclass
class RuleRepo:
    conn: AsyncConnection

    async def create(self, **values: Any) -> int:
        return int(
            (await self.conn.execute(insert(ScheduleRule).values(**values).returning(ScheduleRule.id))).scalar_one()
        )

    async def get(self, rule_id: int) -> RuleRec | None:
        row = (await self.conn.execute(select(*_RULE_COLS).where(ScheduleRule.id == rule_id))).first()
        return RuleRec(**row._mapping) if row else None

    async def of_region(self, region_id: int) -> list[RuleRec]:
        rows = await self.conn.execute(
            select(*_RULE_COLS)
            .where(ScheduleRule.region_id == region_id, ScheduleRule.status != "cancelled")
            .order_by(ScheduleRule.id)
        )
        return [RuleRec(**r._mapping) for r in rows]

    async def active(self) -> list[RuleRec]:
        rows = await self.conn.execute(select(*_RULE_COLS).where(ScheduleRule.status == "active"))
        return [RuleRec(**r._mapping) for r in rows]

    async def change(self, rule_id: int, **values: Any) -> None:
        await self.conn.execute(update(ScheduleRule).where(ScheduleRule.id == rule_id).values(**values))
