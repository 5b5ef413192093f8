"""表彰: the commendations a region gave its branches and members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from storage.models import Branch, Commendation, Member


@dataclass(frozen=True, slots=True)
class CommendationRec:
    id: int
    region_id: int
    branch_id: int | None  # the branch commended, or the member's branch
    branch: str | None
    member_id: int | None  # the member commended (None: a branch)
    member: str | None
    title: str
    given_on: date
    recorded_by: str | None
    recorded_at: datetime


_WHO, _BY = aliased(Member), aliased(Member)
_SELECT = (
    select(
        Commendation.id,
        Commendation.region_id,
        Branch.id,
        Branch.name,
        Commendation.member_id,
        _WHO.name,
        Commendation.title,
        Commendation.given_on,
        _BY.name,
        Commendation.recorded_at,
    )
    .outerjoin(_WHO, _WHO.id == Commendation.member_id)
    .outerjoin(Branch, Branch.id == Commendation.branch_id)
    .outerjoin(_BY, _BY.id == Commendation.recorded_by)
)


class CommendationRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def record(
        self,
        *,
        region_id: int,
        branch_id: int | None,
        member_id: int | None,
        title: str,
        given_on: date,
        by: int,
        now: datetime,
    ) -> int:
        """A commendation of a branch or (with its branch then) a member."""
        stmt = insert(Commendation).values(
            region_id=region_id, branch_id=branch_id, member_id=member_id, title=title, given_on=given_on,
            recorded_by=by, recorded_at=now,
        )  # fmt: skip
        return int((await self.conn.execute(stmt.returning(Commendation.id))).scalar_one())

    async def by_id(self, commendation_id: int) -> CommendationRec | None:
        row = (await self.conn.execute(_SELECT.where(Commendation.id == commendation_id))).first()
        return CommendationRec(*tuple(row)) if row else None

    async def between(
        self, region_id: int, first: date, last: date, branch_id: int | None = None
    ) -> list[CommendationRec]:
        """Those given from `first` to `last` (both included; of them, one branch's and its
        members'), in the order given."""
        q = _SELECT.where(
            Commendation.region_id == region_id, Commendation.given_on >= first, Commendation.given_on <= last
        )
        if branch_id is not None:
            q = q.where(Commendation.branch_id == branch_id)
        rows = await self.conn.execute(q.order_by(Commendation.given_on, Commendation.id))
        return [CommendationRec(*tuple(r)) for r in rows]
