"""WeCom: sign-ins through the AI bot long connection end to end, and webhook pushes in limits.

1. long connection: a fake WeCom server on 127.0.0.1 (tests/fakes/wecom.py) sends --n "@党建助手
   签到" callbacks from --members members in --groups groups, --inflight at a time, to the real
   transport over a real WebSocket; each is routed, committed and answered with an
   aibot_respond_msg frame. Prints messages/s and p50/p99 from callback sent to reply received.
2. webhook: --pushes notices to one group with a robot key through the outbox and dispatcher into
   a fake webhook that refuses more than 20 per window (WeCom: a minute; here a second, on both
   sides, so the run is short). Prints pushes/s, the most in any window, refused and lost.

    .venv/bin/python bench/wecom.py                   # SQLite; --url postgresql+asyncpg://… for PostgreSQL
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from sqlalchemy import func, select

from bench.intake import T0, setup
from bot.app import build_app
from bot.delivery.outbound import Limits
from bot.settings import Settings
from bot.wecom.transport import WeComTransport
from handlers.bulletins import NoticePush
from handlers.core.ports import FakeClock
from jobs.dispatcher import Dispatcher
from storage.migrate import wipe_postgres
from storage.models import Attendance
from storage.repos.chats import ChatRepo
from storage.repos.outbox import OutboxRepo
from tests.bot.wecom.conftest import free_port
from tests.fakes.wecom import BOT_ID, SECRET, FakeWebhook, FakeWeComServer, text_message


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=3_000)
    parser.add_argument("--members", type=int, default=3_000)
    parser.add_argument("--groups", type=int, default=30)
    parser.add_argument("--inflight", type=int, default=100)
    parser.add_argument("--pushes", type=int, default=100)
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    server, webhook = FakeWeComServer(), FakeWebhook(keys={"K"}, window_s=1.0)
    port, hook_port = await server.start(), free_port()
    http = webhook.serve(hook_port)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite+aiosqlite:///{Path(tmp) / 'wecom.db'}"
        if args.url:
            await wipe_postgres(url)
        settings = Settings(
            database_url=url,
            wecom_bot_id=BOT_ID,
            wecom_bot_secret=SECRET,
            wecom_ws_url=f"ws://127.0.0.1:{port}",
            wecom_webhook_url=f"http://127.0.0.1:{hook_port}/cgi-bin/webhook/send",
            log_level="WARNING",
        )
        clock = FakeClock(T0)
        app = await build_app(settings, clock)
        people = await setup(
            app, args.members, args.groups, 1, platform="wecom", chat="wr-g{}".format, user="u{}".format
        )
        clock.set(T0 + timedelta(minutes=5))  # every group's sign-in window is open
        transport = WeComTransport(app, settings)
        await transport.start()
        assert await transport.link.wait_ready(10)

        answered: dict[str, float] = {}
        sent_at: dict[str, float] = {}
        gate = asyncio.Semaphore(args.inflight)
        done = asyncio.Event()
        original = server._notify

        async def notify() -> None:
            for frame in server.sent[len(answered) :]:
                if frame["cmd"] == "aibot_respond_msg":
                    rid = frame["headers"]["req_id"]
                    if rid not in answered:
                        answered[rid] = time.perf_counter()
                        gate.release()
            if len(answered) >= args.n:
                done.set()
            await original()

        server._notify = notify  # type: ignore[method-assign]
        t0 = time.perf_counter()
        for i in range(args.n):
            chat, user = people[i % len(people)]
            await gate.acquire()
            body = text_message(user, "@党建助手 签到", chat, msgid=f"b{i}")
            sent_at[await server.callback(body)] = time.perf_counter()
        await asyncio.wait_for(done.wait(), 120)
        elapsed = time.perf_counter() - t0
        latencies = sorted(answered[r] - sent_at[r] for r in sent_at)
        rows = await app.db.read(lambda c: _scalar(c, select(func.count()).select_from(Attendance)))

        await app.db.unit(lambda c: ChatRepo(c).set_push_key("wecom", people[0][0], "K"))

        async def queue(conn: Any) -> None:
            for i in range(args.pushes):
                await OutboxRepo(conn).enqueue(
                    key=f"n{i}",
                    purpose="notice",
                    event_id=None,
                    platform="wecom",
                    chat_id=people[0][0],
                    due_at=clock.now(),
                    payload=NoticePush(text=f"第{i}条", by="基准", ref=f"n{i}").model_dump(),
                )

        await app.db.unit(queue)
        transport.outbound.configure(Limits(per_chat_per_minute=20, chat_window_s=1.0))  # a minute shortened to 1 s
        dispatcher = Dispatcher(app.services, {"wecom": transport})
        t1 = time.perf_counter()
        pushed = 0
        while pushed < args.pushes and time.perf_counter() - t1 < 60:
            pushed += await dispatcher.run_once()
        push_s = time.perf_counter() - t1
        times = [t for t, _, _ in webhook.received]
        busiest = max(sum(1 for u in times if t <= u < t + 1.0) for t in times) if times else 0
        await transport.stop()
        await app.close()
    await server.stop()
    http.stop()
    engine = "postgresql" if args.url else "sqlite"
    print(
        f"wecom long connection ({engine}): {args.n:,} sign-ins from {args.members:,} members in {args.groups} groups, "
        f"{args.inflight} in flight\n"
        f"  {args.n / elapsed:,.0f} messages/s end to end  p50 {statistics.median(latencies) * 1000:.1f} ms  "
        f"p99 {statistics.quantiles(latencies, n=100)[98] * 1000:.1f} ms  attendance rows {rows:,}  "
        f"reconnects {server.subscribed - 1}\n"
        f"wecom webhook: {args.pushes} pushes to one key, limit 20 per window (a minute on WeCom, 1 s here)\n"
        f"  {len(times) / push_s:.1f} pushes/s (the first window starts with a burst of 20); most in any window "
        f"{busiest}; refused {webhook.refused}; lost {args.pushes - len(times)}"
    )


async def _scalar(conn: Any, stmt: Any) -> int:
    return int((await conn.execute(stmt)).scalar_one())


if __name__ == "__main__":
    asyncio.run(main())
