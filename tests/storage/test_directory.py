"""The lookup cache: fresh values are served, expired ones refreshed behind, local writes seen at once."""

from __future__ import annotations

import asyncio

from storage.db import Database
from storage.directory import Directory


async def test_stale_value_is_served_while_one_refresh_runs(sqlite_url: str) -> None:
    db = await Database.open(sqlite_url)
    try:
        directory = Directory(db, ttl=0.0)
        loads = 0
        gate = asyncio.Event()

        async def load() -> int:
            nonlocal loads
            loads += 1
            if loads > 1:
                await gate.wait()
            return loads

        assert await directory._get(("k",), load) == 1  # absent: waits for the load
        # expired: every caller gets the old value at once, and only one refresh starts
        assert await asyncio.gather(*(directory._get(("k",), load) for _ in range(5))) == [1] * 5
        assert loads == 2
        gate.set()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert directory._entries[("k",)][1] == 2
    finally:
        await db.close()


async def test_forget_beats_a_refresh_already_running(sqlite_url: str) -> None:
    db = await Database.open(sqlite_url)
    try:
        directory = Directory(db, ttl=0.0)
        version = 1
        gate = asyncio.Event()

        async def load() -> int:
            seen = version
            if seen == 1 and directory._entries:
                await gate.wait()  # the slow refresh read the old state
            return seen

        assert await directory._get(("k",), load) == 1
        assert await directory._get(("k",), load) == 1  # starts a slow refresh of version 1
        version = 2
        directory._forget(("k",))  # a local write changed it
        assert await directory._get(("k",), load) == 2
        gate.set()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert directory._entries[("k",)][1] == 2  # the late refresh did not bring back version 1
    finally:
        await db.close()


async def test_change_by_another_process_is_seen_after_revalidation(db_url: str) -> None:
    from datetime import UTC, datetime

    from storage.uow import UnitOfWork

    now = datetime(2026, 12, 1, tzinfo=UTC)
    bot = await Database.open(db_url)
    cli = await Database.open(db_url, migrate=False)  # e.g. `dangjian org import` while the bot runs
    try:

        async def add(conn: object, name: str, user: str) -> None:
            uow = UnitOfWork(conn, now)  # type: ignore[arg-type]
            region = await uow.org.ensure_region("R", now)
            branch = await uow.org.ensure_branch(region.id, "B", now)
            mid, _ = await uow.org.upsert_member(
                region_id=region.id, branch_id=branch.id, name=name, role="member", phone=None, is_mobile=False, now=now
            )
            await uow.accounts.link_account(mid, "telegram", user, now)

        await bot.unit(lambda c: add(c, "甲", "1"))
        directory = Directory(bot, ttl=0.0)
        assert (await directory.account("telegram", "1")).name == "甲"  # type: ignore[union-attr]
        assert await directory.account("telegram", "2") is None
        await cli.unit(lambda c: add(c, "乙", "2"))
        await directory.account("telegram", "2")  # expired: answers from the cache, revalidates behind
        for _ in range(50):
            if await directory.account("telegram", "2") is not None:
                break
            await asyncio.sleep(0.01)
        assert (await directory.account("telegram", "2")).name == "乙"  # type: ignore[union-attr]
    finally:
        await cli.close()
        await bot.close()
