"""The points ledger (积分) and the points store (积分超市).

Points move only through `PointsRepo`: every change is a ledger row and the member's balance is
adjusted in the same statement sequence, inside the caller's transaction. A debit is a guarded
UPDATE (balance >= amount) and a stock decrement likewise (stock >= 1): racing redemptions on
SQLite and PostgreSQL can neither overdraw a balance nor oversell an item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Insert, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Member, PointBalance, PointEntry, PointRule, Redemption, StoreItem
from storage.sql import bump_version, insert_ignoring_conflicts

# adds to a balance, creating it if needed: plain SQL (SQLite and PostgreSQL both have ON CONFLICT …
# excluded), cheap on the sign-in hot path where it runs for many rows at once
_CREDIT_MANY = text(
    "INSERT INTO point_balances (member_id, balance) VALUES (:m, :b) "
    "ON CONFLICT (member_id) DO UPDATE SET balance = point_balances.balance + excluded.balance"
)


@cache
def _ledger_statement(dialect: str) -> Insert:
    """A new ledger row unless its ref is there already, returning who got how much."""
    return insert_ignoring_conflicts(dialect, PointEntry).returning(PointEntry.member_id, PointEntry.amount)


def award_many(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Credit ledger rows (member_id, amount > 0, reason, source, ref, operator_id, at) whose ref is
    new, in two multi-row statements; the sync form, for the sign-in batch. Returns rows added."""
    if not rows:
        return 0
    dialect = conn.dialect.name
    added = conn.execute(_ledger_statement(dialect), list(rows)).all()
    totals: dict[int, int] = {}
    for member_id, amount in added:
        totals[member_id] = totals.get(member_id, 0) + amount
    if totals:
        conn.execute(_CREDIT_MANY, [{"m": m, "b": a} for m, a in totals.items()])
    return len(added)


def _entry(
    member_id: int, amount: int, reason: str, source: str, ref: str | None, operator: int | None, now: datetime
) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "amount": amount,
        "reason": reason,
        "source": source,
        "ref": ref,
        "operator_id": operator,
        "at": now,
    }


@dataclass(frozen=True, slots=True)
class PointRuleRec:
    rule: str
    amount: int
    from_day: date
    set_by: str | None  # who set it, by name
    set_at: datetime


def rule_in_effect(rules: Sequence[PointRuleRec], rule: str, day: date, default: int) -> int:
    """What `rule` earns on `day`: the region's latest rule set from that day or before (`rules` in
    the order set), else the default."""
    found = [r for r in rules if r.rule == rule and r.from_day <= day]
    return max(found, key=lambda r: (r.from_day, r.set_at)).amount if found else default


