"""Sends due outbox rows through the Sender of each row's platform, once each."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.context import Services
from handlers.ports import ChatRef, Sender
from handlers.pushes import render_push
from storage.models import Outbox
from storage.repositories import OpsRepo, OrgRepo

log = logging.getLogger(__name__)


async def deliver_due(services: Services, senders: Mapping[str, Sender], limit: int = 200) -> int:
    """Send every pending row due now whose platform has a sender; returns how many were sent."""
    db = services.db
    now = services.clock.now()
    rows = await db.read(lambda c: OpsRepo(c).due(now, limit))
    sent = 0
    for row in rows:
        sender = senders.get(row.platform)
        if sender is None:
            continue

        async def claim(conn: AsyncConnection, row_id: int = row.id) -> bool:
            res = await conn.execute(
                update(Outbox).where(Outbox.id == row_id, Outbox.status == "pending").values(status="sending")
            )
            return bool(res.rowcount)

        if not await db.unit(claim):
            continue  # taken by someone else meanwhile
        reply = await render_push(services, row)
        if reply is None:
            await db.unit(lambda c, r=row.id: OpsRepo(c).mark(r, "void", now=now))
            continue
        try:
            result = await sender.send(ChatRef(row.platform, row.chat_id), reply)
        except Exception as exc:
            log.exception("sending outbox row %s failed", row.id)
            await db.unit(lambda c, r=row.id, e=repr(exc): OpsRepo(c).mark(r, "pending", now=now, error=e,
                                                                          due_at=now + timedelta(seconds=30)))
            continue
        if result.ok:
            await db.unit(lambda c, r=row.id: OpsRepo(c).mark(r, "sent", now=now))
            sent += 1
        elif result.chat_gone:

            async def gone(conn: AsyncConnection, r: int = row.id, chat: str = row.chat_id, p: str = row.platform) -> None:
                await OpsRepo(conn).mark(r, "failed", now=now, error="chat gone")
                await OrgRepo(conn).set_binding_active(p, chat, False)

            await db.unit(gone)
            services.directory.forget_binding(row.platform, row.chat_id)
        else:
            wait = result.retry_after or 30.0
            await db.unit(lambda c, r=row.id, e=result.error, w=wait: OpsRepo(c).mark(
                r, "pending", now=now, error=e, due_at=now + timedelta(seconds=w)))
    return sent
