"""The Party calendar: rules set in chat, expanded ahead with holidays and 调休, reminders on time,
one occurrence moved or cancelled, rules paused and edited."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from handlers.calendar import materialize, parse_reminders
from handlers.core.calendar_rules import RuleError, is_workday, occurrences, parse_rule
from storage.models import Attendance, Event, Outbox
from tests.harness import GROUP, REGION_CHAT, Harness

TZ = ZoneInfo("Asia/Shanghai")
YEAR_2026 = (datetime(2026, 1, 1, tzinfo=TZ), datetime(2027, 1, 1, tzinfo=TZ))
MEETING = "例会设置 书记例会 每月第一个周二 14:00 党群服务中心 学习全会精神"


def days(spec_text: str, policy: str = "move") -> dict[date, date]:
    spec = parse_rule(spec_text + " 14:00", date(2026, 1, 1)).spec
    return {n: a.date() for n, a in occurrences(spec, time(14), policy, TZ, *YEAR_2026)}


def test_chinese_rules_parse_to_structured_specs() -> None:
    today = date(2026, 11, 22)
    assert parse_rule("每月第一个周二 14:00 中心", today).spec == {"freq": "monthly", "nth": 1, "weekday": 2}
    assert parse_rule("每月最后一个星期五 15:00", today).spec == {"freq": "monthly", "nth": -1, "weekday": 5}
    assert parse_rule("每月8号 9:00", today).spec == {"freq": "monthly", "day": 8}
    assert parse_rule("每季度 第一个月15日 19:00", today).spec == {"freq": "quarterly", "month": 1, "day": 15}
    assert parse_rule("每周三 15:00", today).spec == {"freq": "weekly", "weekday": 3}
    explicit = parse_rule("12月5日、1月9日 19:00 党校", today)
    assert explicit.spec == {"freq": "dates", "dates": ["2026-12-05", "2027-01-09"]} and explicit.rest == "19:00 党校"
    assert parse_rule("monthly nth=1 weekday=2 14:00", today).spec == parse_rule("每月第一个周二", today).spec
    for bad in ("每月32日", "每季度 第一个月0日", "monthly nth=6 weekday=2", "月初", "每月第一个周八"):
        with pytest.raises(RuleError):
            parse_rule(bad, today)


def test_occurrences_move_off_holidays_onto_tiaoxiu_working_days() -> None:
    first_tuesdays = days("每月第一个周二")
    assert len(first_tuesdays) == 12
    assert first_tuesdays[date(2026, 10, 6)] == date(2026, 10, 8)  # National Day week: moved to Thursday
    assert first_tuesdays[date(2026, 5, 5)] == date(2026, 5, 6)  # Labour Day holiday
    assert first_tuesdays[date(2026, 11, 3)] == date(2026, 11, 3)  # an ordinary Tuesday stays
    quarterly = days("每季度 第一个月1日")
    # 1 January 2026 is a holiday; Sunday 4 January is a 调休 working day, so the lesson moves there
    assert quarterly[date(2026, 1, 1)] == date(2026, 1, 4) and not is_workday(date(2026, 1, 3))
    assert date(2026, 10, 1) not in days("每季度 第一个月1日", "skip")
    assert days("每季度 第一个月1日", "keep")[date(2026, 10, 1)] == date(2026, 10, 1)


@given(
    nth=st.sampled_from([1, 2, 3, 4, -1]),
    weekday=st.integers(1, 7),
    policy=st.sampled_from(["move", "skip", "keep"]),
)
def test_expansion_lands_on_the_rule_day_or_the_next_working_day(nth: int, weekday: int, policy: str) -> None:
    spec = {"freq": "monthly", "nth": nth, "weekday": weekday}
    result = occurrences(spec, time(9, 30), policy, TZ, *YEAR_2026)
    nominal = [n for n, _ in result]
    assert nominal == sorted(set(nominal))
    for n, actual in result:
        assert n.isoweekday() == weekday
        assert (n.day - 1) // 7 + 1 == nth if nth > 0 else (n + timedelta(days=7)).month != n.month
        assert actual.time() == time(9, 30) and actual.date() >= n
        if policy == "keep" or actual.date() == n:
            continue
        assert is_workday(actual.date()) and not is_workday(n)
        assert all(not is_workday(n + timedelta(days=k)) for k in range((actual.date() - n).days))
    if policy == "skip":
        assert all(is_workday(n) for n in nominal)


def test_reminder_lists_parse() -> None:
    assert parse_reminders("1天,1小时") == [1440, 60]
    assert parse_reminders("2h，30m") == [120, 30]
    for bad in ("", "明天", "40天", "1周"):
        with pytest.raises(ValueError):
            parse_reminders(bad)


async def test_secretary_meeting_rule_is_expanded_once_and_reminded_on_time(h: Harness) -> None:
    reply = await h.say(MEETING, user="u-李红", chat=REGION_CHAT)
    assert reply[0].startswith("🗓 已设置 日程1 书记例会 每月第一个周二 14:00 · 党群服务中心")
    assert "下一次：12月1日（周二）14:00" in reply[0]
    events = await h.rows(select(Event.occurs_on, Event.starts_at).where(Event.rule_id == 1).order_by(Event.id))
    assert [str(e[0]) for e in events] == ["2026-12-01", "2027-01-05"]
    assert await materialize(h.app.services) == 0  # the daily job makes nothing twice
    # nothing goes to the branch group: secretary meetings are for the secretaries' chat
    assert await h.count(Outbox, Outbox.chat_id == GROUP) == 0
    pushed = await h.tick(hours=4)  # 13:00, the 1-hour reminder (the 1-day one was already past)
    assert len(pushed) == 1 and pushed[0].startswith(f"[{REGION_CHAT}] 🤖 ⏰ 提醒：1小时后 书记例会")
    assert "地点：党群服务中心" in pushed[0] and "主题：学习全会精神" in pushed[0]
    assert await h.tick(minutes=29) == []
    assert "书记例会 开始签到" in (await h.tick(minutes=1))[0]  # 13:30 the window opens
    assert await h.tick(minutes=1) == []  # sent once
    listing = await h.say("日程", user="u-张伟", chat=GROUP)
    assert "日程1 书记例会 每月第一个周二 14:00" in listing[0] and "下一次 12月1日（周二）14:00" in listing[0]


async def test_rule_input_errors_get_usage_and_change_nothing(h: Harness) -> None:
    usage = "例会设置 类型 规则 时间 地点"
    for text, problem in [
        ("例会设置 书记例会 每月32日 14:00 中心", "日期不存在"),
        ("例会设置 书记例会 隔三差五 14:00 中心", "没有看懂重复规则"),
        ("例会设置 书记例会 每月8日 中心", "请写明开始时间"),
        ("例会设置 书记例会 每月8日 14:00", "请写明地点"),
        ("例会设置 书记例会 每月8日 14:00 中心 节假日：看情况", "节假日处理方式“看情况”不对"),
        ("例会设置 书记例会 每月8日 14:00 中心 提醒：明天", "提醒时间“明天”不对"),
        ("例会设置 座谈 每月8日 14:00 中心", "不认识的活动类型“座谈”"),
    ]:
        reply = await h.say(text, user="u-李红", chat=REGION_CHAT)
        assert problem in reply[0] and usage in reply[0], (text, reply)
    assert await h.say(MEETING, user="u-赵强", chat=REGION_CHAT) == ["⛔ 这项操作需要联合党委书记或管理员。"]
    assert await h.count(Event) == 0


async def test_one_occurrence_is_moved_or_cancelled_without_touching_the_others(h: Harness) -> None:
    await h.say(MEETING.replace("每月第一个周二", "每周三"), user="u-李红", chat=REGION_CHAT)
    ids = [r[0] for r in await h.rows(select(Event.id).where(Event.rule_id == 1).order_by(Event.starts_at))]
    first, second = ids[0], ids[1]  # Wednesdays 2 and 9 December
    assert await h.say(f"改期 #{first} 12月2日 14:00", user="u-李红", chat=REGION_CHAT) == [
        f"#{first} 本来就是 12月2日（周三）14:00，没有改动。"
    ]  # no "14:00 → 14:00" notice to anyone
    moved = await h.say(f"改期 #{first} 12月3日 15:00", user="u-李红", chat=REGION_CHAT)
    assert moved[0].startswith(f"🔁 书记例会 #{first} 已由 12月2日（周三）14:00 改到 12月3日（周四）15:00")
    cancelled = await h.say(f"取消活动 #{second}", user="u-李红", chat=REGION_CHAT)
    assert cancelled[0].startswith(f"🚫 已取消 #{second}")
    pushed = await h.tick(days=1, hours=5)  # to Wed 2 Dec 14:00: the old time brings nothing
    assert pushed == [] or all("12月3日" in p for p in pushed)
    pushed = await h.tick(hours=23)  # Thu 3 Dec 13:00 … the 1-day reminder was at Wed 15:00
    assert any("⏰ 提醒：1天后 书记例会" in p and "12月3日（周四）15:00" in p for p in pushed)
    pushed = await h.tick(days=13)  # to Wed 16 Dec 13:00, through the cancelled 9 December
    assert not any(f"#{second}" in p for p in pushed)
    assert any(f"#{ids[2]}" in p for p in pushed)  # 16 December's reminders come as usual
    assert await materialize(h.app.services) == 2  # two more Wednesdays came inside the 60 days
    kept = await h.rows(
        select(Event.id, Event.status).where(Event.occurs_on.in_([date(2026, 12, 2), date(2026, 12, 9)]))
    )
    assert sorted(kept) == [(first, "closed"), (second, "cancelled")]  # neither was recreated


async def test_pause_resume_and_edit_a_rule(h: Harness) -> None:
    await h.say(MEETING, user="u-李红", chat=REGION_CHAT)
    paused = await h.say("暂停日程 1", user="u-李红", chat=REGION_CHAT)
    assert paused == ["⏸ 日程1 已暂停，取消了 2 次未开始的场次，提醒不再发送。"]
    assert await h.tick(days=40) == []
    assert await materialize(h.app.services) == 0
    assert await h.say("暂停日程 1", user="u-李红", chat=REGION_CHAT) == ["日程1 已经是这个状态了。"]
    resumed = await h.say("恢复日程 1", user="u-李红", chat=REGION_CHAT)
    assert resumed == ["▶️ 日程1 已恢复，重新排出 2 次。"]  # it is 10 January 2027: 2 February and 2 March
    edited = await h.say("修改日程 1 时间 下午3点", user="u-李红", chat=REGION_CHAT)
    assert edited[0].startswith("✏️ 已修改 日程1 书记例会 每月第一个周二 15:00")
    starts = await h.rows(select(Event.starts_at).where(Event.rule_id == 1, Event.status == "scheduled"))
    assert sorted(s[0].astimezone(h.app.settings.tz).strftime("%m-%d %H:%M") for s in starts) == [
        "02-02 15:00",
        "03-02 15:00",
    ]
    assert await h.say("删除日程 9", user="u-李红", chat=REGION_CHAT) == ["找不到日程9。发送“日程”查看编号。"]
    pending = await h.rows(select(Outbox.due_at).where(Outbox.status == "pending", Outbox.purpose == "reminder"))
    local = sorted(d[0].astimezone(h.app.settings.tz).strftime("%m-%d %H:%M") for d in pending)
    assert local == ["02-01 15:00", "02-02 14:00", "03-01 15:00", "03-02 14:00"]  # only the new times


async def test_party_lesson_rule_reaches_every_branch_group(h: Harness) -> None:
    reply = await h.say(
        "例会设置 专题党课 每季度 第一个月15日 19:00 党校 讲师：孙丽 提醒：2天",
        user="u-李红",
        chat=REGION_CHAT,
    )
    assert "提前2天提醒" in reply[0]
    chats = {r[0] for r in await h.rows(select(Outbox.chat_id).where(Outbox.purpose == "reminder"))}
    assert chats == {GROUP, REGION_CHAT}
    pushed = await h.tick(days=43, hours=10)  # 13 January 2027, 19:00: two days before the lesson
    lesson = [p for p in pushed if "⏰ 提醒：2天后 专题党课" in p]
    assert len(lesson) == 2 and all("讲师：孙丽" in p for p in lesson)


async def test_a_group_bound_later_still_gets_the_pushes_to_come(h: Harness) -> None:
    await h.say("例会设置 专题党课 每季度 第三个月15日 19:00 党校", user="u-李红", chat=REGION_CHAT)
    late = "绿源群"  # bound a week after the lesson was scheduled
    await h.tick(days=7)
    await h.join("刘芳")
    assert (await h.say("绑定 绿源科技党支部", user="u-刘芳", chat=late))[0].startswith("✅ 本群已绑定")
    await h.say("绑定 绿源科技党支部", user="u-刘芳", chat=late)  # again: nothing twice
    pushed = await h.tick(days=6, hours=11)  # 14 December 19:00: the day-before reminder
    assert [p.split("]")[0] for p in pushed if "⏰ 提醒：1天后 专题党课" in p].count(f"[{late}") == 1


async def test_an_edit_changes_upcoming_occurrences_in_place_and_tells_their_groups(h: Harness) -> None:
    await h.say("例会设置 党员活动日 每周四 15:00 党群服务中心", user="u-张伟")  # the branch's own rule
    ids = [r[0] for r in await h.rows(select(Event.id).where(Event.rule_id == 1).order_by(Event.starts_at))]
    first = ids[0]  # Thursday 3 December
    assert "已请假" in (await h.say(f"请假 #{first} 出差", user="u-赵强"))[0]
    h.pushed.clear()

    edited = await h.say("修改日程 1 地点 党校三楼", user="u-张伟")
    assert f"已原地更新 {len(ids)} 次" in edited[0] and "已通知相关群" in edited[0]
    assert [r[0] for r in await h.rows(select(Event.id).where(Event.rule_id == 1).order_by(Event.starts_at))] == ids
    await h.tick(seconds=1)
    told = [p for p in h.pushed if "党员活动日有变动" in p]
    assert len(told) == 1 and told[0].startswith(f"[{GROUP}")  # the branch's group, not the region's
    assert "地点：党群服务中心 → 党校三楼" in told[0] and f"#{first} 12月3日（周四）15:00 · 党校三楼" in told[0]
    summary = await h.say(f"考勤 #{first}", user="u-张伟")
    assert "请假" in summary[0] and "赵强" in summary[0]  # the leave is still on the same event

    h.pushed.clear()
    await h.say("修改日程 1 时间 下午4点", user="u-张伟")
    starts = await h.rows(select(Event.id, Event.starts_at).where(Event.rule_id == 1).order_by(Event.starts_at))
    assert [i for i, _ in starts] == ids
    assert {s.astimezone(h.app.settings.tz).strftime("%a %H:%M") for _, s in starts} == {"Thu 16:00"}
    pending = await h.rows(
        select(Outbox.due_at).where(Outbox.event_id == first, Outbox.status == "pending", Outbox.purpose == "reminder")
    )
    assert [d[0].astimezone(h.app.settings.tz).strftime("%d %H:%M") for d in pending] == ["02 16:00", "03 15:00"]
    await h.tick(seconds=1)
    assert any("时间：15:00 → 16:00" in p for p in h.pushed)

    # a new rule: the occurrences take the new dates in order, keeping their numbers
    await h.say("修改日程 1 规则 每周五", user="u-张伟")
    moved = await h.rows(select(Event.id, Event.starts_at, Event.status).where(Event.rule_id == 1))
    scheduled = sorted((s, i) for i, s, st in moved if st == "scheduled")
    assert scheduled[0][1] == first and scheduled[0][0].astimezone(h.app.settings.tz).strftime("%m-%d %H:%M") == (
        "12-04 16:00"
    )
    assert set(ids) <= {i for _, i in scheduled}
    assert await h.rows(select(Attendance.status).where(Attendance.event_id == first)) == [("leave",)]
    assert f"#{first} 12月4日（周五）16:00" in (await h.say("活动列表", user="u-赵强"))[0]
    assert (await h.say(f"改期 #{first} 12月5日 10:00", user="u-张伟"))[0].startswith(f"🔁 党员活动日 #{first}")


async def test_a_moved_event_tells_its_groups(h: Harness) -> None:
    await h.say("发布 党员活动日 12月10日 15:00 党群服务中心", user="u-张伟")
    h.pushed.clear()
    await h.say("改期 #1 12月11日 9:00", user="u-张伟")
    await h.tick(seconds=1)
    told = [p for p in h.pushed if "有变动" in p]
    assert len(told) == 1 and "时间：12月10日（周四）15:00 → 12月11日（周五）09:00" in told[0]
    # moved back: the reminders of the old time are pending again, nothing twice
    await h.say("改期 #1 12月10日 15:00", user="u-张伟")
    pending = await h.rows(
        select(Outbox.due_at).where(Outbox.event_id == 1, Outbox.status == "pending", Outbox.purpose == "reminder")
    )
    assert sorted(d[0].astimezone(h.app.settings.tz).strftime("%d %H:%M") for d in pending) == [
        "09 15:00",
        "10 14:00",
    ]
