"""Fresh databases for tests, migrated once per run: a SQLite template file copied for each test, and
one PostgreSQL database per test process emptied back to its just-migrated rows between tests."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from storage.db import make_engine
from storage.migrate import upgrade, wipe_postgres


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def sqlite_template(folder: Path) -> Path:
    """A SQLite file with the schema at head (and the rows migrations put there)."""
    path = folder / "schema.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


def fresh_sqlite(template: Path, folder: Path) -> str:
    path = folder / "test.db"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def worker_database(url: str, worker: str) -> str:
    """The database of one test process: the configured one when tests run in one process, else
    `<name>_<worker>` on the same server (made when missing)."""
    if not worker:
        return url
    parsed = make_url(url)
    own = parsed.set(database=f"{parsed.database}_{worker}")

    async def create() -> None:
        conn = await asyncpg.connect(_dsn(url))
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", own.database)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{own.database}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return own.render_as_string(hide_password=False)


@dataclass
class Snapshot:
    """What a PostgreSQL database holds, to put back: its tables' rows and its sequences."""

    tables: frozenset[str]
    revision: str
    rows: dict[str, list[tuple[object, ...]]]
    sequences: dict[str, tuple[int, bool]]

    @classmethod
    async def take(cls, conn: asyncpg.Connection) -> Snapshot:
        names = [r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        rows: dict[str, list[tuple[object, ...]]] = {}
        for name in names:
            if name != "alembic_version":
                found = await conn.fetch(f'SELECT * FROM "{name}"')
                if found:
                    rows[name] = [tuple(r) for r in found]
        sequences = {}
        for (seq,) in await conn.fetch("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"):
            last, called = await conn.fetchrow(f'SELECT last_value, is_called FROM "{seq}"')
            sequences[seq] = (int(last), bool(called))
        revision = await conn.fetchval("SELECT version_num FROM alembic_version")
        return cls(frozenset(names), revision, rows, sequences)

    async def put_back(self, conn: asyncpg.Connection) -> bool:
        """Every table as it was; False when the schema is no longer the one taken (rebuild it)."""
        names = {r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        if names != self.tables or await conn.fetchval("SELECT version_num FROM alembic_version") != self.revision:
            return False
        # a backend of a process the test killed may still hold locks for a moment
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")  # no foreign-key order
            for name in sorted(self.tables - {"alembic_version"}):
                await conn.execute(f'DELETE FROM "{name}"')
            for name, rows in self.rows.items():
                await conn.copy_records_to_table(name, records=rows)
            for seq, (last, called) in self.sequences.items():
                await conn.execute("SELECT setval($1, $2, $3)", seq, last, called)
        return True


@dataclass
class PostgresTemplate:
    """One PostgreSQL database kept at the migrated schema. `fresh()` empties every table and puts
    back the rows migrations wrote and the sequences as they stood, which costs a small part of a
    migration; a test that changed the schema (dropped a table) gets it rebuilt."""

    url: str
    schema: Snapshot | None = None

    def build(self) -> None:
        asyncio.run(wipe_postgres(self.url))
        asyncio.run(_migrate(self.url))
        self.schema = asyncio.run(self.take())

    async def take(self) -> Snapshot:
        conn = await asyncpg.connect(_dsn(self.url))
        try:
            return await Snapshot.take(conn)
        finally:
            await conn.close()

    async def put_back(self, snapshot: Snapshot) -> bool:
        conn = await asyncpg.connect(_dsn(self.url))
        try:
            return await snapshot.put_back(conn)
        finally:
            await conn.close()

    def fresh(self) -> str:
        assert self.schema is not None
        if not asyncio.run(self.put_back(self.schema)):
            self.build()
        return self.url
