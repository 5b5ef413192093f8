"""The Telegram adapter: a python-telegram-bot Application on the shared transport (bot/delivery/transport.py).

What is Telegram's own is here: updates become `Incoming`s (membership changes, group migrations
and anonymous admins handled first), messages go out as HTML in parts, files as photos or
documents, the sign-in board is edited in place, a button's private answer is an
answerCallbackQuery toast, and Telegram's errors map to a Delivery (429 -> retry_after, a chat the
bot cannot reach -> chat_gone). Ordering, the error reply, the outbound queue under Telegram's
budget (30 a second, 20 a minute per group) and chat-gone handling are the shared transport's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from datetime import timedelta
from functools import partial
from typing import Any

from markupsafe import Markup
from telegram import (
    BotCommand,
    CallbackQuery,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.request import BaseRequest

from bot import health
from bot.app import App
from bot.delivery.inbox import NO_TICKET, Inbox, Ticket
from bot.delivery.outbound import PLATFORM_LIMITS, Limits
from bot.delivery.render import show_mentions, to_plain
from bot.delivery.transport import Answers, Transport
from bot.logsafe import REDACTOR
from bot.settings import Settings
from bot.telegram.convert import (
    CAPTION_LIMIT,
    PLATFORM,
    TOAST_LIMIT,
    is_anonymous_admin,
    keyboard,
    split_html,
    to_incoming,
    visible_len,
)
from bot.telegram.webhook import QuietServer, serve, webhook_app
from handlers.core.i18n import LOCALES, render
from handlers.core.ports import Delivery, Reply
from storage.db import unreachable
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
POLL_TIMEOUT_S = 25  # a getUpdates call waits this long for updates (long polling)
POLL_BACKOFF_MAX_S = 4.0  # after failures the next getUpdates waits at most this (back within 5 s)
POISON_TRIES = 5  # an update that cannot be stored (other than by an outage) is passed over after this
LEADER_WAIT_S = 1.0  # a process that does not lead looks again this much later whether it does
REMEMBER_FOR_S = 60.0  # how long a sent board's message id waits for the database to be back


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramTransport(Transport):
    platform = PLATFORM

    def __init__(
        self,
        app: App,
        settings: Settings,
        *,
        request: BaseRequest | None = None,
        updates_request: BaseRequest | None = None,
        shared_port: bool = False,
    ) -> None:
        if settings.telegram_token is None:
            raise ValueError("DANGJIAN_TELEGRAM_TOKEN is not set")
        super().__init__(app, Limits(PLATFORM_LIMITS[PLATFORM].per_second, settings.telegram_group_per_minute))
        self.settings = settings
        self.shared_port = shared_port  # the webhook's port is shared with other worker processes
        builder = (
            Application.builder()
            .token(settings.telegram_token.get_secret_value())
            .base_url(settings.telegram_base_url)
            .base_file_url(settings.telegram_base_url.replace("/bot", "/file/bot", 1))
            .concurrent_updates(True)
            .job_queue(None)  # timed work runs on the process's one APScheduler (jobs/), not PTB's
        )
        if request is not None:
            builder = builder.request(request).get_updates_request(updates_request or request)
        self.ptb: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.ptb.add_handler(TypeHandler(Update, self.on_update))
        self.ptb.add_error_handler(self.on_error)
        self._clear_keyboard: set[str] = set()  # private chats whose next message takes the contact keyboard away
        self.username = ""
        self.bot_id = 0
        self.inbox: Inbox | None = None  # updates stored before they are acknowledged
        self._server: tuple[QuietServer, asyncio.Task[None]] | None = None
        self._poller: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self, *, receive: bool = True) -> None:
        """Initialise the bot, publish the command menu and start polling or the webhook."""
        await self.ptb.initialize()
        me = self.ptb.bot
        self.username, self.bot_id = me.username, me.id
        self.app.router.bot_username = me.username.lower()
        await self._publish_commands()
        await self.ptb.start()
        if not receive:
            return
        s = self.settings
        self.inbox = Inbox(
            self.app.db,
            self.app.services.clock,
            PLATFORM,
            self._handle_body,
            stale_s=s.inbox_stale_s,
            leading=self.leading,
        )
        await self.inbox.start()
        if s.telegram_webhook_url:
            await self._start_webhook(s.telegram_webhook_url)
        else:
            await self.ptb.bot.delete_webhook()
            self._poller = asyncio.get_running_loop().create_task(self._poll(self.inbox), name="telegram-polling")
            log.info("telegram: polling as @%s", self.username)

    async def _poll(self, inbox: Inbox) -> None:
        """Long polling: each update is stored before the next getUpdates confirms it (python-
        telegram-bot's updater confirms what it only holds in memory). Failures back off, doubling
        up to POLL_BACKOFF_MAX_S, so polling resumes within seconds of the API's return; while the
        database is away, the offset stays where it is and the same updates are asked for again."""
        offset: int | None = None
        delay = 0.0
        failures = 0  # tries at storing the same update, failing other than by the database being away
        while True:
            if delay:
                await asyncio.sleep(delay)
            if not self.leading():  # only the leader polls (Telegram allows one getUpdates at a time)
                delay = LEADER_WAIT_S
                continue
            try:
                updates = await self.ptb.bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT_S, allowed_updates=Update.ALL_TYPES
                )
            except RetryAfter as exc:
                delay = _seconds(exc.retry_after)
                continue
            except InvalidToken:
                log.error("telegram: the token was refused; polling stopped")
                return
            except TimedOut:
                delay = 0.0  # a long poll that outlived the connection: ask again at once
                continue
            except TelegramError as exc:
                if not delay:
                    log.warning("telegram: getUpdates failed (%s); backing off", exc)
                delay = min(max(delay * 2, 0.5), POLL_BACKOFF_MAX_S)
                continue
            stored = 0
            try:
                for update in updates:
                    await inbox.put(str(update.update_id), json.dumps(update.to_dict(), ensure_ascii=False))
                    stored += 1
            except Exception as exc:
                if unreachable(exc):
                    log.warning("telegram: the database cannot be reached; %d update(s) wait at Telegram", len(updates))
                else:  # not the database being away: the update is passed over after a few tries
                    failures += 1
                    log.exception("telegram: could not store update %s", updates[stored].update_id)
                    if failures >= POISON_TRIES:
                        failures, stored = 0, stored + 1
                if stored:
                    offset = updates[stored - 1].update_id + 1
                delay = min(max(delay * 2, 0.5), POLL_BACKOFF_MAX_S)
                continue
            delay, failures = 0.0, 0
            if updates:
                offset = updates[-1].update_id + 1

    async def _start_webhook(self, url: str) -> None:
        """Our own webhook server (an update is answered 200 once stored), then setWebhook."""
        s = self.settings
        secret = s.telegram_webhook_secret.get_secret_value() if s.telegram_webhook_secret else None
        secret = secret or secrets.token_urlsafe(32)
        REDACTOR.add(secret)
        assert self.inbox is not None
        watch = health.routes(self.app.db, self.app.services.clock)
        app = webhook_app(s.telegram_webhook_path, secret, self.inbox, more=watch)
        self._server = await serve(app, s.telegram_webhook_listen, s.telegram_webhook_port, shared=self.shared_port)
        await self.ptb.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        log.info(
            "telegram: webhook on %s:%s/%s", s.telegram_webhook_listen, s.telegram_webhook_port, s.telegram_webhook_path
        )

    async def lead(self) -> None:
        if self.inbox is not None:
            await self.inbox.lead()

    def stop_intake(self) -> None:
        """Take no new updates (at SIGTERM, while the rest winds down): the webhook server closes,
        and a post still being stored gets its grace (webhook.STOP_GRACE_S)."""
        if self._server is not None:
            self._server[0].should_exit = True

    async def stop(self) -> None:
        if self._server is not None:  # no new updates; those received are finished or left claimed
            server, task = self._server
            server.should_exit = True
            await task
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        if self.inbox is not None:
            await self.inbox.stop()
        updater = self.ptb.updater
        if updater is not None and updater.running:
            await updater.stop()
        await self.close()
        if self.ptb.running:
            await self.ptb.stop()
        await self.ptb.shutdown()

    async def _publish_commands(self) -> None:
        for locale in LOCALES:
            commands = [
                BotCommand(c.name, to_plain(render(c.help, locale))[:256]) for c in self.app.router.commands if c.help
            ]
            language = "en" if locale == "en" else None  # Chinese is the default menu
            await self.ptb.bot.set_my_commands(commands, language_code=language)
            if locale != "en":
                await self.ptb.bot.set_my_commands(commands, language_code="zh")

    # -- incoming -----------------------------------------------------------------------------
    async def on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Polling: updates run concurrently (PTB's concurrent_updates)."""
        await self._process(update, NO_TICKET)

    async def _handle_body(self, body: str, ticket: Ticket) -> Answers:
        """Webhook: an update from the inbox; returns its answers being delivered."""
        return await self._process(Update.de_json(json.loads(body), self.ptb.bot), ticket)

    async def _process(self, update: Update, ticket: Ticket) -> Answers:
        chat, user = update.effective_chat, update.effective_user
        return await self.receive(
            str(chat.id) if chat else None,
            str(user.id) if user else None,
            partial(self._handle, update, ticket),
            label=update.update_id,
            kept=ticket.kept,
        )

    async def _handle(self, update: Update, ticket: Ticket) -> Answers:
        if update.my_chat_member is not None:
            await self._membership(update)
            return []
        message = update.message
        if message is not None and (message.migrate_to_chat_id or message.migrate_from_chat_id):
            old, new = (
                (message.chat.id, message.migrate_to_chat_id)
                if message.migrate_to_chat_id
                else (message.migrate_from_chat_id, message.chat.id)
            )
            await self.migrate(str(old), str(new))
            return []
        incoming = to_incoming(update, self.bot_id, self.username, self._download)
        if incoming is None:
            return []
        if is_anonymous_admin(update):
            command, _, _ = self.app.router.match(incoming.text, is_private=False, addressed=incoming.addressed)
            if command is None:
                return []
            explain = Reply(
                text=render("common.anonymous_admin", await self.app.chat_locale(PLATFORM, incoming.chat_id))
            )
            return [self.outbound.post(incoming.chat_id, explain, before_send=ticket.sending)]
        if incoming.is_private and incoming.contact_phone is not None:
            self._clear_keyboard.add(incoming.chat_id)  # the answer takes the "share contact" keyboard away
        query = update.callback_query
        return await self.answer(incoming, ticket=ticket, toast=partial(_toast, query) if query else None)

    async def _membership(self, update: Update) -> None:
        """The bot was added to or removed from a chat: (de)activate its binding."""
        change = update.my_chat_member
        assert change is not None
        status = change.new_chat_member.status
        if status in ("member", "administrator"):
            active = True
        elif status in ("left", "kicked", "banned"):
            active = False
        else:
            return
        await self.app.set_chat_active(PLATFORM, str(change.chat.id), active)

    async def migrate(self, old: str, new: str) -> None:
        """A group became a supergroup: its binding, pending pushes and boards move in one transaction."""
        moved = await self.app.db.unit(
            lambda c: UnitOfWork(c, self.app.services.clock.now()).chats.migrate_chat(PLATFORM, old, new)
        )
        self.app.services.directory.forget_binding(PLATFORM, old)
        self.app.services.directory.forget_binding(PLATFORM, new)
        if moved:
            log.info("telegram chat %s migrated to %s", old, new)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Errors python-telegram-bot caught itself (ours are handled in Transport.receive)."""
        number = update.update_id if isinstance(update, Update) else None
        log.error("telegram update %s failed", number, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            await self.tell_error(str(update.effective_chat.id))

    # -- outgoing: the port -------------------------------------------------------------------
    def paced(self, chat_id: str) -> bool:
        """Telegram's 20 a minute holds in groups; private chats share only the overall budget."""
        return chat_id.startswith("-")

    async def send_now(self, chat_id: str, reply: Reply, *, migrated: bool = False) -> Delivery:
        """Send now (the outbound path calls this when the chat's turn comes): a 429 comes back
        as retry_after, a chat the bot cannot reach as chat_gone."""
        parts = split_html(str(await self._with_links(reply.text)))
        reply_to = reply.reply_to
        markup = keyboard(reply, private=not chat_id.startswith("-"))
        if markup is None and chat_id in self._clear_keyboard:
            markup = ReplyKeyboardRemove()
        self._clear_keyboard.discard(chat_id)
        try:
            last = None
            attached = reply.file is not None and visible_len(parts[0]) <= CAPTION_LIMIT and len(parts) == 1
            for i, part in enumerate([] if attached else parts):
                async with self.outbound.admitted():
                    last = await self.ptb.bot.send_message(
                        int(chat_id),
                        part,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup if i == len(parts) - 1 and reply.file is None else None,
                        link_preview_options=NO_PREVIEW,
                        reply_parameters=ReplyParameters(int(reply_to), allow_sending_without_reply=True)
                        if reply_to and i == 0
                        else None,
                    )
            if reply.file is not None:  # the text is its caption when short enough, else sent before
                last = await self._send_file(chat_id, reply, parts[0] if attached else None, markup)
        except RetryAfter as exc:
            return Delivery(ok=False, retry_after=_seconds(exc.retry_after), error="rate limited")
        except ChatMigrated as exc:
            await self.migrate(chat_id, str(exc.new_chat_id))
            if migrated:
                return Delivery(ok=False, error="migrated twice")
            return await self.send_now(str(exc.new_chat_id), reply, migrated=True)
        except Forbidden as exc:
            return Delivery(ok=False, chat_gone=True, error=str(exc))
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                return Delivery(ok=False, chat_gone=True, error=str(exc))
            log.warning("telegram refused a message to %s: %s", chat_id, exc)
            return Delivery(ok=False, error=str(exc))
        except NetworkError as exc:  # a 5xx, a timeout, the connection dropped: it may work in a moment
            return Delivery(ok=False, error=str(exc), transient=True)
        assert last is not None
        if reply.edit_key:
            await self._remember(chat_id, reply.edit_key, str(last.message_id))
        return Delivery(ok=True, message_id=str(last.message_id))

    async def _send_file(self, chat_id: str, reply: Reply, caption: str | None, markup: Any) -> Message:
        file = reply.file
        assert file is not None
        upload = InputFile(file.data, filename=file.name)
        common: dict[str, Any] = {
            "caption": caption,
            "parse_mode": ParseMode.HTML if caption else None,
            "reply_markup": markup,
            "reply_parameters": ReplyParameters(int(reply.reply_to), allow_sending_without_reply=True)
            if reply.reply_to and caption
            else None,
        }
        send = self.ptb.bot.send_photo if file.image else self.ptb.bot.send_document
        async with self.outbound.admitted():
            sent: Message = await send(int(chat_id), upload, **common)
        return sent

    async def _download(self, file_id: str) -> bytes:
        """A file a member sent (a photo for a meeting record)."""
        try:
            found = await self.ptb.bot.get_file(file_id)
            return bytes(await found.download_as_bytearray())
        except TelegramError as exc:
            raise OSError(str(exc)) from exc

    async def _with_links(self, text: Markup) -> Markup:
        """Mentions become tg://user links, which notify the member."""
        return await show_mentions(
            self.app.db,
            PLATFORM,
            text,
            lambda user, name: Markup('<a href="tg://user?id={}">{}</a>').format(user, name),
        )

    async def _remember(self, chat_id: str, edit_key: str, message_id: str) -> None:
        """Record which message a board is, to edit it later. The message has gone out: a database
        away for a moment is waited for (up to a minute), then the board is left unedited."""
        now = self.app.services.clock.now()
        wait = 0.5
        deadline = time.monotonic() + REMEMBER_FOR_S
        while True:
            try:
                await self.app.db.unit(
                    lambda c: UnitOfWork(c, now).messages.remember(PLATFORM, chat_id, edit_key, message_id, now)
                )
                return
            except Exception as exc:
                if not unreachable(exc) or time.monotonic() > deadline:
                    log.warning("could not record board message %s in chat %s: %s", message_id, chat_id, exc)
                    return
                await asyncio.sleep(wait)
                wait = min(wait * 2, 4.0)

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> Delivery:
        """Edit a message in place (a board); an unchanged text is no failure."""
        try:
            text = split_html(str(await self._with_links(reply.text)))[0]  # a long board keeps its head
            async with self.outbound.admitted():
                await self.ptb.bot.edit_message_text(
                    text,
                    chat_id=int(chat_id),
                    message_id=int(message_id),
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(reply),
                    link_preview_options=NO_PREVIEW,
                )
        except RetryAfter as exc:
            return Delivery(ok=False, retry_after=_seconds(exc.retry_after), error="rate limited")
        except Forbidden as exc:
            return Delivery(ok=False, chat_gone=True, error=str(exc))
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                log.warning("could not edit message %s in %s: %s", message_id, chat_id, exc)
                return Delivery(ok=False, error=str(exc))
        except NetworkError as exc:  # a 5xx, a timeout, the connection dropped: it may work in a moment
            return Delivery(ok=False, error=str(exc), transient=True)
        return Delivery(ok=True, message_id=message_id)


async def _toast(query: CallbackQuery, reply: Reply | None) -> None:
    """A button's private answer, shown to the presser alone (or just the press confirmed)."""
    await query.answer(text=to_plain(reply.text)[:TOAST_LIMIT] if reply else None)
