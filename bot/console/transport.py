"""A terminal group chat: act as any member (/as 张三), switch chats (/chat 名称), press buttons.

The console is one more platform on the shared transport (bot/delivery/transport.py): lines become
`Incoming`s, and whatever the bot says, an answer or a push, is printed when its turn on the
outbound path comes (a terminal has no limits to keep).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from bot.app import App
from bot.delivery.outbound import Limits
from bot.delivery.render import to_plain
from bot.delivery.transport import Transport
from handlers.core.i18n import render
from handlers.core.ports import Delivery, Incoming, IncomingFile, Reply

PLATFORM = "console"
CONTACT_BUTTON = "\x00contact"  # stands for a "share my phone number" button: /contact answers it
FILES = Path("data/console-files")  # where files the bot sends in the console are saved
_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def save_file(reply: Reply, folder: Path) -> Path | None:
    """Keep a file a reply carries (a ledger, a chart) where the terminal user can open it."""
    if reply.file is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (_UNSAFE.sub("_", reply.file.name).strip("._") or "file")
    path.write_bytes(reply.file.data)
    return path


class ConsoleTransport(Transport):
    """Prints what the bot says: an answer under the line it answers, a push (a reminder, a
    sign-in board, a summary) with its chat and time."""

    platform = PLATFORM

    def __init__(
        self,
        app: App,
        out: Callable[[str], None],
        *,
        stamp: Callable[[], str] | None = None,
        files: Path | None = FILES,
    ) -> None:
        super().__init__(app, Limits())  # a terminal has no limits to keep
        self.out, self.stamp, self.files = out, stamp, files  # files None: named, not saved
        self.on_buttons: Callable[[Reply], None] | None = None  # lets the chat remember buttons shown
        self.sent: list[tuple[str, Reply]] = []
        self._ids = itertools.count(1)

    def addressed(self, incoming: Incoming, reply: Reply) -> Reply:
        """Every answer names the line it answers."""
        return replace(reply, reply_to=incoming.message_id)

    async def send_now(self, chat_id: str, reply: Reply) -> Delivery:
        self.sent.append((chat_id, reply))
        if reply.reply_to is not None:
            prefix = "🤖"
        else:
            prefix = f"[{chat_id}{f' {self.stamp()}' if self.stamp is not None else ''}] 🤖"
        saved = save_file(reply, self.files) if self.files is not None else None
        self.out(format_reply(reply, prefix, saved, await self.app.chat_locale(PLATFORM, chat_id)))
        if self.on_buttons is not None and reply.buttons:
            self.on_buttons(reply)
        return Delivery(ok=True, message_id=str(next(self._ids)))

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> Delivery:
        """A board is not printed again at every sign-in (考勤 shows it)."""
        return Delivery(ok=True, message_id=message_id)

    def paced(self, chat_id: str) -> bool:
        return False


def label(key: str, locale: str, **params: object) -> str:
    """A console word in the chat's language (handlers/templates/console)."""
    return to_plain(render(f"console.{key}", locale, **params))


def format_reply(reply: Reply, prefix: str = "🤖", saved: Path | None = None, locale: str = "zh-CN") -> str:
    body = to_plain(reply.text)
    lines = [f"{prefix} {label('only_you', locale) + ' ' if reply.private else ''}{body}"]
    if saved is not None:
        lines.append(f"   📎 {saved}")
    elif reply.file is not None:
        lines.append(f"   📎 {reply.file.name}")
    if reply.buttons:
        hint = " " + label("contact_hint", locale)
        lines.append(
            "   "
            + "  ".join(
                f"[{i}] {b.label}" + (hint if b.request_contact else "") for i, b in enumerate(reply.buttons, 1)
            )
        )
    return "\n".join(lines)


def private_chat(user: str) -> str:
    """The chat id of a user's private chat with the bot in the console."""
    return f"@{user}"


