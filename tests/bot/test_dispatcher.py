"""Delivery guarantees of the outbox: once, on time, across restarts and processes, in limits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import PUSHES
from bot.delivery.outbound import Limits, Outbound
from handlers.bulletins import NoticePush
from handlers.core.context import Services
from handlers.core.ports import ChatRef, Delivery, FakeClock, Reply
from handlers.pushes import MissedReport
from jobs.dispatcher import STALE, Dispatcher
from jobs.periodic import queue_periodic
from storage.db import Database
from storage.directory import Directory
from storage.lease import Lease
from storage.models import Attendance, ChatBinding, Outbox
from storage.repos.outbox import OutboxRepo
from storage.uow import UnitOfWork
from tests.harness import GROUP, REGION_CHAT, T0, Harness
from tests.pgcluster import Cluster

MEETING = "发布 支部党员大会 今天 14:00 办公室 研究发展党员"  # reminder 13:00, opening 13:30, summary 15:00


class Recorder:
    """A fake remote platform: records what arrives, answers as scripted."""

    platform = "console"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.script: list[Delivery] = []

    async def send(self, chat: ChatRef, reply: Reply) -> Delivery:
        await asyncio.sleep(0)
        if self.script:
            return self.script.pop(0)
        self.sent.append((chat.chat_id, str(reply.text)))
        return Delivery(ok=True, message_id=str(len(self.sent)))


@dataclass
class RecorderPort:
    """The recorder as a platform's sending side, under the outbound path."""

    recorder: Recorder

    async def send_now(self, chat_id: str, reply: Reply) -> Delivery:
        return await self.recorder.send(ChatRef("console", chat_id), reply)

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> Delivery:
        return Delivery(ok=True, message_id=message_id)

    def paced(self, chat_id: str) -> bool:
        return False


async def restart(h: Harness, url: str, minutes_later: float) -> Harness:
    """Close the app (the process stops) and start a new one on the same database, later."""
    when = h.clock.now() + timedelta(minutes=minutes_later)
    await h.close()
    again = await Harness.start(url, setup=False)
    again.clock.set(when)
    return again


async def statuses(h: Harness, purpose: str) -> list[str]:
    return [r[0] for r in await h.rows(select(Outbox.status).where(Outbox.purpose == purpose))]


async def test_restart_before_the_due_time_sends_once_at_the_time(db_url: str) -> None:
    h = await Harness.start(db_url)
    await h.say(MEETING, user="u-张伟")
    h = await restart(h, db_url, 60)  # down from 09:00 to 10:00, nothing was due
    try:
        assert await h.tick(hours=2, minutes=59) == []  # 12:59
        pushed = await h.tick(minutes=1)
        assert len(pushed) == 1 and "⏰ 提醒：1小时后 支部党员大会" in pushed[0]
        assert await h.tick(seconds=30) == []
    finally:
        await h.close()


async def test_restart_after_a_due_time_inside_the_grace_sends_once(db_url: str) -> None:
    h = await Harness.start(db_url)
    await h.say(MEETING, user="u-张伟")
    await h.tick(hours=3, minutes=59)  # 12:59
    h = await restart(h, db_url, 20)  # down from 12:59 to 13:19: the 13:00 reminder is 19 min late
    try:
        pushed = await h.tick(seconds=1)
        assert len(pushed) == 1 and "⏰ 提醒：1小时后 支部党员大会" in pushed[0]
        assert await h.tick(seconds=1) == []
        assert await statuses(h, "reminder") == ["sent"]
    finally:
        await h.close()


async def test_downtime_longer_than_the_grace_is_reported_not_sent_late(db_url: str) -> None:
    h = await Harness.start(db_url)
    await h.say(MEETING, user="u-张伟")
    await h.say("签到", user="u-赵强")  # too early, nothing recorded
    await h.tick(hours=4, minutes=31)  # 13:31: reminder and opening sent
    await h.say("签到", user="u-赵强")
    h = await restart(h, db_url, 150)  # down from 13:31 to 16:01: nudge (14:10) and summary (15:00) missed
    try:
        pushed = await h.tick(seconds=1)
        assert len(pushed) == 1 and pushed[0].startswith(f"[{REGION_CHAT}] 🤖 ⚠️ 有 2 条定时推送")
        assert "催签提醒（支部党员大会 #1）" in pushed[0] and "考勤统计（支部党员大会 #1）" in pushed[0]
        assert await statuses(h, "nudge") == ["missed"] and await statuses(h, "signin_summary") == ["missed"]
        # the window was still closed: who did not come is on record even though nothing was posted
        absent = await h.count(Attendance, Attendance.status == "absent")
        assert absent == 2
        assert await h.tick(minutes=10) == []  # the report is sent once
    finally:
        await h.close()


