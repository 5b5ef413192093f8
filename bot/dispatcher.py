"""Sends due outbox rows through the Sender of each row's platform, once each."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from functools import partial

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.context import Services
from handlers.ports import ChatRef, Sender
from handlers.pushes import render_push
from storage.models import Outbox
from storage.repositories import OpsRepo, OrgRepo

log = logging.getLogger(__name__)


async def _deactivate(conn: AsyncConnection, *, platform: str, chat_id: str) -> None:
    await OrgRepo(conn).set_binding_active(platform, chat_id, False)


async def deliver_due(services: Services, senders: Mapping[str, Sender], limit: int = 200) -> int:
    """Send every pending row due now whose platform has a sender; returns how many were sent."""
    db = services.db
    now = services.clock.now()

    async def mark(row_id: int, status: str, error: str | None = None, retry_in: float | None = None) -> None:
        due = now + timedelta(seconds=retry_in) if retry_in is not None else None
        await db.unit(lambda c: OpsRepo(c).mark(row_id, status, now=now, error=error, due_at=due))

    async def claim(row_id: int) -> bool:
        async def go(conn: AsyncConnection) -> bool:
            res = await conn.execute(
                update(Outbox).where(Outbox.id == row_id, Outbox.status == "pending").values(status="sending")
            )
            return bool(res.rowcount)

        return await db.unit(go)

    rows = await db.read(lambda c: OpsRepo(c).due(now, limit))
    sent = 0
    for row in rows:
        sender = senders.get(row.platform)
        if sender is None or not await claim(row.id):
            continue  # no transport for it in this process, or taken by someone else meanwhile
        reply = await render_push(services, row)
        if reply is None:
            await mark(row.id, "void")
            continue
        try:
            result = await sender.send(ChatRef(row.platform, row.chat_id), reply)
        except Exception as exc:
            log.exception("sending outbox row %s failed", row.id)
            await mark(row.id, "pending", repr(exc), retry_in=30)
            continue
        if result.ok:
            await mark(row.id, "sent")
            sent += 1
        elif result.chat_gone:
            await mark(row.id, "failed", "chat gone")
            await db.unit(partial(_deactivate, platform=row.platform, chat_id=row.chat_id))
            services.directory.forget_binding(row.platform, row.chat_id)
        else:
            await mark(row.id, "pending", result.error, retry_in=result.retry_after or 30.0)
    return sent
