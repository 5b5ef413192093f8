"""Norms of organizational life: the norms, the held / required matrix, the reminder before a
month ends, and the honest dormancy warning (both databases, on the fake clock)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.cli.roster import import_roster
from storage.models import AuditLog
from tests.harness import GROUP, REGION, REGION_CHAT, ROSTER, Harness

OTHER_BRANCH = "绿源群"


async def test_norms_shown_set_and_refused(h: Harness) -> None:
    shown = (await h.say("组织生活规范", user="u-赵强"))[0]
    assert "支部：支部党员大会每季度1次；支委会每月1次；党小组会每月1次；党课每季度1次；党员活动日每月1次" in shown
    assert "联合党委：书记例会每月1次；专题党课每季度1次" in shown
    assert (await h.say("设置规范 支委会 每月2次", user="u-张伟"))[0].startswith("⛔")  # region officers only
    assert await h.say("设置规范 党小组会 每月0次", user="u-李红", chat=REGION_CHAT) == [
        "✅ 已设置规范：党小组会 不作要求。"
    ]
    assert await h.say("设置规范 支委会 每季度2次", user="u-李红", chat=REGION_CHAT) == [
        "✅ 已设置规范：支委会 每季度2次。"
    ]
    shown = (await h.say("组织生活规范", user="u-赵强"))[0]
    assert "支委会每季度2次" in shown and "党小组会" not in shown
    assert "设置规范 类型" in (await h.say("设置规范 支委会 每周1次", user="u-李红", chat=REGION_CHAT))[0]
    assert "设置规范 类型" in (await h.say("设置规范 读书会 每月1次", user="u-李红", chat=REGION_CHAT))[0]
    assert len(await h.rows(AuditLog.__table__.select().where(AuditLog.action == "norm_set"))) == 2


async def test_matrix_counts_only_held_events_of_the_branch(h: Harness) -> None:
    await h.say("启用日期 2026-10-01", user="u-李红", chat=REGION_CHAT)  # the whole quarter is counted
    await h.join("刘芳")
    await h.say("绑定 绿源科技党支部", user="u-李红", chat=OTHER_BRANCH)
    # December: a committee meeting held (a sign-in), one cancelled, one with nobody and no record,
    # an activity day held by its record only; a region-wide lesson held
    for line in (
        "发布 支委会 12月2日 19:00 办公室",
        "发布 支委会 12月3日 19:00 办公室",
        "发布 支委会 12月4日 19:00 办公室",
        "发布 党员活动日 12月5日 9:00 车间",
    ):
        await h.say(line, user="u-张伟")
    await h.say("发布 专题党课 12月6日 19:00 党校", user="u-李红", chat=REGION_CHAT)
    await h.say("取消活动 #2", user="u-张伟")
    h.clock.set(datetime.fromisoformat("2026-12-02T19:01:00+08:00"))
    await h.press("signin:1", user="u-赵强")  # a member sits in (列席) at the committee meeting
    h.clock.set(datetime.fromisoformat("2026-12-05T10:00:00+08:00"))
    await h.say("会议记录 #4 车间安全学习", user="u-张伟")
    h.clock.set(datetime.fromisoformat("2026-12-06T19:02:00+08:00"))
    await h.say("签到", user="u-刘芳", chat=OTHER_BRANCH)
    await h.join("王建国")
    shown = (await h.say("组织生活 本月", user="u-王建国", chat=REGION_CHAT))[0]
    assert shown.startswith("📋 组织生活落实情况（2026年12月，已开展/应开展）")
    red = next(line for line in shown.splitlines() if line.startswith("红星机械党支部（"))
    assert "支委会 ✅ 1/1" in red and "党员活动日 ✅ 1/1" in red and "党小组会 ⏳ 0/1" in red  # December goes on
    assert "支部党员大会 ⏳ 0/1" in red and "党课 ⏳ 0/1" in red  # the quarter's, December being in it
    green = next(line for line in shown.splitlines() if line.startswith("绿源科技党支部（"))
    assert "党课 ⏳ 0/1" in green  # the region's lesson counts for the region, not for a branch
    assert "联合党委：书记例会 ⏳ 0/1 · 专题党课 ✅ 1/1" in shown
    quarter = (await h.say("组织生活 本季", user="u-王建国", chat=REGION_CHAT))[0]
    assert "支委会 ❌ 1/3" in next(line for line in quarter.splitlines() if line.startswith("红星"))
    mine = (await h.say("组织生活", user="u-赵强"))[0]  # a branch chat: its own branch only
    assert "红星机械党支部（预警）：" in mine and "绿源" not in mine and "联合党委：" not in mine  # with its tier
    assert "组织生活 [本月" in (await h.say("组织生活 明年", user="u-赵强"))[0]


async def test_a_branch_is_reminded_two_weeks_before_the_month_ends(h: Harness) -> None:
    from jobs.periodic import queue_periodic

    await h.say("启用日期 2026-10-01", user="u-李红", chat=REGION_CHAT)  # the whole quarter is counted
    await queue_periodic(h.app.services, dormancy_weeks=8)
    pushed = await h.tick(days=17, hours=1)  # 18 December 10:00 (due at 09:00, two weeks before 1 January)
    reminders = [p for p in pushed if "距12月底还有两周" in p]
    assert len(reminders) == 1 and reminders[0].startswith(f"[{GROUP}]")
    assert "支委会 ⏳ 0/1" in reminders[0] and "支部党员大会 ⏳ 0/1" in reminders[0]  # a quarter ends too
    assert "张伟 请及时安排" in reminders[0]


async def test_a_committee_meeting_expects_the_branch_committee(h: Harness, tmp_path: Path) -> None:
    """支委会 expects the secretary and the 支委 (a roster role); a member who comes is a guest, and
    the 支委 still counts at every other meeting of the branch."""
    roster = ROSTER.read_text(encoding="utf-8").replace("钱多多,红星机械党支部,党员", "钱多多,红星机械党支部,支委")
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    result = await import_roster(h.app.db, tmp_path / "roster.csv", REGION, h.clock.now())
    assert result.members_updated == 1
    assert "钱多多（支委）" in (await h.say("账号列表", user="u-张伟"))[0]
    await h.say("发布 支委会 12月2日 19:00 办公室", user="u-张伟")
    await h.say("发布 党员活动日 12月3日 9:00 车间", user="u-张伟")
    h.clock.set(datetime.fromisoformat("2026-12-02T19:01:00+08:00"))
    await h.say("签到", user="u-钱多多")
    assert "要以列席身份签到吗" in (await h.say("签到", user="u-赵强"))[0]
    await h.press("signin:1", user="u-赵强")
    committee = (await h.say("考勤 #1", user="u-张伟"))[0]
    assert "应到 2 人，实到 1 人（出席率 50%）" in committee  # 张伟 and 钱多多; 赵强 came as a guest
    assert "未签到 1：张伟" in committee and "赵强" in committee
    h.clock.set(datetime.fromisoformat("2026-12-03T09:01:00+08:00"))
    await h.say("签到", user="u-钱多多")
    day = (await h.say("考勤 #2", user="u-张伟"))[0]
    assert "应到 3 人，实到 1 人" in day  # the 支委 is a member of the branch like any other
