"""Faults in production, as an operator meets them: the database stops under a webhook burst, the
Bot API answers 502 for a while, the SQLite disk fills up, the process is killed. Whatever the bot
acknowledged is handled exactly once, and service is back within seconds."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx
from sqlalchemy import select, text

from bot.cli.act import say
from bot.settings import Settings
from storage.models import Attendance, Outbox
from tests.bot.telegram.test_e2e import cli, rows, until
from tests.bot.telegram.test_webhook import (
    GROUPS,
    PER_GROUP,
    Worker,
    bind_groups,
    confirmations,
    count,
    group,
    post,
    prepare,
    secretary,
)
from tests.fakes.telegram_api import FakeBotAPI, text_update
from tests.pgcluster import Cluster

NAMES = {f"党员{g}-{m}" for g in range(GROUPS) for m in range(PER_GROUP)}


async def deliver(http: httpx.AsyncClient, url: str, update: dict[str, Any], acknowledged: set[int]) -> None:
    """As Telegram does: post the update again (after a pause) until it is answered 200."""
    for _ in range(600):
        if await post(http, url, update) == 200:
            break
        await asyncio.sleep(0.5)
    acknowledged.add(update["update_id"])


async def test_a_database_outage_mid_burst_loses_and_doubles_nothing(pg_cluster: Cluster, tmp_path: Path) -> None:
    db_url = pg_cluster.url
    api = FakeBotAPI(enforce_limits=False)
    env, updates = await prepare(db_url, tmp_path, api)
    worker = Worker(env, tmp_path / "worker.log")
    await worker.start()
    acknowledged: set[int] = set()
    back: list[float] = []  # when the database was back

    checks: list[tuple[int, dict[str, Any]]] = []  # /healthz during the outage
    base = worker.url.rsplit("/", 1)[0]

    async def outage() -> None:
        await until(lambda: len(acknowledged) >= 20, "20 updates acknowledged", 60)
        await asyncio.to_thread(pg_cluster.crash)  # mid-burst: some handled, some claimed, some queued
        await asyncio.sleep(4)
        async with httpx.AsyncClient(timeout=10) as watch:
            down = await watch.get(f"{base}/healthz")
            checks.append((down.status_code, down.json()))
        await asyncio.sleep(4)
        await asyncio.to_thread(pg_cluster.start)
        back.append(time.monotonic())

    async with httpx.AsyncClient(timeout=10) as http:
        await bind_groups(http, worker.url)
        await asyncio.wait_for(_until(lambda: all(api.sent_texts(group(g)) for g in range(GROUPS))), 30)
        in_flight = asyncio.Semaphore(20)

        async def send(update: dict[str, Any]) -> None:
            async with in_flight:
                await deliver(http, worker.url, update, acknowledged)

        crash = asyncio.create_task(outage())
        await asyncio.wait_for(asyncio.gather(*(send(u) for u in updates)), 120)
        await crash
        # every member confirmed within 30 s of the database's return
        await asyncio.wait_for(
            _until(lambda: set(confirmations(api)) == NAMES), max(1.0, back[0] + 30 - time.monotonic())
        )
        await asyncio.sleep(2)  # time for a second confirmation to show itself
        assert worker.proc is not None and worker.proc.returncode is None  # it kept running
        # what was handled while the database came back is marked done within seconds (each mark
        # waits out its own backoff of at most 4 s)
        for _ in range(40):
            well = await http.get(f"{base}/healthz")
            if well.status_code == 200 and well.json()["inbox"] == {} and well.json()["outbox_lag_seconds"] == 0:
                break
            await asyncio.sleep(0.25)
        assert time.monotonic() - back[0] <= 20
        metrics = (await http.get(f"{base}/metrics")).text
        log = await worker.stop()
    api.server.stop()  # type: ignore[attr-defined]
    assert checks == [(503, {"database": "down", "inbox": {}, "outbox_lag_seconds": None, "scheduler_lease": None})]
    assert well.status_code == 200
    assert well.json() == {
        "database": "up",
        "inbox": {},
        "outbox_lag_seconds": 0.0,
        "scheduler_lease": "this process",
    }, log
    figures = dict(line.rsplit(" ", 1) for line in metrics.splitlines() if line.startswith("dangjian_"))
    assert float(figures['dangjian_updates_received_total{platform="telegram"}']) >= len(updates) + GROUPS
    assert float(figures['dangjian_updates_handled_total{platform="telegram"}']) == len(updates) + GROUPS
    assert not any(k.startswith("dangjian_updates_failed_total{") for k in figures)  # none failed: all waited
    assert float(figures['dangjian_sends_total{platform="telegram",result="ok"}']) >= 1
    assert figures["dangjian_database_up"] == "1.0" and figures['dangjian_inbox_depth{platform="telegram"}'] == "0.0"
    assert worker.proc.returncode == 0, log  # SIGTERM after the outage: a clean exit
    assert "Traceback" not in log and "never retrieved" not in log, log
    assert len(acknowledged) == len(updates)
    assert await count(db_url, Attendance) == len(updates)  # each sign-in recorded once
    assert confirmations(api) == Counter(dict.fromkeys(NAMES, 1))  # each member told exactly once


async def _until(check: Any) -> None:
    """Until the check passes (the caller bounds the time)."""
    for _ in range(1_000_000):
        if check():
            return
        await asyncio.sleep(0.05)


async def test_a_bot_api_outage_holds_every_answer_and_resumes_within_seconds(db_url: str, tmp_path: Path) -> None:
    """Polling; the Bot API answers 502 to everything for 8 s while members sign in, half before
    (their confirmations meet the outage), half during (their updates wait at Telegram)."""
    api = FakeBotAPI(enforce_limits=False)
    env, updates = await prepare(db_url, tmp_path, api)
    log_file = tmp_path / "polling.log"
    bot = await cli(env, "run", "telegram", log=log_file)
    try:
        for g in range(GROUPS):
            api.queue_update(text_update(secretary(g), group(g), f"/bind@dangjian_bot 第{g}支部", update_id=900 + g))
        await asyncio.wait_for(_until(lambda: all(api.sent_texts(group(g)) for g in range(GROUPS))), 30)
        half = len(updates) // 2
        polled = api.polls
        for u in updates[:half]:
            api.queue_update(u)
        await asyncio.wait_for(_until(lambda: api.polls > polled + 1), 10)  # taken from Telegram...
        api.down = True  # ...and the outage begins while their answers are on their way
        went_down = time.monotonic()
        for u in updates[half:]:
            api.queue_update(u)
        await asyncio.sleep(8)
        api.down = False
        came_back = time.monotonic()
        await asyncio.wait_for(_until(lambda: set(confirmations(api)) == NAMES), 30)
        await asyncio.sleep(2)  # time for a second confirmation to show itself
    finally:
        if bot.returncode is None:
            bot.terminate()
        await asyncio.wait_for(bot.wait(), 60)
        api.server.stop()  # type: ignore[attr-defined]
    log = log_file.read_text(encoding="utf-8")
    assert bot.returncode == 0 and "Traceback" not in log, log
    assert confirmations(api) == Counter(dict.fromkeys(NAMES, 1))  # none lost, none twice
    assert await count(db_url, Attendance) == len(updates)
    during = [at for at, _m in api.refused if went_down <= at <= came_back]
    assert any(m == "sendMessage" for _at, m in api.refused)  # an answer did meet the outage
    assert len(during) <= 8 * 3, len(during)  # backing off, not hammering (at most ~3 calls a second)
    first = min(at for at, m in api.served if at >= came_back and m in ("getUpdates", "sendMessage"))
    assert first - came_back <= 5.0  # service resumed within 5 s of the API's return


async def test_a_killed_process_s_claims_are_taken_over_at_restart(db_url: str, tmp_path: Path) -> None:
    """kill -9 mid-burst, with the stale timeout at its default (30 s): the restarted process
    sees that the claims' owner is gone and handles them at once."""
    api = FakeBotAPI(enforce_limits=False)
    env, updates = await prepare(db_url, tmp_path, api)
    worker = Worker(env, tmp_path / "worker1.log")
    worker.env["DANGJIAN_INBOX_STALE_S"] = "30"
    await worker.start()
    acknowledged: set[int] = set()
    async with httpx.AsyncClient(timeout=10) as http:
        await bind_groups(http, worker.url)
        await asyncio.wait_for(_until(lambda: all(api.sent_texts(group(g)) for g in range(GROUPS))), 30)
        api.hold_answers()  # the confirmations being sent never get their answers: work in progress
        for u in updates:
            assert await post(http, worker.url, u) == 200
            acknowledged.add(u["update_id"])
        worker.kill()
        assert worker.proc is not None
        await worker.proc.wait()
        assert len(confirmations(api)) < len(NAMES) / 2  # most were still to be answered
        api.release()
        restarted = Worker(env, tmp_path / "worker2.log")
        restarted.env["DANGJIAN_INBOX_STALE_S"] = "30"
        await restarted.start()
        ready = time.monotonic()
        await asyncio.wait_for(_until(lambda: set(confirmations(api)) == NAMES), 5)
        took = time.monotonic() - ready
        await asyncio.sleep(2)
        log = await restarted.stop()
    api.server.stop()  # type: ignore[attr-defined]
    assert took <= 5.0 and "Traceback" not in log, log
    assert await count(db_url, Attendance) == len(updates)
    assert confirmations(api) == Counter(dict.fromkeys(NAMES, 1))


