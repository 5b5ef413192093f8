"""A running WeCom transport against the fake long-connection server and the fake webhook."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.cli.roster import import_roster
from bot.delivery.outbound import Limits
from bot.settings import Settings
from bot.wecom.transport import WeComTransport
from handlers.core.ports import FakeClock
from tests.fakes.wecom import BOT_ID, SECRET, FakeWebhook, FakeWeComServer, content_of, text_message
from tests.harness import T0

GROUP = "wr-group"  # a WeCom group chat id
ROSTER = (
    "姓名,支部,角色,手机,telegram_id,wecom_userid\n"
    "李红,机关党支部,管理员,,,lihong\n"
    "张伟,红星机械党支部,支部书记,,,zhangwei\n"
    "赵强,红星机械党支部,党员,,,zhaoqiang\n"
    "钱多多,红星机械党支部,党员,,,qianduoduo\n"
    "冯军,红星机械党支部,党员,13800000014,,\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class WC:
    app: App
    settings: Settings
    clock: FakeClock
    server: FakeWeComServer
    webhook: FakeWebhook
    transport: WeComTransport

    async def say(self, user: str, text: str, chatid: str | None = GROUP, *, msgid: str | None = None) -> list[str]:
        """An @-mention in the group (or a single chat if chatid is None); the bot's answers."""
        content = f"@党建助手 {text}" if chatid else text
        req_id = await self.server.callback(text_message(user, content, chatid, msgid))
        try:
            await self.server.until(lambda: bool(self.server.replies(req_id)), within=5)
        except TimeoutError:
            return []
        await asyncio.sleep(0.05)  # a second reply to the same message, if any
        return [content_of(b) for b in self.server.replies(req_id)]

    async def rows(self, stmt: Any) -> list[Any]:
        async def q(conn: Any) -> list[Any]:
            return list((await conn.execute(stmt)).all())

        return await self.app.db.read(q)


async def start_wc(db_url: str, tmp_path: Path, server: FakeWeComServer, webhook: FakeWebhook, **extra: Any) -> WC:
    port = await server.start() if server._server is None else int(next(iter(server._server.sockets)).getsockname()[1])
    hook_port = extra.pop("hook_port")
    settings = Settings(
        database_url=db_url,
        wecom_bot_id=BOT_ID,
        wecom_bot_secret=SECRET,
        wecom_ws_url=f"ws://127.0.0.1:{port}",
        wecom_webhook_url=f"http://127.0.0.1:{hook_port}/cgi-bin/webhook/send",
        wecom_heartbeat_s=0.5,
        **extra,
    )
    clock = FakeClock(T0)
    app = await build_app(settings, clock)
    roster = tmp_path / "roster.csv"
    if not roster.exists():
        roster.write_text(ROSTER, encoding="utf-8")
        await import_roster(app.db, roster, "城东联合党委", T0)
    transport = WeComTransport(app, settings)
    await transport.start()
    return WC(app, settings, clock, server, webhook, transport)


@pytest.fixture
async def wc(db_url: str, tmp_path: Path) -> AsyncIterator[WC]:
    server, webhook = FakeWeComServer(), FakeWebhook(keys={"KEY-1"}, window_s=1.0)
    hook_port = free_port()
    http = webhook.serve(hook_port)
    w = await start_wc(db_url, tmp_path, server, webhook, hook_port=hook_port)
    # a group's 20 messages a minute, with the minute shortened to a second as the fake webhook's is
    w.transport.outbound.configure(Limits(per_chat_per_minute=20 * 60, chat_window_s=1.0))
    assert await w.transport.link.wait_ready(5)
    try:
        yield w
    finally:
        await w.transport.stop()
        await w.app.close()
        await server.stop()
        http.stop()
