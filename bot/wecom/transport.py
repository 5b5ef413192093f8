"""The WeCom adapter on the shared transport (bot/delivery/transport.py): two-way chat through the AI bot
long connection, pushes through the group robot webhook where a group has a key (else through the
long connection).

What is WeCom's own is here: callback frames become `Incoming`s, an answer is sent as the
callback's response (its req_id), other messages as markdown, button cards or files, and WeCom's
error codes map to a Delivery. Ordering, the error reply, the outbound queue (20 a minute per chat
and per robot key) and chat-gone handling are the shared transport's.

Only one process may hold a bot's long connection (a new one would kick the old off), so the
connection is opened only while this process holds the bot's lease (storage/lease.py).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import html
import logging
import re
import secrets
from dataclasses import replace
from functools import partial
from typing import Any

import httpx
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from markupsafe import Markup

from bot.app import App
from bot.delivery.outbound import PLATFORM_LIMITS, Limits
from bot.delivery.render import show_mentions, to_plain
from bot.delivery.transport import Transport
from bot.settings import Settings
from bot.wecom.link import Frame, LinkError, WeComLink, WeComRefused
from handlers.core.media import MAX_PHOTO
from handlers.core.mentions import mentioned, resolve
from handlers.core.ports import Attachment, Delivery, Incoming, IncomingFile, Reply
from storage.db import unreachable
from storage.lease import Lease, lease_key
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

PLATFORM = "wecom"
MARKDOWN_BYTES = 4096  # WeCom's limit for a markdown message (a push, the group robot)
STREAM_BYTES = 20480  # and for a stream reply's content
TEXT_BYTES = 2048  # and for a text message
LEASE_RETRY_S = 30.0
CARD_TITLE_CHARS = 26  # a card's main title: WeCom recommends at most 26 characters
CARD_TEXT_CHARS = 112  # and its sub-title text at most 112
CARDS_KEPT = 2000  # cards remembered in memory (all are kept in the database for 30 days)
FIRST_ANSWER_S = 15.0  # at start, how long WeCom may take to accept or refuse the subscription
UPLOAD_CHUNK = 512 * 1024  # bytes per upload frame on the long connection
FILE_MAX_BYTES = 20 * 1024 * 1024  # WeCom takes a file of at most 20 MB (its media upload's limit)
WEBHOOK_IMAGE_BYTES = 2 * 1024 * 1024  # the group robot takes a picture inline up to this size
RATE_LIMITED = {45009, 45033, 130101}  # "api freq out of limit" and relatives
KEY_GONE = {93000, 93004, 93008}  # invalid webhook key / robot removed / not in the group
_BOLD = re.compile(r"</?(b|strong)>")
_LINK = re.compile(r'<a href="([^"]+)">(.*?)</a>', re.S)


_TAG = re.compile(r"(<[^>]+>)")
ZWSP = "\u200b"  # invisible: placed inside what WeCom markdown would read as markup
_LINE_START = re.compile(r"(^|\n)(\s*)(#|&gt;|-|\d+\.)", re.M)


def _inert(text: str) -> str:
    """One text node (HTML-escaped user or template text) made unable to form WeCom markdown: no
    [text](link), no <@userid> mention or <font> colour, no **bold**, headings, quotes or lists."""
    text = text.replace("](", "]" + ZWSP + "(").replace("&lt;", "&lt;" + ZWSP)
    text = text.replace("*", "*" + ZWSP).replace("`", "`" + ZWSP).replace("~", "~" + ZWSP)
    return _LINE_START.sub(lambda m: m.group(1) + m.group(2) + ZWSP + m.group(3), text)


def inert_text(markup: Markup) -> Markup:
    """Every text node of a reply made inert; our own tags (bold, mentions) stay markup."""
    parts = _TAG.split(str(markup))
    return Markup("".join(p if i % 2 else _inert(p) for i, p in enumerate(parts)))


def to_markdown(text: str) -> str:
    """Our HTML-safe text as WeCom markdown: bold kept, links as [text](url), tags dropped. User
    text inside must have been made inert first (inert_text)."""
    text = _BOLD.sub("**", text)
    text = _LINK.sub(lambda m: f"[{m.group(2)}]({m.group(1)})", text)
    return to_plain(text)


_BREAKS = "、，,；; 　"  # where a line too long for one message is best cut (after a list separator)


def split_bytes(text: str, limit: int = MARKDOWN_BYTES) -> list[str]:
    """Split on line breaks into parts of at most `limit` UTF-8 bytes; a line longer than that is
    cut after its last list separator that fits (a name list is not cut inside a name)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line.encode()) > limit:
            cut = limit
            while len(line[:cut].encode()) > limit:
                cut -= 1
            after = max(line.rfind(c, 0, cut) for c in _BREAKS) + 1
            if after > cut // 2:
                cut = after
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode()) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    parts.append(current)
    return parts


