"""What every platform's transport shares: the incoming side and its hand-off to the outbound path.

A platform adapter (Telegram, WeCom, the console) turns what its platform delivers into an
`Incoming` and implements the outbound port (`send_now`, `edit`, `paced`: bot/delivery/outbound.py); where
the platform can show a button's private answer to the presser alone, it passes a `toast`. The
rest is done here, once for all of them:

  * one sender's updates in one chat are handled in order (one member's "绑定" is committed before
    their next message is read), different senders concurrently;
  * the router answers; an update whose handling fails is logged and answered with the error
    reply in the chat's own language;
  * every answer, like every push and board edit, is queued on the chat's outbound queue, which
    keeps the platform's limits; a chat found gone there is switched off (App.set_chat_active).

    platform update ─► adapter: Incoming ─► Transport.receive ─► Router ─► replies
        ─► Outbound (one queue per chat, one budget per bot) ─► adapter.send_now / edit ─► platform
    outbox row ─► Dispatcher ─► PushKind.render ─► Transport.send ─► the same Outbound
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import replace
from functools import partial

from bot import health
from bot.app import App
from bot.delivery.inbox import NO_TICKET, Ticket
from bot.delivery.ordering import KeyedLocks
from bot.delivery.outbound import Limits, Outbound
from handlers.core.i18n import render
from handlers.core.ports import ChatRef, Delivery, Incoming, Reply
from storage.db import out_of_room, unreachable

log = logging.getLogger(__name__)

OUTAGE_FIRST_S = 0.5  # the database unreachable: the update is handled again this much later,
OUTAGE_MAX_S = 4.0  # doubling up to this (so it goes through within 5 s of the database's return)
UNKEPT_PATIENCE_S = 60.0  # an update that was not stored is tried again for this long, then answered
AT_ONCE = 24  # updates handled at the same moment: each may hold a database connection (the pool has 40)

Answers = Sequence[Awaitable[Delivery]]  # the answers of one update, on their way
Toast = Callable[[Reply | None], Awaitable[None]]  # shows a button's private answer to the presser


class Transport:
    """Base of the platform adapters; an adapter sets `platform` and implements the port."""

    platform: str  # set by each adapter

    def __init__(self, app: App, limits: Limits) -> None:
        self.app = app
        self.leading: Callable[[], bool] = lambda: True  # `dangjian run` asks its Leadership (jobs/leader.py)
        self._in_order = KeyedLocks()
        self._at_once = asyncio.Semaphore(AT_ONCE)  # a burst taken up at once waits here, not in the pool
        self.outbound = Outbound(
            self.platform,
            self,
            limits,
            render_edit=partial(app.render_edit, self.platform),
            on_gone=partial(app.set_chat_active, self.platform, active=False),
        )

    async def lead(self) -> None:
        """This process has come to lead: take up what the leader before left (adapters add theirs)."""

    # -- incoming -----------------------------------------------------------------------------
    async def receive(
        self,
        chat_id: str | None,
        user_id: str | None,
        handle: Callable[[], Awaitable[Answers]],
        *,
        label: object,
        kept: bool = False,
    ) -> Answers:
        """Handle one update in order with the same sender's earlier ones in that chat. While the
        database cannot be reached the update is handled again and again (one that was `kept`,
        i.e. stored before it was acknowledged, for as long as it takes; another for a minute).
        A failure is answered in the chat's language: storage full, database away, or the error
        reply. Returns the answers on their way."""
        key: Hashable = (chat_id, user_id)
        health.UPDATES_RECEIVED.labels(self.platform).inc()
        async with self._in_order.hold(key):
            delay, waited = OUTAGE_FIRST_S, 0.0
            while True:
                try:
                    async with self._at_once:  # taken inside the sender's order: never waits on it
                        answers = await handle()
                    health.UPDATES_HANDLED.labels(self.platform).inc()
                    return answers
                except Exception as exc:
                    if unreachable(exc) and (kept or waited < UNKEPT_PATIENCE_S):
                        if not waited:
                            log.warning(
                                "%s update %s: the database cannot be reached; trying again", self.platform, label
                            )
                        await asyncio.sleep(delay)
                        waited += delay
                        delay = min(delay * 2, OUTAGE_MAX_S)
                        continue
                    return [await self._failed(chat_id, label, exc)] if chat_id else []

    async def _failed(self, chat_id: str, label: object, exc: Exception) -> asyncio.Future[Delivery]:
        if out_of_room(exc):
            log.warning("%s update %s: storage is full or read-only; answered as not recorded", self.platform, label)
            health.failed(self.platform, "storage_full")
            return await self.tell(chat_id, "common.storage_full")
        if unreachable(exc):
            log.warning("%s update %s: the database stayed unreachable; answered as not recorded", self.platform, label)
            health.failed(self.platform, "storage_down")
            return await self.tell(chat_id, "common.storage_down")
        log.error("%s update %s failed", self.platform, label, exc_info=exc)
        health.failed(self.platform, type(exc).__name__)
        return await self.tell(chat_id, "common.internal")

    async def answer(self, incoming: Incoming, *, ticket: Ticket = NO_TICKET, toast: Toast | None = None) -> Answers:
        """Route a message or button press and queue its answers. With a toast, a button's
        private answer is shown to the presser alone (after its board is marked for an update)."""
        replies = await self.app.router.dispatch(incoming, meanwhile=partial(self._meanwhile, incoming))
        if incoming.button is not None and toast is not None:
            await ticket.sending()
            await toast(next((r for r in replies if r.private), None))
            for reply in replies:
                if reply.private and reply.refresh:
                    self.outbound.mark_dirty(incoming.chat_id, reply.refresh)
            replies = [r for r in replies if not r.private]
        return [
            self.outbound.post(incoming.chat_id, self.addressed(incoming, r), before_send=ticket.sending)
            for r in replies
        ]

    async def _meanwhile(self, incoming: Incoming, reply: Reply) -> None:
        """A line said before the answer: queued at once (not waited for: the work goes on)."""
        if incoming.chat_id:
            self.outbound.post(incoming.chat_id, self.addressed(incoming, reply))

    def addressed(self, incoming: Incoming, reply: Reply) -> Reply:
        """An answer as it goes out: in a group it quotes the message it answers (answers that may
        be merged with others quote nothing). Adapters may answer their own way."""
        if not incoming.is_private and not reply.coalesce and incoming.message_id is not None:
            return replace(reply, reply_to=incoming.message_id)
        return reply

    async def tell_error(self, chat_id: str) -> asyncio.Future[Delivery]:
        """The error reply, in the chat's language (the default where the chat is not known)."""
        return await self.tell(chat_id, "common.internal")

    async def tell(self, chat_id: str, template: str) -> asyncio.Future[Delivery]:
        """A line of the bot's own (a failure), in the chat's language, or the default one where
        the chat's cannot be read."""
        try:
            locale = await self.app.chat_locale(self.platform, chat_id)
        except Exception:  # the storage may be what failed
            locale = self.app.services.policy.locale
        return self.outbound.post(chat_id, Reply(text=render(template, locale)))

    # -- outgoing -----------------------------------------------------------------------------
    async def send(self, chat: ChatRef, reply: Reply) -> Delivery:
        """The Sender port (the outbox's pushes): the push waits its turn on the outbound path."""
        return await self.outbound.send(chat, reply)

    async def send_now(self, chat_id: str, reply: Reply) -> Delivery:
        raise NotImplementedError

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> Delivery:
        raise NotImplementedError

    def paced(self, chat_id: str) -> bool:
        """Whether the platform's per-chat limit applies to this chat."""
        return True

    def stop_intake(self) -> None:
        """At SIGTERM, before the rest winds down: take nothing new (a webhook closes its server)."""

    async def close(self) -> None:
        """Stop sending; what still waited is settled as not sent."""
        await self.outbound.close()
