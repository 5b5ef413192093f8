"""Notices to every group, the monthly digest and the dormancy warning, through chat and the outbox."""

from __future__ import annotations

from datetime import timedelta

from jobs.periodic import queue_periodic
from storage.models import Outbox
from tests.harness import GROUP, REGION_CHAT, Harness

NOTICE = "通知 全体 周五下午停电，<b>会议</b>改到线上 & 准时参加 🙏"


async def test_notice_reaches_every_group_once_with_the_text_as_typed(h: Harness) -> None:
    incoming = h.incoming(NOTICE, user="u-李红", chat=REGION_CHAT)
    replies = await h.send(incoming)
    assert len(replies) == 1 and replies[0].private and "已排队发送到 2 个群" in str(replies[0].text)
    again = await h.send(incoming)  # the same update again: the same answer, nothing more is queued
    assert [r.to_data() for r in again] == [r.to_data() for r in replies]
    pushed = await h.tick(seconds=1)
    assert sorted(p.split("]")[0] for p in pushed) == sorted([f"[{GROUP}", f"[{REGION_CHAT}"])
    assert all(p.endswith("📣 通知（李红）\n周五下午停电，<b>会议</b>改到线上 & 准时参加 🙏") for p in pushed)
    assert await h.tick(minutes=5) == []


async def test_notice_input_errors(h: Harness) -> None:
    assert await h.say(NOTICE, user="u-赵强", chat=GROUP) == ["⛔ 这项操作需要联合党委书记或管理员。"]
    for bad in ("通知 全体", "通知 张三 明天开会", "通知"):
        reply = await h.say(bad, user="u-李红", chat=REGION_CHAT)
        assert "通知 全体 内容" in reply[0], (bad, reply)
    reply = await h.say("通知 全体 " + "长" * 2001, user="u-李红", chat=REGION_CHAT)
    assert "通知 全体 内容" in reply[0]
    assert await h.count(Outbox, Outbox.purpose == "notice") == 0


async def test_monthly_digest_counts_last_months_meetings_and_attendance(h: Harness) -> None:
    await h.say("发布 党员大会 今天 14:00 三楼会议室 学习党章", user="u-张伟")
    await h.tick(hours=4, minutes=45)  # 13:45, the window is open
    await h.say("签到", user="u-赵强")
    await h.say("签到", user="u-张伟")
    await h.tick(hours=2)  # closed: 赵强 and 张伟 came, 钱多多 did not
    await h.say("金点子：仓库加装温湿度计", user="u-钱多多")
    await h.say("采纳 #1", user="u-李红", chat=REGION_CHAT)
    await h.say("添加值班 明天 9:00-12:00 党群服务中心 赵强", user="u-李红", chat=REGION_CHAT)
    await h.say("添加值班 明天 14:00-17:00 党群服务中心 钱多多", user="u-李红", chat=REGION_CHAT)
    await h.tick(hours=17, minutes=30)  # tomorrow 09:30
    await h.say("上岗", user="u-赵强")
    # 2 digests, the dormancy and overdue lists, a norm reminder, the monthly report's late reminder and
    # compilation, the region's terms of the month, the branch's dues reminder and 公示, its 思想汇报 reminder,
    # the branch's 述职 request of 15 December
    assert await queue_periodic(h.app.services, dormancy_weeks=8) == 12
    assert await queue_periodic(h.app.services, dormancy_weeks=8) == 0  # queued once
    pushed = await h.tick(days=31)  # to 1 January 09:00 and beyond
    digests = [p for p in pushed if "2026年12月 党建简报" in p]
    assert len(digests) == 2 and all("09:00" not in p for p in digests)
    branch = next(p for p in digests if p.startswith(f"[{GROUP}]"))
    assert "组织会议和活动 1 次，平均出席率 67%" in branch and "·" not in branch
    assert "值班 2 班次，到岗 1" in branch and "金点子：新提交 1 条，采纳 1 条" in branch
    assert "积分前三：钱多多 6、赵强 5、张伟 2" in branch  # 1+5 for the idea; 2 sign-in + 3 duty; 2 sign-in
    region = next(p for p in digests if p.startswith(f"[{REGION_CHAT}]"))
    # each branch with its tier, as 年度考评 ranks the year
    yearly = (await h.say("年度考评 2026", user="u-李红", chat=REGION_CHAT))[0]
    tier = next(line for line in yearly.splitlines() if "红星机械党支部" in line).split("：")[0].rsplit(" ", 1)[1]
    assert tier in ("示范", "巩固", "提高", "预警")
    assert f"· 红星机械党支部（{tier}）：1 次，出席率 67%" in region
    assert f"本支部年度评级（截至目前）：{tier}" in branch and "年度评级" not in region


async def test_dormancy_warning_names_branches_without_activity(h: Harness) -> None:
    """Only a branch's own events held count: a meeting nobody came to, or members signing in to
    the region's lesson, keep no branch alive."""
    await h.say("启用日期 2026-09-01", user="u-李红", chat=REGION_CHAT)  # counted for longer than 8 weeks
    await h.say("发布 党员大会 今天 14:00 三楼会议室 学习党章", user="u-张伟")  # held: someone signs in
    await h.say("发布 专题党课 今天 19:00 党校", user="u-李红", chat=REGION_CHAT)
    await h.join("刘芳")
    await h.say("绑定 绿源科技党支部", user="u-李红", chat="绿源群")
    await h.tick(hours=5)  # 14:00
    await h.say("签到", user="u-赵强")
    await h.tick(hours=5)  # 19:00: 刘芳 of 绿源 at the region's lesson
    await h.say("签到", user="u-刘芳", chat="绿源群")
    await queue_periodic(h.app.services, dormancy_weeks=8)
    pushed = await h.tick(days=5, hours=16)  # Monday 7 December, 09:00 … 10:00
    warnings = [p for p in pushed if "防瘫预警" in p]
    assert len(warnings) == 1 and warnings[0].startswith(f"[{REGION_CHAT}]")
    assert "连续 8 周以上" in warnings[0]
    assert "· 绿源科技党支部（预警）：从未开展过支部活动；本季度支部党员大会 0/1、支委会 0/3" in warnings[0]
    assert "红星机械党支部" not in warnings[0]
    h.clock.advance(days=1)
    assert await queue_periodic(h.app.services, dormancy_weeks=8) >= 1  # next Monday's is queued
    due = await h.rows(Outbox.__table__.select().where(Outbox.purpose == "dormancy", Outbox.status == "pending"))
    assert len(due) == 1 and due[0].due_at - h.clock.now() < timedelta(days=7)


async def test_no_branch_is_idle_for_longer_than_the_region_has_been_counted(h: Harness) -> None:
    await h.say("启用日期 2026-11-01", user="u-李红", chat=REGION_CHAT)  # five weeks before the Monday
    await queue_periodic(h.app.services, dormancy_weeks=8)
    assert not [p for p in await h.tick(days=5, hours=16) if "防瘫预警" in p]
