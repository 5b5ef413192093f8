"""The middle level (党总支 / 编组 between a region and its branches), their funds, and the
pairings of branches (结对共建)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from storage.models import Branch, Member, Pairing, Region, Unit, UnitBranch, UnitFund, UnitNorm
from storage.repos.compliance import NormRec
from storage.sql import bump_version, upsert

GENERAL, CLUSTER = "general", "cluster"  # 党总支, 编组


@dataclass(frozen=True, slots=True)
class UnitRec:
    id: int
    region_id: int
    name: str
    kind: str  # GENERAL / CLUSTER
    secretary_id: int | None
    secretary: str | None  # the 党总支书记's name
    lead_branch_id: int | None
    lead_branch: str | None  # the 编组's 组长单位
    activity_day: int | None
    branches: tuple[tuple[int, str], ...] = ()  # (id, name), by name
    norms: tuple[NormRec, ...] = ()  # its own (scope "unit"): events held for the whole unit

    @property
    def branch_ids(self) -> frozenset[int]:
        return frozenset(b for b, _ in self.branches)


@dataclass(frozen=True, slots=True)
class FundRec:
    unit: str
    on_day: date
    amount_fen: int  # > 0 returned to the unit, < 0 spent
    purpose: str
    recorded_by: str | None


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a pairing, as the other sees it."""

    region_id: int
    branch_id: int
    region: str  # across regions; "" within one
    branch: str
    label: str  # as a reader anywhere names it (with its region across regions)


@dataclass(frozen=True, slots=True)
class PairingRec:
    id: int
    a_branch_id: int
    a: str
    b_branch_id: int
    b: str
    note: str
    started_on: date  # a proposal's: the day it was proposed
    ended_on: date | None
    region_id: int = 0  # the region that made it (a's)
    b_region_id: int | None = None  # across regions (跨党委结对): b's region, asked to consent
    a_region: str = ""
    b_region: str = ""
    status: str = "active"  # active / proposed (awaiting b's committee) / declined

    def joins(self, one: int, other: int) -> bool:
        return {one, other} == {self.a_branch_id, self.b_branch_id}

    @property
    def across(self) -> bool:
        return self.b_region_id is not None

    @property
    def a_label(self) -> str:
        """a as a reader anywhere names it: with its region when the pairing crosses regions."""
        return f"{self.a_region} {self.a}" if self.across else self.a

    @property
    def b_label(self) -> str:
        return f"{self.b_region} {self.b}" if self.across else self.b

    def other_of(self, branch_id: int) -> Side:
        """The side paired with `branch_id`."""
        if branch_id == self.a_branch_id:
            return Side(self.b_region_id or self.region_id, self.b_branch_id, self.b_region, self.b, self.b_label)
        return Side(self.region_id, self.a_branch_id, self.a_region, self.a, self.a_label)


_A, _B, _RA, _RB = aliased(Branch), aliased(Branch), aliased(Region), aliased(Region)
_PAIRINGS = (
    select(
        Pairing.id,
        Pairing.a_branch_id,
        _A.name,
        Pairing.b_branch_id,
        _B.name,
        Pairing.note,
        Pairing.started_on,
        Pairing.ended_on,
        Pairing.region_id,
        Pairing.b_region_id,
        _RA.name,
        func.coalesce(_RB.name, ""),
        Pairing.status,
    )
    .join(_A, _A.id == Pairing.a_branch_id)
    .join(_B, _B.id == Pairing.b_branch_id)
    .join(_RA, _RA.id == Pairing.region_id)
    .outerjoin(_RB, _RB.id == Pairing.b_region_id)
)


class UnitRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def units(self, region_id: int) -> list[UnitRec]:
        """The region's units, by name, each with its branches (two queries whatever their number)."""
        lead = aliased(Branch)
        rows = await self.conn.execute(
            select(
                Unit.id,
                Unit.region_id,
                Unit.name,
                Unit.kind,
                Unit.secretary_id,
                Member.name,
                Unit.lead_branch_id,
                lead.name,
                Unit.activity_day,
            )
            .outerjoin(Member, Member.id == Unit.secretary_id)
            .outerjoin(lead, lead.id == Unit.lead_branch_id)
            .where(Unit.region_id == region_id)
            .order_by(Unit.name)
        )
        units = [UnitRec(*r) for r in rows]
        members = await self.conn.execute(
            select(UnitBranch.unit_id, Branch.id, Branch.name)
            .join(Branch, Branch.id == UnitBranch.branch_id)
            .join(Unit, Unit.id == UnitBranch.unit_id)
            .where(Unit.region_id == region_id)
            .order_by(Branch.name)
        )
        of: dict[int, list[tuple[int, str]]] = {}
        for unit_id, branch_id, name in members:
            of.setdefault(unit_id, []).append((branch_id, name))
        norms: dict[int, list[NormRec]] = {}
        for unit_id, kind, per, count in await self.conn.execute(
            select(UnitNorm.unit_id, UnitNorm.kind, UnitNorm.per, UnitNorm.count)
            .join(Unit, Unit.id == UnitNorm.unit_id)
            .where(Unit.region_id == region_id, UnitNorm.count > 0)
            .order_by(UnitNorm.kind)
        ):
            norms.setdefault(unit_id, []).append(NormRec(kind, "unit", per, count))
        return [replace(u, branches=tuple(of.get(u.id, ())), norms=tuple(norms.get(u.id, ()))) for u in units]

    async def set_norm(self, unit_id: int, norm: NormRec, *, by: int, now: datetime) -> None:
        """A unit's own norm of a kind (a count of 0: none any more)."""
        values = {"per": norm.per, "count": norm.count, "updated_by": by, "updated_at": now}
        await upsert(self.conn, UnitNorm, {"unit_id": unit_id, "kind": norm.kind}, values)

    async def named(self, region_id: int, name: str) -> UnitRec | None:
        return next((u for u in await self.units(region_id) if u.name == name), None)

    async def save(
        self,
        region_id: int,
        name: str,
        kind: str,
        now: datetime,
        *,
        branches: set[int] | None = None,
        **values: int | None,
    ) -> tuple[int, list[str]]:
        """Create the unit if new (its kind as said) and set what is given: its branches (each
        leaving any other unit; the names of the units they left), its secretary, lead branch or
        activity day."""
        unit_id = (
            await self.conn.execute(select(Unit.id).where(Unit.region_id == region_id, Unit.name == name))
        ).scalar()
        if unit_id is None:
            row = {"region_id": region_id, "name": name, "kind": kind, "created_at": now}
            unit_id = int((await self.conn.execute(insert(Unit).values(**row).returning(Unit.id))).scalar_one())
        if values:
            await self.conn.execute(update(Unit).where(Unit.id == unit_id).values(**values))
        left: list[str] = []
        if branches is not None:
            moved = await self.conn.execute(
                select(Unit.name)
                .join(UnitBranch, UnitBranch.unit_id == Unit.id)
                .where(UnitBranch.branch_id.in_(branches), UnitBranch.unit_id != unit_id)
                .distinct()
            )
            left = sorted(str(n) for n in moved.scalars())
            await self.conn.execute(
                delete(UnitBranch).where(or_(UnitBranch.unit_id == unit_id, UnitBranch.branch_id.in_(branches)))
            )
            if branches:
                await self.conn.execute(
                    insert(UnitBranch), [{"unit_id": unit_id, "branch_id": b} for b in sorted(branches)]
                )
        await bump_version(self.conn, "org")  # every process's chats see who manages what
        return unit_id, left

    async def managers(self, region_id: int) -> dict[int, frozenset[int]]:
        """Each member who manages a unit of the region (its 党总支书记; a 编组's lead branch's
        secretaries) -> the branches of the units they manage."""
        rows = await self.conn.execute(  # asked with every web page: the few columns it needs, one query
            select(Unit.id, Unit.secretary_id, Unit.lead_branch_id, UnitBranch.branch_id)
            .outerjoin(UnitBranch, UnitBranch.unit_id == Unit.id)
            .where(Unit.region_id == region_id)
        )
        heads: dict[int, tuple[int | None, int | None]] = {}
        branches: dict[int, set[int]] = {}
        for unit_id, secretary_id, lead_id, branch_id in rows:
            heads[unit_id] = (secretary_id, lead_id)
            if branch_id is not None:
                branches.setdefault(unit_id, set()).add(branch_id)
        leads = {lead for _, lead in heads.values() if lead is not None}
        secretaries: dict[int, list[int]] = {}
        if leads:
            leaders = await self.conn.execute(
                select(Member.branch_id, Member.id).where(
                    Member.branch_id.in_(leads), Member.role == "branch_secretary", Member.active.is_(True)
                )
            )
            for branch_id, member_id in leaders:
                secretaries.setdefault(branch_id, []).append(member_id)
        found: dict[int, set[int]] = {}
        for unit_id, (secretary_id, lead_id) in heads.items():
            who = ([secretary_id] if secretary_id is not None else []) + secretaries.get(lead_id or 0, [])
            for member_id in who:
                found.setdefault(member_id, set()).update(branches.get(unit_id, ()))
        return {m: frozenset(b) for m, b in found.items()}

    async def add_fund(
        self, unit_id: int, amount_fen: int, purpose: str, on_day: date, *, by: int, now: datetime
    ) -> None:
        row = {"unit_id": unit_id, "amount_fen": amount_fen, "purpose": purpose, "on_day": on_day}
        await self.conn.execute(insert(UnitFund).values(**row, recorded_by=by, recorded_at=now))

    async def funds(self, region_id: int, first: date, last: date) -> list[FundRec]:
        """The units' funds lines of these days, by unit and day."""
        rows = await self.conn.execute(
            select(Unit.name, UnitFund.on_day, UnitFund.amount_fen, UnitFund.purpose, Member.name)
            .join(Unit, Unit.id == UnitFund.unit_id)
            .outerjoin(Member, Member.id == UnitFund.recorded_by)
            .where(Unit.region_id == region_id, UnitFund.on_day >= first, UnitFund.on_day <= last)
            .order_by(Unit.name, UnitFund.on_day, UnitFund.id)
        )
        return [FundRec(*r) for r in rows]

    async def balance(self, unit_id: int) -> int:
        total = await self.conn.execute(select(func.sum(UnitFund.amount_fen)).where(UnitFund.unit_id == unit_id))
        return int(total.scalar() or 0)

    # 结对共建

    async def pairings(self, region_id: int, on: date | None = None, *, status: str = "active") -> list[PairingRec]:
        """The pairings a region is a side of (in force on `on`, if given; `status` "proposed": the
        proposals across regions, by it or to it), the earliest first."""
        q = _PAIRINGS.where(
            or_(Pairing.region_id == region_id, Pairing.b_region_id == region_id), Pairing.status == status
        )
        if on is not None:
            q = q.where(Pairing.started_on <= on, or_(Pairing.ended_on.is_(None), Pairing.ended_on > on))
        return [PairingRec(*r) for r in await self.conn.execute(q.order_by(Pairing.started_on, Pairing.id))]

    async def pairing(self, pairing_id: int) -> PairingRec | None:
        """One pairing, whatever its status."""
        row = (await self.conn.execute(_PAIRINGS.where(Pairing.id == pairing_id))).first()
        return PairingRec(*row) if row else None

    async def pair(
        self, region_id: int, a: int, b: int, note: str, today: date, *, by: int, now: datetime
    ) -> tuple[int, bool]:
        """Pair two branches from today (an existing pairing's note is replaced); (id, new)."""
        found = next((p for p in await self.pairings(region_id, today) if p.joins(a, b)), None)
        if found is not None:
            await self.conn.execute(update(Pairing).where(Pairing.id == found.id).values(note=note))
            return found.id, False
        row = {"region_id": region_id, "a_branch_id": a, "b_branch_id": b, "note": note, "started_on": today}
        new = await self.conn.execute(
            insert(Pairing).values(**row, recorded_by=by, recorded_at=now).returning(Pairing.id)
        )
        return int(new.scalar_one()), True

    async def unpair(self, region_id: int, a: int, b: int, today: date) -> bool:
        """End the pairing of two branches today (its joint events stay counted)."""
        found = next((p for p in await self.pairings(region_id, today) if p.joins(a, b)), None)
        if found is None:
            return False
        await self.conn.execute(update(Pairing).where(Pairing.id == found.id).values(ended_on=today))
        return True

    async def propose(
        self, region_id: int, a: int, b_region_id: int, b: int, note: str, today: date, *, by: int, now: datetime
    ) -> int:
        """Propose pairing this region's branch `a` with another region's branch `b` (in force once
        that region's committee consents)."""
        row = {"region_id": region_id, "a_branch_id": a, "b_region_id": b_region_id, "b_branch_id": b}
        new = await self.conn.execute(
            insert(Pairing)
            .values(**row, note=note, started_on=today, status="proposed", recorded_by=by, recorded_at=now)
            .returning(Pairing.id)
        )
        return int(new.scalar_one())

    async def settle(self, pairing_id: int, status: str, today: date, note: str | None = None) -> None:
        """A proposal consented to (active from today) or declined (or withdrawn) today; a pairing's note."""
        values: dict[str, object] = {"status": status, "started_on" if status == "active" else "ended_on": today}
        if note is not None:
            values["note"] = note
        await self.conn.execute(update(Pairing).where(Pairing.id == pairing_id).values(**values))
