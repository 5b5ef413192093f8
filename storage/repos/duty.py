"""Repositories of the duty rota and the hosting rotation."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Branch,
    DutyAssignment,
    DutyRule,
    DutyShift,
    DutySwap,
    HostingRecord,
    HostingTurn,
    Member,
    Rotation,
)


@dataclass(frozen=True, slots=True)
class ShiftSlot:
    """One member's place on one shift."""

    assignment_id: int
    shift_id: int
    region_id: int
    place: str
    starts_at: datetime
    ends_at: datetime
    member_id: int
    name: str
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    arrival: str | None
    departure: str | None
    branch_id: int  # the member's branch
    log: str | None = None  # 值班日志, as the member wrote it


_SLOT_COLS = (
    DutyAssignment.id,
    DutyShift.id,
    DutyShift.region_id,
    DutyShift.place,
    DutyShift.starts_at,
    DutyShift.ends_at,
    DutyAssignment.member_id,
    Member.name,
    DutyAssignment.checked_in_at,
    DutyAssignment.checked_out_at,
    DutyAssignment.arrival,
    DutyAssignment.departure,
    Member.branch_id,
    DutyAssignment.log,
)


@dataclass(frozen=True, slots=True)
class DutyRuleRec:
    """A recurring shift as stored (值班规则)."""

    id: int
    region_id: int
    text: str
    spec: dict[str, Any]
    starts: str  # HH:MM
    ends: str
    place: str
    member_ids: list[int]
    backup_id: int | None
    holiday_policy: str
    status: str


_RULE_COLS = (
    DutyRule.id,
    DutyRule.region_id,
    DutyRule.text,
    DutyRule.spec,
    DutyRule.starts,
    DutyRule.ends,
    DutyRule.place,
    DutyRule.member_ids,
    DutyRule.backup_id,
    DutyRule.holiday_policy,
    DutyRule.status,
)


