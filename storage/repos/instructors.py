"""党建指导员: which branches each instructor guides (from a day on), and their visits (指导记录)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Branch, GuidanceVisit, InstructorLink, Member
from storage.sql import bump_version


@dataclass(frozen=True, slots=True)
class GuidedRec:
    """One branch an instructor guides now, and their last visit to it."""

    instructor_id: int
    instructor: str
    branch_id: int
    branch: str
    since: date
    last_visit: date | None


@dataclass(frozen=True, slots=True)
class VisitRec:
    id: int
    branch_id: int
    branch: str
    instructor: str
    visited_on: date
    content: str
    photo: str | None  # the SHA-256 of the photo sent with it


_VISITS = (
    select(
        GuidanceVisit.id,
        GuidanceVisit.branch_id,
        Branch.name,
        Member.name,
        GuidanceVisit.visited_on,
        GuidanceVisit.content,
        GuidanceVisit.photo,
    )
    .join(Branch, Branch.id == GuidanceVisit.branch_id)
    .join(Member, Member.id == GuidanceVisit.instructor_id)
)


def _visit(row: Any) -> VisitRec:
    return VisitRec(*row)


class InstructorRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def guides(self, member_id: int) -> dict[int, date]:
        """The branches the member guides now, and since when."""
        rows = await self.conn.execute(
            select(InstructorLink.branch_id, InstructorLink.since).where(
                InstructorLink.member_id == member_id, InstructorLink.until.is_(None)
            )
        )
        return {b: since for b, since in rows}

    async def attach(
        self, region_id: int, member_id: int, branch_ids: set[int], today: date, by: int
    ) -> tuple[set[int], set[int]]:
        """From today the member guides exactly these branches: the new ones are attached from
        today, those no longer named end today (their last day); the branches (added, ended)."""
        now = await self.guides(member_id)
        added, ended = branch_ids - set(now), set(now) - branch_ids
        if ended:
            await self.conn.execute(
                update(InstructorLink)
                .where(
                    InstructorLink.member_id == member_id,
                    InstructorLink.branch_id.in_(ended),
                    InstructorLink.until.is_(None),
                )
                .values(until=today)
            )
        if added:
            await self.conn.execute(
                insert(InstructorLink),
                [
                    {"region_id": region_id, "member_id": member_id, "branch_id": b, "since": today, "set_by": by}
                    for b in sorted(added)
                ],
            )
        if added or ended:
            await bump_version(self.conn, "org")  # every process's chats see the new assignment
        return added, ended

    async def guides_by_member(self, region_id: int) -> dict[int, frozenset[int]]:
        """Each instructor of the region -> the branches they guide now (a handful of rows)."""
        rows = await self.conn.execute(
            select(InstructorLink.member_id, InstructorLink.branch_id).where(
                InstructorLink.region_id == region_id, InstructorLink.until.is_(None)
            )
        )
        found: dict[int, set[int]] = {}
        for member, branch in rows:
            found.setdefault(member, set()).add(branch)
        return {m: frozenset(b) for m, b in found.items()}

    async def guided(self, region_id: int) -> list[GuidedRec]:
        """Every branch guided now in the region, by instructor, with the last visit."""
        last = (
            select(
                GuidanceVisit.instructor_id, GuidanceVisit.branch_id, func.max(GuidanceVisit.visited_on).label("day")
            )
            .where(GuidanceVisit.region_id == region_id)
            .group_by(GuidanceVisit.instructor_id, GuidanceVisit.branch_id)
            .subquery()
        )
        rows = await self.conn.execute(
            select(InstructorLink.member_id, Member.name, Branch.id, Branch.name, InstructorLink.since, last.c.day)
            .join(Member, Member.id == InstructorLink.member_id)
            .join(Branch, Branch.id == InstructorLink.branch_id)
            .outerjoin(
                last,
                (last.c.instructor_id == InstructorLink.member_id) & (last.c.branch_id == InstructorLink.branch_id),
            )
            .where(InstructorLink.region_id == region_id, InstructorLink.until.is_(None))
            .order_by(Member.name, Branch.name)
        )
        return [GuidedRec(*tuple(r)) for r in rows]

    async def record_visit(
        self,
        region_id: int,
        branch_id: int,
        instructor_id: int,
        visited_on: date,
        content: str,
        now: datetime,
        photo: str | None = None,
    ) -> int:
        stmt = insert(GuidanceVisit).values(
            region_id=region_id, branch_id=branch_id, instructor_id=instructor_id, visited_on=visited_on,
            content=content, photo=photo, recorded_at=now,
        )  # fmt: skip
        return int((await self.conn.execute(stmt.returning(GuidanceVisit.id))).scalar_one())

    async def visit(self, visit_id: int) -> VisitRec | None:
        row = (await self.conn.execute(_VISITS.where(GuidanceVisit.id == visit_id))).first()
        return _visit(row) if row else None

    async def visits_between(
        self, region_id: int, first: date, last: date, branch_id: int | None = None
    ) -> list[VisitRec]:
        """Visits from `first` to `last` (both included; of them, one branch's), in the order made."""
        q = _VISITS.where(
            GuidanceVisit.region_id == region_id, GuidanceVisit.visited_on >= first, GuidanceVisit.visited_on <= last
        )
        if branch_id is not None:
            q = q.where(GuidanceVisit.branch_id == branch_id)
        rows = await self.conn.execute(q.order_by(GuidanceVisit.visited_on, GuidanceVisit.id))
        return [_visit(r) for r in rows]