@dataclass
class PointsRepo:
    conn: AsyncConnection

    async def rules(self, region_id: int) -> list[PointRuleRec]:
        """The region's points rules as set, oldest first (the history of 积分规则)."""
        q = (
            select(PointRule.rule, PointRule.amount, PointRule.from_day, Member.name, PointRule.set_at)
            .outerjoin(Member, Member.id == PointRule.set_by)
            .where(PointRule.region_id == region_id)
            .order_by(PointRule.set_at, PointRule.id)
        )
        return [PointRuleRec(*r) for r in await self.conn.execute(q)]

    async def set_rule(self, region_id: int, rule: str, amount: int, from_day: date, by: int, now: datetime) -> None:
        await self.conn.execute(
            insert(PointRule).values(
                region_id=region_id, rule=rule, amount=amount, from_day=from_day, set_by=by, set_at=now
            )
        )
        await bump_version(self.conn, "org")

    async def credit(
        self,
        member_id: int,
        amount: int,
        *,
        reason: str,
        source: str,
        ref: str | None,
        operator: int | None,
        now: datetime,
    ) -> bool:
        """Add points; False if `ref` was credited before (nothing changes then)."""
        assert amount > 0
        entry = _entry(member_id, amount, reason, source, ref, operator, now)
        stmt = insert_ignoring_conflicts(self.conn, PointEntry).values(**entry).returning(PointEntry.id)
        if (await self.conn.execute(stmt)).first() is None:
            return False
        await self.conn.execute(_CREDIT_MANY, {"m": member_id, "b": amount})
        return True

    async def debit(
        self,
        member_id: int,
        amount: int,
        *,
        reason: str,
        source: str,
        ref: str | None,
        operator: int | None,
        now: datetime,
    ) -> bool:
        """Take points if the balance covers them; False (and nothing changes) if it does not."""
        assert amount > 0
        res = await self.conn.execute(
            update(PointBalance)
            .where(PointBalance.member_id == member_id, PointBalance.balance >= amount)
            .values(balance=PointBalance.balance - amount)
        )
        if not res.rowcount:
            return False
        await self.conn.execute(
            insert(PointEntry).values(**_entry(member_id, -amount, reason, source, ref, operator, now))
        )
        return True

    async def reverse(self, ref: str, *, reason: str, operator: int | None, now: datetime) -> int:
        """Undo the credit recorded under `ref` with a new, negative row; returns the points taken
        back: all of them, or what is left if some were spent meanwhile (never below zero)."""
        row = (
            await self.conn.execute(select(PointEntry.member_id, PointEntry.amount).where(PointEntry.ref == ref))
        ).first()
        if row is None or row[1] <= 0:
            return 0
        member_id, amount = int(row[0]), min(int(row[1]), await self.balance(int(row[0])))
        if amount and await self.debit(
            member_id, amount, reason=reason, source="reversal", ref=f"{ref}:reversed", operator=operator, now=now
        ):
            return amount
        return 0

    async def earned_for(self, member_id: int, reason_like: str, since: datetime) -> int:
        """Points credited since a time for reasons matching a LIKE pattern (caps count with it)."""
        got = await self.conn.execute(
            select(func.coalesce(func.sum(PointEntry.amount), 0)).where(
                PointEntry.member_id == member_id,
                PointEntry.reason.like(reason_like),
                PointEntry.amount > 0,
                PointEntry.at >= since,
            )
        )
        return int(got.scalar() or 0)

    async def earned_most(self, region_id: int, member_id: int, since: datetime) -> tuple[int, int]:
        """(this member's, the region's highest) points earned since a time: what was given, not
        the store's refunds, nothing spent subtracted."""
        earned = func.sum(PointEntry.amount).label("earned")
        per_member = (
            select(PointEntry.member_id, earned)
            .join(Member, Member.id == PointEntry.member_id)
            .where(Member.region_id == region_id, PointEntry.at >= since, PointEntry.amount > 0)
            .where(PointEntry.source != "store")
            .group_by(PointEntry.member_id)
            .subquery()
        )
        mine = select(per_member.c.earned).where(per_member.c.member_id == member_id).scalar_subquery()
        row = (await self.conn.execute(select(mine, func.max(per_member.c.earned)))).one()
        return int(row[0] or 0), int(row[1] or 0)

    async def earned_by_member(self, region_id: int, since: datetime, until: datetime) -> dict[int, int]:
        """Each member's points earned in [since, until), as `earned_most` counts them."""
        rows = await self.conn.execute(
            select(PointEntry.member_id, func.sum(PointEntry.amount))
            .join(Member, Member.id == PointEntry.member_id)
            .where(Member.region_id == region_id, PointEntry.at >= since, PointEntry.at < until)
            .where(PointEntry.amount > 0, PointEntry.source != "store")
            .group_by(PointEntry.member_id)
        )
        return {int(m): int(n or 0) for m, n in rows}

    async def credited(self, member_id: int, reason_like: str, since: datetime) -> int:
        """How many credits since a time had reasons matching a LIKE pattern (monthly limits)."""
        got = await self.conn.execute(
            select(func.count()).where(
                PointEntry.member_id == member_id,
                PointEntry.reason.like(reason_like),
                PointEntry.amount > 0,
                PointEntry.at >= since,
            )
        )
        return int(got.scalar() or 0)

    async def balance(self, member_id: int) -> int:
        got = await self.conn.execute(select(PointBalance.balance).where(PointBalance.member_id == member_id))
        return int(got.scalar() or 0)

    async def recent(self, member_id: int, limit: int = 5) -> list[tuple[datetime, int, str]]:
        rows = await self.conn.execute(
            select(PointEntry.at, PointEntry.amount, PointEntry.reason)
            .where(PointEntry.member_id == member_id)
            .order_by(PointEntry.id.desc())
            .limit(limit)
        )
        return [(r[0], int(r[1]), r[2]) for r in rows]

    async def ranking(
        self, region_id: int, branch_id: int | None, since: datetime, limit: int = 10, until: datetime | None = None
    ) -> list[tuple[str, int]]:
        """Points earned since a time (spending not subtracted), best first."""
        q = (
            select(Member.name, func.sum(PointEntry.amount).label("earned"))
            .join(Member, Member.id == PointEntry.member_id)
            .where(Member.region_id == region_id, PointEntry.at >= since, PointEntry.amount > 0)
            .group_by(Member.id, Member.name)
            .order_by(func.sum(PointEntry.amount).desc(), Member.name)
            .limit(limit)
        )
        if branch_id is not None:
            q = q.where(Member.branch_id == branch_id)
        if until is not None:
            q = q.where(PointEntry.at < until)
        return [(r[0], int(r[1])) for r in await self.conn.execute(q)]


@dataclass(frozen=True, slots=True)
class ItemRec:
    id: int
    region_id: int
    name: str
    price: int
    stock: int
    active: bool


