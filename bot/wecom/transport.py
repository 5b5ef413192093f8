"""The WeCom transport: two-way chat through the AI bot long connection, pushes through the group
robot webhook where a group has a key (else through the long connection).

Only one process may hold a bot's long connection (a new one would kick the old off), so the
connection is opened only while this process holds the bot's lease (storage/lease.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
from dataclasses import replace
from typing import Any

import httpx
from markupsafe import Markup

from bot.app import App
from bot.render import show_mentions, to_plain
from bot.settings import Settings
from bot.wecom.link import Frame, LinkError, WeComLink
from handlers.mentions import mentioned
from handlers.ports import ChatRef, Delivery, Incoming, Reply
from storage.lease import Lease, lease_key
from storage.repositories import OrgRepo

log = logging.getLogger(__name__)

PLATFORM = "wecom"
MARKDOWN_BYTES = 4096  # WeCom's limit for a markdown message
TEXT_BYTES = 2048  # and for a text message
LEASE_RETRY_S = 30.0
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


def split_bytes(text: str, limit: int = MARKDOWN_BYTES) -> list[str]:
    """Split on line breaks into parts of at most `limit` UTF-8 bytes (a long line is cut)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line.encode()) > limit:
            cut = limit
            while len(line[:cut].encode()) > limit:
                cut -= 1
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