async def test_sigterm_while_the_database_is_down_exits_cleanly(pg_cluster: Cluster, tmp_path: Path) -> None:
    """Stopped while PostgreSQL is away (updates waiting, the lease's connection dead): exit 0,
    no traceback; what was acknowledged is handled by the next process once the database is back."""
    api = FakeBotAPI(enforce_limits=False)
    env, updates = await prepare(pg_cluster.url, tmp_path, api)
    worker = Worker(env, tmp_path / "worker1.log")
    await worker.start()
    async with httpx.AsyncClient(timeout=10) as http:
        await bind_groups(http, worker.url)
        await until(lambda: all(api.sent_texts(group(g)) for g in range(GROUPS)), "the groups bound", 30)
        api.hold_answers()  # answers in flight when the database goes
        for u in updates:
            assert await post(http, worker.url, u) == 200
        await asyncio.to_thread(pg_cluster.crash)
        await asyncio.sleep(1)
        log = await worker.stop()
        assert worker.proc is not None and worker.proc.returncode == 0, log
        assert "Traceback" not in log, log
        api.release()
        await asyncio.to_thread(pg_cluster.start)
        restarted = Worker(env, tmp_path / "worker2.log")
        await restarted.start()
        await until(lambda: set(confirmations(api)) == NAMES, "every member's confirmation", 30)
        await asyncio.sleep(2)
        log = await restarted.stop()
    api.server.stop()  # type: ignore[attr-defined]
    assert "Traceback" not in log, log
    assert await count(pg_cluster.url, Attendance) == len(updates)
    assert confirmations(api) == Counter(dict.fromkeys(NAMES, 1))