async def test_every_missed_push_is_named_in_words_not_by_its_code(db_url: str) -> None:
    """The month's periodic pushes (the norm reminder, the monthly report's steps, the digest) missed
    in a long outage: the report names each as people call it."""
    h = await Harness.start(db_url)
    try:
        assert await queue_periodic(h.app.services, dormancy_weeks=8) > 0
        h = await restart(h, h.app.settings.database_url, 60 * 24 * 45)  # down for a month and a half
        pushed = await h.tick(seconds=1)
        report = next(p for p in pushed if "⚠️ 有" in p)
        assert "月度简报" in report and "组织生活规范提醒" in report and "月报催报" in report, report
        assert not re.search(r"[a-z]+_[a-z]+", report), report  # no norm_reminder, report_ask …
    finally:
        await h.close()


def test_every_push_kind_is_named_in_both_languages() -> None:
    for kind in PUSHES.values():
        assert kind.label is not None, kind.name
        zh, en = kind.label
        assert zh and en and "_" not in zh + en and zh != kind.name, kind.name


async def test_a_row_left_sending_by_a_dead_process_is_given_up_not_resent(db_url: str) -> None:
    h = await Harness.start(db_url)
    try:
        await h.say(MEETING, user="u-张伟")
        h.clock.set(T0 + timedelta(hours=4))  # 13:00, the reminder is due
        taken = await h.app.db.unit(lambda c: OutboxRepo(c).claim(h.clock.now(), 10, "dead-process"))
        assert [r.purpose for r in taken] == ["reminder"]  # …and that process died before sending it
        assert await h.tick(seconds=1) == []  # another process does not send it: it may have gone out
        stale_min = STALE.total_seconds() / 60
        assert await h.tick(minutes=stale_min - 1) == []
        pushed = await h.tick(minutes=2)  # it is given up and reported to the secretaries' chat
        assert (
            len(pushed) == 1 and "活动提醒（支部党员大会 #1）" in pushed[0] and pushed[0].startswith(f"[{REGION_CHAT}]")
        )
        assert await statuses(h, "reminder") == ["missed"]
        assert "开始签到" in (await h.tick(minutes=30))[0]  # the rest of the event goes on as usual
    finally:
        await h.close()


async def test_cancelling_voids_pending_rows_and_nothing_is_sent(db_url: str) -> None:
    h = await Harness.start(db_url)
    try:
        await h.say(MEETING, user="u-张伟")
        await h.say("取消活动 #1", user="u-张伟")
        assert await h.tick(hours=10) == []
        assert set(await statuses(h, "reminder") + await statuses(h, "signin_summary")) == {"void"}
    finally:
        await h.close()


async def test_rate_limited_and_kicked_chats(db_url: str) -> None:
    h = await Harness.start(db_url)
    try:
        await h.say(MEETING, user="u-张伟")
        recorder = Recorder()
        dispatcher = Dispatcher(h.app.services, {"console": recorder})
        h.clock.set(T0 + timedelta(hours=4, minutes=30))  # 13:30: reminder and opening both due
        recorder.script = [Delivery(ok=False, retry_after=20, error="rate limited")]
        assert await dispatcher.run_once() == 0
        rows = await h.rows(select(Outbox.purpose, Outbox.status, Outbox.due_at).where(Outbox.chat_id == GROUP))
        waiting = {p: (s, d) for p, s, d in rows if p in ("reminder", "signin_open")}
        assert {s for s, _ in waiting.values()} == {"pending"}  # both wait: the chat's order is kept
        assert {d for _, d in waiting.values()} == {h.clock.now() + timedelta(seconds=20)}
        h.clock.set(h.clock.now() + timedelta(seconds=20))
        assert await dispatcher.run_once() == 2
        assert [t.split("\n")[0][:11] for _, t in recorder.sent] == ["⏰ 提醒：1小时后 支", "🔔 支部党员大会 开始"]
        h.clock.set(T0 + timedelta(hours=5, minutes=10))  # 14:10, the nudge
        recorder.script = [Delivery(ok=False, chat_gone=True, error="Forbidden: bot was kicked")]
        # as on every platform, pushes leave through the outbound path, which switches a gone chat off
        outbound = Outbound(
            "console",
            RecorderPort(recorder),
            Limits(),
            render_edit=partial(h.app.render_edit, "console"),
            on_gone=partial(h.app.set_chat_active, "console", active=False),
        )
        dispatcher = Dispatcher(h.app.services, {"console": outbound})
        assert await dispatcher.run_once() == 0
        active = await h.rows(select(ChatBinding.active).where(ChatBinding.chat_id == GROUP))
        assert active == [(False,)]
        h.clock.set(T0 + timedelta(hours=6))
        assert await dispatcher.run_once() == 0  # the summary is not even rendered for a chat that is gone
        assert await statuses(h, "signin_summary") == ["void"]
    finally:
        await h.close()


