"""党费: members' bases and monthly amounts, and the payments of each month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import DuesBase, DuesPayment, Member
from storage.sql import insert_ignoring_conflicts, upsert


@dataclass(frozen=True, slots=True)
class BaseRec:
    member_id: int
    from_month: str  # YYYY-MM
    category: str  # working / retired / low
    base_cents: int
    amount_cents: int


@dataclass(frozen=True, slots=True)
class PaymentRec:
    member_id: int
    member: str  # the member's name
    branch_id: int
    month: str
    amount_cents: int
    receipt_no: str | None
    paid_on: date


_PAYMENTS = select(
    DuesPayment.member_id,
    Member.name,
    DuesPayment.branch_id,
    DuesPayment.month,
    DuesPayment.amount_cents,
    DuesPayment.receipt_no,
    DuesPayment.paid_on,
).join(Member, Member.id == DuesPayment.member_id)


_BASES = select(
    DuesBase.member_id, DuesBase.from_month, DuesBase.category, DuesBase.base_cents, DuesBase.amount_cents
).order_by(DuesBase.member_id, DuesBase.from_month)


class DuesRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def set_base(
        self, *, region_id: int, member_id: int, from_month: str, category: str, base_cents: int, amount_cents: int,
        by: int | None, now: datetime,
    ) -> None:  # fmt: skip
        """The member's base from `from_month` on (set again in the same month: replaced)."""
        await upsert(
            self.conn,
            DuesBase,
            {"member_id": member_id, "from_month": from_month},
            {"region_id": region_id, "category": category, "base_cents": base_cents, "amount_cents": amount_cents,
             "set_by": by, "set_at": now},
        )  # fmt: skip

    async def bases(self, region_id: int) -> dict[int, list[BaseRec]]:
        """Every member's bases of the region, by member, oldest first."""
        rows = await self.conn.execute(_BASES.where(DuesBase.region_id == region_id))
        found: dict[int, list[BaseRec]] = {}
        for r in rows:
            found.setdefault(r[0], []).append(BaseRec(*r))
        return found

    async def bases_of(self, member_id: int) -> list[BaseRec]:
        """One member's bases, oldest first."""
        return [BaseRec(*r) for r in await self.conn.execute(_BASES.where(DuesBase.member_id == member_id))]

    async def pay(
        self, *, region_id: int, branch_id: int, member_id: int, month: str, amount_cents: int,
        receipt_no: str | None, paid_on: date, by: int | None, now: datetime,
    ) -> bool:  # fmt: skip
        """Record the month's payment once; False if that month was already paid."""
        done = await self.conn.execute(
            insert_ignoring_conflicts(self.conn, DuesPayment).values(
                region_id=region_id, branch_id=branch_id, member_id=member_id, month=month,
                amount_cents=amount_cents, receipt_no=receipt_no, paid_on=paid_on, recorded_by=by, recorded_at=now,
            )
        )  # fmt: skip
        return bool(done.rowcount)

    async def payments(
        self, region_id: int, first: str, last: str, member_ids: list[int] | None = None
    ) -> list[PaymentRec]:
        """The payments for the months first..last (YYYY-MM), by month then name."""
        q = _PAYMENTS.where(DuesPayment.region_id == region_id, DuesPayment.month.between(first, last))
        if member_ids is not None:
            q = q.where(DuesPayment.member_id.in_(member_ids))
        rows = await self.conn.execute(q.order_by(DuesPayment.month, DuesPayment.paid_on, DuesPayment.id))
        return [PaymentRec(*r) for r in rows]
