"""Updates already handled, with their answers (a redelivery is answered again, never redone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    ProcessedUpdate,
)
from storage.sql import insert_ignoring_conflicts


@dataclass
class UpdateRepo:
    conn: AsyncConnection

    async def claim_update(self, platform: str, key: str, now: datetime) -> bool:
        """Record an update as processed; False if it already was (a redelivery)."""
        res = await self.conn.execute(
            insert_ignoring_conflicts(self.conn, ProcessedUpdate).values(
                platform=platform, update_key=key, processed_at=now
            )
        )
        return bool(res.rowcount)

    async def save_replies(self, platform: str, key: str, replies: list[dict[str, object]]) -> None:
        """Keep the answer of a processed update, for its redelivery."""
        await self.conn.execute(
            update(ProcessedUpdate)
            .where(ProcessedUpdate.platform == platform, ProcessedUpdate.update_key == key)
            .values(replies=replies)
        )

    async def replies_of(self, platform: str, key: str) -> list[dict[str, Any]] | None:
        got = await self.conn.execute(
            select(ProcessedUpdate.replies).where(
                ProcessedUpdate.platform == platform, ProcessedUpdate.update_key == key
            )
        )
        return got.scalar()