class WeComTransport:
    platform = PLATFORM

    def __init__(self, app: App, settings: Settings, *, http: httpx.AsyncClient | None = None) -> None:
        if not settings.wecom_bot_id or settings.wecom_bot_secret is None:
            raise ValueError("DANGJIAN_WECOM_BOT_ID and DANGJIAN_WECOM_BOT_SECRET are required")
        self.app, self.settings = app, settings
        self.link = WeComLink(
            settings.wecom_ws_url,
            settings.wecom_bot_id,
            settings.wecom_bot_secret.get_secret_value(),
            self.on_frame,
            heartbeat_s=settings.wecom_heartbeat_s,
        )
        self.lease = Lease(app.db, lease_key(f"wecom:{settings.wecom_bot_id}"), name=f"wecom-{settings.wecom_bot_id}")
        self.http = http or httpx.AsyncClient(timeout=10)
        self._mention = re.compile(r"^\s*@" + re.escape(settings.wecom_bot_name) + r"[\s\u2005\u00a0]*")
        self._waiter: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        if await self.lease.try_acquire():
            self.link.start()
        else:
            log.warning("wecom: another process holds bot %s; waiting for it", self.settings.wecom_bot_id)
            self._waiter = asyncio.create_task(self._wait_for_lease())

    async def _wait_for_lease(self) -> None:
        """Try the lease every 30 s: polling, since the other holder is another process."""
        while True:
            await asyncio.sleep(LEASE_RETRY_S)
            if await self.lease.try_acquire():
                self.link.start()
                return

    async def stop(self) -> None:
        if self._waiter is not None:
            self._waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._waiter
        await self.link.stop()
        await self.lease.release()
        await self.http.aclose()

    # -- incoming -----------------------------------------------------------------------------
    def to_incoming(self, frame: Frame) -> Incoming | None:
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
            is_private=private,
            addressed=True,  # in a group the bot only hears messages that @-mention it
        )
        if frame.get("cmd") == "aibot_event_callback":
            event = _dict(body.get("event"))
            card = _dict(event.get("template_card_event"))
            key = str(card.get("event_key") or "")
            if event.get("eventtype") != "template_card_event" or not key:
                return None
            return replace(base, button=key)
        if body.get("msgtype") != "text" or not isinstance(body.get("text"), dict):
            return None
        text = self._mention.sub("", str(body["text"].get("content") or ""), count=1)
        return replace(base, text=text)

    async def on_frame(self, frame: Frame) -> None:
        incoming = self.to_incoming(frame)
        if incoming is None:
            body = frame.get("body")
            msgid = body.get("msgid") if isinstance(body, dict) else None
            log.info("wecom: ignoring a callback without a usable message (msgid %s)", msgid)
            return
        replies = await self.app.router.dispatch(incoming)
        req_id = str(frame.get("headers", {}).get("req_id") or "")
        for reply in replies:
            await self._respond(req_id, reply)

    async def _respond(self, req_id: str, reply: Reply) -> None:
        body = await self._body(reply)
        try:
            await self.link.request("aibot_respond_msg", body, req_id=req_id)
        except (LinkError, ConnectionError, TimeoutError) as exc:
            log.warning("wecom: reply to %s not delivered: %s", req_id, exc)

    async def _body(self, reply: Reply, chatid: str | None = None) -> dict[str, Any]:
        """A reply as WeCom message body: a button card where there are buttons, else markdown
        (the long connection answers a callback as a finished stream)."""
        text = to_markdown(str(await self._with_mentions(inert_text(reply.text))))
        head: dict[str, Any] = {"chatid": chatid} if chatid else {}
        buttons = [b for b in reply.buttons if not b.request_contact]  # WeCom cannot share a contact
        if buttons:
            lines = text.split("\n")
            card = {
                "card_type": "button_interaction",
                "main_title": {"title": lines[0][:36]},
                "sub_title_text": "\n".join(lines[1:])[:1000],
                "button_list": [{"text": b.label[:10], "style": 1, "key": b.data} for b in buttons[:6]],
                "task_id": f"card_{abs(hash((text, tuple(buttons)))) % 10**12}",
            }
            return {**head, "msgtype": "template_card", "template_card": card}
        content = split_bytes(text)[0]
        if chatid:
            return {**head, "msgtype": "markdown", "markdown": {"content": content}}
        return {
            "msgtype": "stream",
            "stream": {"id": f"s{abs(hash(content)) % 10**12}", "finish": True, "content": content},
        }

    async def _with_mentions(self, text: Markup) -> Markup:
        """Mentions become WeCom's <@userid>, which notifies the member."""
        return await show_mentions(self.app.db, PLATFORM, text, lambda user, _name: Markup("&lt;@{}&gt;").format(user))

    # -- outgoing: the Sender port ------------------------------------------------------------
    async def send(self, chat: ChatRef, reply: Reply) -> Delivery:
        """Push through the group's robot webhook if it has one, else the long connection."""
        key = await self.app.db.read(lambda c: OrgRepo(c).push_key(PLATFORM, chat.chat_id))
        if key:
            return await self._webhook(key, reply)
        if not self.link.connected:
            return Delivery(ok=False, error="long connection not ready", retry_after=10)
        try:
            await self.link.request("aibot_send_msg", await self._body(reply, chatid=chat.chat_id))
        except LinkError as exc:
            return Delivery(ok=False, retry_after=60 if exc.errcode in RATE_LIMITED else None, error=str(exc))
        except (ConnectionError, TimeoutError) as exc:
            return Delivery(ok=False, error=str(exc) or "timeout")
        return Delivery(ok=True)

    async def _webhook(self, key: str, reply: Reply) -> Delivery:
        """Markdown; a push that names members goes as a text message whose mentioned_list
        (WeCom user ids) and mentioned_mobile_list (phones of those without one) notify them."""
        ids = mentioned(reply.text)
        if ids:
            users, phones = await self.app.db.read(lambda c: _reachable(c, ids))
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
                answer = res.json()
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


async def _reachable(conn: Any, member_ids: set[int]) -> tuple[list[str], list[str]]:
    """WeCom user ids of the members who have one, phone numbers of the others who have those."""
    accounts = await OrgRepo(conn).platform_accounts(PLATFORM, member_ids)
    phones = []
    for member_id in sorted(member_ids - set(accounts)):
        member = await OrgRepo(conn).member(member_id)
        if member is not None and member.phone:
            phones.append(member.phone)
    return sorted(accounts.values()), phones


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
