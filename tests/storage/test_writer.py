"""The single writer: a webhook's acknowledgement does not wait behind the handling queued before it,
nor commit with a large batch of the handling's writes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from storage.db import BatchWrite, Database
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


SEEN: list[tuple[str, int, Any]] = []  # (kind, batch size, its transaction) as each batch applied them


@dataclass(frozen=True)
class Handled(BatchWrite[None]):
    """A batchable write of the handling (a sign-in's rows)."""

    batch_key: ClassVar[str] = "test-handled"
    n: int

    @classmethod
    def apply_many(cls, conn: Connection, items: Sequence[Handled]) -> list[None]:
        SEEN.append(("handled", len(items), conn.get_transaction()))
        return [None for _ in items]


@dataclass(frozen=True)
class Acknowledged(BatchWrite[None]):
    """A write an acknowledgement waits for (as an update's store is)."""

    batch_key: ClassVar[str] = "test-acknowledged"
    urgent: ClassVar[bool] = True
    n: int

    @classmethod
    def apply_many(cls, conn: Connection, items: Sequence[Acknowledged]) -> list[None]:
        SEEN.append(("acknowledged", len(items), conn.get_transaction()))
        return [None for _ in items]


async def test_what_an_acknowledgement_waits_for_commits_in_a_batch_of_its_own_taking_turns_with_the_rest(
    db_url: str,
) -> None:
    db = await Database.open(db_url, migrate=False)
    try:
        started, release = asyncio.Event(), asyncio.Event()

        async def slow(conn: Any) -> None:
            started.set()
            await release.wait()

        running = asyncio.create_task(db.unit(slow))
        await started.wait()
        SEEN.clear()
        first = [asyncio.create_task(db.batch(Handled(i))) for i in range(40)]
        acks = [asyncio.create_task(db.batch(Acknowledged(i))) for i in range(3)]
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(running, *first, *acks)
        # queued last, committed first and apart from the 40 queued before them
        assert [(kind, size) for kind, size, _ in SEEN] == [("acknowledged", 3), ("handled", 40)]
        assert SEEN[0][2] is not SEEN[1][2]

        # with both kept coming, they take turns: the handling is not held back by acknowledgements
        SEEN.clear()
        for round_ in range(3):
            more = [db.batch(Handled(i)) for i in range(5)] + [db.batch(Acknowledged(round_))]
            await asyncio.gather(*more)
        kinds = [kind for kind, _, _ in SEEN]
        assert kinds == ["acknowledged", "handled"] * 3

        # an urgent unit (the leader taking what other processes stored) goes before what was queued
        started.clear()
        release.clear()
        SEEN.clear()

        def unit(name: str) -> Any:
            async def fn(conn: Any) -> None:
                SEEN.append((name, 1, None))

            return fn

        running = asyncio.create_task(db.unit(slow))
        await started.wait()
        queued = [asyncio.create_task(db.batch(Handled(i))) for i in range(5)]
        queued.append(asyncio.create_task(db.unit(unit("unit"))))
        queued.append(asyncio.create_task(db.unit(unit("urgent unit"), urgent=True)))
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(running, *queued)
        assert [kind for kind, _, _ in SEEN] == ["urgent unit", "handled", "unit"]
    finally:
        await db.close()
