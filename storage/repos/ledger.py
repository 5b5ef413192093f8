"""What the ledger (台账) is made of, read for one node and period. The large tables (attendance,
points, duty, audit) are streamed row by row in the order the sheets need them, so an export of
a large region keeps memory flat."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, bindparam, case, func, insert, literal, or_, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from storage.models import (
    Attendance,
    AuditLog,
    Branch,
    DutyAssignment,
    DutyShift,
    DutySwap,
    Event,
    Idea,
    IdeaChange,
    IdeaVote,
    MeetingPhoto,
    MeetingRecord,
    MeetingRecordVersion,
    Member,
    MemberTransfer,
    PointEntry,
    Redemption,
    StoreItem,
)
from storage.records import ATTENDED, EventRec
from storage.repos.events import EVENT_COLS, event_rec, takes_part
from storage.sql import insert_ignoring_conflicts

BATCH = 5_000  # rows fetched at a time from the large tables


Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])  # a query, whatever it selects


@dataclass(frozen=True, slots=True)
class Scope:
    """A region, or one branch of it, over [start, end) (UTC instants). `moved`: the region's
    members with a transfer done (`LedgerRepo.scope` finds them): only their branch at a given
    time needs looking up in the record of transfers, everyone else's is the branch they are in."""

    region_id: int
    branch_id: int | None
    start: datetime
    end: datetime
    moved: frozenset[int]

    def members(self, at: Any, member: Any = Member) -> list[Any]:
        """Conditions on a member (or an alias of the members table) to be inside the scope at the
        instant `at` (a column: when the row happened): a branch's ledger holds what its members did
        while they were its members, whichever branch they are in now."""
        cond = [member.region_id == self.region_id]
        if self.branch_id is not None:
            cond.append(self.branch_at(member, at) == self.branch_id)
        return cond

    def branch_at(self, member: Any, at: Any) -> Any:
        """The branch a member belonged to at the instant `at` (a column), from the record of their
        transfers: the branch the first transfer done after it took them from (0: none, they came
        from outside the region then), else the branch they are in now."""
        if not self.moved:
            return member.branch_id
        moved_from = (
            select(func.coalesce(MemberTransfer.from_branch_id, 0))
            .where(MemberTransfer.member_id == member.id, MemberTransfer.status == "done", MemberTransfer.done_at > at)
            .order_by(MemberTransfer.done_at, MemberTransfer.id)
            .limit(1)
            .scalar_subquery()
        )
        return case(
            (member.id.in_(sorted(self.moved)), func.coalesce(moved_from, member.branch_id)), else_=member.branch_id
        )

    def member_then(self, member: Any, at: Any) -> Any:
        """Whether a member was one at the instant `at`: on the roll now, or transferred out since."""
        if not self.moved:
            return member.active.is_(True)
        left_later = (
            select(MemberTransfer.id)
            .where(
                MemberTransfer.member_id == member.id,
                MemberTransfer.status == "done",
                MemberTransfer.direction == "out",
                MemberTransfer.done_at > at,
            )
            .exists()
        )
        return or_(member.active.is_(True), and_(member.id.in_(sorted(self.moved)), left_later))


@dataclass(frozen=True, slots=True)
class PersonRow:
    """A member's stay in one branch (a member transferred within the region has one per branch):
    from `since` until `until` (None: before anything on record / still there). `active`: a
    member then (a stay that ended in a transfer), or, for the stay that lasts, on the roll now."""

    id: int
    name: str
    branch_id: int
    role: str
    active: bool
    is_mobile: bool
    since: datetime | None = None
    until: datetime | None = None

    def holds(self, at: datetime) -> bool:
        """Whether the member was in this branch at that instant."""
        return (self.since is None or self.since <= at) and (self.until is None or at < self.until)

    def steady(self, start: datetime, end: datetime) -> bool:
        """Whether the stay covers the whole of [start, end)."""
        return (self.since is None or self.since <= start) and (self.until is None or self.until >= end)


def stays(person: PersonRow, moves: list[tuple[int | None, int | None, datetime]]) -> list[PersonRow]:
    """A member's stays in the region's branches, from their transfers done, in order ((from
    branch, to branch, done at); None: outside the region). Without a transfer: one stay, as now."""
    if not moves:
        return [person]
    out: list[PersonRow] = []
    branch, since = moves[0][0], None
    for _, to, at in moves:
        if branch is not None:
            out.append(replace(person, branch_id=branch, active=True, since=since, until=at))
        branch, since = to, at
    if branch is not None:
        out.append(replace(person, branch_id=branch, since=since))
    return out


