"""Statements both dialects need written their own way, and the cache-version counters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Insert, Select, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    CacheVersion,
)


def insert_ignoring_conflicts(conn: AsyncConnection | Connection | str, table: Any) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING for the connection's (or the named) dialect."""
    t: Table = table.__table__ if hasattr(table, "__table__") else table
    dialect = conn if isinstance(conn, str) else conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(t).on_conflict_do_nothing()
    return sqlite.insert(t).on_conflict_do_nothing()


async def upsert(conn: AsyncConnection, model: Any, keys: dict[str, Any], values: dict[str, Any]) -> bool:
    """Insert the row named by `keys`, or change `values` of the one already there; True if it
    was inserted."""
    inserted = await conn.execute(insert_ignoring_conflicts(conn, model).values(**keys, **values))
    if inserted.rowcount:
        return True
    await conn.execute(update(model).where(*(getattr(model, k) == v for k, v in keys.items())).values(**values))
    return False


async def bump_version(conn: AsyncConnection, name: str) -> None:
    """Tell every process's lookup cache that data of this family ('org', 'events') changed."""
    await conn.execute(update(CacheVersion).where(CacheVersion.name == name).values(version=CacheVersion.version + 1))


async def cache_versions(conn: AsyncConnection) -> dict[str, int]:
    return {n: int(v) for n, v in await conn.execute(select(CacheVersion.name, CacheVersion.version))}


async def locked_ids(conn: AsyncConnection, pick: Select[Any]) -> list[int]:
    """The ids `SELECT id … LIMIT n FOR UPDATE SKIP LOCKED` picks, read (and locked) on their own
    before the UPDATE that claims them. Written inside the UPDATE (`WHERE id IN (…)`), PostgreSQL
    may run the sub-select again for every row it looks at, each time skipping what it has just
    locked, and claim far more than n (a window of 40 took all 600 rows due)."""
    return [int(i) for i in (await conn.execute(pick)).scalars()]
