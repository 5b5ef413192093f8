"""Messages the bot sent that it may edit later (boards, cards)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    SentMessage,
)


@dataclass
class MessageRepo:
    conn: AsyncConnection

    async def remember(self, platform: str, chat_id: str, edit_key: str, message_id: str, now: datetime) -> None:
        await self.conn.execute(
            delete(SentMessage).where(
                SentMessage.platform == platform, SentMessage.chat_id == chat_id, SentMessage.edit_key == edit_key
            )
        )
        await self.conn.execute(
            insert(SentMessage).values(
                platform=platform, chat_id=chat_id, edit_key=edit_key, message_id=message_id, sent_at=now
            )
        )

    async def find(self, platform: str, chat_id: str, edit_key: str) -> str | None:
        return (
            await self.conn.execute(
                select(SentMessage.message_id).where(
                    SentMessage.platform == platform, SentMessage.chat_id == chat_id, SentMessage.edit_key == edit_key
                )
            )
        ).scalar_one_or_none()
