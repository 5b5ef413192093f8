"""发展党员: the people on the way to membership, their stages and their quarterly 思想汇报."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Branch, Recruit, ThoughtReport
from storage.sql import insert_ignoring_conflicts

SEPARATOR = "、"
STAGES = ("applicant", "activist", "candidate", "probationary", "full")
STAGE_DAY = {
    "applicant": "applied_on",
    "activist": "activist_on",
    "candidate": "candidate_on",
    "probationary": "admitted_on",
    "full": "full_on",
}


@dataclass(frozen=True, slots=True)
class RecruitRec:
    id: int
    region_id: int
    branch_id: int
    branch: str
    member_id: int | None
    name: str
    stage: str
    applied_on: date | None
    activist_on: date | None
    candidate_on: date | None
    admitted_on: date | None
    full_on: date | None
    contacts: tuple[str, ...]
    reports: int  # 思想汇报 received

    def day(self, stage: str) -> date | None:
        return getattr(self, STAGE_DAY[stage])  # type: ignore[no-any-return]


_REPORTS = (
    select(ThoughtReport.recruit_id, func.count().label("n")).group_by(ThoughtReport.recruit_id).subquery("reports")
)
_SELECT = (
    select(
        Recruit.id, Recruit.region_id, Recruit.branch_id, Branch.name, Recruit.member_id, Recruit.name, Recruit.stage,
        Recruit.applied_on, Recruit.activist_on, Recruit.candidate_on, Recruit.admitted_on, Recruit.full_on,
        Recruit.contacts, func.coalesce(_REPORTS.c.n, 0),
    )
    .join(Branch, Branch.id == Recruit.branch_id)
    .outerjoin(_REPORTS, _REPORTS.c.recruit_id == Recruit.id)
)  # fmt: skip


def _rec(row: Any) -> RecruitRec:
    values = list(row)
    values[12] = tuple(n for n in str(values[12] or "").split(SEPARATOR) if n)  # the contacts
    values[13] = int(values[13])  # the reports
    return RecruitRec(*values)


class RecruitRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def named(self, branch_id: int, name: str) -> RecruitRec | None:
        row = (await self.conn.execute(_SELECT.where(Recruit.branch_id == branch_id, Recruit.name == name))).first()
        return _rec(row) if row else None

    async def by_id(self, recruit_id: int) -> RecruitRec | None:
        row = (await self.conn.execute(_SELECT.where(Recruit.id == recruit_id))).first()
        return _rec(row) if row else None

    async def of_region(self, region_id: int, branch_id: int | None = None) -> list[RecruitRec]:
        q = _SELECT.where(Recruit.region_id == region_id)
        if branch_id is not None:
            q = q.where(Recruit.branch_id == branch_id)
        return [_rec(r) for r in await self.conn.execute(q.order_by(Recruit.branch_id, Recruit.id))]

    async def add(
        self, *, region_id: int, branch_id: int, member_id: int | None, name: str, stage: str, day: date,
        contacts: list[str], now: datetime,
    ) -> int:  # fmt: skip
        stmt = insert(Recruit).values(
            region_id=region_id, branch_id=branch_id, member_id=member_id, name=name, stage=stage,
            contacts=SEPARATOR.join(contacts), updated_at=now, **{STAGE_DAY[stage]: day},
        )  # fmt: skip
        return int((await self.conn.execute(stmt.returning(Recruit.id))).scalar_one())

    async def advance(self, recruit_id: int, stage: str, day: date, contacts: list[str] | None, now: datetime) -> None:
        values: dict[str, Any] = {"stage": stage, STAGE_DAY[stage]: day, "updated_at": now}
        if contacts is not None:
            values["contacts"] = SEPARATOR.join(contacts)
        await self.conn.execute(update(Recruit).where(Recruit.id == recruit_id).values(**values))

    async def report(self, recruit_id: int, quarter: str, day: date, by: int | None, now: datetime) -> bool:
        """A quarter's 思想汇报 received; False if that quarter's was already."""
        done = await self.conn.execute(
            insert_ignoring_conflicts(self.conn, ThoughtReport).values(
                recruit_id=recruit_id, quarter=quarter, received_on=day, recorded_by=by, recorded_at=now
            )
        )
        return bool(done.rowcount)

    async def reported(self, region_id: int, quarter: str) -> set[int]:
        """The recruits of the region whose report of that quarter came in."""
        rows = await self.conn.execute(
            select(ThoughtReport.recruit_id)
            .join(Recruit, Recruit.id == ThoughtReport.recruit_id)
            .where(Recruit.region_id == region_id, ThoughtReport.quarter == quarter)
        )
        return {r for (r,) in rows}
