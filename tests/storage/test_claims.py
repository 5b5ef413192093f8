"""A claim takes at most what it asks for. On PostgreSQL `UPDATE … WHERE id IN (SELECT … LIMIT n
FOR UPDATE SKIP LOCKED)` may run the sub-select again for each row it looks at, each time skipping
the rows it has just locked, and so take far more than n: one dispatcher asking for a window of
40 pushes took 560 of 600, and a second process found none to share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from storage.db import Database
from storage.models import InboxUpdate
from storage.uow import UnitOfWork

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


async def test_a_dispatcher_claims_its_window_and_no_more(db_url: str) -> None:
    db = await Database.open(db_url)
    try:

        async def seed(conn: Any) -> None:
            uow = UnitOfWork(conn, T0)
            region = await uow.org.ensure_region("城东联合党委", T0)
            for c in range(50):
                await uow.chats.bind_chat(
                    platform="console", chat_id=f"chat{c}", region_id=region.id, branch_id=None, by=None, now=T0
                )
                for n in range(12):
                    await uow.outbox.enqueue(
                        key=f"k:{c}:{n}", purpose="missed_report", event_id=None, platform="console",
                        chat_id=f"chat{c}", due_at=T0, payload={},
                    )  # fmt: skip

        await db.unit(seed)

        async def claim(owner: str) -> int:
            return len(await db.unit(lambda c: UnitOfWork(c, T0).outbox.claim(T0, 40, owner)))

        assert [await claim(f"p{i}") for i in range(16)] == [40] * 15 + [0]

        rows = [{"platform": "telegram", "update_key": f"u{n}", "body": "{}", "received_at": T0, "status": "processing"}
                for n in range(300)]  # fmt: skip
        await db.unit(lambda c: c.execute(insert(InboxUpdate), rows))

        async def take(owner: str) -> int:
            return len(await db.unit(lambda c: UnitOfWork(c, T0).inbox.take_unclaimed("telegram", owner, T0, 40)))

        assert [await take(f"p{i}") for i in range(9)] == [40] * 7 + [20, 0]
    finally:
        await db.close()
