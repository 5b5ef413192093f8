"""Leases: with several processes on one database, one of them does a given job.

On PostgreSQL a lease is a session-level advisory lock held on a connection of its own for as
long as the process lives; if the process dies, PostgreSQL drops the connection and the lock with
it, and another process takes over at its next try. On SQLite it is an exclusive lock on a file
next to the database (released by the OS when the process ends). Used for the scheduler (one
process runs the calendar) and for a WeCom bot's long connection (a second connection would kick
the first off).

A PostgreSQL lease dies with its connection (the server restarted, the network dropped it): every
`try_acquire` first asks its connection whether it is still there, so a lost lease is noticed
before anything that needs it runs, and taken again (if nobody else took it) once the database is
back. Releasing never fails a shutdown, whatever state the database is in.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

log = logging.getLogger(__name__)


def lease_key(name: str) -> int:
    """A stable advisory-lock key for a name (a signed 64-bit integer)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


SCHEDULER = lease_key("dangjian:scheduler")
HELD: set[int] = set()  # the keys of the leases this process holds now


class Lease:
    def __init__(self, db: Database, key: int = SCHEDULER, *, name: str = "scheduler") -> None:
        self.db, self.key, self.name = db, key, name
        self._conn: AsyncConnection | None = None
        self._file: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None

    def _lock_path(self) -> Path | None:
        database = make_url(str(self.db.engine.url)).database
        if not database or database == ":memory:":
            return None
        return Path(f"{database}.{self.name}.lock")

    async def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; True if this process holds it (now or already)."""
        if self._file is not None:
            return True
        if self._conn is not None:
            if await self._alive(self._conn):
                return True
            log.warning("the %s lease was lost with its database connection; taking it again", self.name)
            HELD.discard(self.key)
            await self._forget()
        if self.db.dialect != "postgresql":
            return self._lock_file()
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
        HELD.add(self.key)
        log.info("this process holds the %s lease", self.name)
        return True

    def _lock_file(self) -> bool:
        path = self._lock_path()
        if path is None:
            self._file = open(os.devnull, "rb")  # noqa: SIM115 - an in-memory database: one process
            return True
        handle = open(path, "ab")  # noqa: SIM115 - held open for the life of the lease
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        HELD.add(self.key)
        return True

    async def holder(self) -> str:
        """Who holds the lease: "this process", "another process" or "nobody" (read without
        taking it). An advisory lock is its database's: pg_locks shows every database's."""
        if self.key in HELD:
            return "this process"
        if self.db.dialect == "postgresql":
            high, low = (self.key >> 32) & 0xFFFFFFFF, self.key & 0xFFFFFFFF  # how pg_locks shows a bigint key
            query = text(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
            )

            async def taken(conn: AsyncConnection) -> bool:
                return bool((await conn.execute(query, {"high": high, "low": low})).scalar())

            return "another process" if await self.db.read(taken) else "nobody"
        return "another process" if self._file_taken() else "nobody"

    def _file_taken(self) -> bool:
        path = self._lock_path()
        if path is None or not path.exists():
            return False
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False

    async def release(self) -> None:
        HELD.discard(self.key)
        if self._file is not None:
            with_lock = self._file
            self._file = None
            if with_lock.name != os.devnull:
                fcntl.flock(with_lock.fileno(), fcntl.LOCK_UN)
            with_lock.close()
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                await self._conn.commit()
            except Exception as exc:  # its connection died: the server dropped the lock with it
                log.info("the %s lease went with its connection (%s)", self.name, type(exc).__name__)
            finally:
                await self._forget()

    async def _alive(self, conn: AsyncConnection) -> bool:
        """Whether the lease's connection (and so the lock) still holds."""
        try:
            async with asyncio.timeout(5):
                await conn.execute(text("SELECT 1"))
                await conn.commit()
        except Exception:
            return False
        return True

    async def _forget(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
