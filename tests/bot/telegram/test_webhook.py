"""Webhook mode as real processes: what got its HTTP 200 survives kill -9, a redelivery changes
nothing, several workers behind one address share the work, and bad requests are refused."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx
from sqlalchemy import func, select

from bot.cli.act import say
from bot.cli.roster import import_roster
from bot.settings import Settings
from handlers.core.ports import SystemClock
from storage.db import Database
from storage.models import Attendance, InboxUpdate, ProcessedUpdate
from tests.bot.telegram.conftest import LIVE
from tests.bot.telegram.test_e2e import bot_env, cli, free_port, rows, until
from tests.fakes.telegram_api import FakeBotAPI, RemoteFakeBotAPI, serve_http, text_update

SECRET = "webhook-secret-for-tests"
GROUPS = 4
PER_GROUP = 15  # 60 members in 4 branch groups
REGION = "城东联合党委"


def roster(groups: int = GROUPS, per_group: int = PER_GROUP) -> str:
    lines = ["姓名,支部,角色,手机,telegram_id,wecom_userid"]
    for g in range(groups):
        for m in range(per_group):
            role = "支部书记" if m == 0 else "党员"
            lines.append(f"党员{g}-{m},第{g}支部,{role},,{secretary(g) + m},")
    lines.append("区域管理员,第0支部,管理员,,,")  # who publishes the lesson from the command line
    return "\n".join(lines) + "\n"


def secretary(g: int) -> int:
    return 1000 * (g + 1)


def group(g: int) -> int:
    return -100 - g


class Worker:
    """One `dangjian run telegram` process in webhook mode on its own port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.env = {
            **env,
            "DANGJIAN_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg",
            "DANGJIAN_TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
            "DANGJIAN_TELEGRAM_WEBHOOK_PORT": str(self.port),
            "DANGJIAN_TELEGRAM_WEBHOOK_PATH": "tg",
            "DANGJIAN_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "DANGJIAN_INBOX_STALE_S": "1",
        }
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tg"

    async def start(self) -> None:
        self.proc = await cli(self.env, "run", "telegram", log=self.log)
        LIVE.append(self.proc)
        async with httpx.AsyncClient() as http:
            for _ in range(600):
                try:
                    await http.post(self.url, content=b"{}")  # no secret: 403, nothing read
                    return
                except httpx.TransportError:
                    if self.proc.returncode is not None:
                        raise AssertionError(self.log.read_text(encoding="utf-8")) from None
                    await asyncio.sleep(0.05)
        raise AssertionError("the webhook server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> str:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 60)
        except TimeoutError:  # what it logged while not stopping says where it waits
            self.proc.send_signal(signal.SIGKILL)
            told = self.log.read_text(encoding="utf-8")[-8000:]
            raise AssertionError(f"no stop in 60 s after SIGTERM:\n{told}") from None
        return self.log.read_text(encoding="utf-8")


async def post(http: httpx.AsyncClient, url: str, update: dict[str, Any]) -> int | None:
    """The status the bot answered, or None if no answer came (the process was gone)."""
    try:
        res = await http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    except httpx.TransportError:
        return None
    return res.status_code


async def prepare(
    db_url: str, tmp_path: Path, api: FakeBotAPI, groups: int = GROUPS, per_group: int = PER_GROUP
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Roster and an open lesson; returns the bot's environment and one 签到 update per member."""
    if isinstance(api, RemoteFakeBotAPI):  # in a process of its own, already serving
        api_port = api.port
    else:
        api_port = free_port()
        api.server = await serve_http(api, api_port)  # type: ignore[attr-defined]
    env = bot_env(db_url, api_port, DANGJIAN_LOG_LEVEL="WARNING")
    path = tmp_path / "roster.csv"
    path.write_text(roster(groups, per_group), encoding="utf-8")
    # what `dangjian org import` and `dangjian event create` do, in this process (no interpreter
    # to start twice per test: the processes under test are the workers)
    with patch.dict(os.environ, env):
        settings = Settings()
    db = await Database.open(db_url)
    try:
        await import_roster(db, path, REGION, SystemClock().now())
    finally:
        await db.close()
    said = await say(settings, REGION, "发布 专题党课 明天 9:00 党校")
    assert not said.refused, said.lines
    updates = [
        text_update(secretary(g) + m, group(g), "签到", update_id=10_000 + g * 100 + m)
        for g in range(groups)
        for m in range(per_group)
    ]
    return env, updates


async def bind_groups(http: httpx.AsyncClient, url: str, groups: int = GROUPS) -> None:
    for g in range(groups):
        bind = text_update(secretary(g), group(g), f"/bind@dangjian_bot 第{g}支部", update_id=900 + g)
        assert await post(http, url, bind) == 200


async def quiet(api: FakeBotAPI, for_s: float = 0.5, within_s: float = 10.0) -> None:
    """Until no request has reached the fake API for `for_s` seconds (at most `within_s`)."""
    seen, since = len(api.calls), time.monotonic()
    for _ in range(int(within_s / 0.05)):
        await asyncio.sleep(0.05)
        if len(api.calls) != seen:
            seen, since = len(api.calls), time.monotonic()
        elif time.monotonic() - since >= for_s:
            return


def confirmations(api: FakeBotAPI, groups: int = GROUPS) -> Counter[str]:
    """How many times each member was told "签到成功" in a group."""
    seen: Counter[str] = Counter()
    for g in range(groups):
        for text in api.sent_texts(group(g)):
            for line in text.split("\n"):
                if line.startswith("✅ ") and line.endswith(" 签到成功"):
                    seen[line[2:-5]] += 1
    return seen


async def count(db_url: str, model: Any) -> int:
    return int((await rows(db_url, select(func.count()).select_from(model)))[0][0])


async def test_acknowledged_updates_survive_kill_9(db_url: str, tmp_path: Path) -> None:
    api = FakeBotAPI(enforce_limits=False)
    env, updates = await prepare(db_url, tmp_path, api)
    worker = Worker(env, tmp_path / "worker1.log")
    await worker.start()
    answered: dict[int, int | None] = {}
    async with httpx.AsyncClient(timeout=10) as http:
        await bind_groups(http, worker.url)
        await until(lambda: all(api.sent_texts(group(g)) for g in range(GROUPS)), "the groups bound", 30)

        in_flight = asyncio.Semaphore(8)
        killed = asyncio.Event()

        async def send(update: dict[str, Any]) -> None:
            async with in_flight:
                status = await post(http, worker.url, update) if not killed.is_set() else None
                answered[update["update_id"]] = status
                if sum(s == 200 for s in answered.values()) == 25 and not killed.is_set():
                    killed.set()
                    # mid-burst: some updates acknowledged, some in flight, some never sent; the
                    # messages the bot is sending reach Telegram but their answers never come back
                    api.hold_answers()
                    await quiet(api)  # what the bot had sent has reached Telegram, however busy the machine
                    worker.kill()

        await asyncio.gather(*(send(u) for u in updates))
        assert worker.proc is not None
        await worker.proc.wait()
        acknowledged = {k for k, s in answered.items() if s == 200}
        assert 25 <= len(acknowledged) < len(updates)

        api.release()
        restarted = Worker(env, tmp_path / "worker2.log")
        await restarted.start()
        for u in updates:  # Telegram sends again whatever did not get a 200
            if u["update_id"] not in acknowledged:
                assert await post(http, restarted.url, u) == 200
        names = {f"党员{g}-{m}" for g in range(GROUPS) for m in range(PER_GROUP)}
        await until(lambda: set(confirmations(api)) == names, "every member's confirmation", 60)
        await asyncio.sleep(2)  # time for any second confirmation to show itself
        log = await restarted.stop()
    api.server.stop()  # type: ignore[attr-defined]
    assert "Traceback" not in log, log
    assert await count(db_url, Attendance) == len(updates)  # each sign-in recorded once
    signed = {k for (k,) in await rows(db_url, select(ProcessedUpdate.update_key))}
    assert {str(k) for k in acknowledged} <= signed
    assert confirmations(api) == Counter(dict.fromkeys(names, 1))  # each member told exactly once
    assert await count(db_url, InboxUpdate) == len(updates) + GROUPS


async def test_bad_requests_are_refused_before_they_cost_anything(db_url: str, tmp_path: Path) -> None:
    api = FakeBotAPI(enforce_limits=False)
    env, _updates = await prepare(db_url, tmp_path, api)
    worker = Worker({**env, "DANGJIAN_LOG_LEVEL": "INFO"}, tmp_path / "worker5.log")
    await worker.start()
    secret = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with httpx.AsyncClient(timeout=10) as http:
        big = b"x" * (2 << 20)
        assert (await http.post(worker.url, content=big)).status_code == 403  # no secret: refused unread
        assert (await http.post(worker.url, content=big, headers=secret)).status_code == 413

        async def chunks() -> Any:  # no Content-Length: counted while read, cut at 1 MiB
            for _ in range(3):
                yield b"y" * (512 << 10)

        assert (await http.post(worker.url, content=chunks(), headers=secret)).status_code == 413
        assert (await http.post(worker.url, content=b"{not json", headers=secret)).status_code == 400
        assert (await http.post(worker.url, json={"no": "update_id"}, headers=secret)).status_code == 400
        nested = b'{"update_id": 5, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # 200 KB, too deep to read
        assert (await http.post(worker.url, content=nested, headers=secret)).status_code == 400
        huge_text = text_update(1000, group(0), "签" * 100_000, update_id=777)
        assert (await http.post(worker.url, json=huge_text, headers=secret)).status_code == 200
        await asyncio.sleep(0.5)
        log = await worker.stop()
    api.server.stop()  # type: ignore[attr-defined]
    assert log.count("refused a malformed update") == 3 and "Traceback" not in log
    assert "签签签" not in log and "{not json" not in log  # sizes and ids are logged, never bodies
    assert json.loads(json.dumps(api.sent_texts(1000))) == []  # nothing answered the oversized chatter


TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # shaped like a real one


async def test_no_secret_in_the_log_even_at_debug(db_url: str, tmp_path: Path) -> None:
    api = FakeBotAPI(enforce_limits=False)
    env, updates = await prepare(db_url, tmp_path, api)
    worker = Worker({**env, "DANGJIAN_TELEGRAM_TOKEN": TOKEN, "DANGJIAN_LOG_LEVEL": "DEBUG"}, tmp_path / "worker6.log")
    await worker.start()
    async with httpx.AsyncClient(timeout=10) as http:
        await bind_groups(http, worker.url)
        assert await post(http, worker.url, updates[1]) == 200
        await until(lambda: bool(api.of("setWebhook")) and bool(api.sent_texts(group(0))), "the bot at work", 30)
        log = await worker.stop()
    api.server.stop()  # type: ignore[attr-defined]
    assert "setWebhook" in log and "sendMessage" in log  # DEBUG did log the API calls...
    for secret in (TOKEN, TOKEN.split(":")[1], SECRET):
        assert secret not in log  # ...with every secret masked
    assert api.of("setWebhook")[-1].params["secret_token"] == SECRET


async def test_a_refused_token_is_said_plainly_and_not_printed(db_url: str, tmp_path: Path) -> None:
    api = FakeBotAPI(enforce_limits=False)
    env, _updates = await prepare(db_url, tmp_path, api)
    api.fail_next("getMe", 401, "Unauthorized")
    bot = await cli({**env, "DANGJIAN_TELEGRAM_TOKEN": TOKEN, "DANGJIAN_LOG_LEVEL": "DEBUG"}, "run", "telegram")
    out, err = await asyncio.wait_for(bot.communicate(), 60)
    api.server.stop()  # type: ignore[attr-defined]
    text = out.decode() + err.decode()
    assert bot.returncode == 2 and "Telegram 不接受 DANGJIAN_TELEGRAM_TOKEN" in text, text
    assert TOKEN.split(":")[1] not in text and "Traceback" not in text