class WeComTransport(Transport):
    platform = PLATFORM

    def __init__(
        self, app: App, settings: Settings, *, http: httpx.AsyncClient | None = None, limits: Limits | None = None
    ) -> None:
        if not settings.wecom_bot_id or settings.wecom_bot_secret is None:
            raise ValueError("DANGJIAN_WECOM_BOT_ID and DANGJIAN_WECOM_BOT_SECRET are required")
        super().__init__(app, limits or PLATFORM_LIMITS[PLATFORM])
        self.settings = settings
        self.link = WeComLink(
            settings.wecom_ws_url,
            settings.wecom_bot_id,
            settings.wecom_bot_secret.get_secret_value(),
            self.on_frame,
            heartbeat_s=settings.wecom_heartbeat_s,
            on_ready=lambda: self.outbound.platform_back(),  # messages held while it was away go at once
        )
        self.lease = Lease(app.db, lease_key(f"wecom:{settings.wecom_bot_id}"), name=f"wecom-{settings.wecom_bot_id}")
        self.http = http or httpx.AsyncClient(timeout=10)
        self._mention = re.compile(r"^\s*@" + re.escape(settings.wecom_bot_name) + r"[\s\u2005\u00a0]*")
        self._waiter: asyncio.Task[None] | None = None
        self._cards: dict[str, dict[str, Any]] = {}  # task_id -> the card as sent (the latest CARDS_KEPT)

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Open the long connection if this process holds the bot's lease. A secret WeCom refuses
        at start stops the start (WeComRefused), as a wrong Telegram token does; an unreachable
        WeCom does not (the link keeps trying)."""
        if self.leading() and await self.lease.try_acquire():
            self.link.start()
            ready = asyncio.create_task(self.link.wait_ready(FIRST_ANSWER_S))
            refused = asyncio.create_task(self.link.refused.wait())
            await asyncio.wait({ready, refused}, return_when=asyncio.FIRST_COMPLETED)
            for task in (ready, refused):
                task.cancel()
            if self.link.refused.is_set() and not self.link.connected:
                await self.link.stop()
                await self.lease.release()
                raise WeComRefused(self.settings.wecom_bot_id)
        elif self.leading():
            log.warning("wecom: another process holds bot %s; waiting for it", self.settings.wecom_bot_id)
        self._waiter = asyncio.create_task(self._watch_lease())

    async def lead(self) -> None:
        await self._check_lease()

    async def _watch_lease(self) -> None:
        while True:
            await asyncio.sleep(LEASE_RETRY_S)
            await self._check_lease()

    async def _check_lease(self) -> None:
        """Take the lease if its holder is gone and this process leads (its outbound path is the
        bot's one: jobs/leader.py), and let the connection go if the lease was lost (the database
        dropped it and another process took it: two connections would kick each other off) or
        another process now leads."""
        try:
            if not self.leading():
                if self.link.running:
                    log.warning("wecom: another process leads; closing this connection")
                    await self.link.stop()
                await self.lease.release()
                return
            held = await self.lease.try_acquire()
        except Exception as exc:
            if not unreachable(exc):
                log.exception("wecom: could not check the lease")
            return  # the database is away: keep what we have
        if held and not self.link.running and not (self.link.kicked or self.link.gave_up):
            self.link.start()
        elif not held and self.link.running:
            log.warning("wecom: another process now holds bot %s; closing this connection", self.settings.wecom_bot_id)
            await self.link.stop()

    async def stop(self) -> None:
        if self._waiter is not None:
            self._waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._waiter
        await self.close()
        await self.link.stop()
        await self.lease.release()
        await self.http.aclose()

    # -- incoming -----------------------------------------------------------------------------
    def to_incoming(self, frame: Frame) -> Incoming | None:
        """A callback as an Incoming; its message_id is the callback's req_id, which answers name."""
        body = frame.get("body")
        if not isinstance(body, dict):
            return None
        sender = _dict(body.get("from"))
        user_id, msgid = str(sender.get("userid") or ""), str(body.get("msgid") or "")
        private = body.get("chattype") == "single"
        chat_id = user_id if private else str(body.get("chatid") or "")
        if not user_id or not msgid or not chat_id:
            return None
        base = Incoming(
            platform=PLATFORM,
            chat_id=chat_id,
            user_id=user_id,
            update_id=msgid,
            message_id=str(frame.get("headers", {}).get("req_id") or "") or None,
            is_private=private,
            addressed=True,  # in a group the bot only hears messages that @-mention it
            file_max=FILE_MAX_BYTES,
        )
        if frame.get("cmd") == "aibot_event_callback":
            event = _dict(body.get("event"))
            card = _dict(event.get("template_card_event")) or event  # nested, as documented; or flat
            key = str(card.get("event_key") or "")
            if event.get("eventtype") != "template_card_event" or not key:
                return None
            return replace(base, button=key)
        kind = body.get("msgtype")
        if kind == "text" and isinstance(body.get("text"), dict):
            return replace(base, text=self._mention.sub("", str(body["text"].get("content") or ""), count=1))
        if kind in ("mixed", "image"):  # a picture, with its text around it ("@党建助手 #12" + image)
            items = _dict(body.get("mixed")).get("msg_item") if kind == "mixed" else [body]
            texts, image = [], None
            for item in items if isinstance(items, list) else []:
                item = _dict(item)
                if item.get("msgtype") == "text":
                    texts.append(str(_dict(item.get("text")).get("content") or ""))
                elif item.get("msgtype") == "image" and image is None:
                    image = _dict(item.get("image"))
            if image is None or not image.get("url") or not image.get("aeskey"):
                return None
            caption = self._mention.sub("", " ".join(t.strip() for t in texts if t.strip()), count=1)
            fetch = partial(self._download, str(image["url"]), str(image["aeskey"]))
            return replace(base, text=caption, file=IncomingFile(None, fetch))
        return None

    async def _download(self, url: str, aeskey: str) -> bytes:
        """A picture a member sent: fetched (at most a little over the photo limit) and decrypted."""
        limit = MAX_PHOTO + 64
        try:
            async with self.http.stream("GET", url, timeout=30) as res:
                res.raise_for_status()
                data = bytearray()
                async for chunk in res.aiter_bytes():
                    data += chunk
                    if len(data) > limit:
                        break
        except httpx.HTTPError as exc:
            raise OSError(f"download failed: {exc}") from exc
        if len(data) > limit:
            return bytes(data)  # too large: refused by size, never decrypted
        try:
            return decrypt_media(bytes(data), aeskey)
        except ValueError as exc:
            raise OSError(f"could not decrypt: {exc}") from exc

    async def on_frame(self, frame: Frame) -> None:
        """A callback from the long connection: handled on the shared transport; returns once its
        answers have left."""
        incoming = self.to_incoming(frame)
        if incoming is None:
            body = frame.get("body")
            msgid = body.get("msgid") if isinstance(body, dict) else None
            log.info("wecom: ignoring a callback without a usable message (msgid %s)", msgid)
            return
        toast = None
        if incoming.button is not None and incoming.message_id:  # a card click takes a card update
            toast = partial(self._update_card, incoming, _clicked_task(frame))
        answers = await self.receive(
            incoming.chat_id, incoming.user_id, partial(self.answer, incoming, toast=toast), label=incoming.update_id
        )
        for delivery in await asyncio.gather(*answers):
            if not delivery.ok:
                log.warning("wecom: an answer in %s was not delivered: %s", incoming.chat_id, delivery.error)

    def addressed(self, incoming: Incoming, reply: Reply) -> Reply:
        """Every answer names the callback it answers (WeCom shows it as that message's answer);
        answers merged with others go as messages of their own. A card click's callback takes
        only the card's update (its private answer): what else it says goes as messages."""
        return replace(reply, reply_to=None if incoming.button is not None else incoming.message_id)

    async def _update_card(self, incoming: Incoming, task_id: str | None, reply: Reply | None) -> None:
        """Answer a click within WeCom's 5 s by updating the clicked card (for everyone): the
        presser's result on top, the card's own text and buttons kept (from the database when another
        process, or this one before a restart, sent it; a card older than 30 days: the result
        alone). If WeCom refuses, the result goes to the chat as a message instead."""
        sent = await self._card(task_id)
        card: dict[str, Any] = dict(sent) if sent else {"card_type": "button_interaction", "button_list": []}
        result = _card_plain(reply.text) if reply is not None else ""
        if sent is None:
            card["main_title"] = {"title": _clip(result.split("\n")[0] or "✅", CARD_TITLE_CHARS)}
            result = "\n".join(result.split("\n")[1:])
        if task_id:
            card["task_id"] = task_id
        text = "\n".join(t for t in (result, str(card.get("sub_title_text") or "")) if t)
        if text:
            card["sub_title_text"] = _clip(text, CARD_TEXT_CHARS)
        body = {"response_type": "update_template_card", "template_card": card}
        try:
            await self.link.request("aibot_respond_update_msg", body, req_id=incoming.message_id)
        except (LinkError, ConnectionError, TimeoutError) as exc:
            log.warning("wecom: a card update was refused (%s); the result goes as a message", exc)
            if reply is not None:
                self.outbound.post(incoming.chat_id, replace(reply, private=False, reply_to=None))

    async def _bodies(self, reply: Reply, chatid: str | None = None) -> list[dict[str, Any]]:
        """A reply as WeCom message bodies, in order: a button card where there are buttons, else
        markdown (the long connection answers a callback as a finished stream), split on line
        breaks where it is longer than one message takes. Every stream and card gets an id of its
        own (the SDKs make one per reply; WeCom wants a card's task_id never repeated)."""
        text = to_markdown(str(await self._with_mentions(inert_text(reply.text))))
        head: dict[str, Any] = {"chatid": chatid} if chatid else {}
        buttons = [b for b in reply.buttons if not b.request_contact]  # WeCom cannot share a contact
        if not buttons:
            return self._text_bodies(text, chatid)
        # a card shows plain text (no markdown, no <@userid>) within WeCom's recommended lengths;
        # what does not fit goes before it as a message, the card keeping the head line
        plain = _card_plain(reply.text)
        title, _, rest = plain.partition("\n")
        bodies: list[dict[str, Any]] = []
        if len(title) > CARD_TITLE_CHARS or len(rest.strip()) > CARD_TEXT_CHARS:
            bodies, rest = self._text_bodies(text, chatid), ""
        card: dict[str, Any] = {
            "card_type": "button_interaction",
            "main_title": {"title": _clip(title, CARD_TITLE_CHARS)},
            "button_list": [{"text": b.label[:10], "style": 1, "key": b.data} for b in buttons[:6]],
            "task_id": f"card_{secrets.token_hex(12)}",
        }
        if rest.strip():
            card["sub_title_text"] = rest.strip()
        await self._remember_card(card)
        return [*bodies, {**head, "msgtype": "template_card", "template_card": card}]

    async def _remember_card(self, card: dict[str, Any]) -> None:
        """Keep the card (here, and in the database for another process or after a restart): a
        click on it is answered by updating it as it was."""
        self._cards[card["task_id"]] = card
        while len(self._cards) > CARDS_KEPT:
            self._cards.pop(next(iter(self._cards)))
        now = self.app.services.clock.now()
        try:
            await self.app.db.unit(lambda c: UnitOfWork(c, now).wecom_cards.remember(card["task_id"], card, now))
        except Exception as exc:
            if unreachable(exc):
                raise  # the send waits for the database (the outbound path holds it)
            log.warning("wecom: could not keep card %s (%s); this process still knows it", card["task_id"], exc)

    async def _card(self, task_id: str | None) -> dict[str, Any] | None:
        if not task_id:
            return None
        if task_id in self._cards:
            return self._cards[task_id]
        try:
            now = self.app.services.clock.now()
            return await self.app.db.read(lambda c: UnitOfWork(c, now).wecom_cards.card(task_id))
        except Exception as exc:  # answering the click in time matters more
            log.warning("wecom: could not read card %s (%s)", task_id, exc)
            return None

    @staticmethod
    def _text_bodies(text: str, chatid: str | None) -> list[dict[str, Any]]:
        if chatid:
            head = {"chatid": chatid}
            return [{**head, "msgtype": "markdown", "markdown": {"content": p}} for p in split_bytes(text)]
        return [
            {"msgtype": "stream", "stream": {"id": secrets.token_hex(12), "finish": True, "content": p}}
            for p in split_bytes(text, STREAM_BYTES)
        ]

    async def _with_mentions(self, text: Markup) -> Markup:
        """Mentions become WeCom's <@userid>, which notifies the member."""
        return await show_mentions(self.app.db, PLATFORM, text, lambda user, _name: Markup("&lt;@{}&gt;").format(user))

    # -- outgoing: the port -------------------------------------------------------------------
    async def send_now(self, chat_id: str, reply: Reply) -> Delivery:
        """An answer as the response to its callback; anything else through the group's robot
        webhook if it has one, else the long connection. A file follows its text."""
        if reply.reply_to:
            delivery = await self._respond(reply.reply_to, reply)
        else:
            delivery = await self._send_text(chat_id, reply)
        if delivery.ok and reply.file is not None:
            return await self._send_file(chat_id, reply.file)
        return delivery

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> Delivery:
        """WeCom's pushed messages are not edited in place: a board stays as it was sent."""
        return Delivery(ok=True, message_id=message_id)

    async def _respond(self, req_id: str, reply: Reply) -> Delivery:
        try:
            for body in await self._bodies(reply):  # a long answer: several replies, in order
                await self.link.request("aibot_respond_msg", body, req_id=req_id)
        except LinkError as exc:
            return Delivery(ok=False, retry_after=60 if exc.errcode in RATE_LIMITED else None, error=str(exc))
        except (ConnectionError, TimeoutError) as exc:  # the long connection dropped: it comes back
            return Delivery(ok=False, error=str(exc) or "timeout", transient=True)
        return Delivery(ok=True)

    async def _send_text(self, chat_id: str, reply: Reply) -> Delivery:
        now = self.app.services.clock.now()
        key = await self.app.db.read(lambda c: UnitOfWork(c, now).chats.push_key(PLATFORM, chat_id))
        if key:
            return await self._webhook(key, reply)
        if not self.link.connected:
            return Delivery(ok=False, error="long connection not ready", transient=True)
        try:
            for body in await self._bodies(reply, chatid=chat_id):
                await self.link.request("aibot_send_msg", body)
        except LinkError as exc:
            return Delivery(ok=False, retry_after=60 if exc.errcode in RATE_LIMITED else None, error=str(exc))
        except (ConnectionError, TimeoutError) as exc:  # the long connection dropped: it comes back
            return Delivery(ok=False, error=str(exc) or "timeout", transient=True)
        return Delivery(ok=True)

    async def _send_file(self, chat_id: str, file: Attachment) -> Delivery:
        """A file or picture: uploaded over the long connection and sent as a message of its own;
        where that fails and the group has a robot webhook, uploaded and sent through that."""
        kind = "image" if file.image else "file"
        try:
            media_id = await self._upload(file, kind)
            await self.link.request(
                "aibot_send_msg", {"chatid": chat_id, "msgtype": kind, kind: {"media_id": media_id}}
            )
            return Delivery(ok=True)
        except (LinkError, ConnectionError, TimeoutError, KeyError) as exc:
            failure = str(exc) or type(exc).__name__
        now = self.app.services.clock.now()
        key = await self.app.db.read(lambda c: UnitOfWork(c, now).chats.push_key(PLATFORM, chat_id))
        if not key:
            return Delivery(ok=False, error=f"file upload failed: {failure}")
        return await self._webhook_file(key, file)

    async def _upload(self, file: Attachment, kind: str) -> str:
        """The long connection's three-step upload (init, chunks, finish); returns the media_id."""
        data = file.data
        chunks = [data[i : i + UPLOAD_CHUNK] for i in range(0, len(data), UPLOAD_CHUNK)] or [b""]
        init = await self.link.request(
            "aibot_upload_media_init",
            {
                "type": kind,
                "filename": file.name,
                "total_size": len(data),
                "total_chunks": len(chunks),
                "md5": hashlib.md5(data).hexdigest(),
            },
        )
        upload_id = str(_dict(init.get("body"))["upload_id"])
        for index, chunk in enumerate(chunks):
            await self.link.request(
                "aibot_upload_media_chunk",
                {"upload_id": upload_id, "chunk_index": index, "base64_data": base64.b64encode(chunk).decode()},
            )
        done = await self.link.request("aibot_upload_media_finish", {"upload_id": upload_id})
        return str(_dict(done.get("body"))["media_id"])

    async def _webhook_file(self, key: str, file: Attachment) -> Delivery:
        """The group robot: a picture inline (base64, up to 2 MB), anything else uploaded first."""
        url = self.settings.wecom_webhook_url
        try:
            if file.image and len(file.data) <= WEBHOOK_IMAGE_BYTES:
                image = {"base64": base64.b64encode(file.data).decode(), "md5": hashlib.md5(file.data).hexdigest()}
                message: dict[str, Any] = {"msgtype": "image", "image": image}
            else:
                res = await self.http.post(
                    url.rsplit("/", 1)[0] + "/upload_media",
                    params={"key": key, "type": "file"},
                    files={"media": (file.name, file.data, "application/octet-stream")},
                )
                answer = res.json()
                if int(answer.get("errcode", -1)) != 0:
                    return Delivery(ok=False, error=f"webhook upload error {answer.get('errcode')}")
                message = {"msgtype": "file", "file": {"media_id": answer["media_id"]}}
            res = await self.http.post(url, params={"key": key}, json=message)
            code = int(res.json().get("errcode", -1))
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            return Delivery(ok=False, error=f"webhook: {exc}")
        if code in RATE_LIMITED:
            return Delivery(ok=False, retry_after=60, error=f"webhook rate limited ({code})")
        return Delivery(ok=code == 0, error=None if code == 0 else f"webhook error {code}")

    async def _webhook(self, key: str, reply: Reply) -> Delivery:
        """Markdown; a push that names members goes as a text message whose mentioned_list
        (WeCom user ids) and mentioned_mobile_list (phones of those without one) notify them."""
        ids = mentioned(reply.text)
        if ids:
            now = self.app.services.clock.now()
            users, phones = await self.app.db.read(lambda c: _reachable(UnitOfWork(c, now), ids))
            messages = [
                {
                    "msgtype": "text",
                    "text": {
                        "content": part,
                        "mentioned_list": users,
                        "mentioned_mobile_list": phones,
                    },
                }
                for part in split_bytes(to_plain(reply.text), TEXT_BYTES)
            ]
        else:
            text = to_markdown(str(inert_text(reply.text)))
            messages = [{"msgtype": "markdown", "markdown": {"content": p}} for p in split_bytes(text)]
        for message in messages:
            try:
                res = await self.http.post(self.settings.wecom_webhook_url, params={"key": key}, json=message)
                if res.status_code >= 500:
                    return Delivery(ok=False, error=f"webhook: HTTP {res.status_code}", transient=True)
                answer = res.json()
            except httpx.TransportError as exc:  # refused, reset, timed out: it may work in a moment
                return Delivery(ok=False, error=f"webhook: {exc}", transient=True)
            except (httpx.HTTPError, ValueError) as exc:
                return Delivery(ok=False, error=f"webhook: {exc}")
            code = int(answer.get("errcode", -1))
            if code in RATE_LIMITED:
                return Delivery(ok=False, retry_after=60, error=f"webhook rate limited ({code})")
            if code in KEY_GONE:
                return Delivery(ok=False, chat_gone=True, error=f"webhook key invalid ({code})")
            if code != 0:
                return Delivery(ok=False, error=f"webhook error {code}: {html.escape(str(answer.get('errmsg')))}")
        return Delivery(ok=True)


