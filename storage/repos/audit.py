"""The audit log (操作日志): who did what, when."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import AuditLog


@dataclass
class AuditRepo:
    conn: AsyncConnection

    async def record(
        self, *, actor: int | None, platform: str | None, action: str, detail: dict[str, Any], now: datetime
    ) -> None:
        await self.conn.execute(
            insert(AuditLog).values(
                at=now,
                actor_id=actor,
                platform=platform,
                action=action,
                detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
            )
        )
