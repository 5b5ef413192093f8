"""The organizational-year reports of a region: 200 branches, 10,000 members and a year of events
(built as in bench/export.py), then, each timed as the chat computes it: the compliance matrix
(组织生活, held / required of every norm for every branch) for a month, a quarter and the year; the
region's monthly report (月报) for November; the yearly evaluation (年评).

    .venv/bin/python bench/compliance.py
    .venv/bin/python bench/compliance.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.export import YEAR, build
from handlers.compliance import matrix
from handlers.core.timeparse import Period
from handlers.evaluation import evaluate
from handlers.monthly import compiled_params
from storage.db import Database
from storage.migrate import wipe_postgres
from storage.records import BindingRec
from storage.uow import UnitOfWork

TZ = ZoneInfo("Asia/Shanghai")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--branches", type=int, default=200)
    parser.add_argument("--url", default="", help="PostgreSQL URL (its public schema is wiped); default SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite+aiosqlite:///{Path(tmp) / 'compliance.db'}"
        if args.url:
            await wipe_postgres(url)
        t = time.perf_counter()
        counts = await build(url, args.members, branch_size=args.members // args.branches)
        print(f"built in {time.perf_counter() - t:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        db = await Database.open(url)
        try:
            now = datetime(YEAR + 1, 1, 1, tzinfo=UTC)
            for name, period in (
                ("month", Period(date(YEAR, 11, 1), date(YEAR, 12, 1), "month")),
                ("quarter", Period(date(YEAR, 10, 1), date(YEAR + 1, 1, 1), "quarter")),
                ("year", Period(date(YEAR, 1, 1), date(YEAR + 1, 1, 1), "year")),
            ):
                times = []
                for _ in range(5):
                    t = time.perf_counter()
                    found = await db.read(lambda c, p=period: matrix(UnitOfWork(c, now), 1, None, p, TZ))
                    times.append(time.perf_counter() - t)
                unmet = sum(not c.met for _b, _n, cells in found.branches for c in cells)
                print(f"compliance matrix, {name}: best {min(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms "
                      f"({len(found.branches)} branches, {unmet} norms unmet)")  # fmt: skip
            region_chat = BindingRec(0, "bench", "region", 1, None, True, None)
            november = date(YEAR, 11, 1)
            for name, report in (
                ("monthly report (November)",
                 lambda c: compiled_params(UnitOfWork(c, now), region_chat, november, {}, TZ)),
                ("yearly evaluation", lambda c: evaluate(UnitOfWork(c, now), 1, YEAR, TZ)),
            ):  # fmt: skip
                times = []
                for _ in range(3):
                    t = time.perf_counter()
                    await db.read(report)
                    times.append(time.perf_counter() - t)
                print(f"{name}: best {min(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms")
        finally:
            await db.close()
    backend = "PostgreSQL" if args.url else "SQLite"
    print(f"({backend})")


if __name__ == "__main__":
    asyncio.run(main())
