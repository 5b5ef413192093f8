"""A secretary's real month: past dates and meetings recorded as held (补录), years shown when
they are not this year, several open events in one group, and where notices go."""

from __future__ import annotations

from sqlalchemy import select

from bot.delivery.render import to_plain
from storage.models import Attendance, Event, PointEntry
from tests.harness import REGION_CHAT, Harness


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
    # the same meeting recorded twice is pointed out, as 发布 does; cancelling it says what that means
    twice = (await h.say("补录 党员活动日 11月5日 15:00 党群服务中心", user="u-张伟"))[0]
    copy = number(twice)
    assert f"⚠️ 同一时间、同一地点已有 #{held} 党员活动日。如果是重复补录，请发送“取消活动 #{copy}”。" in twice
    assert await h.say(f"取消活动 #{copy}", user="u-张伟") == [
        f"🚫 已取消 #{copy} 党员活动日（11月5日（周四）15:00），不再计入台账和组织生活统计。"
    ]


async def test_with_several_open_events_a_sign_in_asks_which_or_takes_the_members_own(h: Harness) -> None:
    day = number((await h.say("发布 党员活动日 今天 9:20 车间 志愿服务", user="u-张伟"))[0])
    lesson = number((await h.say("发布 专题党课 今天 9:25 党校", user="u-李红", chat=REGION_CHAT))[0])
    asked = await h.send(h.incoming("签到", user="u-赵强"))
    assert "现在有 2 个活动在签到" in to_plain(asked[0].text)
    assert {b.data for b in asked[0].buttons} == {f"signin:{day}", f"signin:{lesson}"}
    assert await h.count(Attendance) == 0  # nothing recorded while it is not known which
    pressed = await h.press(f"signin:{lesson}", user="u-赵强")
    assert to_plain(pressed[0].text) == f"✅ 赵强 签到成功 · 专题党课 #{lesson}"
    assert await h.say(f"签到 #{day}", user="u-赵强") == [f"✅ 赵强 签到成功 · 党员活动日 #{day}"]
    assert await h.say(f"签到 #{day}", user="u-赵强") == [f"赵强 在党员活动日 #{day} 已签到，无需重复操作。"]


async def test_a_sign_in_goes_to_the_open_event_one_is_expected_at_and_says_which(h: Harness) -> None:
    day = number((await h.say("发布 党员活动日 今天 9:20 车间", user="u-张伟"))[0])
    committee = number((await h.say("发布 支委会 今天 9:20 办公室", user="u-张伟"))[0])
    assert await h.say("签到", user="u-赵强") == [f"✅ 赵强 签到成功 · 党员活动日 #{day}"]  # not a 支委
    assert await h.say("签到", user="u-张伟") == [
        "现在有 2 个活动在签到，你要签哪一个？请点下方按钮，或发送“签到 #编号”：\n"
        f"#{day} 党员活动日 12月1日（周二）09:20 · 车间\n#{committee} 支委会 12月1日（周二）09:20 · 办公室"
    ]


async def test_the_same_event_or_rule_twice_is_warned(h: Harness) -> None:
    await h.say("发布 党员活动日 12月10日 15:00 党群服务中心", user="u-张伟")
    again = await h.say("发布 党员活动日 12月10日 15:00 党群服务中心", user="u-张伟")
    assert "⚠️ 同一时间、同一地点已有 #1 党员活动日" in again[0] and "取消活动 #2" in again[0]
    other = await h.say("发布 党员活动日 12月10日 15:00 车间", user="u-张伟")
    assert "⚠️" not in other[0]
    rule = "例会设置 支委会 每月8日 9:00 办公室"
    assert "⚠️" not in (await h.say(rule, user="u-张伟"))[0]
    twice = await h.say(rule, user="u-张伟")
    assert "⚠️ 日程1 的类型、规则和时间与它相同" in twice[0] and "删除日程 2" in twice[0]


