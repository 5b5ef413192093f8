"""Party groups (党小组) and self-organized groups (自主党小组), through chat messages, buttons and
the monthly push, on a fake clock: a group meeting expects its members only; an application is
approved by button; 3–15 members; the leader elected by vote with a deadline; the plan's items
claimed and done; the monthly report asked; dormancy warned at 5 months, dissolution proposed at 6."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.cli.roster import import_roster
from bot.delivery.render import to_plain
from handlers import groups
from storage.models import AuditLog, Event, PartyGroup
from tests.bot.test_cli import invoke, rows_of
from tests.harness import GROUP, REGION, REGION_CHAT, ROSTER, Harness


def texts(replies: list[object]) -> list[str]:
    return [to_plain(r.text) for r in replies]  # type: ignore[attr-defined]


async def test_a_party_group_meeting_expects_its_members_only(h: Harness) -> None:
    made = await h.say("建立党小组 一组 赵强 钱多多", user="u-张伟")
    assert made == ["👥 已建立党小组“一组”，组长 赵强，成员：赵强、钱多多。"]
    assert await h.say("建立党小组 二组 钱多多", user="u-张伟") == [
        "钱多多 已在本支部另一个党小组中（每人只能在一个党小组）。"
    ]
    assert (await h.say("建立党小组 三组 钱多多", user="u-赵强"))[0].startswith("⛔")
    published = await h.say("发布 党小组会 今天 14:00 二楼会议室 学习党章 小组：一组", user="u-张伟")
    assert published[0].startswith("📌 已发布 #1 党小组会")
    [(group_id,)] = await h.rows(select(Event.group_id))
    assert group_id is not None
    await h.tick(hours=4, minutes=40)  # 13:40: the sign-in is open
    assert await h.say("签到", user="u-赵强") == ["✅ 赵强 签到成功"]
    summary = (await h.say("考勤", user="u-张伟"))[0]
    assert "应到 2 人，已签到 1 人" in summary and "未签到 1：钱多多" in summary  # before the start
    assert "冯军" not in summary and "张伟" not in summary.split("\n", 1)[1]
    assert (await h.say("发布 党小组会 今天 15:00 会议室 小组：没有这组", user="u-张伟"))[0].startswith(
        "没有找到党小组“没有这组”"
    )
    listing = (await h.say("党小组列表", user="u-冯军"))[0]
    assert listing.startswith("👥 党小组\n· 一组（党小组）组长 赵强，2 人")
    shown = (await h.say("党小组 一组", user="u-冯军"))[0]
    assert "组长：赵强" in shown and "成员（2 人）：赵强、钱多多" in shown
    actions = {r[0] for r in await h.rows(select(AuditLog.action).where(AuditLog.action.like("group.%")))}
    assert {"group.create", "group.list", "group.show"} <= actions


async def _big_branch(h: Harness, tmp_path: Path, extra: int) -> list[str]:
    """The sample roster with `extra` more members of 红星机械党支部."""
    names = [f"党员{i:02d}" for i in range(1, extra + 1)]
    lines = "".join(f"{n},红星机械党支部,党员,139000001{i:02d},,,否\n" for i, n in enumerate(names, 1))
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER.read_text(encoding="utf-8") + lines, encoding="utf-8")
    await import_roster(h.app.db, roster, REGION, h.clock.now())
    return names


async def test_a_self_organized_group_is_approved_joined_and_held_to_3_to_15(h: Harness, tmp_path: Path) -> None:
    [card] = await h.send(h.incoming("申请党小组 红色宣讲队 每月进企业宣讲一次", user="u-赵强"))
    assert to_plain(card.text).startswith("📝 赵强 申请成立自主党小组“红色宣讲队”\n目标：每月进企业宣讲一次")
    ok, no = (b.data for b in card.buttons)
    assert texts(await h.press(ok, user="u-赵强"))[0].startswith("⛔")
    [approved] = await h.press(ok, user="u-张伟")
    assert to_plain(approved.text).startswith("✅ 自主党小组“红色宣讲队”已批准成立！")
    [join] = approved.buttons
    assert texts(await h.press(no, user="u-张伟")) == ["“红色宣讲队”的申请已经处理过了。"]
    assert texts(await h.press(join.data, user="u-钱多多")) == ["👥 钱多多 已加入“红色宣讲队”，现有成员 2 人。"]
    assert texts(await h.press(join.data, user="u-冯军")) == ["👥 冯军 已加入“红色宣讲队”（列席成员），现有成员 2 人。"]
    assert texts(await h.press(join.data, user="u-钱多多")) == ["钱多多 已经是“红色宣讲队”的成员了。"]
    left = await h.say("退出党小组 红色宣讲队", user="u-钱多多")
    assert left == [
        "钱多多 已退出“红色宣讲队”，现有成员 1 人。⚠️ 自主党小组不足 3 人，请尽快吸收新成员，否则将提请解散。"
    ]

    names = await _big_branch(h, tmp_path, 14)
    added = await h.say(f"党小组添加 红色宣讲队 {' '.join(names)}", user="u-张伟")
    assert added[-1].endswith("现有成员 15 人。") and len(added) == 14
    assert await h.say("加入党小组 红色宣讲队", user="u-张伟") == ["“红色宣讲队”已满 15 人，不能再加入。"]
    assert (await h.say("党小组 红色宣讲队", user="u-张伟"))[0].count("党员") >= 14


async def test_the_leader_is_elected_by_the_members_before_the_deadline(h: Harness) -> None:
    await h.say("建立党小组 一组 赵强 钱多多 张伟 冯军", user="u-张伟")
    [card] = await h.send(h.incoming("选组长 一组 2", user="u-张伟"))
    assert to_plain(card.text).startswith("🗳 “一组”选举组长：成员每人投一票，12月3日（周四）18:00 截止。")
    ballots = {b.label: b.data for b in card.buttons}
    assert sorted(ballots) == ["投 张伟", "投 赵强", "投 钱多多"]  # the activist is a guest, no candidate
    assert texts(await h.press(ballots["投 钱多多"], user="u-赵强")) == ["已投票给 钱多多。"]
    assert texts(await h.press(ballots["投 赵强"], user="u-赵强")) == ["你已经投过票了（投给 钱多多），每人一票。"]
    assert texts(await h.press(ballots["投 钱多多"], user="u-冯军")) == ["只有本小组成员可以投票。"]
    await h.press(ballots["投 钱多多"], user="u-张伟")
    await h.press(ballots["投 赵强"], user="u-钱多多")
    assert (await h.say("选组长 一组", user="u-张伟"))[0].startswith("“一组”正在选举组长")
    assert [p for p in await h.tick(days=2) if "组长选举结果" in p] == []  # 09:00 on the last day: still open
    pushed = await h.tick(hours=9, seconds=1)
    [result] = [p for p in pushed if "组长选举结果" in p]
    assert result.startswith(f"[{GROUP}]") and "钱多多 2 票，赵强 1 票" in result
    assert "兹聘任 钱多多 同志为“一组”组长。\n城东联合党委\n2026年12月3日" in result
    assert texts(await h.press(ballots["投 赵强"], user="u-钱多多")) == ["投票已结束。"]
    [(leader,)] = await h.rows(select(PartyGroup.leader_id))
    assert "组长：钱多多" in (await h.say("党小组 一组", user="u-赵强"))[0] and leader is not None


async def test_plan_items_are_claimed_and_done_for_points(h: Harness) -> None:
    await h.say("建立党小组 一组 赵强 钱多多", user="u-张伟")
    assert await h.say("小组计划 一组 走进园区企业宣讲", user="u-赵强") == [
        "📋 已加入“一组”今年计划：#1 走进园区企业宣讲。成员发送“申领 #1”认领。"
    ]
    assert (await h.say("小组计划 一组 再来一项", user="u-钱多多"))[0].startswith("⛔")  # not the leader
    assert await h.say("申领 #1", user="u-冯军") == ["你不是“一组”的成员。"]
    assert await h.say("计划完成 #1", user="u-赵强") == ["#1 还没有人申领。"]
    assert await h.say("申领 #1", user="u-钱多多") == ["📌 钱多多 申领了“一组”计划 #1：走进园区企业宣讲"]
    assert await h.say("申领 #1", user="u-赵强") == ["#1 已由 钱多多 申领。"]
    assert await h.say("计划完成 #1", user="u-赵强") == ["✅ 计划 #1 已完成，钱多多 +5 积分。"]
    assert await h.say("计划完成 #1", user="u-赵强") == ["#1 已经确认完成了。"]
    assert "+5 党小组计划 #1" in (await h.say("我的积分", user="u-钱多多"))[0]
    assert "#1 走进园区企业宣讲 ✅ 已完成（钱多多）" in (await h.say("党小组 一组", user="u-张伟"))[0]
    assert await h.say("申领 #9", user="u-钱多多") == ["今年的小组计划里没有 #9。"]


async def test_reports_are_asked_and_quiet_groups_warned_then_proposed_for_dissolution(h: Harness) -> None:
    await h.say("建立党小组 一组 赵强 钱多多", user="u-张伟")
    await h.say("建立党小组 二组 冯军", user="u-张伟")
    assert await h.say("小组汇报 一组 本月学习两次", user="u-赵强") == ["📝 已收到“一组”11月的小组汇报。"]
    h.clock.advance(days=5)  # after the 5th: this month's
    assert await h.say("小组汇报 一组 本月开展宣讲", user="u-赵强") == ["📝 已收到“一组”12月的小组汇报。"]
    await groups.run_monthly(h.app.services)
    pushed = await h.tick(days=27)  # 1 January
    [monthly] = [p for p in pushed if "党小组月度提醒" in p]
    assert monthly.startswith(f"[{GROUP}]") and "· 二组：冯军" in monthly and "· 一组：" not in monthly
    assert "5 个月" not in monthly and "提请解散" not in monthly
    for _ in range(4):  # February … May: the first of each
        h.clock.advance(days=1)
        await groups.run_monthly(h.app.services)
        pushed = await h.tick(days=31)
    # 1 May: nothing held since 1 December
    may = [p for p in pushed if "党小组月度提醒" in p]
    assert may and "以下党小组已 5 个月没有开展活动" in may[-1] and "· 一组（5 个月）" in may[-1]
    await h.say("发布 党小组会 明天 14:00 会议室 小组：一组", user="u-张伟")
    await h.tick(days=1, hours=4, minutes=40)
    await h.say("签到", user="u-赵强")  # 一组 holds a meeting in May
    await groups.run_monthly(h.app.services)
    pushed = await h.tick(days=31)  # 1 June: 二组 quiet for 6 months, 一组 active
    [june] = [p for p in pushed if "党小组月度提醒" in p]
    assert "· 二组：6 个月没有活动" in june and "一组（" not in june and "一组：6" not in june
    assert "二组" in (await h.say("党小组列表", user="u-张伟"))[0]
    assert texts(await h.press("group_dissolve:2", user="u-赵强"))[0].startswith("⛔")
    assert texts(await h.press("group_dissolve:2", user="u-张伟")) == ["“二组”已解散。"]
    assert "二组" not in (await h.say("党小组列表", user="u-张伟"))[0]


def test_the_roster_s_group_column_puts_members_into_party_groups(db_url: str, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "姓名,支部,角色,手机,党小组\n张伟,红星机械党支部,支部书记,13800000011,\n"
        "赵强,红星机械党支部,党员,13800000012,一组\n钱多多,红星机械党支部,党员,13800000013,一组\n"
        "冯军,红星机械党支部,积极分子,13800000014,二组\n",
        encoding="utf-8",
    )
    code, out = invoke(db_url, "org", "import", str(roster), "--region", REGION)
    assert code == 0 and "加入党小组 3" in out, out
    code, out = invoke(db_url, "org", "import", str(roster), "--region", REGION)
    assert code == 0 and "加入党小组" not in out  # again: nothing changes
    assert rows_of(db_url, select(PartyGroup.name).order_by(PartyGroup.name)) == [("一组",), ("二组",)]
    moved = roster.read_text(encoding="utf-8").replace("13800000013,一组", "13800000013,二组")
    roster.write_text(moved, encoding="utf-8")
    code, out = invoke(db_url, "org", "import", str(roster), "--region", REGION)
    assert code == 2 and "第 4 行" in out and "已在另一个党小组" in out


async def test_a_group_name_with_an_invisible_character_is_refused(h: Harness) -> None:
    assert (await h.say("建立党小组 一组 赵强", user="u-张伟"))[0].startswith("👥")
    twin = await h.say("建立党小组 一组\u200b 钱多多", user="u-张伟")  # looks like 一组, is not
    assert twin[0].startswith("格式不对") or "用法：建立党小组" in twin[0]
    item = await h.say("上架 保温杯\u200b 10 5", user="u-李红", chat=REGION_CHAT)
    assert item[0].startswith("名称里有看不见的字符（零宽或方向控制）") and "用法：上架" in item[0], item
