"""A secretary's real month: past dates and meetings recorded as held (补录), years shown when
they are not this year, several open events in one group, and where notices go."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Attendance, Event, PointEntry
from tests.harness import Harness


def number(reply: str) -> int:
    return int(reply.split("#")[1].split()[0])


async def test_a_past_date_is_refused_with_the_way_to_record_it_and_next_year_shows_its_year(h: Harness) -> None:
    # 1 December 2026: "9月1日" is the September just past, never next September silently
    refused = await h.say("发布 党员活动日 9月1日 15:00 党群服务中心", user="u-张伟")
    assert "这个时间（9月1日（周二）15:00）已经过去了" in refused[0] and "补录" in refused[0]
    assert "2027年9月1日" in refused[0] and "用法：发布" in refused[0]
    assert await h.count(Event) == 0
    later = await h.say("发布 党员活动日 2027年9月1日 15:00 党群服务中心", user="u-张伟")
    assert "时间：2027年9月1日（周三）15:00" in later[0]
    january = await h.say("发布 支委会 1月9日 9:00 办公室", user="u-张伟")  # next January, named with its year
    assert "时间：2027年1月9日（周六）09:00" in january[0]
    soon = await h.say("发布 支委会 12月9日 9:00 办公室", user="u-张伟")
    assert "时间：12月9日（周三）09:00" in soon[0]  # this year's: no year


async def test_a_held_meeting_is_recorded_and_its_attendance_entered_afterwards(h: Harness) -> None:
    recorded = await h.say("补录 党员活动日 11月5日 15:00 党群服务中心 学习全会精神", user="u-张伟")
    assert recorded[0].startswith("📒 已补录 #") and "11月5日（周四）15:00" in recorded[0]
    held = number(recorded[0])
    assert await h.rows(select(Event.status).where(Event.id == held)) == [("closed",)]
    assert await h.tick(days=1) == []  # no reminder, no board for a meeting already held

    text = f"补签 #{held} 赵强 钱多多 吴静 无此人"
    first = await h.say(text, user="u-张伟", update_id="makeup-1")
    assert "补签 2 人：赵强、钱多多（操作人：张伟）" in first[0]
    assert "吴静" in first[0] and "无此人" in first[0]  # another branch's member, and nobody: each said
    again = await h.say(text, user="u-张伟", update_id="makeup-1")  # the same update redelivered
    assert again == first
    assert await h.count(Attendance, Attendance.event_id == held) == 2
    assert await h.count(PointEntry, PointEntry.ref.like(f"signin:{held}:%")) == 2
    summary = await h.say(f"考勤 #{held}", user="u-张伟")
    assert "补签 2" in summary[0] and "缺席" in summary[0] and "张伟" in summary[0]

    future = await h.say("补录 党员活动日 12月5日 15:00 党群服务中心", user="u-张伟")
    assert "还没到" in future[0] and "用法：补录" in future[0]
    assert (await h.say("补录 党员活动日 11月5日 15:00 中心", user="u-赵强"))[0].startswith("⛔")