@dataclass
class ConsoleChat:
    """State of one terminal session: who is speaking, in which chat, the last buttons shown."""

    transport: ConsoleTransport
    chat_id: str = "党员群"
    user: str = "访客"
    private: bool = False  # in the user's private chat with the bot (/dm) rather than a group
    last_buttons: list[str] = field(default_factory=list)
    _updates: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.transport.on_buttons = self.remember

    def out(self, line: str) -> None:
        self.transport.out(line)

    async def tell(self, key: str, **params: object) -> list[Reply]:
        """A console line (not the bot's) in this chat's language."""
        self.out(label(key, await self.transport.app.chat_locale(PLATFORM, self.chat_id), **params))
        return []

    def _incoming(
        self, text: str = "", button: str | None = None, contact: str | None = None, file: IncomingFile | None = None
    ) -> Incoming:
        n = next(self._updates)
        return Incoming(
            platform=PLATFORM,
            chat_id=self.chat_id,
            user_id=self.user,
            text=text,
            button=button,
            update_id=f"{self.chat_id}:{self.user}:{n}:{id(self)}",
            message_id=str(n),
            user_display=self.user,
            is_private=self.private,
            addressed=self.private,  # a group's chatter is not spoken to the bot (as in a real group)
            contact_phone=contact,
            can_share_contact=True,  # /contact plays the platform's "share my phone number"
            file=file,
        )

    async def say(self, text: str) -> list[Reply]:
        """Handle one typed line: a console directive, or a chat message from the current user."""
        line = text.strip()
        if line.startswith("/as "):
            self.user = line[4:].strip() or self.user
            if self.private:
                self.chat_id = private_chat(self.user)
            return await self.tell("now_as", user=self.user)
        if line.startswith("/chat "):
            self.chat_id = line[6:].strip() or self.chat_id
            self.private = False
            return await self.tell("switched", chat=self.chat_id)
        if line == "/dm":
            self.chat_id, self.private = private_chat(self.user), True
            return await self.tell("in_dm", user=self.user)
        if line.startswith("/contact"):
            phone = line[8:].strip()
            if not phone:
                return await self.tell("contact_usage")
            await self.tell("shared", user=self.user, phone=phone)
            return await self._send(self._incoming(contact=phone))
        if line.startswith("/photo"):
            path_text, _, caption = line[6:].strip().partition(" ")
            path = Path(path_text)
            if not path_text or not await asyncio.to_thread(path.is_file):
                return await self.tell("photo_usage")
            self.out(f"{self.user} 📷 {path.name} {caption}")
            size = (await asyncio.to_thread(path.stat)).st_size
            upload = IncomingFile(size, _reader(path), path.name)
            return await self._send(self._incoming(text=caption.strip(), file=upload))
        if line.startswith("/press"):
            arg = line[6:].strip() or "1"
            if not arg.isdigit() or not 1 <= int(arg) <= len(self.last_buttons):
                return await self.tell("no_button")
            data = self.last_buttons[int(arg) - 1]
            if data == CONTACT_BUTTON:
                return await self.tell("share_hint")
            await self.tell("pressed", user=self.user, n=arg)
            return await self._send(self._incoming(button=data))
        if not line:
            return []
        self.out(f"{self.user}: {line}")
        return await self._send(self._incoming(text=line))

    async def _send(self, incoming: Incoming) -> list[Reply]:
        """Play a message into the bot; returns the answers once they are printed."""
        transport = self.transport
        before = len(transport.sent)
        answers = await transport.receive(
            incoming.chat_id, incoming.user_id, partial(transport.answer, incoming), label=incoming.update_id
        )
        await asyncio.gather(*answers)
        return [r for _chat, r in transport.sent[before:] if r.reply_to == incoming.message_id]

    def remember(self, reply: Reply) -> None:
        if reply.buttons:
            self.last_buttons = [CONTACT_BUTTON if b.request_contact else b.data for b in reply.buttons]


def _reader(path: Path) -> Callable[[], Awaitable[bytes]]:
    async def read() -> bytes:
        return await asyncio.to_thread(path.read_bytes)

    return read
