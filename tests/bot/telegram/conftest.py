"""A real TelegramTransport (python-telegram-bot Application) over the fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update

from bot.app import App, build_app
from bot.cli.roster import import_roster
from bot.settings import Settings
from bot.telegram.transport import TelegramTransport
from handlers.core.ports import FakeClock
from tests.fakes.telegram_api import FakeBotAPI, FakeRequest, text_update

GROUP = -1001  # bound to 红星机械党支部
ADMIN, SECRETARY, ZHAO, QIAN, FENG = 101, 102, 103, 104, 105
ROSTER = (
    "姓名,支部,角色,手机,telegram_id,wecom_userid\n"
    f"李红,机关党支部,管理员,,{ADMIN},\n"
    "王建国,机关党支部,联合党委书记,13800000001,,\n"
    f"张伟,红星机械党支部,支部书记,,{SECRETARY},\n"
    f"赵强,红星机械党支部,党员,,{ZHAO},\n"
    f"钱多多,红星机械党支部,党员,,{QIAN},\n"
    "冯军,红星机械党支部,党员,138-0000-0014,,\n"
)
T0 = datetime.fromisoformat("2026-12-01T09:00:00+08:00")


LIVE: list[asyncio.subprocess.Process] = []  # `dangjian run` processes started by the running test


@pytest.fixture(autouse=True)
def _no_worker_outlives_its_test() -> Iterator[None]:
    """A test that failed half-way must not leave its processes running (holding the lease)."""
    yield
    while LIVE:
        proc = LIVE.pop()
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGKILL)


@dataclass
class TG:
    app: App
    api: FakeBotAPI
    transport: TelegramTransport
    clock: FakeClock

    async def feed(self, update: dict[str, Any]) -> None:
        await self.transport.ptb.process_update(Update.de_json(update, self.transport.ptb.bot))

    async def answered(self, update: dict[str, Any]) -> None:
        """Feed an update and wait until its answers have left."""
        await self.feed(update)
        await self.settle()

    async def say(self, uid: int, text: str, cid: int = GROUP, **kw: Any) -> None:
        """Send a message and wait until its answers have left (they go out on the outbound path)."""
        await self.feed(text_update(uid, cid, text, **kw))
        await self.settle()

    async def push(self) -> int:
        """Send what the outbox holds that is due now (approval cards, answers, reminders)."""
        from bot.app import dispatcher_for

        sent = await dispatcher_for(self.app, {"telegram": self.transport}).run_once()
        await self.settle()
        return sent

    async def settle(self) -> None:
        """Wait (at most 10 s) until the outbound path has sent everything it holds."""
        async with asyncio.timeout(10):
            await self.transport.outbound.drained()

    async def rows(self, stmt: Any) -> list[Any]:
        async def q(conn: Any) -> list[Any]:
            return list((await conn.execute(stmt)).all())

        return await self.app.db.read(q)

    async def binding_active(self, chat_id: int) -> bool | None:
        from storage.models import ChatBinding

        rows = await self.rows(select(ChatBinding.active).where(ChatBinding.chat_id == str(chat_id)))
        return rows[0][0] if rows else None


async def start_tg(
    db_url: str, tmp_path: Path, *, api: FakeBotAPI, roster: str = ROSTER, receive: bool = False, **settings: Any
) -> TG:
    """The app and a real transport over the fake API; `receive`: polling, each update through the
    inbox (otherwise tests feed updates straight to the application)."""
    clock = FakeClock(T0)
    config = Settings(database_url=db_url, telegram_token="123:TEST", **settings)
    app = await build_app(config, clock)
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text(roster, encoding="utf-8")
    await import_roster(app.db, roster_file, "城东联合党委", clock.now())
    transport = TelegramTransport(app, config, request=FakeRequest(api))
    await transport.start(receive=receive)
    return TG(app, api, transport, clock)


@pytest.fixture
async def tg(db_url: str, tmp_path: Path) -> AsyncIterator[TG]:
    """Limits off and a fast per-group budget: for behaviour; the rush test uses the real limits."""
    harness = await start_tg(db_url, tmp_path, api=FakeBotAPI(enforce_limits=False), telegram_group_per_minute=6000)
    try:
        yield harness
    finally:
        await harness.transport.stop()
        await harness.app.close()
