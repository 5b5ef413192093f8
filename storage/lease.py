"""The scheduler lease: with several processes on one PostgreSQL, one of them runs the calendar.

The lease is a session-level advisory lock held on a connection of its own for as long as the
process lives; if the process dies, PostgreSQL drops the connection and the lock with it, and
another process takes over at its next try. SQLite is one process's database: always granted.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

log = logging.getLogger(__name__)

LEASE_KEY = 0x64616E676A69616E % (2**63)  # "dangjian"


class Lease:
    def __init__(self, db: Database, key: int = LEASE_KEY) -> None:
        self.db = db
        self.key = key
        self._conn: AsyncConnection | None = None

    @property
    def held(self) -> bool:
        return self.db.dialect != "postgresql" or self._conn is not None

    async def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; True if this process holds it (now or already)."""
        if self.held:
            return True
        conn = await self.db.engine.connect()
        try:
            got = bool((await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})).scalar())
            await conn.commit()  # the lock is the session's, not the transaction's
        except Exception:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        log.info("this process holds the scheduler lease")
        return True

    async def release(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                await self._conn.commit()
            finally:
                await self._conn.close()
                self._conn = None
