"""The inbox across processes (PostgreSQL): what a process that does not lead stores is taken by
the leader at once (told at commit, not found at its next sweep), and a new leader takes up
everything the gone one held."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from bot.delivery.inbox import Inbox, Ticket
from handlers.core.ports import SystemClock
from storage.db import Database


class Handled:
    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.at: dict[str, float] = {}

    async def __call__(self, body: str, _ticket: Ticket) -> Sequence[Any]:
        self.bodies.append(body)
        self.at[body] = time.monotonic()
        return []


async def test_what_another_process_stores_the_leader_takes_at_once(pg_url: str) -> None:
    dbs = [await Database.open(pg_url) for _ in range(2)]
    leading = Handled()
    receiving = Handled()
    # a minute between sweeps: only the notification can bring the update over quickly
    leader = Inbox(dbs[0], SystemClock(), "telegram", leading, stale_s=180, owner="leader")
    other = Inbox(dbs[1], SystemClock(), "telegram", receiving, stale_s=180, owner="other", leading=lambda: False)
    try:
        await leader.start()
        await other.start()
        await asyncio.sleep(0.3)  # the leader listens
        put_at = {}
        for n in range(20):
            put_at[f"u{n}"] = time.monotonic()
            await other.put(str(n), f"u{n}")
        for _ in range(100):
            if len(leading.bodies) == 20:
                break
            await asyncio.sleep(0.05)
        assert sorted(leading.bodies) == sorted(put_at) and receiving.bodies == []
        waits = sorted(leading.at[b] - put_at[b] for b in put_at)
        assert waits[len(waits) // 2] < 0.3, waits  # within milliseconds, not at the next sweep
        await other.put("5", "u5")  # a redelivery: stored before, handled once
        await asyncio.sleep(0.3)
        assert len(leading.bodies) == 20
    finally:
        await other.stop()
        await leader.stop()
        for db in dbs:
            await db.close()


async def test_a_new_leader_takes_up_what_the_old_one_held(pg_url: str) -> None:
    db = await Database.open(pg_url)
    stuck = asyncio.Event()

    async def never(_body: str, _ticket: Ticket) -> Sequence[Any]:
        await stuck.wait()
        return []

    old = Inbox(db, SystemClock(), "telegram", never, stale_s=180, owner="far-away:1:aa.1")
    handled = Handled()
    new = Inbox(db, SystemClock(), "telegram", handled, stale_s=180, owner="here")
    try:
        for n in range(3):
            await old.put(str(n), f"b{n}")  # held by a process on another host that then died
        await new.start()
        assert handled.bodies == []  # its claims are fresh: a sweep leaves them
        await new.lead()  # the lease changed hands: the one who held them is gone
        await new.drained()
        assert sorted(handled.bodies) == ["b0", "b1", "b2"]
    finally:
        stuck.set()
        await old.stop()
        await new.stop()
        await db.close()
