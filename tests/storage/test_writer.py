"""The single writer: a webhook's acknowledgement does not wait behind the handling queued before it."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from storage.db import Database
from storage.models import InboxUpdate
from storage.repos.inbox import InboxPut

NOW = datetime.fromisoformat("2026-12-01T09:00:00+08:00")


async def test_an_update_is_stored_before_the_units_queued_ahead_of_it(db_url: str) -> None:
    db = await Database.open(db_url, migrate=False)
    try:
        started, release = asyncio.Event(), asyncio.Event()
        order: list[tuple[str, int]] = []  # each unit as it ran, and the updates stored by then

        async def kept(conn: Any) -> int:
            return int((await conn.execute(select(func.count()).select_from(InboxUpdate))).scalar_one())

        async def slow(conn: Any) -> None:  # the handling under way when the post arrives
            started.set()
            await release.wait()
            order.append(("under way", await kept(conn)))

        def queued(name: str) -> Any:
            async def unit(conn: Any) -> None:
                order.append((name, await kept(conn)))

            return unit

        running = asyncio.create_task(db.unit(slow))
        await started.wait()  # the writer is in it
        waiting = [asyncio.create_task(db.unit(queued(f"handling {i}"))) for i in range(3)]
        await asyncio.sleep(0)  # each task queues its unit at its first step
        stored = asyncio.create_task(db.batch(InboxPut("telegram", "u1", "{}", None, NOW)))
        await asyncio.sleep(0)
        assert not stored.done()  # queued behind the unit under way
        release.set()
        await asyncio.gather(running, *waiting, stored)
        # stored before the three queued ahead of it ran, and they kept their order
        assert order == [("under way", 0), ("handling 0", 1), ("handling 1", 1), ("handling 2", 1)]
        assert isinstance(stored.result(), int)
    finally:
        await db.close()
