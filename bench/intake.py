"""Sign-in intake: N sign-in messages from M members across K groups through router and storage.

Two runs on a fresh database (SQLite file by default, or --url):
  1. saturation: --concurrency messages kept in flight; prints the highest sign-ins/s;
  2. offered load: messages arrive on their own schedule at --rate per second (open loop, as
     members tapping in a real meeting do); prints p50/p99 latency at that rate.
Latency is from handing the message to the router until its reply is returned, i.e. after the
commit. Each member signs in once per event; ceil(N/M) rounds of events are created.

    .venv/bin/python bench/intake.py --n 20000 --members 5000 --groups 200 --rate 2000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bot.app import App, build_app
from bot.settings import Settings
from handlers.core.outbox import queue
from handlers.core.ports import FakeClock, Incoming
from handlers.pushes import OPENING, EventPush
from storage.migrate import wipe_postgres
from storage.models import Attendance, Branch, ChatBinding, Event, Member, MemberAccount, Region
from storage.uow import UnitOfWork

T0 = datetime.fromisoformat("2026-12-01T09:00:00+08:00")


async def setup(
    app: App,
    members: int,
    groups: int,
    rounds: int,
    *,
    platform: str = "bench",
    chat: Callable[[int], str] = "g{}".format,
    user: Callable[[int], str] = "user{}".format,
) -> list[tuple[str, str]]:
    """One region, one branch and bound group per K, members spread over them, one event per round.

    Returns (chat id, user id) per member, in the platform's id forms given by chat and user.
    """
    now = T0

    async def work(conn: Any) -> None:
        rid = (
            await conn.execute(insert(Region).values(name="基准联合党委", created_at=now).returning(Region.id))
        ).scalar_one()
        await conn.execute(
            insert(Branch),
            [{"id": g + 1, "region_id": rid, "name": f"支部{g}", "created_at": now} for g in range(groups)],
        )
        await conn.execute(
            insert(ChatBinding),
            [
                {
                    "platform": platform,
                    "chat_id": chat(g),
                    "region_id": rid,
                    "branch_id": g + 1,
                    "active": True,
                    "created_at": now,
                }
                for g in range(groups)
            ],
        )
        await conn.execute(
            insert(Member),
            [
                {
                    "id": m + 1,
                    "region_id": rid,
                    "branch_id": m % groups + 1,
                    "name": f"党员{m}",
                    "role": "member",
                    "is_mobile": False,
                    "active": True,
                    "created_at": now,
                }
                for m in range(members)
            ],
        )
        await conn.execute(
            insert(MemberAccount),
            [{"member_id": m + 1, "platform": platform, "user_id": user(m), "linked_at": now} for m in range(members)],
        )
        events = []
        for r in range(rounds):
            start = now + timedelta(hours=2 * r, minutes=10)
            events += [
                {
                    "region_id": rid,
                    "branch_id": g + 1,
                    "kind": "activity_day",
                    "topic": "",
                    "place": "中心",
                    "starts_at": start,
                    "opens_at": start - timedelta(minutes=30),
                    "late_after": start + timedelta(minutes=5),
                    "closes_at": start + timedelta(minutes=60),
                    "status": "scheduled",
                    "created_at": now,
                }
                for g in range(groups)
            ]
        await conn.execute(insert(Event), events)

    await app.db.unit(work)
    return [(chat(m % groups), user(m)) for m in range(members)]


async def queue_openings(db: Any, now: datetime, chat: Callable[[int], str]) -> None:
    """Each event's sign-in opening (its board) due now in its group (groups as setup made them)."""

    async def work(conn: Any) -> None:
        uow = UnitOfWork(conn, now)
        for event_id, branch_id in (await conn.execute(select(Event.id, Event.branch_id))).all():
            payload = EventPush(event=event_id, at="bench")
            await queue(uow, OPENING, "telegram", chat(branch_id - 1), due=now, payload=payload, event_id=event_id)

    await db.unit(work)


async def run(
    app: App,
    clock: FakeClock,
    people: list[tuple[str, str]],
    n: int,
    first_id: int,
    first_round: int = 0,
    *,
    concurrency: int | None = None,
    rate: float | None = None,
) -> tuple[float, list[float], int]:
    """Push n sign-ins (one per member per round); returns (seconds, latencies, replies)."""
    latencies: list[float] = []
    replies = 0
    sem = asyncio.Semaphore(concurrency or 1_000_000)

    async def one(i: int, chat: str, user: str) -> None:
        nonlocal replies
        async with sem:
            inc = Incoming(platform="bench", chat_id=chat, user_id=user, text="签到", update_id=f"b{i}")
            t = time.perf_counter()
            out = await app.router.dispatch(inc)
            latencies.append(time.perf_counter() - t)
            replies += len(out)

    elapsed = 0.0
    done = 0
    r = first_round
    while done < n:
        clock.set(T0 + timedelta(hours=2 * r, minutes=5))
        batch = people[: min(len(people), n - done)]
        t0 = time.perf_counter()
        if rate is None:
            await asyncio.gather(*(one(first_id + done + i, c, u) for i, (c, u) in enumerate(batch)))
        else:
            tasks = []
            for i, (c, u) in enumerate(batch):
                due = t0 + i / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(first_id + done + i, c, u)))
            await asyncio.gather(*tasks)
        elapsed += time.perf_counter() - t0
        done += len(batch)
        r += 1
    return elapsed, latencies, replies


def describe(label: str, n: int, seconds: float, lat: list[float]) -> None:
    s = sorted(lat)
    p50 = statistics.median(s) * 1000
    p99 = s[max(0, int(len(s) * 0.99) - 1)] * 1000
    print(f"{label}: {n / seconds:,.0f} sign-ins/s  p50 {p50:.2f} ms  p99 {p99:.2f} ms  max {s[-1] * 1000:.2f} ms")


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000, help="sign-in messages per run")
    ap.add_argument("--members", type=int, default=5_000)
    ap.add_argument("--groups", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=64, help="messages in flight in the saturation run")
    ap.add_argument("--rate", type=float, default=2_000, help="offered sign-ins/s in the latency run")
    ap.add_argument("--url", default=None, help="a scratch PostgreSQL URL: it is emptied first (default: SQLite)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.url:
            await wipe_postgres(args.url)
        url = args.url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        rounds = -(-args.n // args.members)
        clock = FakeClock(T0)
        app = await build_app(Settings(database_url=url), clock)
        try:
            people = await setup(app, args.members, args.groups, 2 * rounds)
            print(f"database: {app.db.dialect}  N={args.n}  M={args.members}  K={args.groups}")
            sec, lat, rep1 = await run(app, clock, people, args.n, 0, concurrency=args.concurrency)
            describe(f"saturation ({args.concurrency} in flight)", args.n, sec, lat)
            # the second run uses the next rounds of events, so every sign-in is new again
            sec, lat, rep2 = await run(app, clock, people, args.n, args.n, rounds, rate=args.rate)
            describe(f"offered {args.rate:,.0f}/s (open loop)", args.n, sec, lat)
            stored = await app.db.read(lambda c: _count(c))
            print(f"replies: {rep1 + rep2}  attendance rows: {stored}  lost: {2 * args.n - stored}")
        finally:
            await app.close()


async def _count(conn: Any) -> int:
    return int((await conn.execute(select(func.count()).select_from(Attendance))).scalar_one())


if __name__ == "__main__":
    asyncio.run(main())
