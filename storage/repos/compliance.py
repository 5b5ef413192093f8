"""Norms of organizational life and the events that count toward them (held: not cancelled, with
at least one member present or a meeting record)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Attendance,
    Branch,
    DutyAssignment,
    DutyShift,
    Event,
    Finding,
    FindingPhoto,
    Idea,
    IdeaChange,
    ManualScore,
    MeetingRecord,
    Member,
    MonthlyReport,
    Norm,
)
from storage.records import ATTENDED, partners_of
from storage.sql import insert_ignoring_conflicts, upsert


@dataclass(frozen=True, slots=True)
class NormRec:
    kind: str
    scope: str  # branch / region
    per: str  # month / quarter / year
    count: int


@dataclass(frozen=True, slots=True)
class HeldEvent:
    id: int
    branch_id: int | None
    kind: str
    starts_at: datetime
    group_id: int | None = None  # a Party group's meeting: it expects the group's members only
    partners: tuple[int, ...] = ()  # a joint event: the other branches it counts for

    @property
    def branches(self) -> tuple[int, ...]:
        return () if self.branch_id is None else (self.branch_id, *self.partners)


def held_condition() -> ColumnElement[bool]:
    """An event was held: not cancelled, and someone was present or its record was written."""
    present = exists().where(Attendance.event_id == Event.id, Attendance.status.in_(ATTENDED))
    recorded = exists().where(MeetingRecord.event_id == Event.id)
    return (Event.status != "cancelled") & or_(present, recorded)


@dataclass
class ComplianceRepo:
    conn: AsyncConnection

    async def norms(self, region_id: int) -> list[NormRec]:
        rows = await self.conn.execute(
            select(Norm.kind, Norm.scope, Norm.per, Norm.count).where(Norm.region_id == region_id)
        )
        return [NormRec(*r) for r in rows]

    async def set_norm(self, region_id: int, norm: NormRec, *, by: int | None, now: datetime) -> None:
        keys = {"region_id": region_id, "kind": norm.kind, "scope": norm.scope}
        values = {"per": norm.per, "count": norm.count, "updated_by": by, "updated_at": now}
        await upsert(self.conn, Norm, keys, values)

    async def held(self, region_id: int, start: datetime, end: datetime) -> list[HeldEvent]:
        """Every event of the region held in [start, end), in one query."""
        rows = await self.conn.execute(
            select(Event.id, Event.branch_id, Event.kind, Event.starts_at, Event.group_id, Event.partners)
            .where(Event.region_id == region_id, Event.starts_at >= start, Event.starts_at < end)
            .where(held_condition())
            .order_by(Event.starts_at, Event.id)
        )
        return [HeldEvent(*r[:-1], partners=partners_of(r[-1])) for r in rows]

    async def last_held(self, region_id: int, until: datetime) -> dict[int, datetime]:
        """Each branch's latest event of its own that was held (a joint event's counting for its partners)."""
        rows = await self.conn.execute(
            select(Event.branch_id, Event.partners, func.max(Event.starts_at))
            .where(Event.region_id == region_id, Event.branch_id.is_not(None), Event.starts_at <= until)
            .where(held_condition())
            .group_by(Event.branch_id, Event.partners)
        )
        last: dict[int, datetime] = {}
        for b, partners, at in rows:
            for branch in (b, *partners_of(partners)) if b is not None else ():
                last[branch] = max(last.get(branch, at), at)
        return last


@dataclass(frozen=True, slots=True)
class FindingRec:
    id: int
    region_id: int
    number: int
    branch_id: int
    branch: str
    text: str
    deadline: date | None
    status: str
    created_at: datetime
    fix_note: str | None
    fixed_at: datetime | None
    confirmed_at: datetime | None
    photos: int = 0  # evidence of the rectification


_PHOTOS = select(func.count()).select_from(FindingPhoto).where(FindingPhoto.finding_id == Finding.id).scalar_subquery()
_FINDING_COLS = (
    Finding.id,
    Finding.region_id,
    Finding.number,
    Finding.branch_id,
    Branch.name,
    Finding.text,
    Finding.deadline,
    Finding.status,
    Finding.created_at,
    Finding.fix_note,
    Finding.fixed_at,
    Finding.confirmed_at,
    _PHOTOS,
)


@dataclass
class FindingRepo:
    """Supervision findings (季督)."""

    conn: AsyncConnection

    def _select(self) -> Any:
        return select(*_FINDING_COLS).join(Branch, Branch.id == Finding.branch_id)

    async def create(self, **values: Any) -> int:
        """Insert with the region's next number; returns the number."""
        region_id = values["region_id"]
        last = (
            await self.conn.execute(select(func.max(Finding.number)).where(Finding.region_id == region_id))
        ).scalar()
        number = int(last or 0) + 1
        await self.conn.execute(insert(Finding).values(number=number, status="open", **values))
        return number

    async def get(self, finding_id: int) -> FindingRec | None:
        row = (await self.conn.execute(self._select().where(Finding.id == finding_id))).first()
        return FindingRec(*row) if row else None

    async def by_number(self, region_id: int, number: int) -> FindingRec | None:
        row = (
            await self.conn.execute(self._select().where(Finding.region_id == region_id, Finding.number == number))
        ).first()
        return FindingRec(*row) if row else None

    async def listing(self, region_id: int, branch_id: int | None, since: datetime | None = None) -> list[FindingRec]:
        """A node's findings: every open one, and the closed ones since a time."""
        q = self._select().where(Finding.region_id == region_id)
        if branch_id is not None:
            q = q.where(Finding.branch_id == branch_id)
        if since is not None:
            q = q.where(or_(Finding.status != "confirmed", Finding.created_at >= since))
        return [FindingRec(*r) for r in await self.conn.execute(q.order_by(Finding.number))]

    async def set_status(self, finding_id: int, *, old: str, new: str, **values: Any) -> bool:
        """Move a finding on only from the status it was read in (two presses change it once)."""
        res = await self.conn.execute(
            update(Finding).where(Finding.id == finding_id, Finding.status == old).values(status=new, **values)
        )
        return bool(res.rowcount)

    async def add_photo(
        self, finding_id: int, sha256: str, kind: str, size: int, *, by: int | None, platform: str, now: datetime
    ) -> bool:
        """False when this photo is already kept for the finding."""
        res = await self.conn.execute(
            insert_ignoring_conflicts(self.conn, FindingPhoto).values(
                finding_id=finding_id, sha256=sha256, kind=kind, size=size, by=by, platform=platform, at=now
            )
        )
        return bool(res.rowcount)