async def test_the_region_publishes_and_schedules_for_a_named_branch(h: Harness) -> None:
    rule = "例会设置 党员活动日 每月8日 15:00 党群服务中心 志愿服务 支部：红星机械党支部"
    made = await h.say(rule, user="u-李红", chat=REGION_CHAT)
    assert "适用支部：红星机械党支部" in made[0] and "支部：" not in made[0].split("\n")[0]
    stored = await h.rows(select(Event.branch_id, Event.topic).where(Event.rule_id == 1))
    assert stored and {b for b, _ in stored} == {2} and {t for _, t in stored} == {"志愿服务"}
    published = await h.say("发布 支委会 今天 9:20 办公室 支部：红星机械党支部", user="u-李红", chat=REGION_CHAT)
    assert "这是红星机械党支部的活动" in published[0]
    await h.tick(seconds=1)
    assert any(p.startswith("[红星群]") and "支委会 开始签到" in p for p in h.pushed)  # the board goes to its group
    unknown = await h.say("发布 支委会 明天 9:00 办公室 支部：宏达电气党支部", user="u-李红", chat=REGION_CHAT)
    assert "本联合党委没有叫“宏达电气党支部”的支部" in unknown[0] and "用法：发布" in unknown[0]
    elsewhere = await h.say("发布 支委会 明天 9:00 办公室 支部：绿源科技党支部", user="u-张伟")
    assert elsewhere[0].startswith("本群属于其他支部")


async def test_help_is_by_topic_and_shows_only_what_one_may_use(h: Harness) -> None:
    manager = (await h.say("帮助", user="u-李红", chat=REGION_CHAT))[0]
    assert manager.startswith("📖 党建助手能做的事（按主题）") and "· 积分与兑换：" in manager
    assert len(manager.splitlines()) <= 12  # topics, not a wall of sixty lines
    events = (await h.say("帮助 活动", user="u-李红", chat=REGION_CHAT))[0]
    assert events.startswith("📖 活动与签到") and all(w in events for w in ("修改日程", "补录", "撤销补签"))
    assert "添加值班" in (await h.say("帮助 值班", user="u-李红", chat=REGION_CHAT))[0]
    assert "待批兑换" in (await h.say("帮助 积分", user="u-李红", chat=REGION_CHAT))[0]
    member = (await h.say("帮助", user="u-赵强"))[0]
    assert "帮助 请假" in member and "帮助 积分" in member
    assert "修改日程" not in (await h.say("帮助 活动", user="u-赵强"))[0]
    points = (await h.say("帮助 积分", user="u-赵强"))[0]
    assert points.startswith("📖 积分与兑换\n• 我的积分 — ") and "调整积分" not in points
    one = await h.say("帮助 请假", user="u-赵强")  # a command's own name: the command, not the topic
    assert (
        one[0].startswith("📖 请假 / /leave — ")
        and "用法：请假 [#编号] 原因" in one[0]
        and "谁可以用：本群的成员" in one[0]
    )
    assert "谁可以用：联合党委书记、管理员" in (await h.say("/help duty_add", user="u-赵强"))[0]
    assert (await h.say("帮助 跳舞", user="u-赵强"))[0].startswith("没有“跳舞”这个命令或主题")
    assert (await h.say("帮助 命令", user="u-赵强"))[0] == member  # as the README writes it
    stranger = (await h.dm("帮助", user="u-stranger"))[0]
    assert "你还没有登记：发送“验证手机号”" in stranger


async def test_refusals_name_the_role_needed_and_where_a_member_belongs(h: Harness) -> None:
    assert await h.say("添加值班 明天 9:00-12:00 中心 赵强", user="u-张伟") == ["⛔ 这项操作需要联合党委书记或管理员。"]
    await h.say("发布 支委会 今天 9:20 办公室", user="u-张伟")
    h.clock.advance(minutes=21)  # a make-up sign-in is for a meeting that has begun
    assert await h.say("补签 吴静", user="u-张伟") == [
        "吴静 是其他支部的党员，请在其所在支部的群里，或在联合党委群里操作。"
    ]
