"""Faults as an operator meets them, with real `dangjian run telegram` processes and the fake Bot
API (tests/fakes/telegram_api.py, limits off) in this process. For each fault it prints:
  * acknowledged: sign-in updates Telegram was told were received (HTTP 200, or taken by polling)
  * handled: sign-ins recorded in the database
  * lost: acknowledged members with no record or no confirmation
  * duplicated: confirmations beyond one per member, and records beyond one
  * recovery→last: seconds from the fault's end to the last confirmation sent

Faults:
  database  PostgreSQL (a private cluster) stopped with `pg_ctl stop -m immediate` halfway through
            a webhook burst (300 members, 20 in flight), kept down 8 s; whatever was not answered
            200 is posted again every 0.5 s, as Telegram does.
  bot-api   polling; the Bot API answers 502 to every call for 60 s while 100 members sign in,
            half before the outage (their confirmations meet it), half during it.
  restart   webhook; kill -9 mid-burst (300 members, the answers being sent never return), then a
            new process with the default stale time (30 s): seconds are from its start.

    .venv/bin/python bench/faults.py                        # all three
    .venv/bin/python bench/faults.py database --members 300 --outage 8
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parents[1])

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from storage.models import Attendance
from tests.fakes.telegram_api import FakeBotAPI, serve_http, text_update
from tests.pgcluster import Cluster, available

SECRET = "bench-faults-secret"
REGION = "城东联合党委"
PER_GROUP = 25
LOGS = Path(tempfile.mkdtemp(prefix="dangjian-bench-faults-"))


def uid(n: int) -> int:
    return 10_000 + n


def group_of(n: int) -> int:
    return -100 - n // PER_GROUP


def name(n: int) -> str:
    return f"党员{n:04d}"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def dangjian(env: dict[str, str], *args: str, log: str | None = None) -> asyncio.subprocess.Process:
    sink = (LOGS / log).open("ab") if log else asyncio.subprocess.DEVNULL
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli.main", *args, env=env, stdout=sink, stderr=sink
    )


class Bench:
    def __init__(self, members: int, db_url: str) -> None:
        self.members, self.db_url = members, db_url
        self.api = FakeBotAPI(enforce_limits=False, record=True)
        self.groups = sorted({group_of(n) for n in range(members)})
        self.env: dict[str, str] = {}

    async def prepare(self) -> None:
        port = free_port()
        self.server = await serve_http(self.api, port)
        self.env = {
            **os.environ,
            "DANGJIAN_DATABASE_URL": self.db_url,
            "DANGJIAN_TELEGRAM_TOKEN": "123:BENCH",
            "DANGJIAN_TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot",
            "DANGJIAN_SIGNIN_OPENS_BEFORE_MIN": "2880",
            "DANGJIAN_TELEGRAM_GROUP_PER_MINUTE": "600",
            "DANGJIAN_DISPATCH_INTERVAL_S": "0.2",
            "DANGJIAN_LOG_LEVEL": "WARNING",
        }
        roster = LOGS / "roster.csv"
        lines = ["姓名,支部,角色,手机,telegram_id,wecom_userid"]
        for n in range(self.members):
            role = "支部书记" if n % PER_GROUP == 0 else "党员"
            lines.append(f"{name(n)},第{-group_of(n) - 100}支部,{role},,{uid(n)},")
        lines.append(f"区域管理员,第{-group_of(0) - 100}支部,管理员,,,")  # publishes the lesson below
        roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
        for args in (
            ("org", "import", str(roster), "--region", REGION),
            ("event", "create", "--region", REGION, "--kind", "专题党课", "--at", "明天 9:00", "--place", "党校"),
        ):
            done = await dangjian(self.env, *args)
            assert await done.wait() == 0, args

    def binds(self) -> list[dict[str, Any]]:
        return [
            text_update(uid((-g - 100) * PER_GROUP), g, f"/bind@dangjian_bot 第{-g - 100}支部", update_id=900 + i)
            for i, g in enumerate(self.groups)
        ]

    def signins(self) -> list[dict[str, Any]]:
        return [text_update(uid(n), group_of(n), "签到", update_id=100_000 + n) for n in range(self.members)]

    def confirmations(self) -> tuple[Counter[str], float]:
        """How often each member was confirmed, and when the last confirmation was sent."""
        seen: Counter[str] = Counter()
        last = 0.0
        for call in self.api.of("sendMessage"):
            if call.chat not in {str(g) for g in self.groups} or call.status != 200:
                continue
            for line in call.text.split("\n"):
                if line.startswith("✅ ") and line.endswith(" 签到成功"):
                    seen[line[2:-5]] += 1
                    last = max(last, call.at)
        return seen, last

    async def until_bound(self, within: float = 30) -> None:
        """Until every group's bind was answered: the fault meets sign-ins in bound groups, not a
        sign-in racing its group's bind (which is answered, rightly, that the group is not bound)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            bound = {c.chat for c in self.api.of("sendMessage") if c.status == 200 and "本群已绑定到支部" in c.text}
            if len(bound) >= len(self.groups):
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("the groups' binds were not all answered")

    async def until_confirmed(self, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if len(self.confirmations()[0]) >= self.members:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(2)  # a second confirmation would show itself

    async def records(self) -> Counter[int]:
        engine = create_async_engine(self.db_url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(select(Attendance.member_id, func.count()).group_by(Attendance.member_id))
                return Counter({m: int(c) for m, c in rows.all()})
        finally:
            await engine.dispose()

    async def report(self, fault: str, acknowledged: int, recovered_at: float) -> None:
        seen, last = self.confirmations()
        records = await self.records()
        handled = len(records)
        lost = max(acknowledged - min(handled, len(seen)), 0)
        duplicated = sum(c - 1 for c in seen.values()) + sum(c - 1 for c in records.values())
        took = f"{last - recovered_at:.1f} s" if last >= recovered_at else "before recovery"
        print(
            f"{fault:<9} acknowledged {acknowledged:>4}  handled {handled:>4}  lost {lost:>3}  "
            f"duplicated {duplicated:>3}  recovery→last {took}",
            flush=True,
        )
        self.server.stop()


class Webhook:
    def __init__(self, env: dict[str, str], log: str) -> None:
        self.port = free_port()
        self.env = {
            **env,
            "DANGJIAN_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg",
            "DANGJIAN_TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
            "DANGJIAN_TELEGRAM_WEBHOOK_PORT": str(self.port),
            "DANGJIAN_TELEGRAM_WEBHOOK_PATH": "tg",
            "DANGJIAN_TELEGRAM_WEBHOOK_SECRET": SECRET,
        }
        self.log = log
        self.url = f"http://127.0.0.1:{self.port}/tg"

    async def start(self) -> None:
        self.proc = await dangjian(self.env, "run", "telegram", log=self.log)
        async with httpx.AsyncClient() as http:
            for _ in range(600):
                try:
                    await http.get(f"http://127.0.0.1:{self.port}/healthz")
                    return
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        raise SystemExit(f"the webhook server did not start; see {LOGS / self.log}")

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.proc.wait(), 60)


async def post(http: httpx.AsyncClient, url: str, update: dict[str, Any]) -> int | None:
    try:
        res = await http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    except httpx.TransportError:
        return None
    return res.status_code


async def database_fault(members: int, outage: float) -> None:
    cluster = Cluster().init()
    cluster.start()
    try:
        bench = Bench(members, cluster.url)
        await bench.prepare()
        worker = Webhook(bench.env, "database.log")
        await worker.start()
        acknowledged: set[int] = set()
        recovered: list[float] = []
        async with httpx.AsyncClient(timeout=10) as http:
            for u in bench.binds():
                assert await post(http, worker.url, u) == 200
            await bench.until_bound()
            in_flight = asyncio.Semaphore(20)

            async def deliver(update: dict[str, Any]) -> None:
                async with in_flight:
                    while await post(http, worker.url, update) != 200:
                        await asyncio.sleep(0.5)
                    acknowledged.add(update["update_id"])

            async def crash() -> None:
                while len(acknowledged) < members // 2:
                    await asyncio.sleep(0.01)
                await asyncio.to_thread(cluster.crash)
                await asyncio.sleep(outage)
                await asyncio.to_thread(cluster.start)
                recovered.append(time.monotonic())

            fault = asyncio.create_task(crash())
            await asyncio.gather(*(deliver(u) for u in bench.signins()))
            await fault
            await bench.until_confirmed(120)
        await worker.stop()
        await bench.report("database", len(acknowledged), recovered[0])
    finally:
        cluster.remove()


async def bot_api_fault(members: int, outage: float, db_url: str) -> None:
    bench = Bench(members, db_url)
    await bench.prepare()
    bot = await dangjian(bench.env, "run", "telegram", log="bot-api.log")
    for u in bench.binds():
        bench.api.queue_update(u)
    updates = bench.signins()
    half = len(updates) // 2
    await bench.until_bound()
    for u in updates[:half]:
        bench.api.queue_update(u)
    polls = bench.api.polls
    while bench.api.polls < polls + 2:
        await asyncio.sleep(0.01)
    bench.api.down = True
    down_at = time.monotonic()
    for u in updates[half:]:
        bench.api.queue_update(u)
    await asyncio.sleep(outage)
    bench.api.down = False
    recovered = time.monotonic()
    await bench.until_confirmed(120)
    bot.send_signal(signal.SIGTERM)
    await asyncio.wait_for(bot.wait(), 60)
    calls = sum(1 for at, _m in bench.api.refused if down_at <= at <= recovered)
    first = min((at for at, m in bench.api.served if at >= recovered), default=recovered)
    await bench.report("bot-api", len(updates), recovered)
    after = first - recovered
    print(f"          calls during the {outage:.0f} s outage: {calls}; first answered call {after:.1f} s after")


async def restart_fault(members: int, db_url: str) -> None:
    bench = Bench(members, db_url)
    await bench.prepare()
    first = Webhook(bench.env, "restart-1.log")
    await first.start()
    async with httpx.AsyncClient(timeout=10) as http:
        for u in bench.binds():
            assert await post(http, first.url, u) == 200
        await bench.until_bound()
        bench.api.hold_answers()
        acknowledged = 0
        for u in bench.signins():
            acknowledged += await post(http, first.url, u) == 200
        first.proc.send_signal(signal.SIGKILL)
        await first.proc.wait()
        bench.api.release()
        second = Webhook(bench.env, "restart-2.log")
        await second.start()
        started = time.monotonic()
        await bench.until_confirmed(60)
        await second.stop()
    await bench.report("restart", acknowledged, started)


async def fresh_pg() -> str:
    from storage.migrate import wipe_postgres

    url = os.environ.get("DANGJIAN_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    await wipe_postgres(url)
    return url


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("faults", nargs="*", default=["database", "bot-api", "restart"])
    parser.add_argument("--members", type=int, default=None, help="300 (database, restart), 100 (bot-api)")
    parser.add_argument("--outage", type=float, default=None, help="seconds: 8 (database), 60 (bot-api)")
    args = parser.parse_args()
    logging.getLogger("tornado.access").setLevel(logging.ERROR)  # the fake API's 502s are the point
    print(f"logs in {LOGS}", flush=True)
    for fault in args.faults:
        if fault == "database":
            why = available()
            if why:
                print(f"database: skipped ({why})")
                continue
            await database_fault(args.members or 300, args.outage or 8)
        elif fault == "bot-api":
            await bot_api_fault(args.members or 100, args.outage or 60, await fresh_pg())
        elif fault == "restart":
            await restart_fault(args.members or 300, await fresh_pg())
        else:
            parser.error(f"unknown fault {fault}")


if __name__ == "__main__":
    asyncio.run(main())
