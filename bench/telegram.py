"""Telegram: sign-in updates through the real python-telegram-bot Application, no network.

Two measurements, both against the recording fake Bot API (tests/fakes/telegram_api.py):
  1. throughput: --n sign-in updates (half typed 签到, half sign-in button presses answered
     with answerCallbackQuery) from --members members in --groups bound groups, pushed through
     Application.process_update with --concurrency in flight; prints updates/s and p50/p99 of
     the time process_update takes (to the reply handed over, after the commit). Telegram's
     limits are off here: the outbound budget and the flood limits are measured in part 2.
  2. rush: --rush-members members of one group sign in at random moments within --rush-s
     seconds against the fake enforcing 20 messages/min per group and 30/s; prints how long
     each waited to see a confirmation (toast or batched group reply), p50/p99/max, the group
     messages spent and the 429s received.
  3. many groups: --members members spread over --groups groups each type 签到 at a random
     moment within --groups-s seconds, after every group's sign-in board was posted, against
     the fake enforcing Telegram's limits; prints when the last member was confirmed, the
     platform's bound (one message per group at 30 a second: groups / 30 s), their ratio, the
     confirmation p50/p99, the messages and edits sent, the 429s and the most sends in any
     one-second window.

    .venv/bin/python bench/telegram.py                      # SQLite file, 10,000 updates, 120 s rush
    .venv/bin/python bench/telegram.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

# Run as a script, this file's folder comes first on sys.path and its name would hide the
# python-telegram-bot package: put the project root there instead.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from telegram import Update

from bench.intake import T0, queue_openings, setup
from bot.app import build_app, dispatcher_for
from bot.settings import Settings
from bot.telegram.transport import TelegramTransport
from handlers.core.ports import FakeClock
from storage.migrate import wipe_postgres
from storage.models import Attendance, Event
from tests.bot.telegram.conftest import start_tg
from tests.bot.telegram.rush import confirmed_at, prepare, rush, rush_roster
from tests.fakes.telegram_api import FakeBotAPI, FakeRequest, button_update, text_update


def ms(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1] * 1000


async def throughput(url: str, n: int, members: int, groups: int, concurrency: int) -> None:
    clock = FakeClock(T0)
    settings = Settings(database_url=url, telegram_token="123:BENCH")
    app = await build_app(settings, clock)
    api = FakeBotAPI(enforce_limits=False, record=False)
    transport = TelegramTransport(app, settings, request=FakeRequest(api))
    try:
        rounds = -(-n // members)
        people = await setup(
            app,
            members,
            groups,
            rounds,
            platform="telegram",
            chat=lambda g: str(-1_000_000 - g),
            user=lambda m: str(100_000 + m),
        )
        events = await app.db.read(lambda c: _events(c))
        await transport.start(receive=False)
        clock.set(T0 + timedelta(minutes=5))
        sem = asyncio.Semaphore(concurrency)
        latencies: list[float] = []

        updates = []  # built beforehand: parsing JSON is Telegram's side of the work, not ours
        for i in range(n):
            chat, uid = people[i % members]
            if i % 2:
                event = events[(int(chat), i // members)]
                raw = button_update(int(uid), int(chat), f"signin:{event}", message_id=1, update_id=i + 1)
            else:
                raw = text_update(int(uid), int(chat), "签到", update_id=i + 1)
            updates.append(Update.de_json(raw, transport.ptb.bot))

        async def one(update: Update) -> None:
            async with sem:
                t = time.perf_counter()
                await transport.ptb.process_update(update)
                latencies.append(time.perf_counter() - t)

        t0 = time.perf_counter()
        for r in range(rounds):  # one round of events at a time: each member signs in once per round
            clock.set(T0 + timedelta(hours=2 * r, minutes=5))
            await asyncio.gather(*(one(u) for u in updates[r * members : (r + 1) * members]))
        elapsed = time.perf_counter() - t0
        stored = await app.db.read(lambda c: _count(c))
        print(
            f"throughput ({app.db.dialect}, {concurrency} in flight): {n / elapsed:,.0f} updates/s  "
            f"p50 {ms(latencies, 0.5):.2f} ms  p99 {ms(latencies, 0.99):.2f} ms  "
            f"attendance rows {stored}/{n}"
        )
    finally:
        await transport.stop()
        await app.close()


async def _events(conn: Any) -> dict[tuple[int, int], int]:
    """(telegram chat id, round) -> event id, for the button's callback data."""
    rows = (await conn.execute(select(Event.id, Event.branch_id).order_by(Event.id))).all()
    rounds: Counter[int] = Counter()
    out: dict[tuple[int, int], int] = {}
    for event_id, branch_id in rows:
        out[(-1_000_000 - (branch_id - 1), rounds[branch_id])] = event_id
        rounds[branch_id] += 1
    return out


async def _count(conn: Any) -> int:
    return int((await conn.execute(select(func.count()).select_from(Attendance))).scalar_one())


