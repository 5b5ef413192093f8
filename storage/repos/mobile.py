"""流动党员: where members working away are, and where they take part in Party life."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Member, MobileRecord
from storage.sql import bump_version


@dataclass(frozen=True, slots=True)
class MobileRec:
    id: int
    member_id: int
    name: str
    branch_id: int
    whereabouts: str
    contact: str | None
    takes_part: str | None
    since: date
    returned_on: date | None


_SELECT = select(
    MobileRecord.id, MobileRecord.member_id, Member.name, Member.branch_id, MobileRecord.whereabouts,
    MobileRecord.contact, MobileRecord.takes_part, MobileRecord.since, MobileRecord.returned_on,
).join(Member, Member.id == MobileRecord.member_id)  # fmt: skip


class MobileRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def current(self, member_id: int) -> MobileRec | None:
        q = _SELECT.where(MobileRecord.member_id == member_id, MobileRecord.returned_on.is_(None))
        row = (await self.conn.execute(q.order_by(MobileRecord.id.desc()))).first()
        return MobileRec(*row) if row else None

    async def away(
        self, *, region_id: int, member_id: int, whereabouts: str, contact: str | None, takes_part: str | None,
        since: date, by: int, now: datetime,
    ) -> None:  # fmt: skip
        """The member works away from `since` (an open record is updated, not doubled)."""
        found = await self.current(member_id)
        values = {"whereabouts": whereabouts, "contact": contact, "takes_part": takes_part, "updated_by": by,
                  "updated_at": now}  # fmt: skip
        if found is not None:
            await self.conn.execute(update(MobileRecord).where(MobileRecord.id == found.id).values(**values))
        else:
            await self.conn.execute(
                insert(MobileRecord).values(region_id=region_id, member_id=member_id, since=since, **values)
            )
        await self.conn.execute(update(Member).where(Member.id == member_id).values(is_mobile=True))
        await bump_version(self.conn, "org")

    async def back(self, member_id: int, day: date, by: int, now: datetime) -> bool:
        """Back home: the open record closed, no longer a mobile member; False if none was open."""
        done = await self.conn.execute(
            update(MobileRecord)
            .where(MobileRecord.member_id == member_id, MobileRecord.returned_on.is_(None))
            .values(returned_on=day, updated_by=by, updated_at=now)
        )
        await self.conn.execute(update(Member).where(Member.id == member_id).values(is_mobile=False))
        await bump_version(self.conn, "org")
        return bool(done.rowcount)

    async def of_region(
        self, region_id: int, branch_id: int | None = None, *, open_only: bool = True
    ) -> list[MobileRec]:
        q = _SELECT.where(MobileRecord.region_id == region_id)
        if branch_id is not None:
            q = q.where(Member.branch_id == branch_id)
        if open_only:
            q = q.where(MobileRecord.returned_on.is_(None))
        return [MobileRec(*r) for r in await self.conn.execute(q.order_by(Member.branch_id, MobileRecord.since))]
