"""Points store under contention: M members each ask for one unit of an item with S in stock, then
an admin approves all M requests at once through two app instances (each with its own
engine and writer, as two processes would have) sharing the database.

Everything goes through the chat router ("兑换 纪念章", "批准兑换 N") on a fresh database (SQLite
file by default, or --url). Printed: requests/s, approvals/s (the contended step: stock and
balance checked and changed together), how many were approved (must equal S), and whether every
balance reconciles with the ledger to the point.

    .venv/bin/python bench/ledger.py                     # M=1,000, S=100, SQLite
    .venv/bin/python bench/ledger.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.intake import T0, setup
from bot.app import App, build_app
from bot.settings import Settings
from handlers.core.ports import FakeClock, Incoming
from storage.migrate import wipe_postgres
from storage.models import Member, PointBalance, PointEntry, Redemption, StoreItem
from storage.uow import UnitOfWork

ITEM, PRICE, GRANT = "纪念章", 30, 100


async def say(app: App, chat: str, user: str, text: str, key: str) -> str:
    replies = await app.router.dispatch(
        Incoming(platform="bench", chat_id=chat, user_id=user, text=text, update_id=key)
    )
    return str(replies[0].text) if replies else ""


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--stock", type=int, default=100)
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite+aiosqlite:///{Path(tmp) / 'ledger.db'}"
        if args.url:
            await wipe_postgres(url)
        clock = FakeClock(T0)
        apps = [await build_app(Settings(database_url=url), clock) for _ in range(2)]
        people = await setup(apps[0], args.members, max(1, args.members // 100), 1)
        admin_chat, admin = people[0]

        async def seed(conn: Any) -> None:
            await conn.execute(update(Member).where(Member.id == 1).values(role="admin"))
            uow = UnitOfWork(conn, T0)
            for m in range(args.members):
                await uow.points.credit(
                    m + 1, GRANT, reason="manual:bench", source="manual", ref=None, operator=None, now=T0
                )
            await uow.store.put(1, ITEM, PRICE, args.stock)

        await apps[0].db.unit(seed)
        apps[0].services.directory.forget_account("bench", admin)

        t = time.perf_counter()
        asked = await asyncio.gather(
            *(say(apps[i % 2], chat, user, f"兑换 {ITEM}", f"r{i}") for i, (chat, user) in enumerate(people))
        )
        t_requests = time.perf_counter() - t
        ids = [r[0] for r in await apps[0].db.read(lambda c: _all(c, select(Redemption.id)))]
        t = time.perf_counter()
        answers = await asyncio.gather(
            *(say(apps[i % 2], admin_chat, admin, f"批准兑换 {rid}", f"a{rid}") for i, rid in enumerate(ids))
        )
        t_approvals = time.perf_counter() - t
        approved = sum(a.startswith("✅") for a in answers)
        ledger = dict(
            await apps[0].db.read(
                lambda c: _all(
                    c, select(PointEntry.member_id, func.sum(PointEntry.amount)).group_by(PointEntry.member_id)
                )
            )
        )
        balances = dict(await apps[0].db.read(lambda c: _all(c, select(PointBalance.member_id, PointBalance.balance))))
        stock = (await apps[0].db.read(lambda c: _all(c, select(StoreItem.stock))))[0][0]
        for app in apps:
            await app.close()
    requested = sum("兑换申请" in a for a in asked)
    matches = all(int(ledger[m]) == balances[m] for m in balances) and set(ledger) == set(balances)
    spent = sum(GRANT - b for b in balances.values())
    engine = "postgresql" if args.url else "sqlite"
    print(
        f"ledger ({engine}, two app instances with their own engines): {args.members:,} members, "
        f"one item with {args.stock} in stock\n"
        f"  requests  {requested:,} in {t_requests:.2f} s = {requested / t_requests:,.0f}/s\n"
        f"  approvals {len(ids):,} in {t_approvals:.2f} s = {len(ids) / t_approvals:,.0f}/s; "
        f"approved {approved} (stock left {stock}), refused {len(ids) - approved}\n"
        f"  balances reconcile with the ledger: {'yes' if matches else 'NO'}; points spent {spent:,} "
        f"= {approved} x {PRICE}: {'yes' if spent == approved * PRICE else 'NO'}; negative balances: "
        f"{sum(b < 0 for b in balances.values())}"
    )


async def _all(conn: Any, stmt: Any) -> list[Any]:
    return list((await conn.execute(stmt)).all())


if __name__ == "__main__":
    asyncio.run(main())