async def test_two_dispatcher_processes_send_each_row_exactly_once(db_url: str) -> None:
    clock = FakeClock(T0)
    dbs = [await Database.open(db_url) for _ in range(2)]
    try:
        services = [Services(db=db, directory=Directory(db, ttl=0), clock=clock, pushes=PUSHES) for db in dbs]

        async def seed(conn: AsyncConnection) -> None:
            uow = UnitOfWork(conn, T0)
            region = await uow.org.ensure_region("城东联合党委", T0)
            for c in range(50):
                await uow.chats.bind_chat(
                    platform="console", chat_id=f"chat{c}", region_id=region.id, branch_id=None, by=None, now=T0
                )
                for n in range(12):
                    await uow.outbox.enqueue(
                        key=f"missed:{c}:{n}",
                        purpose="missed_report",
                        event_id=None,
                        platform="console",
                        chat_id=f"chat{c}",
                        due_at=T0,
                        payload=MissedReport(count=n, items=[], region=region.id, at=f"{n}").model_dump(mode="json"),
                    )

        await dbs[0].unit(seed)
        recorders = [Recorder(), Recorder()]
        started = [asyncio.Event(), asyncio.Event()]  # no send completes until both platforms have one
        waited = [False, False]

        def overlapping(i: int) -> None:
            send = recorders[i].send

            async def once_both_started(chat: ChatRef, reply: Reply) -> Delivery:
                started[i].set()  # the first sends of each wait (once, at most 10 s) for the other's first
                if not waited[i]:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(10):
                            await started[1 - i].wait()
                    waited[i] = True
                return await send(chat, reply)

            recorders[i].send = once_both_started  # type: ignore[method-assign]

        overlapping(0)
        overlapping(1)
        dispatchers = [
            Dispatcher(s, {"console": r}, window=40, owner=f"p{i}")
            for i, (s, r) in enumerate(zip(services, recorders, strict=True))
        ]
        counts = await asyncio.gather(*(d.run_once() for d in dispatchers))
        sent = Counter(recorders[0].sent + recorders[1].sent)
        assert sum(counts) == 600 and len(sent) == 600 and max(sent.values()) == 1
        assert all(counts)  # both took part
        assert await dbs[0].read(lambda c: OutboxRepo(c).count_by_status()) == {"sent": 600}
    finally:
        for db in dbs:
            await db.close()


async def test_scheduler_lease_is_held_by_one_process_at_a_time(db_url: str) -> None:
    dbs = [await Database.open(db_url) for _ in range(2)]
    first, second = Lease(dbs[0]), Lease(dbs[1])
    try:
        assert await first.try_acquire() and await first.try_acquire()  # held: asking again is fine
        assert not await second.try_acquire()  # advisory lock on PostgreSQL, a file lock on SQLite
        await first.release()
        assert await second.try_acquire() and not await first.try_acquire()
    finally:
        await first.release()
        await second.release()
        for db in dbs:
            await db.close()


