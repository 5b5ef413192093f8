"""Telegram webhook mode as Telegram sees it: N sign-in updates posted over HTTP to 1, 2 and 4
`dangjian run telegram` worker processes behind one (round-robin) address, on PostgreSQL.

Each worker stores an update before answering 200 (bot/delivery/inbox.py) and handles it; the fake Bot
API (tests/fakes/telegram_api.py, over HTTP on 127.0.0.1, limits off) takes the
confirmations. For each worker count it prints:
  * acknowledged/s: updates answered 200 (stored) per second: what bounds Telegram's delivery rate
  * recorded/s: sign-ins committed per second, first post to last commit
  * p50/p99 of the HTTP answer time
The confirmations themselves go out at Telegram's pace (20 a minute per group, coalesced), so
they are counted, not timed.
and checks that every update was recorded once. The load comes from this process over plain
keep-alive connections (as Telegram's own); the fake Bot API runs in a process of its own.

    .venv/bin/python bench/webhook.py                  # 6,000 updates, 100 groups, 1/2/4 workers
    .venv/bin/python bench/webhook.py --url postgresql+asyncpg://user@host:5432/db --workers 1 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parents[1])

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from storage.migrate import wipe_postgres
from storage.models import Attendance, InboxUpdate
from tests.fakes.telegram_api import text_update

SECRET = "bench-webhook-secret"
REGION = "城东联合党委"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


LOG = Path(tempfile.gettempdir()) / "dangjian-bench-webhook.log"


async def cli(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    """A `dangjian` process; what it logs goes to LOG (a pipe nobody reads would stall it)."""
    with LOG.open("a") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli.main", *args, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log
        )


class Poster:
    """A keep-alive HTTP/1.1 connection posting JSON: much cheaper per request than a general
    client, so that the load generator is not what is measured."""

    def __init__(self, url: str) -> None:
        host_port, _, path = url.removeprefix("http://").partition("/")
        self.host, port = host_port.split(":")
        self.port, self.path = int(port), "/" + path
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def scalar(url: str, stmt: Any) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())
    finally:
        await engine.dispose()


async def prepare(url: str, members: int, groups: int, api_port: int) -> dict[str, str]:
    """A fresh database with the roster and an open lesson; the workers' environment."""
    await wipe_postgres(url)
    env = {
        **os.environ,
        "DANGJIAN_DATABASE_URL": url,
        "DANGJIAN_TELEGRAM_TOKEN": "123:BENCH",
        "DANGJIAN_TELEGRAM_BASE_URL": f"http://127.0.0.1:{api_port}/bot",
        "DANGJIAN_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg",
        "DANGJIAN_TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "DANGJIAN_TELEGRAM_WEBHOOK_PATH": "tg",
        "DANGJIAN_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "DANGJIAN_SIGNIN_OPENS_BEFORE_MIN": "2880",
        "DANGJIAN_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    }
    lines = ["姓名,支部,角色,手机,telegram_id,wecom_userid"]
    lines += [  # member g < groups is the secretary of branch g, who binds its group
        f"党员{i},第{i % groups}支部,{'支部书记' if i < groups else '党员'},,{10_000 + i}," for i in range(members)
    ]
    lines.append("区域管理员,第0支部,管理员,,,")  # publishes the lesson below from the command line
    with tempfile.TemporaryDirectory() as tmp:
        roster = Path(tmp) / "roster.csv"
        roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
        for args in (
            ("org", "import", str(roster), "--region", REGION),
            ("event", "create", "--region", REGION, "--kind", "专题党课", "--at", "明天 9:00", "--place", "党校"),
        ):
            done = await cli(env, *args)
            if await done.wait() != 0:
                raise SystemExit(f"{' '.join(args[:2])} failed: see {LOG}")
    return env


async def start_workers(env: dict[str, str], count: int) -> list[tuple[asyncio.subprocess.Process, str]]:
    workers = []
    for _ in range(count):
        port = free_port()
        proc = await cli({**env, "DANGJIAN_TELEGRAM_WEBHOOK_PORT": str(port)}, "run", "telegram")
        workers.append((proc, f"http://127.0.0.1:{port}/tg"))
    for proc, url in workers:
        host, port = url.removeprefix("http://").split("/")[0].split(":")
        for _ in range(600):
            try:
                _reader, writer = await asyncio.open_connection(host, int(port))
                writer.close()
                break
            except OSError:
                if proc.returncode is not None:
                    raise SystemExit(f"a worker stopped: see {LOG}") from None
                await asyncio.sleep(0.05)
    return workers


async def bind_groups(url: str, groups: int) -> None:
    """Each branch's secretary binds its group (member g is the secretary of branch g)."""
    setup = Poster(url)
    for g in range(groups):
        bind = text_update(10_000 + g, -100 - g, f"/bind@dangjian_bot 第{g}支部", update_id=1 + g)
        assert await setup.post(json.dumps(bind).encode()) == 200
    await setup.close()


async def run(url: str, workers: int, members: int, groups: int, concurrency: int) -> None:
    api_port = free_port()
    api = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.fakes.telegram_api", str(api_port))
    try:
        env = await prepare(url, members, groups, api_port)
        procs = await start_workers(env, workers)
        await bind_groups(procs[0][1], groups)
        done_rows = select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "done")
        while await scalar(url, done_rows) < groups:
            await asyncio.sleep(0.05)
        bodies = [
            json.dumps(text_update(10_000 + i, -100 - i % groups, "签到", update_id=1000 + i)).encode()
            for i in range(members)
        ]
        answer_ms: list[float] = []
        todo = iter(enumerate(bodies))

        async def connection(n: int) -> None:  # one keep-alive connection, like Telegram's own
            poster = Poster(procs[n % workers][1])
            for _i, body in todo:
                t = time.perf_counter()
                status = await poster.post(body)
                answer_ms.append((time.perf_counter() - t) * 1000)
                assert status == 200, status
            await poster.close()

        start = time.perf_counter()
        await asyncio.gather(*(connection(n) for n in range(concurrency)))
        acked = time.perf_counter() - start
        signed = select(func.count()).select_from(Attendance)
        while await scalar(url, signed) < len(bodies):
            await asyncio.sleep(0.02)
        recorded_in = time.perf_counter() - start
        for proc, _ in procs:
            proc.send_signal(signal.SIGTERM)
        for proc, _ in procs:
            await proc.wait()
        recorded = await scalar(url, select(func.count()).select_from(Attendance))
        q = statistics.quantiles(answer_ms, n=100, method="inclusive")
        print(
            f"{workers} worker(s): {len(bodies)} updates over {concurrency} connections: "
            f"acknowledged {len(bodies) / acked:,.0f}/s, recorded {len(bodies) / recorded_in:,.0f}/s; "
            f"HTTP answer p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms; recorded {recorded} (must be {len(bodies)})"
        )
    finally:
        api.terminate()
        await api.wait()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--members", type=int, default=6000, help="each sends one 签到")
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    args = parser.parse_args()
    print(f"PostgreSQL {args.url.rsplit('@', 1)[-1]}")
    for count in args.workers:
        await run(args.url, count, args.members, args.groups, args.concurrency)


if __name__ == "__main__":
    asyncio.run(main())