@dataclass(frozen=True, slots=True)
class RedemptionRec:
    id: int
    item_id: int
    item: str
    region_id: int
    member_id: int
    member: str
    price: int
    status: str
    platform: str
    chat_id: str


_ITEM_COLS = (StoreItem.id, StoreItem.region_id, StoreItem.name, StoreItem.price, StoreItem.stock, StoreItem.active)


@dataclass
class StoreRepo:
    conn: AsyncConnection

    async def items(self, region_id: int) -> list[ItemRec]:
        rows = await self.conn.execute(
            select(*_ITEM_COLS)
            .where(StoreItem.region_id == region_id, StoreItem.active.is_(True))
            .order_by(StoreItem.id)
        )
        return [ItemRec(*r) for r in rows]

    async def item(self, item_id: int) -> ItemRec | None:
        row = (await self.conn.execute(select(*_ITEM_COLS).where(StoreItem.id == item_id))).first()
        return ItemRec(*row) if row else None

    async def item_named(self, region_id: int, name: str) -> ItemRec | None:
        row = (
            await self.conn.execute(select(*_ITEM_COLS).where(StoreItem.region_id == region_id, StoreItem.name == name))
        ).first()
        return ItemRec(*row) if row else None

    async def put(self, region_id: int, name: str, price: int, stock: int) -> int:
        """Add an item, or change the price and add stock of an existing one; returns its id."""
        found = await self.item_named(region_id, name)
        if found is None:
            res = await self.conn.execute(
                insert(StoreItem)
                .values(region_id=region_id, name=name, price=price, stock=stock, active=True)
                .returning(StoreItem.id)
            )
            return int(res.scalar_one())
        await self.conn.execute(
            update(StoreItem)
            .where(StoreItem.id == found.id)
            .values(price=price, stock=StoreItem.stock + stock, active=True)
        )
        return found.id

    async def take_one(self, item_id: int) -> bool:
        res = await self.conn.execute(
            update(StoreItem).where(StoreItem.id == item_id, StoreItem.stock >= 1).values(stock=StoreItem.stock - 1)
        )
        return bool(res.rowcount)

    async def give_back(self, item_id: int) -> None:
        await self.conn.execute(update(StoreItem).where(StoreItem.id == item_id).values(stock=StoreItem.stock + 1))

    async def request(self, **values: Any) -> int:
        res = await self.conn.execute(insert(Redemption).values(status="pending", **values).returning(Redemption.id))
        return int(res.scalar_one())

    def _redemptions(self) -> Any:
        return (
            select(
                Redemption.id,
                Redemption.item_id,
                StoreItem.name.label("item"),
                StoreItem.region_id,
                Redemption.member_id,
                Member.name.label("member"),
                Redemption.price,
                Redemption.status,
                Redemption.platform,
                Redemption.chat_id,
            )
            .join(StoreItem, StoreItem.id == Redemption.item_id)
            .join(Member, Member.id == Redemption.member_id)
        )

    async def pending(self, region_id: int, branch_id: int | None = None, limit: int = 50) -> list[RedemptionRec]:
        """Requests waiting for a decision, oldest first (of one branch's members, if given)."""
        q = self._redemptions().where(StoreItem.region_id == region_id, Redemption.status == "pending")
        if branch_id is not None:
            q = q.where(Member.branch_id == branch_id)
        rows = await self.conn.execute(q.order_by(Redemption.id).limit(limit))
        return [RedemptionRec(**r._mapping) for r in rows]

    async def waiting(self, member_id: int, item_id: int) -> int | None:
        """The member's request for this item still waiting for a decision (its id), if any."""
        got = await self.conn.execute(
            select(Redemption.id).where(
                Redemption.member_id == member_id, Redemption.item_id == item_id, Redemption.status == "pending"
            )
        )
        return got.scalars().first()

    async def promised(self, member_id: int) -> int:
        """Points a member's requests still waiting for a decision would take."""
        got = await self.conn.execute(
            select(func.coalesce(func.sum(Redemption.price), 0)).where(
                Redemption.member_id == member_id, Redemption.status == "pending"
            )
        )
        return int(got.scalar_one())

    async def redemption(self, redemption_id: int) -> RedemptionRec | None:
        row = (await self.conn.execute(self._redemptions().where(Redemption.id == redemption_id))).first()
        return RedemptionRec(**row._mapping) if row else None

    async def decide(self, redemption_id: int, *, old: str, new: str, by: int | None, now: datetime) -> bool:
        """Move a redemption from `old` to `new`; False if someone else moved it first."""
        res = await self.conn.execute(
            update(Redemption)
            .where(Redemption.id == redemption_id, Redemption.status == old)
            .values(status=new, decided_by=by, decided_at=now)
        )
        return bool(res.rowcount)