@dataclass(frozen=True, slots=True)
class PhotoRow:
    event_id: int
    sha256: str
    kind: str
    size: int
    by: str | None
    at: datetime


async def _stream(conn: AsyncConnection, query: Any) -> AsyncIterator[Any]:
    """Rows fetched a batch at a time (a server-side cursor on PostgreSQL)."""
    result = await conn.stream(query.execution_options(yield_per=BATCH))
    async for batch in result.partitions(BATCH):
        for row in batch:
            yield row


@dataclass
class LedgerRepo:
    conn: AsyncConnection

    async def scope(self, region_id: int, branch_id: int | None, start: datetime, end: datetime) -> Scope:
        """The scope of a region (or one branch) over [start, end), with the region's members who moved."""
        q = select(MemberTransfer.member_id).where(
            MemberTransfer.region_id == region_id, MemberTransfer.status == "done"
        )
        moved = frozenset(int(m) for m in (await self.conn.execute(q.distinct())).scalars())
        return Scope(region_id, branch_id, start, end, moved)

    async def branches(self, scope: Scope) -> dict[int, str]:
        q = select(Branch.id, Branch.name).where(Branch.region_id == scope.region_id)
        if scope.branch_id is not None:
            q = q.where(Branch.id == scope.branch_id)
        return {int(i): str(n) for i, n in await self.conn.execute(q.order_by(Branch.name, Branch.id))}

    async def people(self, scope: Scope, only: frozenset[int] | None = None) -> list[PersonRow]:
        """Everyone who was on the roster of the scope during the period (active or not; of them,
        the members `only` names), a row per stay in a branch, by branch, in roster order."""
        if only is not None and not only:
            return []
        done = (MemberTransfer.region_id == scope.region_id, MemberTransfer.status == "done")
        q = select(Member.id, Member.name, Member.branch_id, Member.role, Member.active, Member.is_mobile).where(
            Member.region_id == scope.region_id
        )
        if only is not None:
            q = q.where(Member.id.in_(sorted(only)))
        if scope.branch_id is not None:
            were_here = select(MemberTransfer.member_id).where(
                *done,
                or_(MemberTransfer.from_branch_id == scope.branch_id, MemberTransfer.to_branch_id == scope.branch_id),
            )
            q = q.where(or_(Member.branch_id == scope.branch_id, Member.id.in_(were_here)))
        moves: dict[int, list[tuple[int | None, int | None, datetime]]] = {}
        moved = scope.moved if only is None else scope.moved & only  # whose transfers to read
        rows: Any = (
            await self.conn.execute(
                select(
                    MemberTransfer.member_id,
                    MemberTransfer.from_branch_id,
                    MemberTransfer.to_branch_id,
                    MemberTransfer.done_at,
                )
                .where(*done, MemberTransfer.member_id.in_(sorted(moved)))
                .order_by(MemberTransfer.member_id, MemberTransfer.done_at, MemberTransfer.id)
            )
            if moved
            else []
        )
        for member_id, frm, to, at in rows:
            if at is not None:  # a done transfer has its day
                moves.setdefault(int(member_id), []).append((frm, to, at))
        out = [
            stay
            for r in await self.conn.execute(q)
            for stay in stays(PersonRow(*r), moves.get(int(r[0]), []))
            if scope.branch_id in (None, stay.branch_id)
            and (stay.since is None or stay.since < scope.end)
            and (stay.until is None or stay.until > scope.start)
        ]
        return sorted(
            out, key=lambda p: (p.branch_id, p.id, p.since or datetime.min.replace(tzinfo=scope.start.tzinfo))
        )

    @staticmethod
    def _events_of(scope: Scope) -> list[Any]:
        """Conditions on the events of the period a node answers for: its own and the region's."""
        cond = [Event.region_id == scope.region_id, Event.starts_at >= scope.start, Event.starts_at < scope.end]
        if scope.branch_id is not None:
            cond.append(or_(Event.branch_id.is_(None), takes_part(scope.branch_id)))
        return cond

    async def events(self, scope: Scope) -> list[EventRec]:
        q = select(*EVENT_COLS).where(*self._events_of(scope))
        return [event_rec(r) for r in await self.conn.execute(q.order_by(Event.starts_at, Event.id))]

    @staticmethod
    def _attendance_in(q: Q, scope: Scope) -> Q:
        """The scope's members' attendance at the period's events."""
        return (
            q.join(Event, Event.id == Attendance.event_id)
            .join(Member, Member.id == Attendance.member_id)
            .where(Event.region_id == scope.region_id, Event.starts_at >= scope.start, Event.starts_at < scope.end)
            .where(*scope.members(Event.starts_at))
        )

    @staticmethod
    def _points_in(q: Q, scope: Scope) -> Q:
        """The point entries of the scope's members in the period."""
        return q.join(Member, Member.id == PointEntry.member_id).where(
            *scope.members(PointEntry.at), PointEntry.at >= scope.start, PointEntry.at < scope.end
        )

    def attendance(self, scope: Scope, *, by_member: bool, region_events: bool = False) -> AsyncIterator[Any]:
        """(event_id, member_id, status, reason, recorded_at, recorded_by, branch_id, starts_at) of the
        scope's members at the period's events (or only the region's own), by event (for the event
        sheet) or by member in roster order (for the matrix); branch_id is the member's at the event."""
        branch = scope.branch_at(Member, Event.starts_at).label("branch_id")
        columns = select(
            Attendance.event_id,
            Attendance.member_id,
            Attendance.status,
            Attendance.reason,
            Attendance.recorded_at,
            Attendance.recorded_by,
            branch,
            Event.starts_at,
        )
        q = self._attendance_in(columns, scope)
        if region_events:
            q = q.where(Event.branch_id.is_(None))
        if by_member:
            q = q.order_by(branch, Member.id, Event.starts_at, Event.id)
        else:
            q = q.order_by(Event.starts_at, Event.id, Attendance.recorded_at, Attendance.id)
        return _stream(self.conn, q)

    async def branch_event_counts(self, scope: Scope) -> dict[int, list[tuple[int, str, str, int]]]:
        """Event id -> (branch_id, role, status, members) of the marks at the branches' own events of
        the period of those who were members then (branch_id: theirs at the event): a large region's
        ledger counts them rather than read each of them."""
        branch = scope.branch_at(Member, Event.starts_at).label("branch_id")
        q = self._attendance_in(
            select(Attendance.event_id, branch, Member.role, Attendance.status, func.count()), scope
        ).where(Event.branch_id.is_not(None), scope.member_then(Member, Event.starts_at))
        q = q.group_by(Attendance.event_id, branch, Member.role, Attendance.status)
        out: dict[int, list[tuple[int, str, str, int]]] = {}
        for event_id, branch_id, role, status, n in await self.conn.execute(q):
            out.setdefault(int(event_id), []).append((int(branch_id), str(role), str(status), int(n)))
        return out

    async def roll(self, scope: Scope) -> dict[tuple[int, str], int]:
        """The active members who never moved, counted by (branch, role): their branch is the same
        at every event (those who moved are read as `people(scope, only=scope.moved)`)."""
        q = select(Member.branch_id, Member.role, func.count()).where(
            Member.region_id == scope.region_id, Member.active.is_(True)
        )
        if scope.moved:
            q = q.where(Member.id.not_in(sorted(scope.moved)))
        rows = await self.conn.execute(q.group_by(Member.branch_id, Member.role))
        return {(int(b), str(r)): int(n) for b, r, n in rows}

    async def marks_by(
        self, scope: Scope, event_ids: Sequence[int], statuses: Collection[str] = ATTENDED
    ) -> dict[tuple[int, int, str], int]:
        """Who had one of these marks at these events (came, by default), counted by (event, branch
        at the event, role) of those who were members then."""
        if not event_ids:
            return {}
        branch = scope.branch_at(Member, Event.starts_at).label("branch_id")
        q = (
            select(Attendance.event_id, branch, Member.role, func.count())
            .join(Event, Event.id == Attendance.event_id)
            .join(Member, Member.id == Attendance.member_id)
            .where(Attendance.event_id.in_(list(event_ids)), Attendance.status.in_(list(statuses)))
            .where(scope.member_then(Member, Event.starts_at))
            .group_by(Attendance.event_id, branch, Member.role)
        )
        return {(int(e), int(b), str(r)): int(n) for e, b, r, n in await self.conn.execute(q)}

    async def records(self, scope: Scope) -> dict[int, str]:
        rows = await self.conn.execute(
            select(MeetingRecord.event_id, MeetingRecord.text)
            .join(Event, Event.id == MeetingRecord.event_id)
            .where(*self._events_of(scope))
        )
        return {int(e): str(t) for e, t in rows}

    async def photos(self, scope: Scope) -> list[PhotoRow]:
        rows = await self.conn.execute(
            select(
                MeetingPhoto.event_id,
                MeetingPhoto.sha256,
                MeetingPhoto.kind,
                MeetingPhoto.size,
                Member.name,
                MeetingPhoto.at,
            )
            .join(Event, Event.id == MeetingPhoto.event_id)
            .outerjoin(Member, Member.id == MeetingPhoto.by)
            .where(*self._events_of(scope))
            .order_by(Event.starts_at, MeetingPhoto.event_id, MeetingPhoto.id)
        )
        return [PhotoRow(*r) for r in rows]

    def duty(self, scope: Scope) -> AsyncIterator[Any]:
        """(starts_at, ends_at, place, member name, branch_id, checked in, checked out, arrival,
        departure, assignment id, log) of the scope's members' shifts in the period."""
        q = (
            select(
                DutyShift.starts_at,
                DutyShift.ends_at,
                DutyShift.place,
                Member.name,
                scope.branch_at(Member, DutyShift.starts_at).label("branch_id"),
                DutyAssignment.checked_in_at,
                DutyAssignment.checked_out_at,
                DutyAssignment.arrival,
                DutyAssignment.departure,
                DutyAssignment.id,
                DutyAssignment.log,
            )
            .join(DutyShift, DutyShift.id == DutyAssignment.shift_id)
            .join(Member, Member.id == DutyAssignment.member_id)
            .where(DutyShift.region_id == scope.region_id, *scope.members(DutyShift.starts_at))
            .where(DutyShift.starts_at >= scope.start, DutyShift.starts_at < scope.end)
            .order_by(DutyShift.starts_at, DutyShift.place, Member.name, DutyAssignment.id)
        )
        return _stream(self.conn, q)

    async def swaps(self, scope: Scope) -> dict[int, list[tuple[str, str, str]]]:
        """Swaps asked for on the period's shifts of the scope: assignment -> (from, to, status)."""
        giver, taker = aliased(Member), aliased(Member)
        rows = await self.conn.execute(
            select(DutySwap.assignment_id, giver.name, taker.name, DutySwap.status)
            .join(DutyAssignment, DutyAssignment.id == DutySwap.assignment_id)
            .join(DutyShift, DutyShift.id == DutyAssignment.shift_id)
            .join(giver, giver.id == DutySwap.from_member_id)
            .join(taker, taker.id == DutySwap.to_member_id)
            .where(DutyShift.region_id == scope.region_id, DutyShift.starts_at >= scope.start)
            .where(DutyShift.starts_at < scope.end)
            .where(
                or_(and_(*scope.members(DutyShift.starts_at, giver)), and_(*scope.members(DutyShift.starts_at, taker)))
            )
            .order_by(DutySwap.id)
        )
        out: dict[int, list[tuple[str, str, str]]] = {}
        for assignment, a, b, status in rows:
            out.setdefault(int(assignment), []).append((str(a), str(b), str(status)))
        return out

    @staticmethod
    def _ideas_of(scope: Scope) -> list[Any]:
        """Conditions on ideas submitted in the period by the scope's members (joined as Member)."""
        return [Idea.region_id == scope.region_id, *scope.members(Idea.created_at), Idea.created_at >= scope.start]

    async def ideas(self, scope: Scope) -> list[tuple[Any, ...]]:
        """(id, number, text, category, author, branch_id, anonymous, status, created_at, votes) of
        ideas submitted in the period by the scope's members."""
        votes = select(func.count()).where(IdeaVote.idea_id == Idea.id).scalar_subquery()
        rows = await self.conn.execute(
            select(
                Idea.id,
                Idea.number,
                Idea.text,
                Idea.category,
                Member.name,
                scope.branch_at(Member, Idea.created_at).label("branch_id"),
                Idea.anonymous,
                Idea.status,
                Idea.created_at,
                votes,
            )
            .join(Member, Member.id == Idea.member_id)
            .where(*self._ideas_of(scope), Idea.created_at < scope.end)
            .order_by(Idea.number)
        )
        return [tuple(r) for r in rows]

    async def idea_steps(self, scope: Scope) -> dict[int, list[tuple[str, str | None, str | None, datetime]]]:
        """Every review step of those ideas: idea id -> (status, note, by, at), in order."""
        reviewer = aliased(Member)
        rows = await self.conn.execute(
            select(IdeaChange.idea_id, IdeaChange.status, IdeaChange.note, reviewer.name, IdeaChange.at)
            .join(Idea, Idea.id == IdeaChange.idea_id)
            .join(Member, Member.id == Idea.member_id)
            .outerjoin(reviewer, reviewer.id == IdeaChange.by)
            .where(*self._ideas_of(scope), Idea.created_at < scope.end)
            .order_by(IdeaChange.idea_id, IdeaChange.id)
        )
        out: dict[int, list[tuple[str, str | None, str | None, datetime]]] = {}
        for idea_id, status, note, by, at in rows:
            out.setdefault(int(idea_id), []).append((status, note, by, at))
        return out

    async def size(self, scope: Scope) -> int:
        """The rows the biggest sheets will hold (attendance and points): how long a workbook takes."""
        attendance = self._attendance_in(select(func.count()).select_from(Attendance), scope)
        points = self._points_in(select(func.count()).select_from(PointEntry), scope)
        return int((await self.conn.execute(attendance)).scalar_one()) + int(
            (await self.conn.execute(points)).scalar_one()
        )

    def points(self, scope: Scope) -> AsyncIterator[Any]:
        """(at, member name, branch_id, amount, reason, source, operator name) of every ledger row."""
        operator = aliased(Member)
        columns = select(
            PointEntry.at,
            Member.name,
            scope.branch_at(Member, PointEntry.at).label("branch_id"),
            PointEntry.amount,
            PointEntry.reason,
            PointEntry.source,
            operator.name,
        ).select_from(PointEntry)
        q = (
            self._points_in(columns, scope)
            .outerjoin(operator, operator.id == PointEntry.operator_id)
            .order_by(PointEntry.at, PointEntry.id)
        )
        return _stream(self.conn, q)

    def points_by_member(self, scope: Scope) -> AsyncIterator[Any]:
        """(member name, branch_id, earned, deducted, store, net, entries) of each member with an
        entry in the period, in roster order: earned is what was given (not the store's refunds),
        deducted what was taken off, store what the points store took back net of its refunds."""
        amount, store = PointEntry.amount, PointEntry.source == "store"
        earned = func.sum(case((and_(amount > 0, ~store), amount), else_=0))
        deducted = func.sum(case((and_(amount < 0, ~store), -amount), else_=0))
        spent = func.sum(case((store, -amount), else_=0))
        branch = scope.branch_at(Member, PointEntry.at).label("branch_id")
        columns = select(Member.name, branch, earned, deducted, spent, func.sum(amount), func.count()).select_from(
            PointEntry
        )
        q = self._points_in(columns, scope).group_by(Member.id, branch).order_by(branch, Member.id)
        return _stream(self.conn, q)

    async def redemptions(self, scope: Scope) -> list[tuple[Any, ...]]:
        """(created_at, member, branch_id, item, price, status, decided by, decided_at)."""
        decider = aliased(Member)
        rows = await self.conn.execute(
            select(
                Redemption.created_at,
                Member.name,
                scope.branch_at(Member, Redemption.created_at).label("branch_id"),
                StoreItem.name,
                Redemption.price,
                Redemption.status,
                decider.name,
                Redemption.decided_at,
            )
            .join(Member, Member.id == Redemption.member_id)
            .join(StoreItem, StoreItem.id == Redemption.item_id)
            .outerjoin(decider, decider.id == Redemption.decided_by)
            .where(
                *scope.members(Redemption.created_at),
                Redemption.created_at >= scope.start,
                Redemption.created_at < scope.end,
            )
            .order_by(Redemption.created_at, Redemption.id)
        )
        return [tuple(r) for r in rows]

    def audit(self, scope: Scope) -> AsyncIterator[Any]:
        """(at, actor, branch_id, platform, action, detail) of what the scope's people did."""
        q = (
            select(
                AuditLog.at,
                Member.name,
                scope.branch_at(Member, AuditLog.at).label("branch_id"),
                AuditLog.platform,
                AuditLog.action,
                AuditLog.detail,
            )
            .join(Member, Member.id == AuditLog.actor_id)
            .where(*scope.members(AuditLog.at), AuditLog.at >= scope.start, AuditLog.at < scope.end)
            .order_by(AuditLog.at, AuditLog.id)
        )
        return _stream(self.conn, q)


