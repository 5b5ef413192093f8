"""Golden ideas (金点子): proposed, voted on, reviewed, adopted or not, with their history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Idea, IdeaChange, IdeaVote, Member
from storage.sql import insert_ignoring_conflicts


@dataclass(frozen=True, slots=True)
class IdeaRec:
    id: int
    region_id: int
    number: int
    member_id: int
    author: str
    anonymous: bool
    text: str
    category: str | None
    status: str
    platform: str
    chat_id: str
    created_at: datetime
    author_branch_id: int
    votes: int


_IDEA_COLS = (
    Idea.id,
    Idea.region_id,
    Idea.number,
    Idea.member_id,
    Member.name,
    Idea.anonymous,
    Idea.text,
    Idea.category,
    Idea.status,
    Idea.platform,
    Idea.chat_id,
    Idea.created_at,
    Member.branch_id,
)


@dataclass
class IdeaRepo:
    conn: AsyncConnection

    def _select(self) -> Any:
        votes = select(func.count()).where(IdeaVote.idea_id == Idea.id).scalar_subquery()
        return select(*_IDEA_COLS, votes).join(Member, Member.id == Idea.member_id)

    async def create(self, **values: Any) -> tuple[int, int]:
        """Insert with the region's next number; returns (id, number)."""
        region_id = values["region_id"]
        last = (await self.conn.execute(select(func.max(Idea.number)).where(Idea.region_id == region_id))).scalar()
        number = int(last or 0) + 1
        idea_id = (
            await self.conn.execute(insert(Idea).values(number=number, **values).returning(Idea.id))
        ).scalar_one()
        return int(idea_id), number

    async def by_number(self, region_id: int, number: int) -> IdeaRec | None:
        row = (
            await self.conn.execute(self._select().where(Idea.region_id == region_id, Idea.number == number))
        ).first()
        return IdeaRec(*row) if row else None

    async def get(self, idea_id: int) -> IdeaRec | None:
        row = (await self.conn.execute(self._select().where(Idea.id == idea_id))).first()
        return IdeaRec(*row) if row else None

    async def open_in(self, region_id: int, limit: int = 30) -> list[IdeaRec]:
        rows = await self.conn.execute(
            self._select()
            .where(Idea.region_id == region_id, Idea.status.in_(("pending", "adopted", "implementing")))
            .order_by(Idea.number)
            .limit(limit)
        )
        return [IdeaRec(*r) for r in rows]

    async def same_text(self, region_id: int, text: str, since: datetime) -> int | None:
        """The number of an idea of the region with exactly this text submitted since a time."""
        got = await self.conn.execute(
            select(Idea.number).where(Idea.region_id == region_id, Idea.text == text, Idea.created_at >= since).limit(1)
        )
        number = got.scalar()
        return int(number) if number is not None else None

    async def vote(self, idea_id: int, member_id: int, now: datetime) -> bool:
        res = await self.conn.execute(
            insert_ignoring_conflicts(self.conn, IdeaVote).values(idea_id=idea_id, member_id=member_id, voted_at=now)
        )
        return bool(res.rowcount)

    async def change(self, idea_id: int, status: str, note: str | None, by: int | None, now: datetime) -> None:
        await self.conn.execute(update(Idea).where(Idea.id == idea_id).values(status=status))
        await self.conn.execute(insert(IdeaChange).values(idea_id=idea_id, status=status, note=note, by=by, at=now))

    async def counts(self, region_id: int, branch_id: int | None, start: datetime, end: datetime) -> tuple[int, int]:
        """(submitted, adopted) in [start, end), by authors of a branch or the whole region."""
        node = [Idea.region_id == region_id] + ([Member.branch_id == branch_id] if branch_id else [])
        base = select(func.count()).select_from(Idea).join(Member, Member.id == Idea.member_id).where(*node)
        submitted = (await self.conn.execute(base.where(Idea.created_at >= start, Idea.created_at < end))).scalar()
        adopted = (
            await self.conn.execute(
                base.join(IdeaChange, IdeaChange.idea_id == Idea.id).where(
                    IdeaChange.status == "adopted", IdeaChange.at >= start, IdeaChange.at < end
                )
            )
        ).scalar()
        return int(submitted or 0), int(adopted or 0)

    async def history(self, idea_id: int) -> list[tuple[str, str | None, str | None, datetime]]:
        rows = await self.conn.execute(
            select(IdeaChange.status, IdeaChange.note, Member.name, IdeaChange.at)
            .outerjoin(Member, Member.id == IdeaChange.by)
            .where(IdeaChange.idea_id == idea_id)
            .order_by(IdeaChange.id)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]
