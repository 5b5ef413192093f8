"""Fan-out: N reminders due in the same minute to K chats, through the outbox and the dispatcher.

A fresh database (SQLite file by default, or --url) gets K bound group chats and N/K Party-lesson
events, and one reminder row per event and chat, all due at the same moment T. The real
dispatcher renders them and the real outbound path sends them into a fake Telegram that enforces the platform's limits,
scaled up by --scale so the run is short (×10: 300 messages/s overall, 200/min per group),
answering 429 beyond them. Printed:

  * achieved throughput as a fraction of the overall limit (N / (last send - T) / limit);
  * lateness beyond the floor the limit imposes: the k-th message cannot leave before
    T + k / limit, so lateness_k = sent_k - (T + k / limit), p50 and p99;
  * lost (rows never sent) and duplicates (a row sent twice), and the 429s received.

    .venv/bin/python bench/fanout.py                     # N=10,000, K=2,000, ×10, SQLite
    .venv/bin/python bench/fanout.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import tempfile
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bot.app import build_app
from bot.delivery.outbound import PLATFORM_LIMITS, Limits, Outbound
from bot.settings import Settings
from handlers.core.ports import ChatRef, Delivery, Reply
from handlers.events import window_times
from handlers.pushes import EventPush
from jobs.dispatcher import Dispatcher
from storage.migrate import wipe_postgres
from storage.models import Branch, ChatBinding, Event, Outbox, Region
from storage.repos.outbox import OutboxRepo


class LimitedTelegram:
    """The remote side: Telegram's flood limits (scaled), a record of every accepted message."""

    platform = "telegram"

    def __init__(self, per_second: float, per_chat_minute: float) -> None:
        self.per_second, self.per_chat_minute = per_second, per_chat_minute
        self.window: deque[float] = deque()
        self.chats: dict[str, deque[float]] = {}
        self.accepted: list[tuple[float, str]] = []  # (time, text first line + chat)
        self.rejected = 0
        self.outbound: Outbound | None = None  # whose admission each request passes, as the real adapter's

    def paced(self, chat_id: str) -> bool:
        return True

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> Delivery:
        return Delivery(ok=True, message_id=message_id)

    async def send_now(self, chat_id: str, reply: Reply) -> Delivery:
        if self.outbound is None:
            return self._arrive(chat_id, reply)
        async with self.outbound.admitted():
            return self._arrive(chat_id, reply)

    def _arrive(self, chat_id: str, reply: Reply) -> Delivery:
        chat = ChatRef(self.platform, chat_id)
        now = time.monotonic()
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        mine = self.chats.setdefault(chat.chat_id, deque())
        while mine and now - mine[0] >= 60.0:
            mine.popleft()
        if len(self.window) >= self.per_second or len(mine) >= self.per_chat_minute:
            self.rejected += 1
            return Delivery(ok=False, retry_after=1.0, error="429")
        self.window.append(now)
        mine.append(now)
        self.accepted.append((now, f"{chat.chat_id}|{str(reply.text).splitlines()[0]}"))
        return Delivery(ok=True)


async def seed(db: Any, n: int, chats: int, due: datetime, policy: Any) -> None:
    per_chat = math.ceil(n / chats)
    starts = due + timedelta(days=1)

    async def work(conn: Any) -> None:
        region = (
            await conn.execute(insert(Region).values(name="基准联合党委", created_at=due).returning(Region.id))
        ).scalar_one()
        await conn.execute(
            insert(Branch),
            [{"id": c + 1, "region_id": region, "name": f"支部{c}", "created_at": due} for c in range(chats)],
        )
        await conn.execute(
            insert(ChatBinding),
            [
                {
                    "platform": "telegram",
                    "chat_id": f"-100{c}",
                    "region_id": region,
                    "branch_id": c + 1,
                    "created_at": due,
                }
                for c in range(chats)
            ],
        )
        times = window_times(policy, starts)
        await conn.execute(
            insert(Event),
            [
                {
                    "id": e + 1,
                    "region_id": region,
                    "branch_id": None,
                    "kind": "party_lesson",
                    "topic": f"第{e + 1}讲",
                    "place": "党校",
                    "status": "scheduled",
                    "created_at": due,
                    **times,
                }
                for e in range(per_chat)
            ],
        )
        rows = [
            {
                "dedupe_key": f"event:{e + 1}:reminder1440:telegram:-100{c}",
                "purpose": "reminder",
                "event_id": e + 1,
                "platform": "telegram",
                "chat_id": f"-100{c}",
                "payload": EventPush(event=e + 1, at="bench", minutes=1440).model_dump(),
                "due_at": due,
                "status": "pending",
                "attempts": 0,
            }
            for e in range(per_chat)
            for c in range(chats)
        ][:n]
        for i in range(0, len(rows), 2000):
            await conn.execute(insert(Outbox), rows[i : i + 2000])

    await db.unit(work)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite+aiosqlite:///{Path(tmp) / 'fanout.db'}"
        if args.url:
            await wipe_postgres(url)
        app = await build_app(Settings(database_url=url))
        real = PLATFORM_LIMITS["telegram"]
        limits = Limits(real.per_second * args.scale, real.per_chat_per_minute * args.scale)
        remote = LimitedTelegram(limits.per_second, limits.per_chat_per_minute)
        outbound = Outbound(
            "telegram",
            remote,
            limits,
            render_edit=partial(app.render_edit, "telegram"),
            on_gone=partial(app.set_chat_active, "telegram", active=False),
        )
        remote.outbound = outbound
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        await seed(app.db, args.n, args.chats, due, app.services.policy)
        dispatcher = Dispatcher(app.services, {"telegram": outbound})
        await asyncio.sleep((due - datetime.now(UTC)).total_seconds())
        t_due = time.monotonic()
        while len(remote.accepted) < args.n:
            if await dispatcher.run_once() == 0:
                await asyncio.sleep(0.2)
                if time.monotonic() - t_due > 10 * args.n / limits.per_second + 60:
                    break
        counts = await app.db.read(lambda c: OutboxRepo(c).count_by_status())
        await app.close()
    sent_keys = Counter(key for _, key in remote.accepted)
    duplicates = sum(v - 1 for v in sent_keys.values())
    times = sorted(t for t, _ in remote.accepted)
    duration = times[-1] - t_due
    rate = limits.per_second
    lateness = [t - (t_due + k / rate) for k, t in enumerate(times)]
    engine = "postgresql" if args.url else "sqlite"
    print(
        f"fanout ({engine}): {args.n:,} reminders to {args.chats:,} chats, limits ×{args.scale:g} "
        f"({rate:g}/s overall, {limits.per_chat_per_minute:g}/min per chat)\n"
        f"  throughput {len(times) / duration:,.1f}/s = {len(times) / duration / rate:.3f} of the limit "
        f"(ideal {args.n / rate:.1f} s, took {duration:.1f} s)\n"
        f"  lateness beyond the floor p50 {statistics.median(lateness) * 1000:.0f} ms  "
        f"p99 {statistics.quantiles(lateness, n=100)[98] * 1000:.0f} ms\n"
        f"  lost {args.n - len(sent_keys)}  duplicates {duplicates}  429s {remote.rejected}  outbox {counts}"
    )


if __name__ == "__main__":
    asyncio.run(main())
