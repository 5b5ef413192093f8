"""Drives the real router, storage and dispatcher through Incoming messages, on a fake clock."""

from __future__ import annotations

import itertools
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import App, build_app
from bot.cli.roster import import_roster
from bot.console.transport import ConsoleTransport
from bot.delivery.render import to_plain
from bot.runtime import Runtime
from bot.settings import Settings
from handlers.core.ports import FakeClock, Incoming, Reply
from jobs.dispatcher import Dispatcher

ROSTER = Path(__file__).parent.parent / "bot" / "console" / "sample_roster.csv"
REGION = "城东联合党委"
GROUP = "红星群"  # bound to 红星机械党支部
REGION_CHAT = "书记群"  # bound to the whole region
T0 = datetime.fromisoformat("2026-12-01T09:00:00+08:00")
PHONES = {
    line.split(",")[0]: line.split(",")[3] for line in ROSTER.read_text(encoding="utf-8").splitlines()[1:] if line
}


@dataclass
class Harness:
    app: App
    clock: FakeClock
    sender: ConsoleTransport
    pushed: list[str] = field(default_factory=list)
    runtime: Runtime = field(init=False)  # timed work as every process runs it (calendar jobs: the tests')
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.runtime = Runtime(self.app, {"console": self.sender}, calendar_jobs=False)

    @classmethod
    async def start(cls, url: str, *, setup: bool = True, first_id: int = 1, **settings: Any) -> Harness:
        """The app on `url`; with `setup`, the sample region imported into it and two chats bound.
        `first_id` numbers the updates when the database already holds a set-up sample (its
        updates are remembered: numbering again from 1 would read as redeliveries)."""
        clock = FakeClock(T0)
        scratch = Path(tempfile.mkdtemp(prefix="dangjian-test-"))
        settings.setdefault("media_dir", str(scratch / "media"))
        app = await build_app(Settings(database_url=url, **settings), clock, settle=False)
        pushed: list[str] = []
        h = cls(app, clock, ConsoleTransport(app, pushed.append, files=scratch / "files"), pushed)
        h._ids = itertools.count(first_id)
        if setup:
            await import_roster(app.db, ROSTER, REGION, clock.now())
            await h.join("李红")
            await h.say("绑定 红星机械党支部", user="u-李红", chat=GROUP)
            await h.say("绑定 城东联合党委", user="u-李红", chat=REGION_CHAT)
            for name in ("张伟", "赵强", "钱多多", "冯军"):
                await h.join(name)
        return h

    @classmethod
    async def set_up_sample(cls, url: str) -> int:
        """Set the sample up on `url` and close; the number the next update takes."""
        h = await cls.start(url)
        try:
            return next(h._ids)
        finally:
            await h.close()

    async def join(self, name: str, *, user: str | None = None, chat: str | None = None) -> list[str]:
        """Register a sample member the way a real one proves it: sharing their own contact, whose
        phone the roster has (in the member's private chat with the bot, unless `chat` is given)."""
        user = user or f"u-{name}"
        incoming = self.incoming(user=user, chat=chat or f"@{user}", contact=PHONES[name], private=chat is None)
        return [to_plain(r.text) for r in await self.send(incoming)]

    def incoming(
        self,
        text: str = "",
        *,
        user: str,
        chat: str = GROUP,
        button: str | None = None,
        update_id: str | None = None,
        addressed: bool = False,
        private: bool = False,
        contact: str | None = None,
        platform: str = "console",
    ) -> Incoming:
        n = next(self._ids)
        return Incoming(
            platform=platform,
            chat_id=chat,
            user_id=user,
            text=text,
            button=button,
            update_id=update_id or f"u{n}",
            message_id=str(n),
            user_display=user,
            is_private=private,
            addressed=addressed or private,
            contact_phone=contact,
        )

    @property
    def dispatcher(self) -> Dispatcher:
        return self.runtime.dispatcher

    async def send(self, incoming: Incoming) -> list[Reply]:
        return await self.app.router.dispatch(incoming)

    async def say(self, text: str, *, user: str, chat: str = GROUP, **kw: Any) -> list[str]:
        """Send a message; return the plain text of every reply."""
        return [to_plain(r.text) for r in await self.send(self.incoming(text, user=user, chat=chat, **kw))]

    async def press(self, data: str, *, user: str, chat: str = GROUP) -> list[Reply]:
        return await self.send(self.incoming(user=user, chat=chat, button=data))

    async def dm(self, text: str, *, user: str) -> list[str]:
        """A message in the user's private chat with the bot."""
        return await self.say(text, user=user, chat=f"@{user}", private=True)

    async def tick(self, **delta: float) -> list[str]:
        """Move the clock, run the dispatcher, return what it pushed."""
        before = len(self.pushed)
        await self.runtime.advance_to(self.clock.now() + timedelta(**delta))
        return self.pushed[before:]

    async def count(self, model: Any, *where: Any) -> int:
        async def q(conn: Any) -> int:
            return int((await conn.execute(select(func.count()).select_from(model).where(*where))).scalar_one())

        return await self.app.db.read(q)

    async def rows(self, stmt: Any) -> list[Any]:
        async def q(conn: Any) -> list[Any]:
            return list((await conn.execute(stmt)).all())

        return await self.app.db.read(q)

    async def close(self) -> None:
        await self.sender.close()
        await self.app.close()
