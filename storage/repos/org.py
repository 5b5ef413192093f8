"""Regions, branches and members: the roster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Attendance,
    Branch,
    DutyAssignment,
    Event,
    Idea,
    Member,
    Region,
)
from storage.records import (
    ATTENDED,
    BranchRec,
    MemberRec,
    RegionRec,
)
from storage.sql import bump_version

MEMBER_COLS = (
    Member.id,
    Member.region_id,
    Member.branch_id,
    Member.name,
    Member.role,
    Member.is_mobile,
    Member.active,
    Member.phone,
    Member.wecom_userid,
)


def member_rec(row: Any) -> MemberRec:
    return MemberRec(*row)


_MEMBERS_OF_REGION = (
    select(*MEMBER_COLS)
    .where(Member.region_id == bindparam("region_id"), Member.active.is_(True))
    .order_by(Member.branch_id, Member.id)
)


_MEMBERS_OF_BRANCH = _MEMBERS_OF_REGION.where(Member.branch_id == bindparam("branch_id"))


_REGION_COLS = (Region.id, Region.name, Region.created_at, Region.started_on)
_BRANCH_COLS = (Branch.id, Branch.region_id, Branch.name, Branch.closed_on)


@dataclass
class OrgRepo:
    conn: AsyncConnection

    async def region_by_name(self, name: str) -> RegionRec | None:
        row = (await self.conn.execute(select(*_REGION_COLS).where(Region.name == name))).first()
        return RegionRec(*row) if row else None

    async def region(self, region_id: int) -> RegionRec:
        row = (await self.conn.execute(select(*_REGION_COLS).where(Region.id == region_id))).one()
        return RegionRec(*row)

    async def ensure_region(self, name: str, now: datetime) -> RegionRec:
        found = await self.region_by_name(name)
        if found:
            return found
        rid = (
            await self.conn.execute(insert(Region).values(name=name, created_at=now).returning(Region.id))
        ).scalar_one()
        return RegionRec(rid, name, now)

    async def set_start(self, region_id: int, day: date) -> None:
        """启用日期: the day the region's figures count from."""
        await self.conn.execute(update(Region).where(Region.id == region_id).values(started_on=day))

    async def regions(self) -> list[RegionRec]:
        rows = await self.conn.execute(select(*_REGION_COLS).order_by(Region.id))
        return [RegionRec(*r) for r in rows]

    async def branches(self, region_id: int) -> list[BranchRec]:
        rows = await self.conn.execute(select(*_BRANCH_COLS).where(Branch.region_id == region_id).order_by(Branch.id))
        return [BranchRec(*r) for r in rows]

    async def close_branch(self, branch_id: int, day: date) -> None:
        """撤销 or merged away: the branch is closed from `day` on (its history keeps its name)."""
        await self.conn.execute(update(Branch).where(Branch.id == branch_id).values(closed_on=day))
        await bump_version(self.conn, "org")

    async def branch(self, branch_id: int) -> BranchRec:
        row = (await self.conn.execute(select(*_BRANCH_COLS).where(Branch.id == branch_id))).one()
        return BranchRec(*row)

    async def find_branches(self, name: str) -> list[BranchRec]:
        rows = await self.conn.execute(select(*_BRANCH_COLS).where(Branch.name == name))
        return [BranchRec(*r) for r in rows]

    async def ensure_branch(self, region_id: int, name: str, now: datetime) -> BranchRec:
        row = (
            await self.conn.execute(select(*_BRANCH_COLS).where(Branch.region_id == region_id, Branch.name == name))
        ).first()
        if row:
            return BranchRec(*row)
        bid = (
            await self.conn.execute(
                insert(Branch).values(region_id=region_id, name=name, created_at=now).returning(Branch.id)
            )
        ).scalar_one()
        return BranchRec(bid, region_id, name)

    async def member(self, member_id: int) -> MemberRec | None:
        row = (await self.conn.execute(select(*MEMBER_COLS).where(Member.id == member_id))).first()
        return member_rec(row) if row else None

    async def members_by_ids(self, ids: list[int]) -> list[MemberRec]:
        """These members (active or not), by id."""
        if not ids:
            return []
        q = select(*MEMBER_COLS).where(Member.id.in_(sorted(ids))).order_by(Member.id)
        return [member_rec(r) for r in await self.conn.execute(q)]

    async def member_in_branch(self, branch_id: int, name: str) -> MemberRec | None:
        row = (
            await self.conn.execute(select(*MEMBER_COLS).where(Member.branch_id == branch_id, Member.name == name))
        ).first()
        return member_rec(row) if row else None

    async def members_named(
        self, region_id: int, name: str, branch_id: int | None = None, *, active_only: bool = True
    ) -> list[MemberRec]:
        q = select(*MEMBER_COLS).where(Member.region_id == region_id, Member.name == name)
        if active_only:
            q = q.where(Member.active.is_(True))
        if branch_id is not None:
            q = q.where(Member.branch_id == branch_id)
        return [member_rec(r) for r in await self.conn.execute(q.order_by(Member.id))]

    async def role_counts(self, region_id: int) -> dict[tuple[int | None, str], int]:
        """Active members of a region, counted by (branch, role)."""
        q = (
            select(Member.branch_id, Member.role, func.count())
            .where(Member.region_id == region_id, Member.active.is_(True))
            .group_by(Member.branch_id, Member.role)
        )
        return {(b, str(r)): int(n) for b, r, n in (await self.conn.execute(q)).all()}

    async def members_of(self, region_id: int, branch_id: int | None = None) -> list[MemberRec]:
        if branch_id is None:
            rows = await self.conn.execute(_MEMBERS_OF_REGION, {"region_id": region_id})
        else:
            rows = await self.conn.execute(_MEMBERS_OF_BRANCH, {"region_id": region_id, "branch_id": branch_id})
        return [member_rec(r) for r in rows]

    async def upsert_member(
        self,
        *,
        region_id: int,
        branch_id: int,
        name: str,
        role: str,
        phone: str | None,
        is_mobile: bool,
        now: datetime,
        wecom_userid: str | None = None,
        member_id: int | None = None,
    ) -> tuple[int, bool]:
        """Create or update a roster member (`member_id`: that very member, e.g. one moving to
        this branch, keeping their accounts and points); returns (id, changed)."""
        found = await self.member(member_id) if member_id is not None else await self.member_in_branch(branch_id, name)
        values = {
            "branch_id": branch_id,
            "name": name,
            "role": role,
            "phone": phone,
            "wecom_userid": wecom_userid,
            "is_mobile": is_mobile,
            "active": True,
        }
        if found is None:
            mid = (
                await self.conn.execute(
                    insert(Member).values(region_id=region_id, created_at=now, **values).returning(Member.id)
                )
            ).scalar_one()
            await bump_version(self.conn, "org")
            return mid, True
        before = (found.branch_id, found.name, found.role, found.phone, found.wecom_userid, found.is_mobile, True)
        if before == tuple(values.values()) and found.active:
            return found.id, False
        await self.conn.execute(update(Member).where(Member.id == found.id).values(**values))
        await bump_version(self.conn, "org")
        return found.id, True

    async def members_by_phone(self, phone: str) -> list[MemberRec]:
        """Active members of any region whose roster phone is this (normalized) number."""
        q = select(*MEMBER_COLS).where(Member.phone == phone, Member.active.is_(True)).order_by(Member.id)
        return [member_rec(r) for r in await self.conn.execute(q)]

    async def members_named_anywhere(self, name: str) -> list[MemberRec]:
        q = select(*MEMBER_COLS).where(Member.name == name, Member.active.is_(True)).order_by(Member.id)
        return [member_rec(r) for r in await self.conn.execute(q)]

    async def names_in_branch(self, branch_id: int, limit: int, but: int | None = None) -> list[str]:
        """A few active members' names of a branch (an example line's), in roster order."""
        q = select(Member.name).where(Member.branch_id == branch_id, Member.active.is_(True))
        if but is not None:
            q = q.where(Member.id != but)
        return [str(n) for n in (await self.conn.execute(q.order_by(Member.id).limit(limit))).scalars()]

    async def members_in_region(self, region_id: int, *, active_only: bool = True) -> list[MemberRec]:
        q = select(*MEMBER_COLS).where(Member.region_id == region_id)
        if active_only:
            q = q.where(Member.active.is_(True))
        return [member_rec(r) for r in await self.conn.execute(q.order_by(Member.id))]

    async def set_member_active(self, member_id: int, active: bool) -> bool:
        res = await self.conn.execute(
            update(Member).where(Member.id == member_id, Member.active.is_(not active)).values(active=active)
        )
        if res.rowcount:
            await bump_version(self.conn, "org")
        return bool(res.rowcount)

    async def branch_last_activity(self, region_id: int, now: datetime) -> list[tuple[str, datetime | None]]:
        """Each branch's name and its latest sign of life up to now: an event of its own held, a
        sign-in by one of its members (to any event), a duty check-in or a golden idea."""
        held = dict(
            (
                await self.conn.execute(
                    select(Event.branch_id, func.max(Event.starts_at))
                    .where(Event.region_id == region_id, Event.status != "cancelled", Event.starts_at <= now)
                    .group_by(Event.branch_id)
                )
            ).all()
        )
        signed = dict(
            (
                await self.conn.execute(
                    select(Member.branch_id, func.max(Attendance.recorded_at))
                    .join(Attendance, Attendance.member_id == Member.id)
                    .where(Member.region_id == region_id, Attendance.status.in_(ATTENDED))
                    .group_by(Member.branch_id)
                )
            ).all()
        )
        by_member = (
            select(Member.branch_id, func.max(DutyAssignment.checked_in_at))
            .join(DutyAssignment, DutyAssignment.member_id == Member.id)
            .where(Member.region_id == region_id)
            .group_by(Member.branch_id)
        )
        duty = dict((await self.conn.execute(by_member)).all())
        ideas = dict(
            (
                await self.conn.execute(
                    select(Member.branch_id, func.max(Idea.created_at))
                    .join(Idea, Idea.member_id == Member.id)
                    .where(Member.region_id == region_id)
                    .group_by(Member.branch_id)
                )
            ).all()
        )
        out = []
        for branch in await self.branches(region_id):
            marks = (held.get(branch.id), signed.get(branch.id), duty.get(branch.id), ideas.get(branch.id))
            times = [t for t in marks if t is not None]
            out.append((branch.name, max(times) if times else None))
        return out
