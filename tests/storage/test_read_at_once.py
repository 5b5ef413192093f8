"""A page's read in one go: the same answer as an ordinary read, on both databases; a read that
waits on anything but its connection is refused rather than run half."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database


async def test_a_read_at_once_answers_as_a_read_does(db_url: str) -> None:
    db = await Database.open(db_url)
    try:

        async def names(conn: AsyncConnection) -> list[str]:
            rows = await conn.execute(text("select version_num from alembic_version"))
            more = await conn.execute(text("select 1 + 1"))
            return [str(r[0]) for r in rows] + [str(more.scalar_one())]

        assert await db.read_at_once(names) == await db.read(names)

        async def waits(conn: AsyncConnection) -> None:
            await conn.execute(text("select 1"))
            await asyncio.sleep(0)  # not its connection: cannot complete at once

        with pytest.raises(RuntimeError, match="at once"):
            await db.read_at_once(waits)
        assert (await db.read_at_once(names))[-1] == "2"  # the connection is fine afterwards
    finally:
        await db.close()


async def test_a_page_read_survives_a_connection_the_server_dropped(pg_url: str) -> None:
    db = await Database.open(pg_url)
    try:

        async def backend(conn: AsyncConnection) -> int:
            return int((await conn.execute(text("select pg_backend_pid()"))).scalar_one())

        first = await db.read_at_once(backend)  # pooled now
        await db.unit(lambda conn: conn.execute(text(f"select pg_terminate_backend({first})")))
        again = await db.read_at_once(backend)  # the dropped one is found out and replaced
        assert again != first
    finally:
        await db.close()
