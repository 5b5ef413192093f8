"""换届: the elections of branch committees and the terms they start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Branch, BranchTerm, Member

SEPARATOR = "、"


@dataclass(frozen=True, slots=True)
class TermRec:
    id: int
    region_id: int
    branch_id: int
    branch: str  # the branch's name
    elected_on: date
    years: int
    ends_on: date
    secretary: str  # the secretary's name
    committee: tuple[str, ...]  # the other committee members' names, as elected


_SELECT = (
    select(
        BranchTerm.id,
        BranchTerm.region_id,
        BranchTerm.branch_id,
        Branch.name,
        BranchTerm.elected_on,
        BranchTerm.years,
        BranchTerm.ends_on,
        Member.name,
        BranchTerm.committee,
    )
    .join(Branch, Branch.id == BranchTerm.branch_id)
    .join(Member, Member.id == BranchTerm.secretary_id)
)


def _rec(row: Any) -> TermRec:
    term_id, region_id, branch_id, branch, elected_on, years, ends_on, secretary, committee = row
    names = tuple(n for n in str(committee).split(SEPARATOR) if n)
    return TermRec(term_id, region_id, branch_id, branch, elected_on, years, ends_on, secretary, names)


class TermRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def record(
        self,
        *,
        region_id: int,
        branch_id: int,
        elected_on: date,
        years: int,
        ends_on: date,
        secretary_id: int,
        committee: list[str],
        by: int | None,
        now: datetime,
    ) -> int:
        stmt = insert(BranchTerm).values(
            region_id=region_id,
            branch_id=branch_id,
            elected_on=elected_on,
            years=years,
            ends_on=ends_on,
            secretary_id=secretary_id,
            committee=SEPARATOR.join(committee),
            recorded_by=by,
            recorded_at=now,
        )
        return int((await self.conn.execute(stmt.returning(BranchTerm.id))).scalar_one())

    async def by_id(self, term_id: int) -> TermRec | None:
        row = (await self.conn.execute(_SELECT.where(BranchTerm.id == term_id))).first()
        return _rec(row) if row else None

    async def of_region(self, region_id: int, branch_id: int | None = None) -> list[TermRec]:
        """Every election of the region's branches (or of one), each branch's newest first; the
        first of a branch is its current committee."""
        q = _SELECT.where(BranchTerm.region_id == region_id)
        if branch_id is not None:
            q = q.where(BranchTerm.branch_id == branch_id)
        rows = await self.conn.execute(
            q.order_by(BranchTerm.branch_id, BranchTerm.elected_on.desc(), BranchTerm.id.desc())
        )
        return [_rec(r) for r in rows]

    async def current(self, region_id: int, branch_id: int | None = None) -> dict[int, TermRec]:
        """Each branch's latest election, by branch id."""
        found: dict[int, TermRec] = {}
        for term in await self.of_region(region_id, branch_id):
            found.setdefault(term.branch_id, term)
        return found