async def rush_run(url: str, members: int, burst_s: float, tmp: Path) -> None:
    tg = await start_tg(url, tmp, api=FakeBotAPI(), roster=rush_roster(members))
    try:
        event_id = await prepare(tg)
        result = await rush(tg, event_id, members, burst_s)
        lat = result.latencies
        print(
            f"rush ({members} members in {burst_s:.0f} s, limits 20/min per group + 30/s): confirmation "
            f"p50 {ms(lat, 0.5) / 1000:.2f} s  p99 {ms(lat, 0.99) / 1000:.2f} s  max {max(lat):.2f} s  "
            f"group messages {result.group_messages} (vs {members} unbatched)  429s {result.rejected}"
        )
    finally:
        await tg.transport.stop()
        await tg.app.close()


async def groups_run(url: str, groups: int, members: int, spread_s: float) -> None:
    clock = FakeClock(T0)
    settings = Settings(database_url=url, telegram_token="123:BENCH")
    app = await build_app(settings, clock)
    api = FakeBotAPI()  # Telegram's limits enforced: 30/s overall, 20/min per group
    transport = TelegramTransport(app, settings, request=FakeRequest(api))
    try:
        people = await setup(
            app,
            members,
            groups,
            1,
            platform="telegram",
            chat=lambda g: str(-1_000_000 - g),
            user=lambda m: str(100_000 + m),
        )
        await transport.start(receive=False)
        clock.set(T0 + timedelta(minutes=5))  # the sign-in windows are open
        await queue_openings(app.db, clock.now(), lambda g: str(-1_000_000 - g))
        await dispatcher_for(app, {"telegram": transport}).run_once()  # every group's board, as at window open
        await transport.outbound.drained()
        await asyncio.sleep(1.2)  # the boards' second has passed
        first, rejected = len(api.calls), api.rejected
        rng = random.Random(7)
        arrivals = sorted((rng.uniform(0, spread_s), m) for m in range(members))
        updates = {
            m: Update.de_json(text_update(int(people[m][1]), int(people[m][0]), "签到"), transport.ptb.bot)
            for m in range(members)
        }
        sent_at: dict[str, float] = {}
        tasks = []
        start = time.monotonic()
        for offset, m in arrivals:
            delay = start + offset - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at[f"党员{m}"] = time.monotonic()
            tasks.append(asyncio.create_task(transport.ptb.process_update(updates[m])))
        await asyncio.gather(*tasks)
        await transport.outbound.drained()
        calls = [c for c in api.calls[first:] if c.method in ("sendMessage", "editMessageText")]
        seen = confirmed_at(calls)
        waited = [seen[n] - sent_at[n] for n in sent_at if n in seen]
        last = max(seen.values()) - start if seen else float("nan")
        bound = groups / 30
        accepted = sorted(c.at for c in calls if c.status == 200)
        busiest = (
            max(sum(1 for u in accepted[i : i + 40] if u - t < 1.0) for i, t in enumerate(accepted)) if accepted else 0
        )
        messages = sum(1 for c in calls if c.status == 200 and c.method == "sendMessage")
        edits = sum(1 for c in calls if c.status == 200 and c.method == "editMessageText")
        print(
            f"many groups ({app.db.dialect}): {members:,} members in {groups} groups type 签到 within {spread_s:g} s\n"
            f"  all confirmed after {last:.2f} s; bound {bound:.2f} s (one message per group at 30/s); "
            f"ratio {last / bound:.2f} (target ≤ 1.25 × bound + 1 s = {1.25 * bound + 1:.2f} s)\n"
            f"  confirmed {len(seen):,}/{members:,}; confirmation p50 {statistics.median(waited):.2f} s  "
            f"p99 {ms(waited, 0.99) / 1000:.2f} s\n"
            f"  sent {messages} messages + {edits} board edits; 429s {api.rejected - rejected}; "
            f"most sends in any 1 s window {busiest}"
        )
    finally:
        await transport.stop()
        await app.close()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="updates in the throughput run")
    ap.add_argument("--members", type=int, default=5_000)
    ap.add_argument("--groups", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--rush-members", type=int, default=150)
    ap.add_argument("--rush-s", type=float, default=120.0, help="length of the sign-in rush (0: skip it)")
    ap.add_argument("--groups-members", type=int, default=2_000, help="members in the many-groups run")
    ap.add_argument("--groups-s", type=float, default=3.0, help="spread of the many-groups run (0: skip it)")
    ap.add_argument("--only-groups", action="store_true", help="run only the many-groups measurement")
    ap.add_argument("--url", default=None, help="a scratch PostgreSQL URL: it is emptied first (default: SQLite)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        parts = ["groups"] if args.only_groups else ["bench", "rush", "groups"]
        for part in parts:
            url = args.url
            if url:
                await wipe_postgres(url)
            url = url or f"sqlite+aiosqlite:///{Path(tmp) / part}.db"
            if part == "groups":
                if args.groups_s > 0:
                    await groups_run(url, args.groups, args.groups_members, args.groups_s)
            elif part == "bench":
                await throughput(url, args.n, args.members, args.groups, args.concurrency)
            elif args.rush_s > 0:
                await rush_run(url, args.rush_members, args.rush_s, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
