"""One bot on 1, 2 and 3 `dangjian run telegram` webhook processes (PostgreSQL), against a fake
Bot API in a process of its own that enforces Telegram's limits for the bot as a whole (30
messages a second, 20 a minute into one group; beyond them, 429).

2,000 members in 200 groups type 签到 within 3 s; the posts are spread round-robin over the
workers, as a reverse proxy would. One worker leads (jobs/leader.py): it handles every update and
sends every message, so the workers together keep one budget and one queue per group. For each
worker count it prints: confirmed members, 429s, confirmation messages per group (mean and
most), and when the last member was confirmed against the bound the limits allow (one message
per group at 30 a second: groups / 30 s), with the target 1.25 × bound + 1 s.

    .venv/bin/python bench/workers.py
    .venv/bin/python bench/workers.py --workers 1 2 3 --members 2000 --groups 200 --spread 3
    .venv/bin/python bench/workers.py --workers 1 --profile      # and the requests served each second

It also prints how long binding the groups took (each bind queues the pushes still to come
for its own chat), each worker's slowest acknowledgement (a webhook post's HTTP 200) and the busiest
second the fake counted. The workers log to LOG (BENCH_LOG_LEVEL=INFO for more than warnings).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import collections
import json
import random
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])

from sqlalchemy import func, select

from bench.webhook import LOG, Poster, bind_groups, free_port, prepare, scalar, start_workers
from storage.models import Attendance, InboxUpdate
from tests.fakes.telegram_api import RemoteFakeBotAPI, text_update


def confirmed_at(api: RemoteFakeBotAPI) -> dict[str, float]:
    """Each member's first confirmation: when the fake accepted the message naming them."""
    seen: dict[str, float] = {}
    for call in api.calls:
        if call.method != "sendMessage" or call.status != 200:
            continue
        for line in call.text.split("\n"):
            if line.startswith("✅ ") and line.endswith(" 签到成功"):
                seen.setdefault(line[2:-5], call.at)
    return seen


async def quiet(api: RemoteFakeBotAPI, for_s: float = 1.5) -> None:
    """Until the fake has been asked nothing for `for_s` seconds (the boards and bind answers out)."""
    count, since = -1, time.monotonic()
    while time.monotonic() - since < for_s:
        await asyncio.sleep(0.25)
        await api.refresh()
        if len(api.calls) != count:
            count, since = len(api.calls), time.monotonic()


async def handled(url: str) -> None:
    """Until every update the workers stored is handled."""
    while await scalar(url, select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status != "done")):
        await asyncio.sleep(0.25)


async def run(url: str, workers: int, members: int, groups: int, spread_s: float, profile: bool = False) -> None:
    api = await RemoteFakeBotAPI.start(free_port())
    procs: list[tuple[asyncio.subprocess.Process, str]] = []
    try:
        env = await prepare(url, members, groups, api.port)
        env["DANGJIAN_TELEGRAM_GROUP_PER_MINUTE"] = "19"
        procs = await start_workers(env, workers)
        binding = time.monotonic()
        await bind_groups(procs[0][1], groups)
        await handled(url)  # every bind handled,
        bound_in = time.monotonic() - binding
        await quiet(api)  # and its answer and sign-in board posted
        before = len(api.calls)
        rng = random.Random(7)
        arrivals = sorted((rng.uniform(0, spread_s), i) for i in range(members))
        lanes = 16  # connections posting at once, one request at a time each (as Telegram's own)
        posters = [[Poster(url) for _, url in procs] for _ in range(lanes)]
        posted: dict[str, float] = {}
        slowest = [0.0] * workers  # each worker's slowest acknowledgement
        start = time.monotonic()

        async def lane(k: int) -> None:
            for offset, i in arrivals[k::lanes]:
                await asyncio.sleep(max(0.0, start + offset - time.monotonic()))
                body = json.dumps(text_update(10_000 + i, -100 - i % groups, "签到", update_id=100_000 + i))
                posted[f"党员{i}"] = sent = time.monotonic()
                status = await posters[k][i % workers].post(body.encode())  # round-robin, as a proxy
                assert status == 200, status
                slowest[i % workers] = max(slowest[i % workers], time.monotonic() - sent)

        async def recorded() -> float:
            signed = select(func.count()).select_from(Attendance)
            while await scalar(url, signed) < members:
                await asyncio.sleep(0.1)
            return time.monotonic() - start

        recording = asyncio.create_task(recorded())
        await asyncio.gather(*(lane(k) for k in range(lanes)))
        acknowledged = time.monotonic() - start
        names = {f"党员{i}" for i in range(members)}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            await api.refresh()
            if names <= set(confirmed_at(api)):
                break
        recorded_in = await recording
        await asyncio.sleep(2)  # any second confirmation would show itself now
        await api.refresh()
        seen = confirmed_at(api)
        calls = api.calls[before:]
        per_group = [
            sum(1 for c in calls if c.chat == str(-100 - g) and c.status == 200 and "签到成功" in c.text)
            for g in range(groups)
        ]
        twice = sum(
            1
            for c in calls
            if c.status == 200 and c.method == "sendMessage"
            for line in c.text.split("\n")
            if line.endswith(" 签到成功")
        ) - len(seen)
        last = max(seen.values()) - start if seen else float("nan")
        waited = sorted(seen[n] - posted[n] for n in seen if n in posted)
        edits = sum(1 for c in calls if c.method == "editMessageText" and c.at - start <= last)
        bound = groups / 30
        sent = sorted(c.at for c in calls if c.status == 200)
        busiest = max((bisect.bisect_left(sent, t + 1.0) - k for k, t in enumerate(sent)), default=0)
        if profile:
            per_s = collections.Counter(int(t - start) for t in sent if t >= start)
            print(
                "  requests per second after the first post: " + " ".join(f"{per_s[s]}" for s in range(int(last) + 2))
            )
        target = 1.25 * bound + 1
        for row in posters:
            for poster in row:
                await poster.close()
        print(
            f"{workers} worker(s): {groups} groups bound (and handled) in {bound_in:.2f} s; "
            f"{members:,} members in {groups} groups type 签到 within {spread_s:g} s\n"
            f"  confirmed {len(names & set(seen)):,}/{members:,}"
            f" (confirmed twice: {twice}); 429s {api.rejected}; all acknowledged after {acknowledged:.2f} s,"
            f" recorded after {recorded_in:.2f} s; slowest acknowledgement by worker: "
            f"{', '.join(f'{w:.2f} s' for w in slowest)}\n"
            f"  confirmation messages per group: mean {statistics.mean(per_group):.1f}, most {max(per_group)}; "
            f"board edits before the last confirmation {edits}; busiest second {busiest} requests\n"
            f"  confirmation p50 {waited[len(waited) // 2]:.2f} s, p99 {waited[int(len(waited) * 0.99)]:.2f} s; "
            f"last confirmation {last:.2f} s after the first post; bound {bound:.2f} s; "
            f"target ≤ 1.25 × bound + 1 s = {target:.2f} s: {'met' if last <= target else 'MISSED'}"
        )
    finally:
        for proc, _ in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _ in procs:
            await proc.wait()
        await api.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--spread", type=float, default=3.0, help="seconds over which the sign-ins arrive")
    parser.add_argument("--profile", action="store_true", help="also print the requests the fake served each second")
    args = parser.parse_args()
    print(f"PostgreSQL {args.url.rsplit('@', 1)[-1]}; worker logs in {LOG}")
    for count in args.workers:
        await run(args.url, count, args.members, args.groups, args.spread, args.profile)


if __name__ == "__main__":
    asyncio.run(main())
