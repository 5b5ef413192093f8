"""`dangjian run telegram` as a real process against the fake Bot API served over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from storage.models import Attendance, Member
from tests.bot.telegram.conftest import GROUP, ROSTER, SECRETARY, ZHAO
from tests.fakes.telegram_api import FakeBotAPI, serve_http, text_update


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(db_url: str, api_port: int, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DANGJIAN_DATABASE_URL": db_url,
        "DANGJIAN_TELEGRAM_TOKEN": "123:E2E",
        "DANGJIAN_TELEGRAM_BASE_URL": f"http://127.0.0.1:{api_port}/bot",
        "DANGJIAN_SIGNIN_OPENS_BEFORE_MIN": "2880",  # 明天 9:00 is at most 33 h away: open now
        "DANGJIAN_TELEGRAM_GROUP_PER_MINUTE": "600",
        "DANGJIAN_DISPATCH_INTERVAL_S": "0.2",
        "DANGJIAN_LOG_LEVEL": "INFO",
        **extra,
    }


async def cli(env: dict[str, str], *args: str, log: Path | None = None) -> asyncio.subprocess.Process:
    """A `dangjian` process. A chatty one (DEBUG) logs to a file: a pipe read only at the end
    would fill up and stall it."""
    if log is None:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli.main",
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    with log.open("ab") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli.main", *args, env=env, stdout=sink, stderr=sink
        )


async def until(check: Callable[[], bool], what: str, within: float = 30.0) -> None:
    """Poll the fake API's record: the bot is another process, so there is no event to await."""
    for _ in range(int(within / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@asynccontextmanager
async def running_bot(db_url: str, tmp_path: Path, **extra: str) -> AsyncIterator[tuple[FakeBotAPI, dict[str, str]]]:
    """The fake Bot API on a local port, the roster imported by CLI, and `dangjian run telegram`."""
    api = FakeBotAPI()
    api_port = free_port()
    server = await serve_http(api, api_port)
    env = bot_env(db_url, api_port, **extra)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    imported = await cli(env, "org", "import", str(roster), "--region", "城东联合党委")
    assert await imported.wait() == 0, (await imported.stderr.read()).decode()  # type: ignore[union-attr]
    bot = await cli(env, "run", "telegram")
    try:
        await until(lambda: bool(api.of("setMyCommands")) or bot.returncode is not None, "the bot to start")
        yield api, env
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(bot.communicate(), 30)
        server.stop()
        log = err.decode()
        assert "Traceback" not in log, log
        assert bot.returncode == 0, log


async def rows(db_url: str, stmt: Any) -> list[Any]:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(stmt)).all())
    finally:
        await engine.dispose()


async def test_polling_process_signs_a_member_in(db_url: str, tmp_path: Path) -> None:
    async with running_bot(db_url, tmp_path) as (api, _env):
        await until(lambda: api.polls > 0, "polling to start")
        api.queue_update(text_update(SECRETARY, GROUP, "/bind@dangjian_bot 红星机械党支部"))
        api.queue_update(text_update(SECRETARY, GROUP, "发布 党员活动日 明天 9:00 车间 义务劳动"))
        await until(lambda: any("签到已开放" in t for t in api.sent_texts(GROUP)), "the published event")
        api.queue_update(text_update(ZHAO, GROUP, "签到"))
        await until(lambda: any("✅ 赵强 签到成功" in t for t in api.sent_texts(GROUP)), "the confirmation")
        await until(lambda: any("赵强" in c.text for c in api.of("editMessageText", GROUP)), "the board edit")
    assert api.sent_texts(GROUP)[0].startswith("✅ 本群已绑定到支部：红星机械党支部")
    signed = await rows(db_url, select(Member.name).join(Attendance, Attendance.member_id == Member.id))
    assert [r[0] for r in signed] == ["赵强"]


async def test_webhook_refuses_forged_requests(db_url: str, tmp_path: Path) -> None:
    port = free_port()
    secret = "s3cret-token"
    extra = {
        "DANGJIAN_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg",
        "DANGJIAN_TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "DANGJIAN_TELEGRAM_WEBHOOK_PORT": str(port),
        "DANGJIAN_TELEGRAM_WEBHOOK_PATH": "tg",
        "DANGJIAN_TELEGRAM_WEBHOOK_SECRET": secret,
    }
    async with running_bot(db_url, tmp_path, **extra) as (api, _env):
        await until(lambda: bool(api.of("setWebhook")), "setWebhook")
        hook = api.of("setWebhook")[-1].params
        assert hook["url"] == "https://bot.example.org/tg" and hook["secret_token"] == secret
        url = f"http://127.0.0.1:{port}/tg"
        body = json.dumps(text_update(ZHAO, ZHAO, "/help")).encode()
        headers = {"Content-Type": "application/json"}
        async with httpx.AsyncClient() as http:
            for attempt in range(100):  # the webhook server may need a moment after setWebhook
                try:
                    missing = await http.post(url, content=body, headers=headers)
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1 * (attempt < 99))
            wrong = await http.post(url, content=body, headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "guess"})
            assert (missing.status_code, wrong.status_code) == (403, 403)
            await asyncio.sleep(0.5)
            assert api.sent_texts(ZHAO) == []  # neither was processed
            right = await http.post(url, content=body, headers={**headers, "X-Telegram-Bot-Api-Secret-Token": secret})
            assert right.status_code == 200
            await until(lambda: bool(api.sent_texts(ZHAO)), "the reply to the genuine update")
        assert "党建助手能做的事（按主题）" in api.sent_texts(ZHAO)[0]