@dataclass
class DutyRepo:
    conn: AsyncConnection

    def _slots(self) -> object:
        return (
            select(*_SLOT_COLS)
            .join(DutyShift, DutyShift.id == DutyAssignment.shift_id)
            .join(Member, Member.id == DutyAssignment.member_id)
        )

    async def add_shift(
        self,
        region_id: int,
        place: str,
        starts_at: datetime,
        ends_at: datetime,
        member_ids: list[int],
        now: datetime,
        backup_id: int | None = None,
        rule: tuple[int, date] | None = None,
    ) -> int:
        """A shift with its members (and backup); `rule`: the duty rule and nominal date it stands for."""
        values = dict(region_id=region_id, place=place, starts_at=starts_at, ends_at=ends_at, created_at=now)
        if rule is not None:
            values.update(rule_id=rule[0], occurs_on=rule[1])
        shift_id = (
            await self.conn.execute(insert(DutyShift).values(**values, backup_id=backup_id).returning(DutyShift.id))
        ).scalar_one()
        await self.conn.execute(insert(DutyAssignment), [{"shift_id": shift_id, "member_id": m} for m in member_ids])
        return int(shift_id)

    async def replace_shift(
        self, shift_id: int, ends_at: datetime, member_ids: list[int], backup_id: int | None = None
    ) -> None:
        """A corrected shift (nobody checked in yet): its end, its members and backup as given."""
        await self.conn.execute(
            update(DutyShift).where(DutyShift.id == shift_id).values(ends_at=ends_at, backup_id=backup_id)
        )
        await self.conn.execute(delete(DutyAssignment).where(DutyAssignment.shift_id == shift_id))
        await self.conn.execute(insert(DutyAssignment), [{"shift_id": shift_id, "member_id": m} for m in member_ids])

    async def same_shift(self, region_id: int, place: str, starts_at: datetime, member_ids: list[int]) -> int | None:
        """A shift at this place and time that already has one of these members on it (its id)."""
        got = await self.conn.execute(
            select(DutyShift.id)
            .join(DutyAssignment, DutyAssignment.shift_id == DutyShift.id)
            .where(DutyShift.region_id == region_id, DutyShift.place == place, DutyShift.starts_at == starts_at)
            .where(DutyAssignment.member_id.in_(member_ids))
            .limit(1)
        )
        return got.scalar_one_or_none()

    async def find_shift(self, region_id: int, place: str, starts_at: datetime) -> int | None:
        got = await self.conn.execute(
            select(DutyShift.id).where(
                DutyShift.region_id == region_id, DutyShift.place == place, DutyShift.starts_at == starts_at
            )
        )
        return got.scalar()

    async def between(self, region_id: int, start: datetime, end: datetime) -> list[ShiftSlot]:
        q = self._slots().where(  # type: ignore[attr-defined]
            DutyShift.region_id == region_id, DutyShift.starts_at >= start, DutyShift.starts_at < end
        )
        rows = await self.conn.execute(q.order_by(DutyShift.starts_at, DutyShift.id, DutyAssignment.id))
        return [ShiftSlot(*r) for r in rows]

    async def of_member(self, member_id: int, start: datetime, end: datetime) -> list[ShiftSlot]:
        """A member's slots on shifts overlapping [start, end)."""
        q = self._slots().where(  # type: ignore[attr-defined]
            DutyAssignment.member_id == member_id, DutyShift.ends_at > start, DutyShift.starts_at < end
        )
        return [ShiftSlot(*r) for r in await self.conn.execute(q.order_by(DutyShift.starts_at))]

    async def of_shift(self, shift_id: int) -> list[ShiftSlot]:
        q = self._slots().where(DutyAssignment.shift_id == shift_id)  # type: ignore[attr-defined]
        return [ShiftSlot(*r) for r in await self.conn.execute(q.order_by(DutyAssignment.id))]

    async def slot(self, assignment_id: int) -> ShiftSlot | None:
        q = self._slots().where(DutyAssignment.id == assignment_id)  # type: ignore[attr-defined]
        row = (await self.conn.execute(q)).first()
        return ShiftSlot(*row) if row else None

    async def backups(self, shift_ids: Collection[int]) -> dict[int, tuple[str, int]]:
        """The backup (AB岗) of each of these shifts that has one: (name, branch) by shift."""
        if not shift_ids:
            return {}
        rows = await self.conn.execute(
            select(DutyShift.id, Member.name, Member.branch_id)
            .join(Member, Member.id == DutyShift.backup_id)
            .where(DutyShift.id.in_(list(shift_ids)))
        )
        return {int(i): (str(n), int(b)) for i, n, b in rows}

    async def backup_of(self, shift_id: int) -> int | None:
        """The member who backs this shift up (AB岗), if any."""
        return (await self.conn.execute(select(DutyShift.backup_id).where(DutyShift.id == shift_id))).scalar()

    async def backed_by(self, member_id: int, start: datetime, end: datetime) -> list[int]:
        """The shifts overlapping [start, end) this member backs up, by start."""
        q = (
            select(DutyShift.id)
            .where(DutyShift.backup_id == member_id, DutyShift.ends_at > start, DutyShift.starts_at < end)
            .order_by(DutyShift.starts_at)
        )
        return [int(r[0]) for r in await self.conn.execute(q)]

    async def take_over(self, assignment_id: int, backup_id: int, now: datetime) -> bool:
        """The backup takes a place nobody checked in to: the slot becomes theirs, recorded as a
        swap of status 'backup'. False when someone checked in meanwhile."""
        before = (
            await self.conn.execute(
                select(DutyAssignment.member_id).where(
                    DutyAssignment.id == assignment_id, DutyAssignment.checked_in_at.is_(None)
                )
            )
        ).scalar()
        if before is None:
            return False
        await self.conn.execute(
            update(DutyAssignment).where(DutyAssignment.id == assignment_id).values(member_id=backup_id)
        )
        await self.conn.execute(
            insert(DutySwap).values(
                assignment_id=assignment_id,
                from_member_id=before,
                to_member_id=backup_id,
                status="backup",
                created_at=now,
                decided_at=now,
            )
        )
        return True

    async def check_in(self, assignment_id: int, now: datetime, arrival: str) -> bool:
        res = await self.conn.execute(
            update(DutyAssignment)
            .where(DutyAssignment.id == assignment_id, DutyAssignment.checked_in_at.is_(None))
            .values(checked_in_at=now, arrival=arrival)
        )
        return bool(res.rowcount)

    async def add_log(self, assignment_id: int, text: str, now: datetime) -> str:
        """Add to a shift's log (a second entry follows the first on a new line); the log now."""
        before = (
            await self.conn.execute(select(DutyAssignment.log).where(DutyAssignment.id == assignment_id))
        ).scalar()
        log = f"{before}\n{text}" if before else text
        await self.conn.execute(
            update(DutyAssignment).where(DutyAssignment.id == assignment_id).values(log=log, logged_at=now)
        )
        return log

    async def check_out(self, assignment_id: int, now: datetime, departure: str) -> bool:
        res = await self.conn.execute(
            update(DutyAssignment)
            .where(
                DutyAssignment.id == assignment_id,
                DutyAssignment.checked_in_at.is_not(None),
                DutyAssignment.checked_out_at.is_(None),
            )
            .values(checked_out_at=now, departure=departure)
        )
        return bool(res.rowcount)

    async def missed(self, region_id: int, now: datetime, since: datetime) -> list[ShiftSlot]:
        """Slots of shifts that ended in [since, now) with no check-in: missed shifts."""
        q = self._slots().where(  # type: ignore[attr-defined]
            DutyShift.region_id == region_id,
            DutyShift.ends_at <= now,
            DutyShift.ends_at >= since,
            DutyAssignment.checked_in_at.is_(None),
        )
        return [ShiftSlot(*r) for r in await self.conn.execute(q.order_by(DutyShift.starts_at))]

    async def kept(self, region_id: int, branch_id: int | None, start: datetime, end: datetime) -> tuple[int, int]:
        """(slots kept, slots due) of shifts that started in [start, end), for a branch's members or all."""
        q = select(DutyAssignment.checked_in_at).join(DutyShift, DutyShift.id == DutyAssignment.shift_id)
        q = q.join(Member, Member.id == DutyAssignment.member_id).where(
            DutyShift.region_id == region_id, DutyShift.starts_at >= start, DutyShift.starts_at < end
        )
        if branch_id is not None:
            q = q.where(Member.branch_id == branch_id)
        rows = (await self.conn.execute(q)).all()
        return sum(r[0] is not None for r in rows), len(rows)

    async def ask_swap(self, assignment_id: int, from_member: int, to_member: int, now: datetime) -> int:
        res = await self.conn.execute(
            insert(DutySwap)
            .values(
                assignment_id=assignment_id,
                from_member_id=from_member,
                to_member_id=to_member,
                status="pending",
                created_at=now,
            )
            .returning(DutySwap.id)
        )
        return int(res.scalar_one())

    async def pending_swap(self, assignment_id: int) -> tuple[int, str] | None:
        """The open request to take over a slot, if any: (its id, the asked member's name)."""
        row = (
            await self.conn.execute(
                select(DutySwap.id, Member.name)
                .join(Member, Member.id == DutySwap.to_member_id)
                .where(DutySwap.assignment_id == assignment_id, DutySwap.status == "pending")
            )
        ).first()
        return (int(row[0]), str(row[1])) if row else None

    async def swap(self, swap_id: int) -> tuple[int, int, int, str] | None:
        """(assignment, from member, to member, status) of a swap request."""
        row = (
            await self.conn.execute(
                select(DutySwap.assignment_id, DutySwap.from_member_id, DutySwap.to_member_id, DutySwap.status).where(
                    DutySwap.id == swap_id
                )
            )
        ).first()
        return (int(row[0]), int(row[1]), int(row[2]), str(row[3])) if row else None

    async def swaps(
        self, region_id: int, branch_id: int | None = None, limit: int = 10
    ) -> list[tuple[str, str, datetime, str, str, datetime]]:
        """The latest swap requests (between members of one branch, if given): (asker, asked,
        shift start, place, status, asked at)."""
        asker, asked = Member.__table__.alias("asker"), Member.__table__.alias("asked")
        node = [DutyShift.region_id == region_id]
        if branch_id is not None:
            node += [asker.c.branch_id == branch_id, asked.c.branch_id == branch_id]
        rows = await self.conn.execute(
            select(
                asker.c.name, asked.c.name, DutyShift.starts_at, DutyShift.place, DutySwap.status, DutySwap.created_at
            )
            .join(DutyAssignment, DutyAssignment.id == DutySwap.assignment_id)
            .join(DutyShift, DutyShift.id == DutyAssignment.shift_id)
            .join(asker, asker.c.id == DutySwap.from_member_id)
            .join(asked, asked.c.id == DutySwap.to_member_id)
            .where(*node)
            .order_by(DutySwap.id.desc())
            .limit(limit)
        )
        return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

    async def decide_swap(self, swap_id: int, accept: bool, now: datetime) -> bool:
        """Accept (the slot changes hands, if still the asker's) or decline a pending request."""
        res = await self.conn.execute(
            update(DutySwap)
            .where(DutySwap.id == swap_id, DutySwap.status == "pending")
            .values(status="accepted" if accept else "declined", decided_at=now)
        )
        if not res.rowcount:
            return False
        if accept:
            swap = await self.swap(swap_id)
            assert swap is not None
            moved = await self.conn.execute(
                update(DutyAssignment)
                .where(
                    DutyAssignment.id == swap[0],
                    DutyAssignment.member_id == swap[1],
                    DutyAssignment.checked_in_at.is_(None),
                )
                .values(member_id=swap[2])
            )
            return bool(moved.rowcount)
        return True

    # -- recurring shifts (值班规则) ---------------------------------------------------------
    async def add_rule(self, rule: dict[str, Any], now: datetime) -> int:
        res = await self.conn.execute(insert(DutyRule).values(**rule, created_at=now).returning(DutyRule.id))
        return int(res.scalar_one())

    async def rules(self, region_id: int | None = None) -> list[DutyRuleRec]:
        """The active rules (of one region, or all), oldest first."""
        q = select(*_RULE_COLS).where(DutyRule.status == "active")
        if region_id is not None:
            q = q.where(DutyRule.region_id == region_id)
        return [DutyRuleRec(*r) for r in await self.conn.execute(q.order_by(DutyRule.id))]

    async def rule(self, rule_id: int) -> DutyRuleRec | None:
        row = (await self.conn.execute(select(*_RULE_COLS).where(DutyRule.id == rule_id))).first()
        return DutyRuleRec(*row) if row else None

    async def rule_dates(self, rule_id: int) -> set[date]:
        """The nominal dates a rule already has shifts for."""
        rows = await self.conn.execute(select(DutyShift.occurs_on).where(DutyShift.rule_id == rule_id))
        return {r[0] for r in rows if r[0] is not None}

    async def rule_starts(self, rule_id: int, after: datetime) -> list[datetime]:
        """When the rule's shifts after a moment start, soonest first."""
        rows = await self.conn.execute(
            select(DutyShift.starts_at)
            .where(DutyShift.rule_id == rule_id, DutyShift.starts_at > after)
            .order_by(DutyShift.starts_at)
        )
        return [r[0] for r in rows]

    async def stop_rule(self, rule_id: int, now: datetime) -> list[int]:
        """Cancel a rule and drop its shifts still to come that nobody checked in to; their ids."""
        await self.conn.execute(update(DutyRule).where(DutyRule.id == rule_id).values(status="cancelled"))
        started = select(DutyAssignment.shift_id).where(DutyAssignment.checked_in_at.is_not(None))
        ids = [
            int(r[0])
            for r in await self.conn.execute(
                select(DutyShift.id).where(
                    DutyShift.rule_id == rule_id, DutyShift.starts_at > now, DutyShift.id.not_in(started)
                )
            )
        ]
        if ids:
            await self.conn.execute(
                delete(DutySwap).where(
                    DutySwap.assignment_id.in_(select(DutyAssignment.id).where(DutyAssignment.shift_id.in_(ids)))
                )
            )
            await self.conn.execute(delete(DutyAssignment).where(DutyAssignment.shift_id.in_(ids)))
            await self.conn.execute(delete(DutyShift).where(DutyShift.id.in_(ids)))
        return ids