@dataclass
class ReportRepo:
    """Monthly narratives (月报)."""

    conn: AsyncConnection

    async def put(
        self, region_id: int, branch_id: int, month: str, text: str, *, by: int | None, now: datetime
    ) -> bool:
        """Keep a branch's narrative for a month (a second one replaces it); True if it is the first."""
        keys = {"branch_id": branch_id, "month": month}
        return await upsert(self.conn, MonthlyReport, keys, {"region_id": region_id, "text": text, "by": by, "at": now})

    async def of_month(self, region_id: int, month: str) -> dict[int, tuple[str, datetime]]:
        """branch id -> (narrative, when) for a month."""
        rows = await self.conn.execute(
            select(MonthlyReport.branch_id, MonthlyReport.text, MonthlyReport.at).where(
                MonthlyReport.region_id == region_id, MonthlyReport.month == month
            )
        )
        return {int(b): (str(t), at) for b, t, at in rows}

    async def between(self, region_id: int, first: str, last: str) -> list[tuple[str, int, str, datetime]]:
        """(month, branch id, narrative, when) for months first..last (YYYY-MM, inclusive)."""
        rows = await self.conn.execute(
            select(MonthlyReport.month, MonthlyReport.branch_id, MonthlyReport.text, MonthlyReport.at)
            .where(MonthlyReport.region_id == region_id, MonthlyReport.month >= first, MonthlyReport.month <= last)
            .order_by(MonthlyReport.month, MonthlyReport.branch_id)
        )
        return [(str(m), int(b), str(t), at) for m, b, t, at in rows]


@dataclass
class EvaluationRepo:
    """What the yearly evaluation (年评) reads, each figure for every branch in one grouped query."""

    conn: AsyncConnection

    async def duty(self, region_id: int, start: datetime, end: datetime) -> dict[int, tuple[int, int]]:
        """(kept, due) duty slots that began in [start, end), by the member's branch."""
        rows = await self.conn.execute(
            select(Member.branch_id, func.count(DutyAssignment.checked_in_at), func.count())
            .select_from(DutyAssignment)
            .join(DutyShift, DutyShift.id == DutyAssignment.shift_id)
            .join(Member, Member.id == DutyAssignment.member_id)
            .where(DutyShift.region_id == region_id, DutyShift.starts_at >= start, DutyShift.starts_at < end)
            .group_by(Member.branch_id)
        )
        return {int(b): (int(k), int(n)) for b, k, n in rows}

    async def idea_steps(self, region_id: int, start: datetime, end: datetime) -> dict[tuple[int, str], int]:
        """Ideas adopted / implemented in [start, end), by the author's branch."""
        rows = await self.conn.execute(
            select(Member.branch_id, IdeaChange.status, func.count(func.distinct(Idea.id)))
            .select_from(IdeaChange)
            .join(Idea, Idea.id == IdeaChange.idea_id)
            .join(Member, Member.id == Idea.member_id)
            .where(Idea.region_id == region_id, IdeaChange.at >= start, IdeaChange.at < end)
            .where(IdeaChange.status.in_(("adopted", "implemented")))
            .group_by(Member.branch_id, IdeaChange.status)
        )
        return {(int(b), str(s)): int(n) for b, s, n in rows}

    async def findings(
        self, region_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, date | None, datetime | None, datetime]]:
        """(branch, deadline, rectified at, raised at) of the findings recorded in [start, end)."""
        rows = await self.conn.execute(
            select(Finding.branch_id, Finding.deadline, Finding.fixed_at, Finding.created_at).where(
                Finding.region_id == region_id, Finding.created_at >= start, Finding.created_at < end
            )
        )
        return [(int(b), d, f, c) for b, d, f, c in rows]

    async def manual(self, region_id: int, year: int) -> dict[tuple[int, str], tuple[int, str]]:
        rows = await self.conn.execute(
            select(ManualScore.branch_id, ManualScore.dimension, ManualScore.score, ManualScore.note).where(
                ManualScore.region_id == region_id, ManualScore.year == year
            )
        )
        return {(int(b), str(d)): (int(s), str(n)) for b, d, s, n in rows}

    async def set_manual(
        self,
        region_id: int,
        branch_id: int,
        year: int,
        dimension: str,
        score: int,
        note: str,
        *,
        by: int,
        now: datetime,
    ) -> None:
        keys = {"branch_id": branch_id, "year": year, "dimension": dimension}
        values = {"region_id": region_id, "score": score, "note": note, "by": by, "at": now}
        await upsert(self.conn, ManualScore, keys, values)
