"""The web console under load: the overview and an event page of a region of 200 branches and
10,000 members, served by uvicorn on the loopback in processes of their own (as `dangjian web
--workers 2` runs: two processes sharing the port, one per core), asked 500 times each with 8
requests in flight by a logged-in client in this process.

The region is the one bench/export.py builds (a year of events, sign-ins, duty, ideas, points),
with the console's clock in the middle of that year, so "this month" has 200 activity days and a
secretary meeting. The event pages asked are one branch's activity day (50 expected) and, apart,
the region's Party lesson (10,000 expected: counts per branch, a page of 25 branches), plain and
with one branch's names opened. Printed: p50 / p99 / max in milliseconds and
requests per second. Target: p99 under 100 ms.

    .venv/bin/python bench/web.py                      # SQLite
    .venv/bin/python bench/web.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/web.py --workers 1 --skip-lesson   # one process, the two pages the target names
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.export import build
from bot import workers as worker_procs
from bot.app import App, build_app
from bot.runtime import until_signalled
from bot.settings import Settings
from bot.web.serve import WebServer, start_workers
from handlers.core.ports import FakeClock
from handlers.weblink import issue_link
from storage.migrate import wipe_postgres
from storage.models import Event
from storage.uow import UnitOfWork

NOW = datetime(2025, 6, 20, 4, 0, tzinfo=UTC)  # mid-June of the built year, noon in Shanghai


def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def hammer(client: httpx.AsyncClient, path: str, n: int, inflight: int) -> tuple[list[float], float]:
    """n GETs of path, `inflight` at a time; (latencies, wall seconds)."""
    latencies: list[float] = []
    queue = iter(range(n))

    async def worker() -> None:
        for _ in queue:
            t = time.perf_counter()
            answer = await client.get(path)
            latencies.append(time.perf_counter() - t)
            assert answer.status_code == 200, (path, answer.status_code)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(inflight)))
    return latencies, time.perf_counter() - start


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--branches", type=int, default=200)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--inflight", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="console processes (dangjian web --workers)")
    parser.add_argument("--skip-lesson", action="store_true", help="leave out the region-wide lesson's page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite+aiosqlite:///{Path(tmp) / 'web.db'}"
        if args.url:
            await wipe_postgres(url)
        t = time.perf_counter()
        app = await build_app(Settings(database_url=url, log_level="WARNING"), FakeClock(NOW))
        counts = await build(url, args.members, branch_size=args.members // args.branches)
        print(f"built in {time.perf_counter() - t:.1f} s: {args.members} members, {args.branches} branches, {counts}")

        async def pick(conn: object) -> tuple[str, int, int]:
            uow = UnitOfWork(conn, NOW)  # type: ignore[arg-type]
            link = await issue_link(uow, app.services.policy, 1)  # the regional secretary
            june = select(Event.id, Event.kind, Event.branch_id).where(
                Event.starts_at >= datetime(2025, 6, 1, tzinfo=UTC), Event.starts_at < NOW
            )
            rows = (await uow.conn.execute(june)).all()
            day = next(r[0] for r in rows if r[1] == "activity_day")
            lesson = (
                next(r[0] for r in rows if r[1] == "party_lesson" and r[2] is None)
                if any(r[1] == "party_lesson" for r in rows)
                else day
            )
            return link, day, lesson

        link, day, lesson = await app.db.unit(pick)
        await app.close()
        # the console in a process of its own (its own core), as `dangjian web` runs; this one asks
        port = free_port()
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--serve",
            str(port),
            "--url",
            url,
            "--workers",
            str(args.workers),
            stdout=asyncio.subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            limits = httpx.Limits(max_connections=args.inflight)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
                for _ in range(600):
                    try:
                        if (await client.get("/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                first = await client.get("/login?" + link.split("?", 1)[1])
                assert first.status_code == 303, first.text
                pages = [("overview", "/"), ("event page (activity day, 50 expected)", f"/events/{day}")]
                if not args.skip_lesson:
                    pages.append(("event page (Party lesson, region-wide)", f"/events/{lesson}"))
                    pages.append(("the same, one branch opened", f"/events/{lesson}?branch=7"))
                print(f"console: {args.workers} process(es)")
                for label, path in pages:
                    await hammer(client, path, 20, args.inflight)  # warm up
                    lat, wall = await hammer(client, path, args.requests, args.inflight)
                    print(
                        f"{label}: {args.requests} requests, {args.inflight} in flight: "
                        f"p50 {ms(lat, 0.5):.1f} ms, p99 {ms(lat, 0.99):.1f} ms, max {max(lat) * 1000:.1f} ms, "
                        f"mean {statistics.mean(lat) * 1000:.1f} ms, {args.requests / wall:.0f} req/s"
                    )
        finally:
            server.terminate()
            await server.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def bench_app() -> App:
    """The console's app on the built database, its clock in the built year (each worker's)."""
    return await build_app(Settings(database_url=os.environ["DANGJIAN_BENCH_URL"], log_level="WARNING"), FakeClock(NOW))


async def serve(port: int, url: str, workers: int) -> None:
    """The console on the built database in `workers` processes sharing the port, as
    `dangjian web --workers N` runs it; until SIGTERM."""
    os.environ["DANGJIAN_BENCH_URL"] = url
    stop = until_signalled(None)
    if workers == 1:
        server = WebServer(await bench_app(), f"127.0.0.1:{port}")
        await server.start()
        await stop.wait()
        return
    procs = await asyncio.to_thread(start_workers, f"127.0.0.1:{port}", workers, bench_app)
    try:
        await stop.wait()
    finally:
        await asyncio.to_thread(worker_procs.stop, procs)


if __name__ == "__main__":
    if "--serve" in sys.argv:
        where = sys.argv.index("--serve")
        processes = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 1
        asyncio.run(serve(int(sys.argv[where + 1]), sys.argv[sys.argv.index("--url") + 1], processes))
    else:
        asyncio.run(main())
