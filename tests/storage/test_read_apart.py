"""A long read (a ledger export) runs beside the bot: its own thread, one snapshot, no lock."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select

from storage.db import Database
from storage.models import Region

T = datetime(2026, 12, 1, tzinfo=UTC)


async def test_a_long_read_never_holds_up_a_write_and_sees_one_snapshot(db_url: str) -> None:
    db = await Database.open(db_url)
    try:
        await db.unit(lambda c: c.execute(insert(Region).values(name="甲", created_at=T)))
        reading, written = threading.Event(), threading.Event()

        async def slow_read(conn: Any) -> tuple[int, int]:
            count = select(func.count()).select_from(Region)
            before = (await conn.execute(count)).scalar_one()
            reading.set()
            await asyncio.to_thread(written.wait, 10)  # a write commits while this read is open
            return before, (await conn.execute(count)).scalar_one()

        read = asyncio.create_task(db.read_apart(slow_read))
        await asyncio.to_thread(reading.wait, 10)
        loop_answers = await asyncio.wait_for(asyncio.sleep(0, result="free"), 1)  # this loop still serves
        await asyncio.wait_for(db.unit(lambda c: c.execute(insert(Region).values(name="乙", created_at=T))), 2)
        written.set()
        assert loop_answers == "free"
        assert await read == (1, 1)  # one snapshot: the write made meanwhile is not half-seen
        assert await db.read(lambda c: _count(c)) == 2
    finally:
        await db.close()


async def _count(conn: Any) -> int:
    return int((await conn.execute(select(func.count()).select_from(Region))).scalar_one())
