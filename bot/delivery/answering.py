"""A transport whose answers go back to whoever asked rather than into a chat: the web console's
forms and the command line. The update is handled in order with the same person's others, through
the router (the one authorization rule, the audit, the templates); a failure is answered with the
error line in the asker's language."""

from __future__ import annotations

from collections.abc import Awaitable

from bot.app import App
from bot.delivery.outbound import Limits
from bot.delivery.transport import Transport
from handlers.core.context import Meanwhile
from handlers.core.i18n import normalize_locale, render
from handlers.core.ports import Delivery, Incoming, Reply


class AnsweringTransport(Transport):
    def __init__(self, app: App, platform: str) -> None:
        self.platform = platform
        super().__init__(app, Limits())

    async def act(self, incoming: Incoming, locale: str, meanwhile: Meanwhile | None = None) -> list[Reply]:
        """The answers; `meanwhile` hears what is said before them (the command line prints it)."""
        replies: list[Reply] = []

        async def handle() -> list[Awaitable[Delivery]]:
            replies.extend(await self.app.router.dispatch(incoming, meanwhile=meanwhile))
            return []

        answers = await self.receive(incoming.chat_id, incoming.user_id, handle, label=incoming.update_id)
        if answers and not replies:  # it failed: the error reply in the asker's language
            replies.append(Reply(text=render("common.internal", normalize_locale(locale))))
        return replies

    async def send_now(self, chat_id: str, reply: Reply) -> Delivery:
        return Delivery(ok=True)  # nothing is pushed here (no chat is bound to it)

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> Delivery:
        return Delivery(ok=True)
