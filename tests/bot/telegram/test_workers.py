"""One bot on several processes (PostgreSQL), against a fake Bot API that enforces Telegram's
limits for the bot as a whole: the workers keep one budget and one queue per group, whichever
worker a post reached; `dangjian run --workers N` serves one port; and when the leader is killed
another worker takes over within seconds, a push due meanwhile going out once."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.models import Attendance, Outbox
from tests.bot.telegram.conftest import LIVE
from tests.bot.telegram.test_e2e import free_port, rows, until
from tests.bot.telegram.test_webhook import (
    SECRET,
    Worker,
    bind_groups,
    confirmations,
    count,
    group,
    post,
    prepare,
)
from tests.fakes.telegram_api import FakeBotAPI, RemoteFakeBotAPI

GROUPS, PER_GROUP = 60, 4  # the first answers of 60 groups at once: twice Telegram's 30 a second if split
LIMITS = {"DANGJIAN_TELEGRAM_GROUP_PER_MINUTE": "19", "DANGJIAN_LOG_LEVEL": "INFO"}  # as in production


def confirmation_messages(api: FakeBotAPI) -> dict[int, int]:
    """Per group, the messages that confirmed sign-ins."""
    return {g: sum("签到成功" in t for t in api.sent_texts(group(g))) for g in range(GROUPS)}


async def sends(http: httpx.AsyncClient, worker: Worker) -> int:
    """Messages this worker process handed to Telegram (its own /metrics)."""
    text = (await http.get(worker.url.removesuffix("/tg") + "/metrics")).text
    found = re.search(r'^dangjian_sends_total\{platform="telegram",result="ok"\} ([\d.]+)$', text, re.M)
    return int(float(found.group(1))) if found else 0


async def seen(api: RemoteFakeBotAPI, check: Callable[[], bool], what: str, within_s: float) -> None:
    """Until `check` holds on what the fake (in its own process) was asked."""
    deadline = time.monotonic() + within_s
    while True:
        await api.refresh()
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("workers", [2, 3])
async def test_workers_keep_one_budget_and_merge_each_groups_confirmations(
    pg_url: str, tmp_path: Path, workers: int
) -> None:
    api = await RemoteFakeBotAPI.start(free_port())  # 30 a second overall, 20 a minute per group: beyond, 429
    try:
        env, updates = await prepare(pg_url, tmp_path, api, GROUPS, PER_GROUP)
        started = [Worker({**env, **LIMITS}, tmp_path / f"w{i}.log") for i in range(workers)]
        await asyncio.gather(*(w.start() for w in started))
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as http:
            await bind_groups(http, started[0].url, GROUPS)
            await seen(api, lambda: all(api.sent_texts(group(g)) for g in range(GROUPS)), "the groups bound", 60)
            # as a proxy spreads them: round-robin over the workers, all at once
            statuses = await asyncio.gather(*(post(http, started[i % workers].url, u) for i, u in enumerate(updates)))
            assert statuses == [200] * len(updates)
            again = await asyncio.gather(
                *(post(http, started[(i + 1) % workers].url, u) for i, u in enumerate(updates[:20]))
            )
            assert again == [200] * 20  # a redelivery to another worker: stored once, handled once
            names = {f"党员{g}-{m}" for g in range(GROUPS) for m in range(PER_GROUP)}
            confirmed = lambda: set(confirmations(api, GROUPS)) == names  # noqa: E731
            await seen(api, confirmed, "every member's confirmation", 60)
            await asyncio.sleep(1)
            leaders = [w for w in started if "this process leads" in w.log.read_text(encoding="utf-8")]
            sent = [await sends(http, w) for w in started]
            logs = [await w.stop() for w in started]
        await api.refresh()
    finally:
        await api.stop()
    assert all("Traceback" not in log for log in logs), logs

    limited = [(round(c.at, 3), c.chat) for c in api.calls if c.status == 429]
    assert api.rejected == 0, limited  # the workers together never went over the bot's limits
    assert confirmations(api, GROUPS) == Counter(dict.fromkeys(names, 1))
    assert await count(pg_url, Attendance) == len(updates)
    # a group's sign-ins reached different workers, yet one process sent every message (one
    # budget, one queue per group): what waits for a group leaves merged at its turn
    assert len(leaders) == 1
    assert [n for w, n in zip(started, sent, strict=True) if w is not leaders[0]] == [0] * (workers - 1)
    assert sent[started.index(leaders[0])] >= GROUPS * 2  # the bind answers and the confirmations
    per_group = confirmation_messages(api)
    assert sum(per_group.values()) < GROUPS * PER_GROUP, per_group  # merged, not one per sign-in


async def test_a_killed_leader_is_replaced_within_seconds_and_a_due_push_goes_out_once(
    pg_url: str, tmp_path: Path
) -> None:
    api = FakeBotAPI()
    env, updates = await prepare(pg_url, tmp_path, api, 2, 3)
    env = {**env, **LIMITS, "DANGJIAN_DISPATCH_INTERVAL_S": "0.5"}
    leader, other = Worker(env, tmp_path / "leader.log"), Worker(env, tmp_path / "other.log")
    await leader.start()  # the first to start leads
    await other.start()
    async with httpx.AsyncClient(timeout=10) as http:
        await bind_groups(http, other.url, 2)  # received by the other worker, answered by the leader
        await until(lambda: all(api.sent_texts(group(g)) for g in range(2)), "the groups bound", 30)
        assert "this process leads" in leader.log.read_text(encoding="utf-8")

        leader.kill()  # kill -9: no goodbye, its lease goes with its connection
        killed = time.monotonic()
        due = datetime.now(UTC) + timedelta(seconds=5)

        async def move(conn: AsyncConnection) -> list[int]:
            # one of the lesson's reminders (before 09:00 Beijing time both the day's and the hour's wait)
            one = (
                select(Outbox.id)
                .where(Outbox.purpose == "reminder", Outbox.chat_id == str(group(0)), Outbox.status == "pending")
                .order_by(Outbox.due_at.desc())
                .limit(1)
                .scalar_subquery()
            )
            moved = await conn.execute(update(Outbox).where(Outbox.id == one).values(due_at=due).returning(Outbox.id))
            return [r for (r,) in moved.all()]

        db = await Database.open(pg_url, migrate=False)
        try:
            reminder = await db.unit(move)  # the lesson's reminder falls due 5 s after the kill
        finally:
            await db.close()
        assert reminder, "the lesson has a reminder to move"

        def reminded() -> list[str]:
            return [t for t in api.sent_texts(group(0)) if "党校" in t and "签到" not in t]

        await until(lambda: "this process leads" in other.log.read_text(encoding="utf-8"), "a new leader", 10)
        took_over = time.monotonic() - killed
        assert await post(http, other.url, updates[0]) == 200  # sign-ins go on, answered by the new leader
        await until(lambda: bool(reminded()), "the reminder", 15)
        sent_after = time.monotonic() - killed
        await asyncio.sleep(2)
        log = await other.stop()
    api.server.stop()  # type: ignore[attr-defined]
    assert took_over < 10, took_over
    assert 4.5 <= sent_after < 10, sent_after  # at its time, by the new leader
    assert len(reminded()) == 1  # once
    assert confirmations(api, 2)["党员0-0"] == 1
    status = await rows(pg_url, select(Outbox.status).where(Outbox.id == reminder[0]))
    assert status == [("sent",)]
    assert "Traceback" not in log, log


async def test_run_workers_share_one_port_survive_a_killed_leader_and_stop_together(
    pg_url: str, tmp_path: Path
) -> None:
    api = FakeBotAPI(enforce_limits=False)
    env, updates = await prepare(pg_url, tmp_path, api, 2, 3)
    port = free_port()
    env = {
        **env,
        "DANGJIAN_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg",
        "DANGJIAN_TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "DANGJIAN_TELEGRAM_WEBHOOK_PORT": str(port),
        "DANGJIAN_TELEGRAM_WEBHOOK_PATH": "tg",
        "DANGJIAN_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "DANGJIAN_WORKERS": "2",
        "DANGJIAN_LOG_LEVEL": "INFO",
    }
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli.main", "run", "telegram", env=env, stdout=sink, stderr=sink
        )
    LIVE.append(proc)
    url = f"http://127.0.0.1:{port}/tg"
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            for _ in range(600):
                if len(set(re.findall(r"\[(\d+)\] .*telegram: webhook on", log_path.read_text()))) == 2:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(log_path.read_text())
            await bind_groups(http, url, 2)
            await until(lambda: all(api.sent_texts(group(g)) for g in range(2)), "the groups bound", 30)
            assert [await post(http, url, u) for u in updates[:3]] == [200] * 3
            await until(lambda: len(confirmations(api, 2)) == 3, "the first confirmations", 30)
            leader = re.findall(r"\[(\d+)\] INFO jobs.leader: this process leads", log_path.read_text())
            os.kill(int(leader[0]), signal.SIGKILL)  # the other worker serves the port and takes the lead
        async with httpx.AsyncClient(timeout=10) as http:
            for u in updates[3:]:
                for _ in range(100):  # a post that met the dying process is sent again, as Telegram does
                    if await post(http, url, u) == 200:
                        break
                    await asyncio.sleep(0.1)
            names = {f"党员{g}-{m}" for g in range(2) for m in range(3)}
            await until(lambda: set(confirmations(api, 2)) == names, "every member's confirmation", 30)
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)
    log = log_path.read_text(encoding="utf-8")
    assert proc.returncode == 0, log
    assert "Traceback" not in log, log
    assert log.count("this process leads") == 2  # the first, then the one left
    assert confirmations(api, 2) == Counter(dict.fromkeys(names, 1))
    with pytest.raises(httpx.TransportError):  # every worker stopped with the command
        async with httpx.AsyncClient(timeout=2) as http:
            await http.post(url, content=b"{}")


async def test_several_workers_on_sqlite_are_refused_plainly(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DANGJIAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'one.db'}",
        "DANGJIAN_TELEGRAM_TOKEN": "1:x",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli.main",
        "run",
        "--workers",
        "2",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 2
    assert "多个进程需要 PostgreSQL" in err.decode() and "Traceback" not in err.decode()
    assert out == b""