_PARTS = union_all(
    select(literal(0).label("kind"), MeetingRecord.text.label("value"), literal(0).label("n")).where(
        MeetingRecord.event_id == bindparam("event_id")
    ),
    select(literal(1), MeetingPhoto.sha256, MeetingPhoto.id).where(MeetingPhoto.event_id == bindparam("event_id")),
).subquery()
_SHEET = select(_PARTS.c.kind, _PARTS.c.value).order_by(_PARTS.c.kind, _PARTS.c.n)  # built once: every event page


@dataclass
class RecordRepo:
    """Meeting records (会议记录) and their photos."""

    conn: AsyncConnection

    async def sheet(self, event_id: int) -> tuple[str | None, list[str]]:
        """The record's text (None: no record) and its photos' names, in one statement."""
        text: str | None = None
        photos: list[str] = []
        for kind, value in await self.conn.execute(_SHEET, {"event_id": event_id}):
            if kind == 0:
                text = str(value)
            else:
                photos.append(str(value))
        return text, photos

    async def text(self, event_id: int) -> str | None:
        """The record's text now (None: no record)."""
        return (await self.conn.execute(select(MeetingRecord.text).where(MeetingRecord.event_id == event_id))).scalar()

    async def get(self, event_id: int) -> tuple[str, int, int] | None:
        """(text, versions, photos) of an event's record, None when it has none."""
        text = await self.text(event_id)
        versions = (
            await self.conn.execute(
                select(func.count()).select_from(MeetingRecordVersion).where(MeetingRecordVersion.event_id == event_id)
            )
        ).scalar_one()
        photos = await self.photo_count(event_id)
        if text is None and not photos:
            return None
        return str(text or ""), int(versions), photos

    async def write(self, event_id: int, text: str, *, change: str, by: int | None, now: datetime) -> str:
        """Append to (change="append") or replace (change="correct") the record; every text it
        had stays in meeting_record_versions. Returns the text now."""
        current = (
            await self.conn.execute(select(MeetingRecord.text).where(MeetingRecord.event_id == event_id))
        ).scalar()
        if current is None:
            new = text
            await self.conn.execute(
                insert(MeetingRecord).values(event_id=event_id, text=new, updated_by=by, updated_at=now)
            )
        else:
            new = f"{current}\n{text}" if change == "append" and current else text
            await self.conn.execute(
                update(MeetingRecord)
                .where(MeetingRecord.event_id == event_id)
                .values(text=new, updated_by=by, updated_at=now)
            )
        await self.conn.execute(
            insert(MeetingRecordVersion).values(event_id=event_id, text=new, change=change, by=by, at=now)
        )
        return new

    async def photo_names(self, event_id: int) -> list[str]:
        """The SHA-256 names of an event's photos, in the order they came."""
        q = select(MeetingPhoto.sha256).where(MeetingPhoto.event_id == event_id).order_by(MeetingPhoto.id)
        return [str(r[0]) for r in await self.conn.execute(q)]

    async def photo_count(self, event_id: int) -> int:
        return int(
            (
                await self.conn.execute(
                    select(func.count()).select_from(MeetingPhoto).where(MeetingPhoto.event_id == event_id)
                )
            ).scalar_one()
        )

    async def add_photo(
        self, event_id: int, sha256: str, kind: str, size: int, *, by: int | None, platform: str, now: datetime
    ) -> bool:
        """False when this photo is already attached to the event."""
        res = await self.conn.execute(
            insert_ignoring_conflicts(self.conn, MeetingPhoto).values(
                event_id=event_id, sha256=sha256, kind=kind, size=size, by=by, platform=platform, at=now
            )
        )
        return bool(res.rowcount)