async def _reachable(uow: UnitOfWork, member_ids: set[int]) -> tuple[list[str], list[str]]:
    """WeCom user ids of the members who have one, phone numbers of the others who have those."""
    accounts = await uow.accounts.platform_accounts(PLATFORM, member_ids)
    phones = []
    for member_id in sorted(member_ids - set(accounts)):
        member = await uow.org.member(member_id)
        if member is not None and member.phone:
            phones.append(member.phone)
    return sorted(accounts.values()), phones


def decrypt_media(data: bytes, aeskey: str) -> bytes:
    """WeCom's media encryption: AES-256-CBC, the key base64 in the message, the IV its first 16
    bytes, PKCS#7 padding to a multiple of 32 bytes."""
    key = base64.b64decode(aeskey + "=" * (-len(aeskey) % 4))
    if len(key) != 32 or not data or len(data) % 16:
        raise ValueError("not WeCom-encrypted media")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad padding")
    return plain[:-pad]


def _card_plain(text: Markup) -> str:
    """A reply's text as a card shows it: plain, mentions as names."""
    return to_plain(resolve(text, lambda _member, name: name)).strip()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clicked_task(frame: Frame) -> str | None:
    """The task_id of the card a click came from (nested or flat event)."""
    event = _dict(_dict(frame.get("body")).get("event"))
    card = _dict(event.get("template_card_event")) or event
    task = card.get("task_id")
    return str(task) if task else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
