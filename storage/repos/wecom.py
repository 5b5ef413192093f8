"""WeCom's own storage: the template cards the bot sent, by task_id, so that a click (in whichever
process holds the long connection, also after a restart) updates the card as it was."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import WeComCard
from storage.sql import insert_ignoring_conflicts

KEPT_FOR = timedelta(days=30)  # a card older than this is not updated in full when clicked


@dataclass
class WeComCardRepo:
    conn: AsyncConnection

    async def remember(self, task_id: str, card: dict[str, Any], now: datetime) -> None:
        conn = self.conn
        await conn.execute(insert_ignoring_conflicts(conn, WeComCard).values(task_id=task_id, card=card, sent_at=now))
        await conn.execute(delete(WeComCard).where(WeComCard.sent_at < now - KEPT_FOR))

    async def card(self, task_id: str) -> dict[str, Any] | None:
        found = (await self.conn.execute(select(WeComCard.card).where(WeComCard.task_id == task_id))).scalar()
        return dict(found) if isinstance(found, dict) else None
