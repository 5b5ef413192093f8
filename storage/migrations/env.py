"""Alembic environment: uses the connection handed in by storage.migrate, or the configured URL."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from storage import DEFAULT_URL
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    from storage.db import make_engine

    # run by the alembic command itself: the URL given to it, else the one the bot is configured with
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DANGJIAN_DATABASE_URL") or DEFAULT_URL

    async def _async() -> None:
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(_run)
        await engine.dispose()

    asyncio.run(_async())


run_migrations_online()
