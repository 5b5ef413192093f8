"""Repositories of Party groups (党小组) and self-organized groups (自主党小组)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Event,
    GroupBallot,
    GroupPlanItem,
    GroupReport,
    GroupVote,
    Member,
    PartyGroup,
    PartyGroupMember,
)
from storage.repos.compliance import held_condition


@dataclass(frozen=True, slots=True)
class GroupRec:
    id: int
    region_id: int
    branch_id: int
    name: str
    kind: str  # branch / self
    goal: str
    leader_id: int | None
    status: str
    created_by: int
    platform: str
    chat_id: str
    created_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class GroupMemberRec:
    member_id: int
    name: str
    role: str
    guest: bool


@dataclass(frozen=True, slots=True)
class PlanItemRec:
    id: int
    group_id: int
    year: int
    number: int
    text: str
    claimed_by: int | None
    claimer: str | None
    done_at: datetime | None


_GROUP = (
    PartyGroup.id,
    PartyGroup.region_id,
    PartyGroup.branch_id,
    PartyGroup.name,
    PartyGroup.kind,
    PartyGroup.goal,
    PartyGroup.leader_id,
    PartyGroup.status,
    PartyGroup.created_by,
    PartyGroup.platform,
    PartyGroup.chat_id,
    PartyGroup.created_at,
    PartyGroup.decided_at,
)


@dataclass
class GroupRepo:
    conn: AsyncConnection

    async def add(self, values: Mapping[str, object], now: datetime) -> int:
        res = await self.conn.execute(insert(PartyGroup).values(**values, created_at=now).returning(PartyGroup.id))
        return int(res.scalar_one())

    async def get(self, group_id: int) -> GroupRec | None:
        row = (await self.conn.execute(select(*_GROUP).where(PartyGroup.id == group_id))).first()
        return _group(row) if row else None

    async def named(self, region_id: int, name: str) -> GroupRec | None:
        row = (
            await self.conn.execute(select(*_GROUP).where(PartyGroup.region_id == region_id, PartyGroup.name == name))
        ).first()
        return _group(row) if row else None

    async def of_node(self, region_id: int, branch_id: int | None, statuses: tuple[str, ...]) -> list[GroupRec]:
        q = select(*_GROUP).where(PartyGroup.region_id == region_id, PartyGroup.status.in_(statuses))
        if branch_id is not None:
            q = q.where(PartyGroup.branch_id == branch_id)
        return [_group(r) for r in await self.conn.execute(q.order_by(PartyGroup.branch_id, PartyGroup.id))]

    async def all_active(self) -> list[GroupRec]:
        rows = await self.conn.execute(select(*_GROUP).where(PartyGroup.status == "active").order_by(PartyGroup.id))
        return [_group(r) for r in rows]

    async def decide(self, group_id: int, status: str, by: int, now: datetime, *, was: str) -> bool:
        res = await self.conn.execute(
            update(PartyGroup)
            .where(PartyGroup.id == group_id, PartyGroup.status == was)
            .values(status=status, decided_by=by, decided_at=now)
        )
        return bool(res.rowcount)

    async def set_leader(self, group_id: int, member_id: int | None) -> None:
        await self.conn.execute(update(PartyGroup).where(PartyGroup.id == group_id).values(leader_id=member_id))

    # -- members -----------------------------------------------------------------------------
    async def members(self, group_id: int) -> list[GroupMemberRec]:
        rows = await self.conn.execute(
            select(Member.id, Member.name, Member.role, PartyGroupMember.guest)
            .join(PartyGroupMember, PartyGroupMember.member_id == Member.id)
            .where(PartyGroupMember.group_id == group_id, Member.active.is_(True))
            .order_by(PartyGroupMember.joined_at, Member.id)
        )
        return [GroupMemberRec(int(i), str(n), str(r), bool(g)) for i, n, r, g in rows]

    async def add_member(self, group_id: int, member_id: int, guest: bool, now: datetime) -> bool:
        found = await self.conn.execute(
            select(PartyGroupMember.member_id).where(
                PartyGroupMember.group_id == group_id, PartyGroupMember.member_id == member_id
            )
        )
        if found.first() is not None:
            return False
        await self.conn.execute(
            insert(PartyGroupMember).values(group_id=group_id, member_id=member_id, guest=guest, joined_at=now)
        )
        return True

    async def remove_member(self, group_id: int, member_id: int) -> bool:
        res = await self.conn.execute(
            delete(PartyGroupMember).where(
                PartyGroupMember.group_id == group_id, PartyGroupMember.member_id == member_id
            )
        )
        return bool(res.rowcount)

    async def groups_of(self, member_id: int, kind: str | None = None) -> list[GroupRec]:
        """The active (or pending) groups a member is in."""
        q = (
            select(*_GROUP)
            .join(PartyGroupMember, PartyGroupMember.group_id == PartyGroup.id)
            .where(PartyGroupMember.member_id == member_id, PartyGroup.status.in_(("active", "pending")))
        )
        if kind is not None:
            q = q.where(PartyGroup.kind == kind)
        return [_group(r) for r in await self.conn.execute(q)]

    async def last_held(self, group_ids: list[int], until: datetime) -> dict[int, datetime]:
        """Each group's latest held event."""
        if not group_ids:
            return {}
        rows = await self.conn.execute(
            select(Event.group_id, func.max(Event.starts_at))
            .where(Event.group_id.in_(group_ids), Event.starts_at <= until, held_condition())
            .group_by(Event.group_id)
        )
        return {int(g): at for g, at in rows if g is not None}

    # -- the leader's election ---------------------------------------------------------------
    async def open_vote(self, group_id: int, deadline: datetime, platform: str, chat_id: str, now: datetime) -> int:
        res = await self.conn.execute(
            insert(GroupVote)
            .values(
                group_id=group_id, deadline=deadline, status="open", platform=platform, chat_id=chat_id, created_at=now
            )
            .returning(GroupVote.id)
        )
        return int(res.scalar_one())

    async def vote(self, vote_id: int) -> tuple[int, datetime, str, int | None] | None:
        """(group, deadline, status, winner) of an election."""
        row = (
            await self.conn.execute(
                select(GroupVote.group_id, GroupVote.deadline, GroupVote.status, GroupVote.winner_id).where(
                    GroupVote.id == vote_id
                )
            )
        ).first()
        return (int(row[0]), row[1], str(row[2]), row[3]) if row else None

    async def open_vote_of(self, group_id: int) -> int | None:
        return (
            await self.conn.execute(
                select(GroupVote.id).where(GroupVote.group_id == group_id, GroupVote.status == "open")
            )
        ).scalar()

    async def ballot_of(self, vote_id: int, voter_id: int) -> int | None:
        return (
            await self.conn.execute(
                select(GroupBallot.candidate_id).where(GroupBallot.vote_id == vote_id, GroupBallot.voter_id == voter_id)
            )
        ).scalar()

    async def cast(self, vote_id: int, voter_id: int, candidate_id: int, now: datetime) -> None:
        await self.conn.execute(
            insert(GroupBallot).values(vote_id=vote_id, voter_id=voter_id, candidate_id=candidate_id, voted_at=now)
        )

    async def tally(self, vote_id: int) -> dict[int, int]:
        rows = await self.conn.execute(
            select(GroupBallot.candidate_id, func.count())
            .where(GroupBallot.vote_id == vote_id)
            .group_by(GroupBallot.candidate_id)
        )
        return {int(c): int(n) for c, n in rows}

    async def close_vote(self, vote_id: int, winner_id: int | None) -> bool:
        res = await self.conn.execute(
            update(GroupVote)
            .where(GroupVote.id == vote_id, GroupVote.status == "open")
            .values(status="closed", winner_id=winner_id)
        )
        return bool(res.rowcount)

    # -- the yearly plan ---------------------------------------------------------------------
    async def add_item(self, region_id: int, group_id: int, year: int, text: str, now: datetime) -> int:
        number = (
            await self.conn.execute(
                select(func.coalesce(func.max(GroupPlanItem.number), 0)).where(
                    GroupPlanItem.region_id == region_id, GroupPlanItem.year == year
                )
            )
        ).scalar_one() + 1
        await self.conn.execute(
            insert(GroupPlanItem).values(
                region_id=region_id, group_id=group_id, year=year, number=number, text=text, created_at=now
            )
        )
        return int(number)

    def _items(self) -> object:
        return select(
            GroupPlanItem.id,
            GroupPlanItem.group_id,
            GroupPlanItem.year,
            GroupPlanItem.number,
            GroupPlanItem.text,
            GroupPlanItem.claimed_by,
            Member.name,
            GroupPlanItem.done_at,
        ).outerjoin(Member, Member.id == GroupPlanItem.claimed_by)

    async def item(self, region_id: int, year: int, number: int) -> PlanItemRec | None:
        q = self._items().where(  # type: ignore[attr-defined]
            GroupPlanItem.region_id == region_id, GroupPlanItem.year == year, GroupPlanItem.number == number
        )
        row = (await self.conn.execute(q)).first()
        return PlanItemRec(*row) if row else None

    async def items(self, group_id: int, year: int) -> list[PlanItemRec]:
        q = self._items().where(GroupPlanItem.group_id == group_id, GroupPlanItem.year == year)  # type: ignore[attr-defined]
        return [PlanItemRec(*r) for r in await self.conn.execute(q.order_by(GroupPlanItem.number))]

    async def claim(self, item_id: int, member_id: int, now: datetime) -> bool:
        res = await self.conn.execute(
            update(GroupPlanItem)
            .where(GroupPlanItem.id == item_id, GroupPlanItem.claimed_by.is_(None))
            .values(claimed_by=member_id, claimed_at=now)
        )
        return bool(res.rowcount)

    async def complete(self, item_id: int, now: datetime) -> bool:
        res = await self.conn.execute(
            update(GroupPlanItem)
            .where(GroupPlanItem.id == item_id, GroupPlanItem.done_at.is_(None), GroupPlanItem.claimed_by.is_not(None))
            .values(done_at=now)
        )
        return bool(res.rowcount)

    # -- monthly reports ---------------------------------------------------------------------
    async def put_report(self, group_id: int, month: str, text: str, by: int, now: datetime) -> bool:
        """Store a month's report (again: replaced); True if it is the first."""
        found = await self.conn.execute(
            select(GroupReport.month).where(GroupReport.group_id == group_id, GroupReport.month == month)
        )
        if found.first() is None:
            await self.conn.execute(
                insert(GroupReport).values(group_id=group_id, month=month, text=text, by=by, at=now)
            )
            return True
        await self.conn.execute(
            update(GroupReport)
            .where(GroupReport.group_id == group_id, GroupReport.month == month)
            .values(text=text, by=by, at=now)
        )
        return False

    async def reported(self, group_ids: list[int], month: str) -> set[int]:
        if not group_ids:
            return set()
        rows = await self.conn.execute(
            select(GroupReport.group_id).where(GroupReport.group_id.in_(group_ids), GroupReport.month == month)
        )
        return {int(r[0]) for r in rows}


def _group(row: Any) -> GroupRec:
    return GroupRec(*row)