async def test_every_queued_push_is_a_registered_kind_and_an_unknown_one_is_never_sent(db_url: str) -> None:
    from jobs.periodic import queue_periodic

    h = await Harness.start(db_url)
    try:
        await h.say(MEETING, user="u-张伟")
        await h.say("添加值班 明天 9:00-12:00 党群服务中心 赵强", user="u-李红", chat=REGION_CHAT)
        await h.say("通知 全体 明天下午学习", user="u-李红", chat=REGION_CHAT)
        await h.say("督查 红星机械党支部 记录不全 期限：12月20日", user="u-李红", chat=REGION_CHAT)
        await queue_periodic(h.app.services, dormancy_weeks=8)
        purposes = {p for (p,) in await h.rows(select(Outbox.purpose))}
        assert len(purposes) >= 12 and purposes <= set(PUSHES)
        stored = [
            ("retired_kind", {}),  # a kind no feature declares (an older release's, say)
            ("notice", {"text": "缺了署名"}),  # a payload that does not read as its kind's (a field missing)
        ]
        for n, (purpose, payload) in enumerate(stored):
            await h.app.db.unit(
                lambda c, purpose=purpose, payload=payload, n=n: OutboxRepo(c).enqueue(
                    key=f"x:{n}",
                    purpose=purpose,
                    event_id=None,
                    platform="console",
                    chat_id=GROUP,
                    due_at=h.clock.now(),
                    payload=payload,
                )
            )
        # both are voided, never sent
        pushed = await h.tick(seconds=1)
        assert not [p for p in pushed if "retired" in p or "缺了署名" in p]
        assert await statuses(h, "retired_kind") == ["void"]
        assert "void" in await statuses(h, "notice") and "sent" in await statuses(h, "notice")
    finally:
        await h.close()


class CrashingRemote(Recorder):
    """A platform that receives the push while the database server dies (as if the power went at
    that moment): the send succeeds, reporting it cannot."""

    def __init__(self, cluster: Cluster) -> None:
        super().__init__()
        self.cluster = cluster
        self.crashed = False
        self.delivered = asyncio.Event()  # the push that met the crash has arrived

    async def send(self, chat: ChatRef, reply: Reply) -> Delivery:
        if self.crashed:
            return await super().send(chat, reply)
        self.crashed = True
        await asyncio.to_thread(self.cluster.crash)
        try:
            return await super().send(chat, reply)
        finally:
            self.delivered.set()


async def test_a_database_failure_mid_round_neither_loses_nor_repeats_a_push(
    pg_cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    h = await Harness.start(pg_cluster.url)
    try:
        await h.say("通知 全体 周五下午停电，会议改到线上", user="u-李红", chat=REGION_CHAT)
        remote = CrashingRemote(pg_cluster)
        dispatcher = Dispatcher(h.app.services, {"console": remote})
        with pytest.raises(Exception):  # noqa: B017  (the round ends on the database's failure, whatever its kind)
            await dispatcher.run_once()
        await asyncio.wait_for(remote.delivered.wait(), 30)  # the round may end before that send returns
        sent_while_down = list(remote.sent)
        assert sent_while_down  # the platform got them; the database could not hear of it
        await asyncio.to_thread(pg_cluster.start)

        # a claim whose answer the dying connection lost: the row reads as being sent by this process
        async def lost_claim(conn: AsyncConnection) -> None:
            await OutboxRepo(conn).enqueue(
                key="lost",
                purpose="notice",
                event_id=None,
                platform="console",
                chat_id=GROUP,
                due_at=h.clock.now(),
                payload=NoticePush(text="断电前领走的一条", by="李红", ref="lost").model_dump(),
            )

            await conn.execute(
                update(Outbox).where(Outbox.dedupe_key == "lost").values(status="sending", claimed_by=dispatcher.owner)
            )

        await h.app.db.unit(lost_claim)

        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # an outage, not a fault: no traceback
        h.clock.advance(seconds=31)  # a row the dying database could not render waits a moment, then goes
        await dispatcher.run_once()  # the next round: what was sent is recorded, what was lost goes
        assert remote.sent[: len(sent_while_down)] == sent_while_down
        notice = "📣 通知（李红）\n周五下午停电，会议改到线上"
        chats = await h.rows(select(Outbox.chat_id).where(Outbox.purpose == "notice", Outbox.dedupe_key != "lost"))
        assert Counter(chat for chat, text in remote.sent if text == notice) == Counter(c for (c,) in chats)  # 1 each
        assert [t for _, t in remote.sent if "断电前" in t] == ["📣 通知（李红）\n断电前领走的一条"]
        assert set(await statuses(h, "notice")) == {"sent"}
    finally:
        await h.close()
