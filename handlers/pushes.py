"""Rendering of timed pushes from outbox rows (sign-in window opening, attendance summary)."""

from __future__ import annotations

from handlers.context import Services
from handlers.i18n import normalize_locale, render
from handlers.ports import Reply
from handlers.signin import build_summary, render_board
from storage.records import OutboxRec
from storage.repositories import UnitOfWork


async def render_push(services: Services, row: OutboxRec) -> Reply | None:
    """The message an outbox row stands for, or None when it must not be sent (event cancelled)."""
    now = services.clock.now()
    tz = services.policy.tz

    async def work(uow: UnitOfWork) -> Reply | None:
        binding = await uow.org.binding(row.platform, row.chat_id)
        if binding is None or not binding.active:
            return None
        locale = normalize_locale(binding.locale or services.policy.locale)
        event = await uow.events.get(row.event_id) if row.event_id is not None else None
        if event is None or event.status == "cancelled":
            return None
        if row.purpose == "signin_open":
            return await render_board(uow, event, locale, tz)
        if row.purpose == "signin_summary":
            if event.status == "scheduled" and event.closes_at <= now:
                summary = await build_summary(uow, event)
                await uow.attendance.mark_absent(event.id, [m.id for m in summary.absent], now)
                await uow.events.set_status(event.id, "closed")
            summary = await build_summary(uow, event)
            return Reply(
                text=render("signin.summary", locale, s=summary, starts=event.starts_at.astimezone(tz), final=True)
            )
        return None

    return await services.db.unit(lambda conn: work(UnitOfWork(conn, now)))
