"""Who came to an event, who was on leave, who was absent."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Attendance,
    Branch,
    Event,
    Member,
)
from storage.records import (
    ATTENDED,
    AttendanceRec,
    MemberRec,
)
from storage.repos.org import MEMBER_COLS, member_rec
from storage.sql import insert_ignoring_conflicts

_MARK_COLS = (Attendance.status, Attendance.reason, Attendance.recorded_by, Attendance.recorded_at)
_ATTENDANCE_OF_EVENT = (
    select(Attendance.member_id, *_MARK_COLS)
    .where(Attendance.event_id == bindparam("event_id"))
    .order_by(Attendance.recorded_at, Attendance.id)
)


_NAMES_OF = select(Member.id, Member.name, Member.branch_id).where(Member.id.in_(bindparam("ids", expanding=True)))


@dataclass
class AttendanceRepo:
    conn: AsyncConnection

    async def for_event(self, event_id: int, known: Mapping[int, MemberRec] | None = None) -> list[AttendanceRec]:
        """The event's attendance rows, in the order recorded (one branch's: `of_branch`).
        The members are looked up by id afterwards: joined, PostgreSQL would rather read the whole
        members table than look up an event's few dozen."""
        rows = (await self.conn.execute(_ATTENDANCE_OF_EVENT, {"event_id": event_id})).all()
        if not rows:
            return []
        who: dict[int, tuple[str, int]] = {m.id: (m.name, m.branch_id) for m in (known or {}).values()}
        ids = sorted({int(r[0]) for r in rows} - who.keys())  # names not known already (guests)
        for at in range(0, len(ids), 1000):  # a bound parameter each: drivers cap how many
            found = await self.conn.execute(_NAMES_OF, {"ids": ids[at : at + 1000]})
            who.update((int(m[0]), (str(m[1]), int(m[2]))) for m in found)
        return [AttendanceRec(r[0], who[r[0]][0], who[r[0]][1], r[1], r[2], r[3], r[4]) for r in rows]

    async def statuses_of(self, member_id: int, event_ids: Collection[int]) -> dict[int, str]:
        """One member's marks at these events: event -> status."""
        if not event_ids:
            return {}
        q = select(Attendance.event_id, Attendance.status).where(
            Attendance.member_id == member_id, Attendance.event_id.in_(sorted(event_ids))
        )
        return {int(e): str(s) for e, s in await self.conn.execute(q)}

    async def rows_of(self, event_id: int, members: Sequence[MemberRec]) -> list[AttendanceRec]:
        """These members' marks at an event (named and placed as given), in the order recorded."""
        if not members:
            return []
        who = {m.id: m for m in members}
        q = (
            select(Attendance.member_id, *_MARK_COLS)
            .where(Attendance.event_id == event_id, Attendance.member_id.in_(sorted(who)))
            .order_by(Attendance.recorded_at, Attendance.id)
        )
        return [
            AttendanceRec(int(m), who[m].name, who[m].branch_id, str(status), reason, by, at)
            for m, status, reason, by, at in await self.conn.execute(q)
        ]

    async def totals(self, event_id: int, region_id: int, roles: Sequence[str]) -> tuple[int, int]:
        """(expected, present) of an event over the whole region, as counts only."""
        expected = (Member.region_id == region_id, Member.active.is_(True), Member.role.in_(list(roles)))
        count_expected = select(func.count()).select_from(Member).where(*expected)
        count_present = (
            select(func.count())
            .select_from(Attendance)
            .join(Member, Member.id == Attendance.member_id)
            .where(Attendance.event_id == event_id, Attendance.status.in_(ATTENDED), *expected)
        )
        return int((await self.conn.execute(count_expected)).scalar_one()), int(
            (await self.conn.execute(count_present)).scalar_one()
        )

    async def counts_by_branch(
        self, event_id: int, region_id: int, roles: Collection[str]
    ) -> dict[int, tuple[str, int, int, int, int, int]]:
        """An event's region-wide counts per branch over its active members of these roles (one
        pass over the roll, each member's mark looked up), in branch order: branch id -> (its
        name, expected, present, late, on leave, signed in or on leave)."""
        status = Attendance.status
        q = (
            select(
                Member.branch_id,
                Branch.name,
                func.count(),
                func.count(case((status.in_(list(ATTENDED)), 1))),
                func.count(case((status == "late", 1))),
                func.count(case((status == "leave", 1))),
                func.count(case((status != "absent", 1))),
            )
            .select_from(Member)
            .outerjoin(Attendance, (Attendance.event_id == event_id) & (Attendance.member_id == Member.id))
            .join(Branch, Branch.id == Member.branch_id)
            .where(Member.region_id == region_id, Member.active.is_(True), Member.role.in_(list(roles)))
            .group_by(Member.branch_id, Branch.name)
            .order_by(Member.branch_id)
        )
        return {int(b): (str(name), int(n), int(p), int(late), int(leave), int(seen))
                for b, name, n, p, late, leave, seen in await self.conn.execute(q)}  # fmt: skip

    async def of_branch(
        self, event_id: int, region_id: int, branch_id: int
    ) -> tuple[list[MemberRec], list[AttendanceRec]]:
        """A branch's active members, and its members' marks at an event in the order recorded
        (one no longer active who signed in too), in one statement: the roll left-joined to the
        event's marks. A board or page of one branch reads its few dozen rows, not the event's all."""
        q = (
            select(*MEMBER_COLS, *_MARK_COLS, Attendance.id)
            .outerjoin(Attendance, (Attendance.event_id == event_id) & (Attendance.member_id == Member.id))
            .where(Member.region_id == region_id, Member.branch_id == branch_id)
            .where(or_(Member.active.is_(True), Attendance.id.is_not(None)))
            .order_by(Member.id)
        )
        members, marks = [], []
        row: Any
        for row in await self.conn.execute(q):
            member = member_rec(row[: len(MEMBER_COLS)])
            if member.active:
                members.append(member)
            status, reason, by, at, mark_id = row[len(MEMBER_COLS) :]
            if status is not None:
                mark = AttendanceRec(member.id, member.name, member.branch_id, str(status), reason, by, at)
                marks.append((at, mark_id, mark))
        marks.sort(key=lambda m: (m[0], m[1]))
        return members, [m for _at, _id, m in marks]

    async def present_by(
        self, event_ids: Sequence[int], statuses: Collection[str] = ATTENDED
    ) -> dict[tuple[int, int, str], int]:
        """Who came to these events (or had another of these marks, e.g. leave), counted by
        (event, branch, role) of the members."""
        if not event_ids:
            return {}
        q = (
            select(Attendance.event_id, Member.branch_id, Member.role, func.count())
            .join(Member, Member.id == Attendance.member_id)
            .where(Attendance.event_id.in_(event_ids), Attendance.status.in_(list(statuses)))
            .group_by(Attendance.event_id, Member.branch_id, Member.role)
        )
        return {(int(e), int(b), str(r)): int(n) for e, b, r, n in (await self.conn.execute(q)).all()}

    async def remote_counts(
        self, member_ids: Collection[int], since: datetime, until: datetime | None = None
    ) -> dict[int, int]:
        """How many events (starting in [since, until)) each member signed in to remotely (远程签到)."""
        if not member_ids:
            return {}
        q = (
            select(Attendance.member_id, func.count())
            .join(Event, Event.id == Attendance.event_id)
            .where(Attendance.member_id.in_(member_ids), Attendance.status == "remote", Event.starts_at >= since)
            .group_by(Attendance.member_id)
        )
        rows = await self.conn.execute(q if until is None else q.where(Event.starts_at < until))
        return {m: int(n) for m, n in rows}

    async def status_of(self, event_id: int, member_id: int) -> str | None:
        return (
            await self.conn.execute(
                select(Attendance.status).where(Attendance.event_id == event_id, Attendance.member_id == member_id)
            )
        ).scalar_one_or_none()

    async def remove(self, event_id: int, member_id: int, *, absent_at: datetime | None) -> None:
        """Take a member's attendance back: no row, or 'absent' if the window has closed."""
        row = (Attendance.event_id == event_id) & (Attendance.member_id == member_id)
        if absent_at is None:
            await self.conn.execute(delete(Attendance).where(row))
        else:
            await self.conn.execute(
                update(Attendance)
                .where(row)
                .values(status="absent", reason=None, recorded_by=None, platform=None, recorded_at=absent_at)
            )

    async def mark_absent(self, event_id: int, member_ids: Iterable[int], now: datetime) -> int:
        rows = [{"event_id": event_id, "member_id": m, "status": "absent", "recorded_at": now} for m in member_ids]
        if not rows:
            return 0
        res = await self.conn.execute(insert_ignoring_conflicts(self.conn, Attendance).values(rows))
        return int(res.rowcount or 0)
