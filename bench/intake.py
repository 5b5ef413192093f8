"""Sign-in intake: N sign-in messages from M members across K groups through router and storage.

Prints messages/s and p50/p99 latency (from handing a message to the router until its reply is
returned, i.e. after the commit). Runs on a fresh SQLite file by default, or on --url.

    .venv/bin/python bench/intake.py --n 20000 --members 5000 --groups 200
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import build_app
from bot.settings import Settings
from handlers.ports import FakeClock, Incoming
from storage.models import Attendance
from storage.repositories import UnitOfWork


async def setup(app, clock, members: int, groups: int, rounds: int) -> list[list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    """Create a region with one branch per group, members spread over them, accounts and events."""
    now = clock.now()

    async def work(conn):  # type: ignore[no-untyped-def]
        uow = UnitOfWork(conn, now)
        region = await uow.org.ensure_region("基准联合党委", now)
        people: list[list[tuple[str, str]]] = [[] for _ in range(groups)]
        for g in range(groups):
            branch = await uow.org.ensure_branch(region.id, f"支部{g}", now)
            await uow.org.bind_chat(platform="bench", chat_id=f"g{g}", region_id=region.id, branch_id=branch.id,
                                    by=None, now=now)
            for r in range(rounds):
                start = now + timedelta(hours=2 * r, minutes=10)
                await uow.events.create(
                    region_id=region.id, branch_id=branch.id, kind="activity_day", topic="", place="中心",
                    lecturer=None, starts_at=start, opens_at=start - timedelta(minutes=30),
                    late_after=start + timedelta(minutes=5), closes_at=start + timedelta(minutes=60),
                    status="scheduled", created_by=None, created_at=now,
                )
        for m in range(members):
            g = m % groups
            branch = await uow.org.ensure_branch(region.id, f"支部{g}", now)
            mid, _ = await uow.org.upsert_member(region_id=region.id, branch_id=branch.id, name=f"党员{m}",
                                                 role="member", phone=None, is_mobile=False, now=now)
            await uow.org.link_account(mid, "bench", f"user{m}", now)
            people[g].append((f"g{g}", f"user{m}"))
        return people

    return await app.db.unit(work)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000, help="sign-in messages")
    ap.add_argument("--members", type=int, default=5_000)
    ap.add_argument("--groups", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=64, help="messages in flight at once")
    ap.add_argument("--url", default=None, help="database URL (default: a fresh SQLite file)")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = args.url or f"sqlite+aiosqlite:///{Path(tmp.name) / 'bench.db'}"
    rounds = -(-args.n // args.members)
    clock = FakeClock(datetime.fromisoformat("2026-12-01T09:00:00+08:00"))
    app = await build_app(Settings(database_url=url, cache_ttl_s=60), clock)
    people = await setup(app, clock, args.members, args.groups, rounds)
    flat = [p for g in zip(*people, strict=False) for p in g]  # interleave groups
    latencies: list[float] = []
    replied = 0

    async def one(i: int, chat: str, user: str) -> None:
        nonlocal replied
        inc = Incoming(platform="bench", chat_id=chat, user_id=user, text="签到", update_id=f"b{i}")
        t = time.perf_counter()
        replies = await app.router.dispatch(inc)
        latencies.append(time.perf_counter() - t)
        replied += len(replies)

    sem = asyncio.Semaphore(args.concurrency)

    async def bounded(i: int, chat: str, user: str) -> None:
        async with sem:
            await one(i, chat, user)

    elapsed = 0.0
    sent = 0
    for r in range(rounds):
        clock.set(datetime.fromisoformat("2026-12-01T09:00:00+08:00") + timedelta(hours=2 * r, minutes=5))
        batch = flat[: min(len(flat), args.n - sent)]
        t0 = time.perf_counter()
        await asyncio.gather(*(bounded(sent + i, c, u) for i, (c, u) in enumerate(batch)))
        elapsed += time.perf_counter() - t0
        sent += len(batch)

    rows = await app.db.read(lambda c: UnitOfWork(c, clock.now()).conn.execute(
        Attendance.__table__.select().with_only_columns(Attendance.id)))
    stored = len(rows.all())
    lat = sorted(latencies)
    p50 = statistics.median(lat) * 1000
    p99 = lat[int(len(lat) * 0.99) - 1] * 1000
    print(f"database: {app.db.dialect}  messages: {sent}  members: {args.members}  groups: {args.groups}  "
          f"concurrency: {args.concurrency}")
    print(f"sign-ins/s: {sent / elapsed:,.0f}")
    print(f"latency p50: {p50:.2f} ms  p99: {p99:.2f} ms  max: {lat[-1] * 1000:.2f} ms")
    print(f"replies: {replied}  attendance rows: {stored}  (lost: {sent - stored})")
    await app.close()
    tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