async def test_sigterm_while_telegram_never_answers_exits_and_keeps_the_pushes(pg_url: str, tmp_path: Path) -> None:
    """A delivery round waiting on a Bot API that takes messages and never answers must not hold
    a SIGTERM for ever: after a grace the pushes it holds are put back for later, and it exits."""
    api = FakeBotAPI(enforce_limits=False)
    env, _updates = await prepare(pg_url, tmp_path, api)
    worker = Worker(env, tmp_path / "worker.log")
    await worker.start()
    async with httpx.AsyncClient(timeout=10) as http:
        await bind_groups(http, worker.url)
        await until(lambda: all(api.sent_texts(group(g)) for g in range(GROUPS)), "the groups bound", 30)
        await asyncio.sleep(1)  # the boards out
        api.hold_answers()  # from now on Telegram takes each message and never answers
        with patch.dict(os.environ, env):
            settings = Settings()
        said = await say(settings, "城东联合党委", "通知 全体 明天上午九点开书记例会")
        assert not said.refused, said.lines
        notices = select(Outbox.status).where(Outbox.purpose == "notice")
        await until(lambda: bool(api.of("sendMessage", group(0)) and "书记例会" in api.sent_texts(group(0))[-1]),
                    "a notice on its way", 30)  # fmt: skip
        assert worker.proc is not None
        started = time.monotonic()
        log = await worker.stop()
    api.release()
    api.server.stop()  # type: ignore[attr-defined]
    assert worker.proc.returncode == 0, log
    assert time.monotonic() - started < 20, log  # not for ever
    assert "put back" in log and "Traceback" not in log, log
    statuses = [s for (s,) in await rows(pg_url, notices)]
    assert len(statuses) == GROUPS and "sending" not in statuses  # none left as if being sent: all kept for later


async def test_sigterm_while_a_post_waits_on_a_locked_table_exits_without_acknowledging_it(
    pg_url: str, tmp_path: Path
) -> None:
    """The database holds up the storing of a webhook post (a lock, a stalled disk) when SIGTERM
    comes: the post is given a grace, then dropped unanswered (Telegram posts it again to whoever
    serves next) and the process ends, rather than waiting for the post for ever."""
    from sqlalchemy.ext.asyncio import create_async_engine

    api = FakeBotAPI(enforce_limits=False)
    env, _updates = await prepare(pg_url, tmp_path, api)
    worker = Worker(env, tmp_path / "worker.log")
    await worker.start()
    engine = create_async_engine(pg_url)
    try:
        async with engine.connect() as locker, httpx.AsyncClient(timeout=60) as http:
            await locker.execute(text("LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE"))  # held until the rollback
            update = text_update(secretary(0), group(0), "签到")
            posted = asyncio.ensure_future(post(http, worker.url, update))
            await asyncio.sleep(1.5)
            assert not posted.done()  # its storing waits on the lock
            started = time.monotonic()
            log = await worker.stop()
            took = time.monotonic() - started
            assert await posted != 200  # never acknowledged: Telegram will post it again
            await locker.rollback()
    finally:
        await engine.dispose()
        api.server.stop()  # type: ignore[attr-defined]
    assert worker.proc is not None and worker.proc.returncode == 0, log
    assert took < 22, (took, log)  # the grace, not for ever
    assert await count(pg_url, Attendance) == 0
