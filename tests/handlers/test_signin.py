"""Sign-in through chat messages and buttons, asserted on replies and stored rows."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, select

from bot.delivery.render import to_plain
from storage.models import Attendance, AuditLog, Event, Member, Outbox, ProcessedUpdate
from tests.harness import GROUP, REGION_CHAT, Harness

LESSON = "发布 党员大会 今天 14:00 三楼会议室 学习党章"


async def publish(h: Harness, text: str = LESSON) -> int:
    replies = await h.say(text, user="u-张伟")
    assert replies and "已发布" in replies[0], replies
    return int(replies[0].split("#")[1].split()[0])


async def status_of(h: Harness, name: str) -> tuple[str, str | None, int | None] | None:
    rows = await h.rows(
        select(Attendance.status, Attendance.reason, Attendance.recorded_by)
        .join(Member, Member.id == Attendance.member_id)
        .where(Member.name == name)
    )
    return tuple(rows[0]) if rows else None  # type: ignore[return-value]


async def test_full_signin_flow(h: Harness) -> None:
    await publish(h)
    assert await h.say("签到", user="u-赵强") == [
        "书记例会的签到还没开始，将于 12月1日（周二）13:30 开放。".replace("书记例会", "支部党员大会")
    ]
    assert await h.say("请假 出差在外", user="u-钱多多") == [
        "📝 钱多多 已请假：支部党员大会（12月1日（周二）14:00）。原因：出差在外"
    ]
    pushed = await h.tick(hours=4, minutes=30)  # 13:00 the 1-hour reminder, 13:30 the window opens
    assert len(pushed) == 2 and "⏰ 提醒：1小时后 支部党员大会" in pushed[0]
    assert "支部党员大会 开始签到" in pushed[1] and "[1] 签到" in pushed[1]
    assert await h.say("签到", user="u-赵强") == ["✅ 赵强 签到成功"]
    assert await h.say("签到", user="u-赵强") == ["赵强 已签到，无需重复操作。"]
    assert await h.count(Attendance) == 2  # 赵强 + 钱多多's leave
    h.clock.advance(minutes=36)  # 14:06 > 14:05: late
    assert await h.say("签到", user="u-张伟") == ["✅ 张伟 签到成功（迟到）"]
    assert await status_of(h, "张伟") == ("late", None, None)
    summary = (await h.say("考勤", user="u-李红"))[0]
    # 红星 has three full members (张伟, 赵强, 钱多多); the activist 冯军 is not expected
    assert "应到 3 人，实到 2 人（出席率 67%）" in summary
    assert "请假 1：钱多多（出差在外）" in summary
    assert "未签到 0" in summary  # the window is still open: nobody is absent yet


async def test_button_signin_is_private_and_counted(h: Harness) -> None:
    event_id = await publish(h)
    await h.tick(hours=4, minutes=30)
    replies = await h.press(f"signin:{event_id}", user="u-赵强")
    assert len(replies) == 1 and replies[0].private
    assert "赵强 签到成功" in to_plain(replies[0].text)
    assert await status_of(h, "赵强") == ("on_time", None, None)


async def test_redelivered_update_changes_nothing(h: Harness) -> None:
    await publish(h)
    h.clock.advance(hours=4, minutes=45)
    first = await h.send(h.incoming("签到", user="u-赵强", update_id="tg-777"))
    h.clock.advance(minutes=30)  # redelivered later (after a restart): still the first answer, not "late"
    again = await h.send(h.incoming("签到", user="u-赵强", update_id="tg-777"))
    assert [to_plain(r.text) for r in first] == ["✅ 赵强 签到成功"] == [to_plain(r.text) for r in again]
    assert await h.count(Attendance) == 1
    assert await h.count(ProcessedUpdate, ProcessedUpdate.update_key == "tg-777") == 1
    # a redelivered admin command does not create a second event either, and gets the same answer
    one = await h.send(h.incoming("发布 支委会 明天 9:00 办公室", user="u-张伟", update_id="tg-900"))
    two = await h.send(h.incoming("发布 支委会 明天 9:00 办公室", user="u-张伟", update_id="tg-900"))
    assert one and [r.to_data() for r in one] == [r.to_data() for r in two]
    assert await h.count(Event) == 2
    # a question is answered again; nothing was written for it
    ask = [to_plain(r.text) for r in await h.send(h.incoming("活动列表", user="u-赵强", update_id="tg-901"))]
    assert ask == [to_plain(r.text) for r in await h.send(h.incoming("活动列表", user="u-赵强", update_id="tg-901"))]


async def test_concurrent_signins_each_get_one_row(h: Harness) -> None:
    await publish(h)
    h.clock.advance(hours=4, minutes=40)
    users = ["u-赵强", "u-钱多多", "u-张伟"]
    replies = await asyncio.gather(*(h.say("签到", user=u) for u in users * 3))
    assert sorted(r[0] for r in replies if "签到成功" in r[0]) == [
        "✅ 张伟 签到成功",
        "✅ 赵强 签到成功",
        "✅ 钱多多 签到成功",
    ]
    assert sum("已签到" in r[0] for r in replies) == 6
    assert await h.count(Attendance) == 3


async def test_leave_rules(h: Harness) -> None:
    await publish(h)
    assert (await h.say("请假", user="u-赵强"))[0].startswith("请写明请假原因。\n用法：请假 [#编号] 原因")
    assert await h.say("请假 家里有事", user="u-赵强")
    again = await h.say("请假 改为出差", user="u-赵强")
    assert again == ["📝 赵强 已更新请假：支部党员大会（12月1日（周二）14:00）。原因：改为出差"] or "已请假" in again[0]
    h.clock.advance(hours=5, minutes=1)  # 14:01, started
    assert await h.say("请假 临时有事", user="u-钱多多") == ["活动已经开始，不能再请假了。如有特殊情况请在群里说明。"]
    # a member on leave who comes after all is counted present
    assert await h.say("签到", user="u-赵强") == ["✅ 赵强 签到成功"]
    assert (await status_of(h, "赵强"))[0] == "on_time"  # type: ignore[index]


async def test_remote_only_for_mobile_members(h: Harness) -> None:
    await h.join("郑浩")
    await h.say("绑定 绿源科技党支部", user="u-李红", chat="绿源群")
    await h.join("吴静")
    await h.say("发布 党员活动日 今天 14:00 活动中心", user="u-李红", chat="绿源群")
    h.clock.advance(hours=4, minutes=40)
    assert await h.say("远程签到", user="u-吴静", chat="绿源群") == [
        "远程签到仅限流动党员。外出流动的，请支部书记发送“流动 姓名 去向”登记。"
    ]
    assert await h.say("远程签到", user="u-郑浩", chat="绿源群") == ["✅ 郑浩 远程签到成功"]
    assert (await status_of(h, "郑浩"))[0] == "remote"  # type: ignore[index]


async def test_makeup_by_admin_records_who(h: Harness) -> None:
    await publish(h)
    h.clock.advance(hours=6, minutes=1)  # 15:01, after the window closed at 15:00
    assert await h.say("签到", user="u-赵强") == ["现在没有正在签到的活动。"]
    refused = await h.say("补签 赵强", user="u-钱多多")
    assert refused == ["⛔ 这项操作需要本支部书记，或联合党委书记、管理员。"]
    assert await h.say("补签 赵强", user="u-张伟") == ["✅ 已为 赵强 补签（支部党员大会，操作人：张伟）"]
    status, _reason, by = await status_of(h, "赵强")  # type: ignore[misc]
    zhang = (await h.rows(select(Member.id).where(Member.name == "张伟")))[0][0]
    assert status == "makeup" and by == zhang
    assert (await h.say("补签 不存在的人", user="u-张伟"))[0].startswith("花名册中没有找到“不存在的人”")


async def test_window_close_posts_summary_and_marks_absent(h: Harness) -> None:
    await publish(h)
    await h.tick(hours=4, minutes=30)
    await h.say("签到", user="u-赵强")
    pushed = await h.tick(hours=1, minutes=30)  # 14:10 the nudge, 15:00 close
    assert len(pushed) == 2 and "以下同志还没有签到：张伟" in pushed[0]  # 钱多多 is on leave
    assert "签到结果" in pushed[1] and "实到 1 人" in pushed[1]
    absent = await h.count(Attendance, Attendance.status == "absent")
    assert absent == 2  # 张伟 and 钱多多
    assert await h.tick(minutes=5) == []  # sent once
    assert await h.count(Outbox, Outbox.status == "sent") == 4  # reminder, opening, nudge, summary


async def test_cancelled_event_sends_nothing_more(h: Harness) -> None:
    event_id = await publish(h)
    assert (await h.say(f"取消活动 #{event_id}", user="u-赵强")) == [
        "⛔ 这项操作需要本支部书记，或联合党委书记、管理员。"
    ]
    reply = await h.say(f"取消活动 #{event_id}", user="u-张伟")
    assert reply[0].startswith(f"🚫 已取消 #{event_id}")
    assert await h.tick(hours=8) == []
    assert await h.count(Outbox, Outbox.status == "void") == 4  # reminder, opening, nudge, summary
    assert await h.say("签到", user="u-赵强") == ["现在没有正在签到的活动。"]


async def test_region_lesson_reaches_branch_chats_and_secretary_meeting_does_not(h: Harness) -> None:
    await h.say("发布 专题党课 今天 15:00 党群服务中心 讲师：孙丽", user="u-李红", chat=REGION_CHAT)
    await h.say("发布 书记例会 今天 16:00 党群服务中心", user="u-李红", chat=REGION_CHAT)
    chats = sorted(
        (p, c) for p, c in await h.rows(select(Outbox.purpose, Outbox.chat_id).where(Outbox.purpose == "signin_open"))
    )
    assert chats == sorted([("signin_open", GROUP), ("signin_open", REGION_CHAT), ("signin_open", REGION_CHAT)])
    h.clock.advance(hours=5, minutes=40)  # 14:40: lesson open in the branch chat
    assert (await h.say("签到", user="u-赵强"))[0] == "✅ 赵强 签到成功"


async def test_a_chat_bound_after_a_region_lesson_gets_its_pushes_and_the_others_nothing_more(h: Harness) -> None:
    await h.say("发布 专题党课 今天 15:00 党群服务中心 讲师：孙丽", user="u-李红", chat=REGION_CHAT)
    lesson = select(Outbox.chat_id, func.count()).where(Outbox.event_id.is_not(None)).group_by(Outbox.chat_id)
    queued = dict(await h.rows(lesson))
    written: list[int] = []  # outbox rows each statement of the bind wrote

    def count_rows(_conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            written.append(len(params) if many else 1)

    engine = h.app.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count_rows)
    try:
        await h.say("绑定 绿源科技党支部", user="u-李红", chat="绿源群")
    finally:
        event.remove(engine, "before_cursor_execute", count_rows)
    after = dict(await h.rows(lesson))
    assert after == {**queued, "绿源群": queued[GROUP]}  # the new chat gets what a branch chat has; nobody more
    # the region chat's notice of the binding, and the new chat's own lesson pushes in one statement
    assert sorted(written) == [1, queued[GROUP]]
    await h.tick(hours=5, minutes=31)  # 14:31: the reminder and the sign-in opening, in every chat
    sent = await h.rows(select(Outbox.purpose).where(Outbox.chat_id == "绿源群", Outbox.status == "sent"))
    assert sorted(p for (p,) in sent) == ["reminder", "signin_open"]
    await h.join("郑浩", chat="绿源群")
    assert (await h.say("签到", user="u-郑浩", chat="绿源群"))[0] == "✅ 郑浩 签到成功"


async def test_non_member_and_unbound_chat(h: Harness) -> None:
    await publish(h)
    h.clock.advance(hours=4, minutes=40)
    assert await h.say("签到", user="stranger") == ["⛔ 你还没有登记。请先发送：登记 你的姓名（例如：登记 张三）"]
    assert await h.say("签到", user="u-赵强", chat="没绑定的群") == ["本群还没有绑定支部。请管理员发送：绑定 支部名称"]
    assert (await h.say("登记 查无此人", user="x", chat=GROUP))[0].startswith("📨 已收到登记“查无此人”的申请")
    assert (await h.say("登记 赵强", user="impostor", chat=GROUP))[0].startswith("📨 已收到登记“赵强”的申请")


async def test_nudges_can_be_switched_off_per_group(h: Harness) -> None:
    assert await h.say("催签 关", user="u-赵强") == ["⛔ 这项操作需要本支部书记，或联合党委书记、管理员。"]
    assert "催签 开|关" in (await h.say("催签 也许", user="u-张伟"))[0]
    assert await h.say("催签 关", user="u-张伟") == ["🔕 已关闭催签：本群不再点名提醒未签到的同志。"]
    await publish(h)
    pushed = await h.tick(hours=5, minutes=30)  # through 14:10
    assert not any("还没有签到" in p for p in pushed)
    assert await h.count(Outbox, Outbox.purpose == "nudge", Outbox.status == "void") == 1
    assert (await h.say("催签 开", user="u-张伟"))[0].startswith("🔔 已开启催签：活动开始 10 分钟后")


async def test_the_sign_in_that_completes_the_list_says_nothing_more_is_expected(h: Harness) -> None:
    # the outbound path confirms a chat where nobody else is expected before chats still filling up
    await publish(h)
    await h.tick(hours=4, minutes=30)

    async def settles(user: str) -> bool:
        (reply,) = await h.send(h.incoming("签到", user=user))
        return reply.settles

    assert not await settles("u-冯军")  # an activist is welcome but not expected: he completes nothing
    assert not await settles("u-赵强")
    assert not await settles("u-钱多多")
    assert await settles("u-张伟")  # the third of three expected members
    assert not await settles("u-张伟")  # asking again completes nothing new


async def test_a_branch_chat_of_a_region_lesson_settles_when_its_own_branch_is_complete(h: Harness) -> None:
    # other branches' members are still expected at the lesson, but nobody else is coming in this chat
    await h.join("郑浩")  # of 绿源科技党支部, not yet signed in
    await h.say("发布 专题党课 今天 15:00 党群服务中心", user="u-李红", chat=REGION_CHAT)
    h.clock.advance(hours=5, minutes=40)

    async def settles(user: str) -> bool:
        (reply,) = await h.send(h.incoming("签到", user=user))
        return reply.settles

    assert not await settles("u-赵强")
    assert not await settles("u-钱多多")
    assert await settles("u-张伟")  # the last of 红星机械党支部's three


async def test_attendance_says_not_started_and_not_signed_in_until_the_window_closes(h: Harness) -> None:
    event_id = await publish(h)  # 14:00 today; it is 09:00
    early = (await h.say(f"考勤 #{event_id}", user="u-张伟"))[0]
    assert "签到统计（尚未开始）" in early and "未签到 3：" in early and "缺席" not in early
    await h.tick(hours=4, minutes=30)  # 13:30: the window opens
    await h.say("签到", user="u-赵强")
    h.clock.set(h.clock.now() + timedelta(minutes=36))  # 14:06: it has started
    during = (await h.say("考勤", user="u-张伟"))[0]
    assert "尚未开始" not in during and "未签到 2：张伟、钱多多" in during and "缺席" not in during
    await h.tick(hours=2)  # the window closes: now they are absent
    after = (await h.say("考勤", user="u-张伟"))[0]
    assert "缺席 2：张伟、钱多多" in after and "未签到" not in after


async def test_a_region_manager_sees_a_branch_event_from_the_region_chat(h: Harness) -> None:
    event_id = await publish(h)  # 红星机械党支部's meeting, in its own group
    assert await h.say("考勤 红星机械党支部", user="u-李红", chat=REGION_CHAT) == ["还没有已开始的活动。"]
    shown = (await h.say(f"考勤 #{event_id}", user="u-李红", chat=REGION_CHAT))[0]
    assert "支部党员大会" in shown and "未签到 3：张伟、赵强、钱多多" in shown
    await h.tick(hours=4, minutes=30)
    await h.say("签到", user="u-赵强")
    by_name = (await h.say("考勤 红星机械党支部", user="u-李红", chat=REGION_CHAT))[0]
    assert "准时 1：赵强" in by_name
    assert await h.say("考勤 宏达电气党支部", user="u-李红", chat=REGION_CHAT) == [
        "本联合党委没有叫“宏达电气党支部”的支部。"
    ]
    # a branch secretary is no region manager: the region's chat does not show him branch events
    assert await h.say(f"考勤 #{event_id}", user="u-张伟", chat=REGION_CHAT) == [f"找不到活动 #{event_id}。"]


async def test_a_member_at_the_secretary_meeting_sits_in_without_points(h: Harness) -> None:
    published = await h.say("发布 书记例会 今天 14:00 党群服务中心 学习全会精神", user="u-李红", chat=REGION_CHAT)
    assert "已发布" in published[0]
    await h.tick(hours=4, minutes=30)
    [asked] = await h.send(h.incoming("签到", user="u-赵强", chat=REGION_CHAT))  # not his meeting: asked first
    assert to_plain(asked.text) == "现在签到的是 书记例会 #1，你不在应到名单中。要以列席身份签到吗？（列席不计积分）"
    assert [(b.label, b.data) for b in asked.buttons] == [("列席签到", "signin:1")]
    assert to_plain((await h.press("signin:1", user="u-赵强", chat=REGION_CHAT))[0].text) == "✅ 赵强 签到成功（列席）"
    assert await h.say("签到", user="u-张伟", chat=REGION_CHAT) == ["✅ 张伟 签到成功"]
    assert (await h.dm("我的积分", user="u-赵强"))[0].startswith("💰 赵强 的积分：0")
    assert not (await h.dm("我的积分", user="u-张伟"))[0].startswith("💰 张伟 的积分：0")
    summary = (await h.say("考勤", user="u-李红", chat=REGION_CHAT))[0]
    assert "列席 1：赵强" in summary and "准时 1：张伟" in summary


async def test_leave_goes_to_the_nearest_event_one_is_expected_at_and_can_be_withdrawn(h: Harness) -> None:
    published = await h.say("发布 专题党课 12月15日 19:00 党校 学习全会精神", user="u-李红", chat=REGION_CHAT)
    lesson = int(published[0].split("#")[1].split()[0])  # region-wide, two weeks away
    await h.say("发布 党员活动日 明天 9:00 车间 志愿服务", user="u-张伟")  # the branch's, tomorrow
    assert await h.say("请假 家中有事", user="u-赵强") == [
        "📝 赵强 已请假：党员活动日（12月2日（周三）09:00）。原因：家中有事"
    ]
    assert (await h.say(f"请假 #{lesson} 出差", user="u-赵强"))[0].startswith("📝 赵强 已请假：专题党课（12月15日")
    assert await h.say("销假", user="u-赵强") == ["↩️ 赵强 已销假：党员活动日（12月2日（周三）09:00），请按时参加。"]
    assert await status_of(h, "赵强") == ("leave", "出差", None)  # the lesson's leave stays
    assert (await h.say(f"取消请假 #{lesson}", user="u-赵强"))[0].startswith("↩️ 赵强 已销假：专题党课")
    assert await status_of(h, "赵强") is None
    assert await h.say("销假", user="u-赵强") == ["你在还没开始的活动里没有请假记录。"]


async def test_a_make_up_is_for_what_has_begun_and_a_secretary_may_enter_his_own(h: Harness) -> None:
    committee = await publish(h, "发布 支委会 12月6日 19:00 办公室")
    await h.say(f"请假 #{committee} 出差", user="u-张伟")
    assert await h.say(f"补签 #{committee} 张伟", user="u-张伟") == [
        f"#{committee} 支委会还没开始（12月6日（周日）19:00），开始后才能补签。"
    ]  # not over his approved leave, nor counted as held before it is
    assert "支委会 ⏳ 0/1" in (await h.say("组织生活 本月", user="u-张伟"))[0]
    h.clock.set(h.clock.now().replace(day=6, hour=19, minute=30))
    assert await h.say(f"补签 #{committee} 张伟", user="u-张伟") == [
        "✅ 已为 张伟 补签（支委会，本人补签，已记入操作日志）"
    ]  # a secretary records his own attendance, marked as such
    shown = (await h.say(f"考勤 #{committee}", user="u-张伟"))[0]
    assert "补签 1：张伟（本人补签）" in shown and "出席率 100%" in shown
    assert await h.count(AuditLog, AuditLog.action == "signin.self_makeup") == 1
    assert (await h.say("撤销补签 #1 张伟", user="u-张伟"))[0].startswith("↩️ 已撤销 张伟 的补签")
    # a member's own make-up stays a manager's act
    assert (await h.say(f"补签 #{committee} 赵强", user="u-赵强"))[0].startswith("⛔")


async def test_a_branch_named_in_the_region_chat_shows_that_branchs_meeting(h: Harness) -> None:
    own = await publish(h, "发布 支委会 今天 9:30 办公室")
    await h.say("发布 书记例会 今天 9:40 党群服务中心", user="u-李红", chat=REGION_CHAT)
    h.clock.advance(minutes=45)  # both have begun; the region's meeting is the later one
    shown = (await h.say("考勤 红星机械党支部", user="u-李红", chat=REGION_CHAT))[0]
    assert shown.startswith("📊 支委会 12月1日（周二）09:30") and "书记例会" not in shown
    assert own == 1


async def test_a_rate_is_not_zero_when_everyone_expected_was_on_leave(h: Harness) -> None:
    committee = await publish(h, "发布 支委会 今天 10:00 办公室")
    await h.say(f"请假 #{committee} 出差", user="u-张伟")
    h.clock.advance(hours=2, minutes=1)  # the window has closed
    shown = (await h.say(f"考勤 #{committee}", user="u-张伟"))[0]
    assert "应到 1 人，实到 0 人（出席率 —，全部请假）" in shown and "出席率 0%" not in shown


async def test_of_two_open_windows_the_one_already_signed_in_to_is_not_offered_again(h: Harness) -> None:
    await h.say("发布 支委会 今天 09:20 办公室", user="u-张伟")
    await h.say("发布 党员活动日 今天 09:25 车间", user="u-张伟")
    [asked] = await h.send(h.incoming("签到", user="u-张伟"))
    assert "你要签哪一个" in to_plain(asked.text) and len(asked.buttons) == 2
    assert (await h.say("签到 #1", user="u-张伟"))[0].startswith("✅ 张伟 签到成功")
    again = await h.say("签到", user="u-张伟")
    assert again[0].startswith("✅ 张伟 签到成功") and "#2" in again[0], again  # the other one, not a choice
