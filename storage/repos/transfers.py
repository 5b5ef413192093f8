"""组织关系转接: the transfers of members between branches, out of the region and into it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Branch, Member, MemberTransfer, Recruit
from storage.sql import bump_version


@dataclass(frozen=True, slots=True)
class TransferRec:
    id: int
    member_id: int
    member: str  # the member's name
    direction: str  # within / out / in
    from_branch: str | None  # a branch of the region, by name; None: from outside
    to_branch: str | None  # None: out of the region
    place: str | None  # 去向 / 来自 outside the region
    letter_no: str | None
    status: str  # pending / done
    requested_at: datetime
    done_at: datetime | None
    from_branch_id: int | None = None
    to_branch_id: int | None = None


_FROM, _TO = Branch.__table__.alias("from_branch"), Branch.__table__.alias("to_branch")
_COLS = (
    MemberTransfer.id,
    MemberTransfer.member_id,
    Member.name,
    MemberTransfer.direction,
    _FROM.c.name,
    _TO.c.name,
    MemberTransfer.place,
    MemberTransfer.letter_no,
    MemberTransfer.status,
    MemberTransfer.requested_at,
    MemberTransfer.done_at,
    MemberTransfer.from_branch_id,
    MemberTransfer.to_branch_id,
)
_SELECT = (
    select(*_COLS)
    .join(Member, Member.id == MemberTransfer.member_id)
    .outerjoin(_FROM, _FROM.c.id == MemberTransfer.from_branch_id)
    .outerjoin(_TO, _TO.c.id == MemberTransfer.to_branch_id)
)


_MOVED_SINCE = (  # built once: every event's summary and board asks it
    select(MemberTransfer.member_id, MemberTransfer.from_branch_id)
    .where(
        MemberTransfer.region_id == bindparam("region_id"),
        MemberTransfer.status == "done",
        MemberTransfer.done_at > bindparam("at"),
    )
    .order_by(MemberTransfer.done_at, MemberTransfer.id)
)


class TransferRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def record(
        self,
        *,
        region_id: int,
        member_id: int,
        direction: str,
        from_branch_id: int | None,
        to_branch_id: int | None,
        place: str | None,
        letter_no: str | None,
        by: int | None,
        now: datetime,
        pending: bool = False,
    ) -> int:
        done = {} if pending else {"done_by": by, "done_at": now}
        stmt = insert(MemberTransfer).values(
            region_id=region_id,
            member_id=member_id,
            direction=direction,
            from_branch_id=from_branch_id,
            to_branch_id=to_branch_id,
            place=place,
            letter_no=letter_no,
            status="pending" if pending else "done",
            requested_by=by,
            requested_at=now,
            **done,
        )
        return int((await self.conn.execute(stmt.returning(MemberTransfer.id))).scalar_one())

    async def by_id(self, transfer_id: int) -> TransferRec | None:
        row = (await self.conn.execute(_SELECT.where(MemberTransfer.id == transfer_id))).first()
        return TransferRec(*row) if row else None

    async def pending_of(self, member_id: int) -> TransferRec | None:
        q = _SELECT.where(MemberTransfer.member_id == member_id, MemberTransfer.status == "pending")
        row = (await self.conn.execute(q)).first()
        return TransferRec(*row) if row else None

    async def pending_into(self, branch_id: int, name: str) -> TransferRec | None:
        """The transfer waiting for this branch to take in a member of that name."""
        q = _SELECT.where(
            MemberTransfer.to_branch_id == branch_id, MemberTransfer.status == "pending", Member.name == name
        )
        row = (await self.conn.execute(q)).first()
        return TransferRec(*row) if row else None

    async def take_in(self, transfer: TransferRec, by: int, now: datetime) -> None:
        """The receiving branch took the member in: the member is theirs from now on."""
        await self.conn.execute(
            update(MemberTransfer)
            .where(MemberTransfer.id == transfer.id)
            .values(status="done", done_by=by, done_at=now)
        )
        await self.conn.execute(
            update(Member).where(Member.id == transfer.member_id).values(branch_id=transfer.to_branch_id)
        )
        await bump_version(self.conn, "org")

    async def of_region(self, region_id: int, branch_id: int | None = None, limit: int = 20) -> list[TransferRec]:
        """The latest transfers of the region (of them, those from or to one branch), newest first."""
        q = _SELECT.where(MemberTransfer.region_id == region_id)
        if branch_id is not None:
            q = q.where((MemberTransfer.from_branch_id == branch_id) | (MemberTransfer.to_branch_id == branch_id))
        rows = await self.conn.execute(
            q.order_by(MemberTransfer.requested_at.desc(), MemberTransfer.id.desc()).limit(limit)
        )
        return [TransferRec(*r) for r in rows]

    async def between(
        self, region_id: int, start: datetime, end: datetime, branch_id: int | None = None
    ) -> list[TransferRec]:
        """The transfers asked for in [start, end) (of them, those from or to one branch), oldest first."""
        q = _SELECT.where(
            MemberTransfer.region_id == region_id,
            MemberTransfer.requested_at >= start,
            MemberTransfer.requested_at < end,
        )
        if branch_id is not None:
            q = q.where((MemberTransfer.from_branch_id == branch_id) | (MemberTransfer.to_branch_id == branch_id))
        rows = await self.conn.execute(q.order_by(MemberTransfer.requested_at, MemberTransfer.id))
        return [TransferRec(*r) for r in rows]

    async def move_all(
        self, from_branch_id: int, to_branch_id: int, member_ids: list[int], by: int, now: datetime
    ) -> None:
        """A branch merged into another: each of its members recorded as transferred and moved; what
        was on its way to it goes to the other, and its recruits with it."""
        region_id = int(
            (await self.conn.execute(select(Branch.region_id).where(Branch.id == from_branch_id))).scalar_one()
        )
        for member_id in member_ids:
            await self.record(
                region_id=region_id, member_id=member_id, direction="within",
                from_branch_id=from_branch_id, to_branch_id=to_branch_id, place=None, letter_no=None, by=by, now=now,
            )  # fmt: skip
        if member_ids:
            await self.conn.execute(update(Member).where(Member.id.in_(member_ids)).values(branch_id=to_branch_id))
            # a secretary of the branch merged away manages no other branch by it: a member there
            await self.conn.execute(
                update(Member).where(Member.id.in_(member_ids), Member.role == "branch_secretary").values(role="member")
            )
        await self.conn.execute(
            update(MemberTransfer)
            .where(MemberTransfer.to_branch_id == from_branch_id, MemberTransfer.status == "pending")
            .values(to_branch_id=to_branch_id)
        )
        await self.conn.execute(
            update(Recruit).where(Recruit.branch_id == from_branch_id).values(branch_id=to_branch_id)
        )
        await bump_version(self.conn, "org")

    async def moved_since(self, region_id: int, at: datetime) -> dict[int, int | None]:
        """The region's members transferred since `at`: member -> the branch they were in at `at`
        (the first such transfer's origin; None: they were outside the region then)."""
        rows = await self.conn.execute(_MOVED_SINCE, {"region_id": region_id, "at": at})
        then: dict[int, int | None] = {}
        for member_id, from_branch in rows:
            then.setdefault(int(member_id), from_branch)
        return then

    async def pending_into_branch(self, branch_id: int) -> int:
        """How many transfers wait for this branch to take a member in."""
        q = select(func.count()).where(MemberTransfer.to_branch_id == branch_id, MemberTransfer.status == "pending")
        return int((await self.conn.execute(q)).scalar_one())
