"""The lecturer pool (讲师团), lesson requests (点单) and lesson ratings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Event, Lecturer, LecturerRegion, LessonRating, LessonRequest, Member
from storage.repos.compliance import held_condition


@dataclass(frozen=True, slots=True)
class LecturerRec:
    id: int
    member_id: int
    name: str
    topics: list[str]

    def covers(self, topic: str) -> bool:
        """Whether the lecturer speaks on a topic (one names the other: 党史 covers 党史学习)."""
        return any(t in topic or topic in t for t in self.topics)


@dataclass(frozen=True, slots=True)
class RequestRec:
    id: int
    region_id: int
    branch_id: int | None
    requested_by: int
    topic: str
    starts_at: datetime | None
    place: str | None
    lecturer_id: int | None
    status: str
    declined: list[int]
    event_id: int | None
    platform: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class LessonStats:
    given: int  # lessons held
    ratings: int
    average: float | None


_LECTURER = (Lecturer.id, Lecturer.member_id, Member.name, Lecturer.topics)
_REQUEST = (
    LessonRequest.id,
    LessonRequest.region_id,
    LessonRequest.branch_id,
    LessonRequest.requested_by,
    LessonRequest.topic,
    LessonRequest.starts_at,
    LessonRequest.place,
    LessonRequest.lecturer_id,
    LessonRequest.status,
    LessonRequest.declined,
    LessonRequest.event_id,
    LessonRequest.platform,
    LessonRequest.chat_id,
)


@dataclass
class LessonRepo:
    conn: AsyncConnection

    # -- the pool ----------------------------------------------------------------------------
    async def _lecturer(self, member_id: int, topics: list[str], now: datetime) -> tuple[int, bool]:
        """The member's lecturer row with these topics, active (made if missing); whether it was made."""
        found = (await self.conn.execute(select(Lecturer.id).where(Lecturer.member_id == member_id))).scalar()
        if found is not None:
            await self.conn.execute(update(Lecturer).where(Lecturer.id == found).values(topics=topics, active=True))
            return int(found), False
        values = dict(member_id=member_id, topics=topics, active=True, created_at=now)
        made = (await self.conn.execute(insert(Lecturer).values(**values).returning(Lecturer.id))).scalar_one()
        return int(made), True

    async def put_lecturer(self, member_id: int, topics: list[str], region_ids: list[int], now: datetime) -> bool:
        """Add a member to the pool of these regions with these topics (again: topics and regions
        replaced); True if they were not in it."""
        found, new = await self._lecturer(member_id, topics, now)
        if not new:
            await self.conn.execute(delete(LecturerRegion).where(LecturerRegion.lecturer_id == found))
        await self.conn.execute(insert(LecturerRegion), [{"lecturer_id": found, "region_id": r} for r in region_ids])
        return new

    async def join_pool(self, member_id: int, topics: list[str], region_id: int, now: datetime) -> bool:
        """Put a member into one region's pool with these topics (the regions they serve elsewhere
        kept); True if they were not in this region's pool."""
        found, _ = await self._lecturer(member_id, topics, now)
        if await self.serves(found, region_id):
            return False
        await self.conn.execute(insert(LecturerRegion).values(lecturer_id=found, region_id=region_id))
        return True

    async def leave_pool(self, lecturer_id: int, region_id: int) -> None:
        """Take a lecturer out of one region's pool; out of every pool, they are no longer a lecturer."""
        mine = LecturerRegion.lecturer_id == lecturer_id
        await self.conn.execute(delete(LecturerRegion).where(mine, LecturerRegion.region_id == region_id))
        left = await self.conn.execute(select(LecturerRegion.region_id).where(mine))
        if left.first() is None:
            await self.conn.execute(update(Lecturer).where(Lecturer.id == lecturer_id).values(active=False))

    async def pool(self, region_id: int) -> list[LecturerRec]:
        """The region's lecturers, by name."""
        rows = await self.conn.execute(
            select(*_LECTURER)
            .join(Member, Member.id == Lecturer.member_id)
            .join(LecturerRegion, LecturerRegion.lecturer_id == Lecturer.id)
            .where(LecturerRegion.region_id == region_id, Lecturer.active.is_(True), Member.active.is_(True))
            .order_by(Member.name)
        )
        return [LecturerRec(int(i), int(m), str(n), list(t)) for i, m, n, t in rows]

    async def lecturer(self, lecturer_id: int) -> LecturerRec | None:
        row = (
            await self.conn.execute(
                select(*_LECTURER).join(Member, Member.id == Lecturer.member_id).where(Lecturer.id == lecturer_id)
            )
        ).first()
        return LecturerRec(int(row[0]), int(row[1]), str(row[2]), list(row[3])) if row else None

    async def lecturer_of(self, member_id: int) -> LecturerRec | None:
        row = (
            await self.conn.execute(
                select(*_LECTURER).join(Member, Member.id == Lecturer.member_id).where(Lecturer.member_id == member_id)
            )
        ).first()
        return LecturerRec(int(row[0]), int(row[1]), str(row[2]), list(row[3])) if row else None

    async def serves(self, lecturer_id: int, region_id: int) -> bool:
        found = await self.conn.execute(
            select(LecturerRegion.region_id).where(
                LecturerRegion.lecturer_id == lecturer_id, LecturerRegion.region_id == region_id
            )
        )
        return found.first() is not None

    # -- requests ----------------------------------------------------------------------------
    async def add_request(self, values: Mapping[str, object], now: datetime) -> int:
        res = await self.conn.execute(
            insert(LessonRequest)
            .values(**values, status="open", declined=[], created_at=now)
            .returning(LessonRequest.id)
        )
        return int(res.scalar_one())

    async def request(self, request_id: int) -> RequestRec | None:
        row = (await self.conn.execute(select(*_REQUEST).where(LessonRequest.id == request_id))).first()
        return _request(row) if row else None

    async def asked_of(self, lecturer_id: int) -> list[RequestRec]:
        """The requests waiting for this lecturer's answer, oldest first."""
        rows = await self.conn.execute(
            select(*_REQUEST)
            .where(LessonRequest.lecturer_id == lecturer_id, LessonRequest.status == "asked")
            .order_by(LessonRequest.id)
        )
        return [_request(r) for r in rows]

    async def ask(self, request_id: int, lecturer_id: int) -> bool:
        """Ask a lecturer (the request is open, or another was asked and has not answered: the
        request moves on to this one); False once it is settled."""
        res = await self.conn.execute(
            update(LessonRequest)
            .where(LessonRequest.id == request_id, LessonRequest.status.in_(("open", "asked")))
            .values(status="asked", lecturer_id=lecturer_id)
        )
        return bool(res.rowcount)

    async def accept(self, request_id: int, lecturer_id: int, event_id: int, now: datetime) -> bool:
        res = await self.conn.execute(
            update(LessonRequest)
            .where(
                LessonRequest.id == request_id,
                LessonRequest.status == "asked",
                LessonRequest.lecturer_id == lecturer_id,
            )
            .values(status="accepted", event_id=event_id, decided_at=now)
        )
        return bool(res.rowcount)

    async def decline(self, request: RequestRec, now: datetime) -> bool:
        """The asked lecturer declines: the request is open again for another."""
        assert request.lecturer_id is not None
        res = await self.conn.execute(
            update(LessonRequest)
            .where(
                LessonRequest.id == request.id,
                LessonRequest.status == "asked",
                LessonRequest.lecturer_id == request.lecturer_id,
            )
            .values(status="open", lecturer_id=None, declined=[*request.declined, request.lecturer_id], decided_at=now)
        )
        return bool(res.rowcount)

    async def of_event(self, event_id: int) -> RequestRec | None:
        row = (await self.conn.execute(select(*_REQUEST).where(LessonRequest.event_id == event_id))).first()
        return _request(row) if row else None

    # -- ratings -----------------------------------------------------------------------------
    async def rating(self, event_id: int, member_id: int) -> int | None:
        return (
            await self.conn.execute(
                select(LessonRating.score).where(LessonRating.event_id == event_id, LessonRating.member_id == member_id)
            )
        ).scalar()

    async def rate(self, event_id: int, member_id: int, score: int, now: datetime) -> None:
        await self.conn.execute(
            insert(LessonRating).values(event_id=event_id, member_id=member_id, score=score, rated_at=now)
        )

    async def stats(self, region_id: int, start: datetime, end: datetime) -> dict[int, LessonStats]:
        """Per lecturer: the requested lessons of the region held in [start, end) and their ratings."""
        given = await self.conn.execute(
            select(LessonRequest.lecturer_id, func.count(Event.id))
            .join(Event, Event.id == LessonRequest.event_id)
            .where(LessonRequest.region_id == region_id, LessonRequest.status == "accepted")
            .where(Event.starts_at >= start, Event.starts_at < end, held_condition())
            .group_by(LessonRequest.lecturer_id)
        )
        scores = await self.conn.execute(
            select(LessonRequest.lecturer_id, func.count(LessonRating.score), func.avg(LessonRating.score))
            .join(LessonRating, LessonRating.event_id == LessonRequest.event_id)
            .join(Event, Event.id == LessonRequest.event_id)
            .where(LessonRequest.region_id == region_id, Event.starts_at >= start, Event.starts_at < end)
            .group_by(LessonRequest.lecturer_id)
        )
        counts = {int(lecturer): int(n) for lecturer, n in given if lecturer is not None}
        rated = {int(lecturer): (int(n), float(avg)) for lecturer, n, avg in scores if lecturer is not None}
        return {
            lecturer: LessonStats(counts.get(lecturer, 0), *rated.get(lecturer, (0, None)))
            for lecturer in counts.keys() | rated.keys()
        }

    async def lessons(self, region_id: int, start: datetime, end: datetime) -> list[tuple[int, str, int, float | None]]:
        """The requested lessons of [start, end): (event id, lecturer, ratings, average)."""
        rows = await self.conn.execute(
            select(Event.id, Member.name, func.count(LessonRating.score), func.avg(LessonRating.score))
            .select_from(LessonRequest)
            .join(Event, Event.id == LessonRequest.event_id)
            .join(Lecturer, Lecturer.id == LessonRequest.lecturer_id)
            .join(Member, Member.id == Lecturer.member_id)
            .outerjoin(LessonRating, LessonRating.event_id == Event.id)
            .where(LessonRequest.region_id == region_id, Event.starts_at >= start, Event.starts_at < end)
            .group_by(Event.id, Member.name)
            .order_by(Event.starts_at, Event.id)
        )
        return [(int(e), str(n), int(c), float(a) if a is not None else None) for e, n, c, a in rows]


def _request(row: object) -> RequestRec:
    values = list(row)  # type: ignore[call-overload]
    values[9] = list(values[9] or [])
    return RequestRec(*values)
