"""SQLite with its disk full or its file read-only for a while, as a member sees it through real
polling (each update stored in the inbox first): every write is answered once with a clear line,
nothing half-written, reads still answered, and all is well again when there is room."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from storage.db import Database
from storage.models import Attendance, Idea, Member
from tests.bot.telegram.conftest import GROUP, QIAN, SECRETARY, TG, ZHAO, start_tg
from tests.fakes.telegram_api import FakeBotAPI, text_update

FULL = "存储空间不足，本条未记录，请联系管理员。"


class Disk:
    """Makes every connection of the bot's SQLite database unable to write (the file read-only,
    or the disk full: the database may not grow by a page), and gives the room back."""

    def __init__(self, db: Database, how: str) -> None:
        self.db, self.how, self.on = db, how, False
        assert db._sync_engine is not None
        self.engines = [db.engine.sync_engine, db._sync_engine]
        for engine in self.engines:
            event.listen(engine, "connect", self._limit)

    def _limit(self, dbapi_connection: Any, _record: Any) -> None:
        if not self.on:
            return
        cursor = dbapi_connection.cursor()
        if self.how == "read-only":
            cursor.execute("PRAGMA query_only=1")
        else:
            cursor.execute("PRAGMA page_count")
            cursor.execute(f"PRAGMA max_page_count={int(cursor.fetchone()[0])}")
        cursor.close()

    async def set(self, on: bool) -> None:
        """Take effect on every connection: the pools are emptied, so each connects anew."""
        self.on = on
        db = self.db
        await db._drop_connection()
        await db.engine.dispose()
        assert db._sync_engine is not None and db._thread is not None
        await asyncio.get_running_loop().run_in_executor(db._thread, db._sync_engine.dispose)


@pytest.fixture
async def polling(sqlite_url: str, tmp_path: Path) -> AsyncIterator[TG]:
    api = FakeBotAPI(enforce_limits=False)
    tg = await start_tg(sqlite_url, tmp_path, api=api, receive=True, telegram_group_per_minute=6000)
    try:
        yield tg
    finally:
        await tg.transport.stop()
        await tg.app.close()


def lines(tg: TG) -> list[str]:
    """Every line the group was sent (answers sent together count one each)."""
    return [line for text in tg.api.sent_texts(GROUP) for line in text.split("\n")]


async def answered(tg: TG, check: Any) -> list[str]:
    """Wait (at most 15 s) until the group's lines pass the check."""
    for _ in range(300):
        if check(lines(tg)):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"timed out; the group saw: {lines(tg)}")
    await asyncio.sleep(0.5)  # time for one answer too many to show itself
    return lines(tg)


def long_idea(n: int) -> str:
    """A 1000-character idea (the most one may hold): 3 KB each, so three need new pages."""
    return f"金点子：{n}号" + "车间照明改用感应灯，" * 99 + "好"


@pytest.mark.parametrize("how", ["full", "read-only"])
async def test_no_room_answers_each_write_once_and_keeps_reading(polling: TG, how: str) -> None:
    tg = polling
    tg.api.queue_update(text_update(SECRETARY, GROUP, "/bind@dangjian_bot 红星机械党支部", update_id=1))
    tg.api.queue_update(text_update(SECRETARY, GROUP, "发布 支部党员大会 今天 9:20 办公室 研究发展党员", update_id=2))
    await answered(tg, lambda seen: any("签到已开放" in line for line in seen))
    disk = Disk(tg.app.db, how)
    await disk.set(True)
    seen = len(lines(tg))
    tg.api.queue_update(text_update(ZHAO, GROUP, "签到", update_id=3))
    for n in range(3):
        tg.api.queue_update(text_update(QIAN, GROUP, long_idea(n), update_id=4 + n))

    def writes(got: list[str]) -> int:
        return sum(FULL in x or "赵强 签到成功" in x or x.startswith("💡 金点子 #") for x in got)

    await answered(tg, lambda got: writes(got[seen:]) >= 4)  # each write answered (a read after them all)
    tg.api.queue_update(text_update(SECRETARY, GROUP, "考勤", update_id=7))  # a read
    new = (await answered(tg, lambda got: any("应到" in x for x in got[seen:])))[seen:]
    full = [x for x in new if FULL in x]
    confirmed = [x for x in new if "赵强 签到成功" in x]
    received = [x for x in new if x.startswith("💡 金点子 #")]
    assert len(full) + len(confirmed) + len(received) == 4, new  # each write answered once: done, or the line
    assert len(full) == 4 if how == "read-only" else len(full) >= 1, new  # 9 KB found no room
    assert any("应到" in x and f"已签到 {len(confirmed)} 人" in x for x in new), new  # the read still answered
    signed = await tg.rows(select(Member.name).join(Attendance, Attendance.member_id == Member.id))
    assert [r[0] for r in signed] == (["赵强"] if confirmed else [])  # nothing half-written
    assert len(await tg.rows(select(Idea.id))) == len(received)
    assert "Traceback" not in "\n".join(new)

    await disk.set(False)  # room again: what was refused goes through as usual
    seen = len(lines(tg))
    tg.api.queue_update(text_update(ZHAO, GROUP, "签到", update_id=8))
    tg.api.queue_update(text_update(QIAN, GROUP, long_idea(9), update_id=9))
    new = (await answered(tg, lambda got: len([x for x in got[seen:] if "赵强" in x or "金点子 #" in x]) >= 2))[seen:]
    assert any("赵强 签到成功" in x or "赵强 已签到" in x for x in new), new
    assert any(x.startswith(f"💡 金点子 #{len(received) + 1} 已收到") for x in new), new
    assert not any(FULL in x for x in new), new
    signed = await tg.rows(select(Member.name).join(Attendance, Attendance.member_id == Member.id))
    assert [r[0] for r in signed] == ["赵强"]