@dataclass(frozen=True, slots=True)
class RotationState:
    """A region's hosting order: position 0 hosts the period starting `start_month`, each period
    after that the next one does, moved on by the turns skipped."""

    start_month: str  # YYYY-MM
    skipped: int
    order: list[tuple[int, str]]  # (branch id, name)
    cadence: str  # month / quarter


@dataclass
class RotationRepo:
    conn: AsyncConnection

    async def set_order(self, region_id: int, branch_ids: list[int], start_month: str, cadence: str) -> None:
        await self.conn.execute(delete(HostingTurn).where(HostingTurn.region_id == region_id))
        await self.conn.execute(
            insert(HostingTurn),
            [{"region_id": region_id, "position": i, "branch_id": b} for i, b in enumerate(branch_ids)],
        )
        await self.conn.execute(delete(Rotation).where(Rotation.region_id == region_id))
        await self.conn.execute(
            insert(Rotation).values(region_id=region_id, start_month=start_month, skipped=0, cadence=cadence)
        )

    async def state(self, region_id: int) -> RotationState | None:
        """The region's order, or None if it has none."""
        rot = (
            await self.conn.execute(
                select(Rotation.start_month, Rotation.skipped, Rotation.cadence).where(Rotation.region_id == region_id)
            )
        ).first()
        if rot is None:
            return None
        order = await self.conn.execute(
            select(HostingTurn.branch_id, Branch.name)
            .join(Branch, Branch.id == HostingTurn.branch_id)
            .where(HostingTurn.region_id == region_id)
            .order_by(HostingTurn.position)
        )
        return RotationState(str(rot[0]), int(rot[1]), [(int(b), str(n)) for b, n in order], str(rot[2]))

    async def regions(self) -> list[int]:
        """The regions that have a hosting order."""
        return [int(r[0]) for r in await self.conn.execute(select(Rotation.region_id).order_by(Rotation.region_id))]

    async def skip(self, region_id: int) -> None:
        await self.conn.execute(
            update(Rotation).where(Rotation.region_id == region_id).values(skipped=Rotation.skipped + 1)
        )

    async def exchange(self, region_id: int, first: int, second: int) -> None:
        """Swap the positions of two branches in the order."""
        rows = dict(
            (
                await self.conn.execute(
                    select(HostingTurn.branch_id, HostingTurn.position).where(
                        HostingTurn.region_id == region_id, HostingTurn.branch_id.in_((first, second))
                    )
                )
            ).all()
        )
        for branch, other in ((first, second), (second, first)):
            await self.conn.execute(
                update(HostingTurn)
                .where(HostingTurn.region_id == region_id, HostingTurn.position == rows[other])
                .values(branch_id=branch)
            )

    async def record(self, region_id: int, period: str, branch_id: int, now: datetime, *, replace: bool) -> None:
        """Write who hosts a period: once when it opens; `replace` when the order changed during it."""
        found = (
            await self.conn.execute(
                select(HostingRecord.branch_id).where(
                    HostingRecord.region_id == region_id, HostingRecord.period == period
                )
            )
        ).first()
        if found is None:
            await self.conn.execute(
                insert(HostingRecord).values(region_id=region_id, period=period, branch_id=branch_id, opened_at=now)
            )
        elif replace and found[0] != branch_id:
            await self.conn.execute(
                update(HostingRecord)
                .where(HostingRecord.region_id == region_id, HostingRecord.period == period)
                .values(branch_id=branch_id)
            )

    async def records(self, region_id: int, limit: int = 12) -> list[tuple[str, int, str]]:
        """The latest periods' hosts, newest first: (period, branch id, branch name)."""
        rows = await self.conn.execute(
            select(HostingRecord.period, HostingRecord.branch_id, Branch.name)
            .join(Branch, Branch.id == HostingRecord.branch_id)
            .where(HostingRecord.region_id == region_id)
            .order_by(HostingRecord.period.desc())
            .limit(limit)
        )
        return [(str(p), int(b), str(n)) for p, b, n in rows]
