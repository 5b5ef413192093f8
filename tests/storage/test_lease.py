"""The scheduler lease as /healthz reports it, on PostgreSQL: an advisory lock belongs to its
database, and a bot on another database of the same server is another bot."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from sqlalchemy.engine import make_url

from bot import health
from storage.db import Database
from storage.lease import SCHEDULER


async def test_healthz_names_the_lease_of_this_database_only(pg_url: str) -> None:
    url = make_url(pg_url)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    other = url.set(database=f"{url.database}_another_bot")
    admin = await asyncpg.connect(dsn)
    if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", other.database):
        await admin.execute(f'CREATE DATABASE "{other.database}"')
    await admin.close()
    elsewhere = await asyncpg.connect(other.set(drivername="postgresql").render_as_string(hide_password=False))
    here = await asyncpg.connect(dsn)
    db = await Database.open(pg_url)
    try:
        assert await elsewhere.fetchval("SELECT pg_try_advisory_lock($1)", SCHEDULER)  # another bot's leader
        assert (await health.check(db, datetime.now(UTC)))["scheduler_lease"] == "nobody"
        assert await here.fetchval("SELECT pg_try_advisory_lock($1)", SCHEDULER)  # this bot's leader
        assert (await health.check(db, datetime.now(UTC)))["scheduler_lease"] == "another process"
    finally:
        await db.close()
        await here.close()
        await elsewhere.close()
