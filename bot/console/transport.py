"""A terminal group chat: act as any member (/as 张三), switch chats (/chat 名称), press buttons."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.render import to_plain
from handlers.ports import ChatRef, Delivery, Incoming, Reply
from handlers.router import Router

PLATFORM = "console"
CONTACT_BUTTON = "\x00contact"  # stands for a "share my phone number" button: /contact answers it


@dataclass
class ConsoleSender:
    """Pushes (reminders, sign-in messages, summaries) printed into the transcript."""

    out: Callable[[str], None]
    on_reply: Callable[[Reply], None] | None = None  # lets the chat remember pushed buttons
    stamp: Callable[[], str] | None = None  # the time shown with each push
    platform: str = PLATFORM
    sent: list[tuple[str, Reply]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def send(self, chat: ChatRef, reply: Reply) -> Delivery:
        self.sent.append((chat.chat_id, reply))
        when = f" {self.stamp()}" if self.stamp is not None else ""
        self.out(format_reply(reply, f"[{chat.chat_id}{when}] 🤖"))
        if self.on_reply is not None and reply.buttons:
            self.on_reply(reply)
        return Delivery(ok=True, message_id=str(next(self._ids)))


def format_reply(reply: Reply, prefix: str = "🤖") -> str:
    body = to_plain(reply.text)
    lines = [f"{prefix} {'(仅你可见) ' if reply.private else ''}{body}"]
    if reply.buttons:
        lines.append(
            "   "
            + "  ".join(
                f"[{i}] {b.label}" + (" (/contact 手机号)" if b.request_contact else "")
                for i, b in enumerate(reply.buttons, 1)
            )
        )
    return "\n".join(lines)


def private_chat(user: str) -> str:
    """The chat id of a user's private chat with the bot in the console."""
    return f"@{user}"


@dataclass
class ConsoleChat:
    """State of one terminal session: who is speaking, in which chat, the last buttons shown."""

    router: Router
    out: Callable[[str], None]
    chat_id: str = "党员群"
    user: str = "访客"
    private: bool = False  # in the user's private chat with the bot (/dm) rather than a group
    last_buttons: list[str] = field(default_factory=list)
    _updates: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _incoming(self, text: str = "", button: str | None = None, contact: str | None = None) -> Incoming:
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
            addressed=True,
            contact_phone=contact,
            can_share_contact=True,  # /contact plays the platform's "share my phone number"
        )

    async def say(self, text: str) -> list[Reply]:
        """Handle one typed line: a console directive, or a chat message from the current user."""
        line = text.strip()
        if line.startswith("/as "):
            self.user = line[4:].strip() or self.user
            if self.private:
                self.chat_id = private_chat(self.user)
            self.out(f"（现在以 {self.user} 的身份发言）")
            return []
        if line.startswith("/chat "):
            self.chat_id = line[6:].strip() or self.chat_id
            self.private = False
            self.out(f"（已切换到群：{self.chat_id}）")
            return []
        if line == "/dm":
            self.chat_id, self.private = private_chat(self.user), True
            self.out(f"（{self.user} 与机器人私聊；/chat 群名 回到群里）")
            return []
        if line.startswith("/contact"):
            phone = line[8:].strip()
            if not phone:
                self.out("（用法：/contact 手机号，相当于在私聊中点“验证手机号”分享自己的号码）")
                return []
            self.out(f"{self.user} 📇 分享了自己的手机号 {phone}")
            return await self._send(self._incoming(contact=phone))
        if line.startswith("/press"):
            arg = line[6:].strip() or "1"
            if not arg.isdigit() or not 1 <= int(arg) <= len(self.last_buttons):
                self.out("（没有这个按钮）")
                return []
            data = self.last_buttons[int(arg) - 1]
            if data == CONTACT_BUTTON:
                self.out("（分享手机号：输入 /contact 手机号）")
                return []
            self.out(f"{self.user} 👆 按下按钮 {arg}")
            return await self._send(self._incoming(button=data))
        if not line:
            return []
        self.out(f"{self.user}: {line}")
        return await self._send(self._incoming(text=line))

    async def _send(self, incoming: Incoming) -> list[Reply]:
        replies = await self.router.dispatch(incoming)
        for r in replies:
            self.show(r)
        return replies

    def show(self, reply: Reply, prefix: str = "🤖") -> None:
        self.remember(reply)
        self.out(format_reply(reply, prefix))

    def remember(self, reply: Reply) -> None:
        if reply.buttons:
            self.last_buttons = [CONTACT_BUTTON if b.request_contact else b.data for b in reply.buttons]
