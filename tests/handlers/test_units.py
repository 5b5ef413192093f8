"""The middle level and pairing through the router: a 党总支 set up by the region, its secretary's
rights on its branches and none outside, its activity day reminding its branches the day before,
its funds; two branches paired, a joint event expecting both sides, signed in from each side's
chat and counted for both in 组织生活; the 党总支台账 and 结对共建台账; who may, and bad input."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import select

from bot.cli.roster import import_roster
from bot.delivery.render import to_plain
from handlers.ledger_book import write_ledger
from jobs.periodic import queue_periodic
from storage.models import AuditLog, Pairing, UnitBranch
from storage.uow import UnitOfWork
from tests.handlers.test_access import CHATS, COMMANDS, EXPECTED, N, Y, _refused, _two_regions
from tests.handlers.test_instructors import _instructor
from tests.harness import GROUP, REGION_CHAT, Harness
from tests.truth import day, table

GREEN, SHOP, LOGISTICS = "绿源群", "兴业群", "新兴群"  # 绿源群 is also the access walk's OTHER_BRANCH


async def _chats(h: Harness) -> None:
    """The other three branches' chats bound, and their secretaries registered."""
    for chat, branch, secretary in (
        (GREEN, "绿源科技党支部", "刘芳"),
        (SHOP, "兴业商户联合党支部", "陈明"),
        (LOGISTICS, "新兴物流党支部", "周涛"),
    ):
        await h.say(f"绑定 {branch}", user="u-李红", chat=chat)
        await h.join(secretary)
    await h.tick(seconds=5)  # the region's chat told of each binding


async def test_a_general_branch_secretary_acts_on_its_branches_only_and_its_day_is_reminded(h: Harness) -> None:
    await _chats(h)
    # before: 张伟, 红星's secretary, may not act in 绿源's chat
    before = await h.say("发布 支委会 12月3日 19:00 会议室", user="u-张伟", chat=GREEN)
    assert before == ["⛔ 本群属于其他支部，你不能在这里操作。请在本支部的群里发送，或私聊机器人。"]

    said = await h.say("党总支 机械产业党总支 红星机械党支部 绿源科技党支部", user="u-李红", chat=REGION_CHAT)
    assert said == [
        "✅ 党总支 机械产业党总支：红星机械党支部、绿源科技党支部。\n还没有书记：党总支 机械产业党总支 书记 姓名"
    ]
    said = await h.say("党总支 机械产业党总支 书记 张伟", user="u-李红", chat=REGION_CHAT)
    assert said == ["✅ 党总支 机械产业党总支：红星机械党支部、绿源科技党支部；书记 张伟。"]
    said = await h.say("党总支 机械产业党总支 活动日 每月15日", user="u-李红", chat=REGION_CHAT)
    assert said == ["✅ 党总支 机械产业党总支：红星机械党支部、绿源科技党支部；书记 张伟；每月 15 日活动日。"]
    assert await h.count(UnitBranch) == 2

    # now he manages 绿源 as a region officer would: publishes there, makes up a member's sign-in
    created = await h.say("发布 支委会 12月3日 19:00 会议室", user="u-张伟", chat=GREEN)
    assert created[0].startswith("📌 已发布 #1 支委会")
    h.clock.set(datetime.fromisoformat("2026-12-03T20:00:00+08:00"))
    assert (await h.say("补签 #1 吴静", user="u-张伟", chat=GREEN))[0].startswith("✅")
    # and nothing outside it: not 兴业, not the region's own acts
    assert await h.say("发布 支委会 12月4日 19:00 会议室", user="u-张伟", chat=SHOP) == [
        "⛔ 本群属于其他支部，你不能在这里操作。请在本支部的群里发送，或私聊机器人。"
    ]
    assert await h.say("表彰 绿源科技党支部 先进基层党组织", user="u-张伟", chat=REGION_CHAT) == [
        "⛔ 这项操作需要联合党委书记或管理员。"
    ]
    # 绿源's own secretary gains nothing over 红星
    assert await h.say("发布 支委会 12月4日 19:00 会议室", user="u-刘芳") == [
        "⛔ 本群属于其他支部，你不能在这里操作。请在本支部的群里发送，或私聊机器人。"
    ]

    # the activity day: the day before, 09:00, each of its branches' chats (not 兴业's, not the region's)
    await queue_periodic(h.app.services, dormancy_weeks=8)
    pushed = await h.tick(days=10, hours=13, minutes=5)  # 14 December 09:05
    days = sorted(p for p in pushed if "活动日" in p)
    assert days == [
        f"[{GROUP}] 🤖 📅 明天（12月15日）是机械产业党总支的活动日，请各支部做好准备，组织党员参加。",
        f"[{GREEN}] 🤖 📅 明天（12月15日）是机械产业党总支的活动日，请各支部做好准备，组织党员参加。",
    ]

    # 绿源 moves to a 编组 led by 兴业: it leaves the 党总支, 张伟's rights there end
    said = await h.say("编组 第一编组 绿源科技党支部 兴业商户联合党支部", user="u-李红", chat=REGION_CHAT)
    assert said[0].startswith(
        "✅ 编组 第一编组：兴业商户联合党支部、绿源科技党支部。\n（所列支部已从 机械产业党总支 移出"
    )
    said = await h.say("编组 第一编组 组长 兴业商户联合党支部", user="u-李红", chat=REGION_CHAT)
    assert said == ["✅ 编组 第一编组：兴业商户联合党支部、绿源科技党支部；组长单位 兴业商户联合党支部。"]
    assert (await h.say("发布 支委会 12月20日 19:00 会议室", user="u-张伟", chat=GREEN))[0].startswith("⛔")
    assert (await h.say("发布 支委会 12月20日 19:00 会议室", user="u-陈明", chat=GREEN))[0].startswith("📌 已发布")

    listed = await h.say("党总支", user="u-李红", chat=REGION_CHAT)
    assert listed[0].splitlines() == [
        "🏛 党总支和编组 2 个：",
        "· 党总支 机械产业党总支：红星机械党支部；书记 张伟；每月 15 日活动日",
        "· 编组 第一编组：兴业商户联合党支部、绿源科技党支部；组长单位 兴业商户联合党支部",
    ]
    audit = await h.count(AuditLog, AuditLog.action == "unit.set")
    assert audit == 5


async def test_a_pairing_s_joint_event_expects_both_sides_and_counts_for_both(h: Harness) -> None:
    await _chats(h)
    for name in ("何平", "许晴"):
        await h.join(name)
    # no pairing: 张伟 may not bring 兴业 into his event
    refused = await h.say("发布 党员活动日 12月10日 9:00 党群服务中心 联合：兴业商户联合党支部", user="u-张伟")
    assert refused == [
        "兴业商户联合党支部 与本支部没有结对，你也不管理该支部，不能与它联合发布活动。"
        "请先由联合党委发送：结对 本支部 兴业商户联合党支部"
    ]
    said = await h.say("结对 红星机械党支部 兴业商户联合党支部 支部联谊", user="u-李红", chat=REGION_CHAT)
    assert said[0].startswith("✅ 红星机械党支部 与 兴业商户联合党支部 自今天起结对共建（支部联谊）。")
    told = await h.tick(seconds=5)
    tail = "结对共建（支部联谊）。联合活动的双方党员均为应到，计入双方的组织生活。"
    assert sorted(told) == sorted(
        [f"[{GROUP}] 🤖 🤝 本支部与兴业商户联合党支部{tail}", f"[{SHOP}] 🤖 🤝 本支部与红星机械党支部{tail}"]
    )

    created = await h.say("发布 党员活动日 12月10日 9:00 党群服务中心 联合：兴业商户联合党支部", user="u-张伟")
    assert "联合：兴业商户联合党支部（各支部党员均为应到" in created[0]
    assert "地点：党群服务中心\n" in created[0]
    # each side signs in from its own chat; the reminders reach both chats
    pushed = await h.tick(days=8, hours=23, minutes=55)  # 10 December 08:55: the window is open
    opened = [p for p in pushed if "签到已开放" in p or "开始签到" in p]
    assert {p.split("]")[0] for p in opened} == {f"[{GROUP}", f"[{SHOP}"}
    assert (await h.say("签到", user="u-赵强"))[0].startswith("✅")
    assert (await h.say("签到", user="u-何平", chat=SHOP))[0].startswith("✅")
    assert (await h.say("签到", user="u-陈明", chat=SHOP))[0].startswith("✅")
    # a third branch's member is no part of it
    await h.join("马超")
    assert "没有正在签到的活动" in (await h.say("签到", user="u-马超", chat=LOGISTICS))[0]

    h.clock.set(datetime.fromisoformat("2026-12-10T12:00:00+08:00"))
    summary = (await h.say("考勤 #1", user="u-陈明", chat=SHOP))[0]
    assert "应到 6" in summary and "实到 3" in summary  # 张伟 赵强 钱多多 + 陈明 何平 许晴

    # 组织生活: the joint 党员活动日 counts for both branches, not for 绿源
    await h.join("王建国")
    shown = (await h.say("组织生活 本月", user="u-王建国", chat=REGION_CHAT))[0]
    line = {ln.split("：")[0].split("（")[0]: ln for ln in shown.splitlines() if "党支部" in ln.split("：")[0]}
    assert "党员活动日 ✅ 1/1" in line["红星机械党支部"]
    assert "党员活动日 ✅ 1/1" in line["兴业商户联合党支部"]
    assert "党员活动日 ⏳ 0/1" in line["绿源科技党支部"]

    # the ledger: the pairing and the joint event with both sides counted; the event's scope names both
    replies = await h.send(h.incoming("导出台账 本月", user="u-李红", chat=REGION_CHAT))
    book = openpyxl.load_workbook(io.BytesIO(replies[0].file.data))
    head, *rows = table(book["结对共建台账"])
    assert head == ("结对支部", "日期", "类别", "活动", "应到", "实到", "说明")
    assert [(r[0], day(r[1]), *r[2:]) for r in rows] == [
        ("红星机械党支部 ⇄ 兴业商户联合党支部", "2026-12-01", "结对", None, None, None, "支部联谊"),
        ("红星机械党支部 ⇄ 兴业商户联合党支部", "2026-12-10", "联合活动", "#1 党员活动日", 6, 3, "党群服务中心"),
    ]
    _, *events = table(book["活动台账"])
    assert events[0][2] == "红星机械党支部＋兴业商户联合党支部"
    # 兴业's own ledger has its joint event
    mine = await h.send(h.incoming("导出台账 本月", user="u-陈明", chat=SHOP))
    _, *ev = table(openpyxl.load_workbook(io.BytesIO(mine[0].file.data))["活动台账"])
    assert [r[0] for r in ev] == [1]

    # the partner's monthly digest counts it too (held, 3 of its 3 came... of the 6: its own rate)
    await queue_periodic(h.app.services, dormancy_weeks=8)
    pushed = await h.tick(days=22)  # 1 January 09:00
    digest = next(p for p in pushed if p.startswith(f"[{SHOP}] 🤖 📅 2026年12月 党建简报"))
    assert "组织会议和活动 1 次，平均出席率 67%" in digest  # 陈明, 何平 of its 3 (许晴 did not come)

    listed = await h.say("结对", user="u-李红", chat=REGION_CHAT)
    assert listed[0].splitlines() == [
        "🤝 结对共建 1 对：",
        "· 红星机械党支部 ⇄ 兴业商户联合党支部（2026年12月1日起，支部联谊）",
    ]
    said = await h.say("解除结对 兴业商户联合党支部 红星机械党支部", user="u-李红", chat=REGION_CHAT)
    assert said == ["✅ 兴业商户联合党支部 与 红星机械党支部 的结对自今天起结束，已开展的联合活动仍计入双方。"]
    assert await h.count(Pairing, Pairing.ended_on.is_not(None)) == 1
    assert (await h.say("结对", user="u-李红", chat=REGION_CHAT)) == [
        "还没有结对。发送：结对 支部A 支部B [说明]（与其他联合党委的支部：结对 本党委支部 对方党委名称 对方支部）"
    ]


async def test_a_general_branch_s_joint_event_and_its_funds_in_the_ledger(h: Harness) -> None:
    await _chats(h)
    await h.say("党总支 机械产业党总支 红星机械党支部 绿源科技党支部", user="u-李红", chat=REGION_CHAT)
    await h.say("党总支 机械产业党总支 书记 张伟", user="u-李红", chat=REGION_CHAT)
    said = await h.say("总支经费 机械产业党总支 20000 党费返还", user="u-李红", chat=REGION_CHAT)
    assert said == ["✅ 已登记机械产业党总支经费收入 20000.00 元（党费返还），结余 20000.00 元。"]
    said = await h.say("总支经费 机械产业党总支 -350.5 主题党日场地", user="u-李红", chat=REGION_CHAT)
    assert said == ["✅ 已登记机械产业党总支支出 350.50 元（主题党日场地），结余 19649.50 元。"]
    # the secretary publishes for the whole 党总支 from his branch's chat: both branches expected
    created = await h.say("发布 党员活动日 12月15日 9:00 活动中心 党总支：机械产业党总支", user="u-张伟")
    assert "联合：绿源科技党支部（" in created[0]
    # 刘芳 (绿源's secretary, not the 党总支's) may not
    refused = await h.say("发布 党员活动日 12月16日 9:00 活动中心 党总支：机械产业党总支", user="u-刘芳", chat=GREEN)
    assert refused == [
        "红星机械党支部 与本支部没有结对，你也不管理该支部，不能与它联合发布活动。"
        "请先由联合党委发送：结对 本支部 红星机械党支部"
    ]
    # held on the day: it counts for both branches, and 组织生活 shows how many of the 党总支's branches met each norm
    h.clock.set(datetime.fromisoformat("2026-12-15T09:02:00+08:00"))
    assert (await h.say("签到", user="u-赵强"))[0].startswith("✅")
    shown = (await h.say("组织生活 本月", user="u-李红", chat=REGION_CHAT))[0]
    unit = next(line for line in shown.splitlines() if line.startswith("机械产业党总支"))
    assert unit.split("：")[1].split(" · ") == [
        "支委会 0/2 个支部已落实",
        "党小组会 0/2 个支部已落实",
        "党员活动日 2/2 个支部已落实",
    ]
    assert unit.startswith("机械产业党总支（党总支，2 个支部）：")
    # 年度考评: the 党总支's mean of its branches' totals (counted from September: the quarter is due)
    await h.say("启用日期 2026-09-01", user="u-李红", chat=REGION_CHAT)
    ranking = (await h.say("年度考评", user="u-李红", chat=REGION_CHAT))[0].splitlines()
    totals = {line.split()[1]: int(line.split()[2].removesuffix("分")) for line in ranking if "分 ★" in line}
    mean = round((totals["红星机械党支部"] + totals["绿源科技党支部"]) / 2, 1)
    assert f"🏛 党总支、编组（所属支部总分的平均）：机械产业党总支 {mean}分（2 个支部）" in ranking
    replies = await h.send(h.incoming("导出台账 本月", user="u-李红", chat=REGION_CHAT))
    head, *rows = table(openpyxl.load_workbook(io.BytesIO(replies[0].file.data))["党总支台账"])
    assert head == ("党总支（编组）", "类别", "日期", "项目", "金额（元）", "内容")
    assert [(r[0], r[1], day(r[2]) if r[2] else None, *r[3:]) for r in rows] == [
        ("机械产业党总支", "党总支", None, "组成", None,
         "所属支部：红星机械党支部、绿源科技党支部；负责人：张伟；每月活动日：—"),
        ("机械产业党总支", "党总支", "2026-12-15", "联合活动", None, "#1 党员活动日 活动中心"),
        ("机械产业党总支", "党总支", "2026-12-01", "经费收入", 20000, "党费返还（李红）"),
        ("机械产业党总支", "党总支", "2026-12-01", "经费支出", -350.5, "主题党日场地（李红）"),
    ]  # fmt: skip

    # December's 月报 (compiled on 5 January in the region's chat) has the 党总支's line too
    await queue_periodic(h.app.services, dormancy_weeks=8)
    pushed = await h.tick(days=21, hours=1)  # 5 January 10:02
    report = next(p for p in pushed if p.startswith(f"[{REGION_CHAT}] 🤖 📊 2026年12月 联合党委月报"))
    unit = "机械产业党总支（党总支，2 个支部）：支部党员大会 0/2 个支部已落实 · 支委会 0/2 个支部已落实 · "
    unit += "党小组会 0/2 个支部已落实 · 党课 0/2 个支部已落实 · 党员活动日 2/2 个支部已落实"
    assert f"工作情况：未报送\n\n{unit}" in report


async def test_a_unit_s_own_norm_counts_only_what_was_held_for_the_whole_unit(h: Harness) -> None:
    await _chats(h)
    await h.say("党总支 机械产业党总支 红星机械党支部 绿源科技党支部", user="u-李红", chat=REGION_CHAT)
    await h.say("党总支 机械产业党总支 书记 张伟", user="u-李红", chat=REGION_CHAT)
    said = await h.say("党总支 机械产业党总支 规范 党课 每月1次", user="u-李红", chat=REGION_CHAT)
    assert said == [
        "✅ 党总支 机械产业党总支 本级规范：党课 每月1次。只计为全党总支各支部发布的活动"
        "（发布 … 党总支：机械产业党总支），列在组织生活和月报中。"
    ]
    listed = (await h.say("党总支", user="u-李红", chat=REGION_CHAT))[0]
    assert listed.endswith("；书记 张伟；本级规范 党课每月1次")

    async def own_part() -> str:
        shown = (await h.say("组织生活 本月", user="u-李红", chat=REGION_CHAT))[0]
        line = next(x for x in shown.splitlines() if x.startswith("机械产业党总支"))
        return line.partition("；本总支：")[2]

    assert await own_part() == "党课 ⏳ 0/1"
    # 红星's own lesson, held: it counts for 红星, not for the 党总支
    await h.say("发布 党课 12月3日 9:00 车间", user="u-张伟")
    h.clock.set(datetime.fromisoformat("2026-12-03T09:02:00+08:00"))
    assert (await h.say("签到", user="u-赵强"))[0].startswith("✅")
    assert await own_part() == "党课 ⏳ 0/1"
    # one for the whole 党总支, held: it does
    await h.say("发布 党课 12月4日 9:00 活动中心 党总支：机械产业党总支", user="u-张伟")
    h.clock.set(datetime.fromisoformat("2026-12-04T09:02:00+08:00"))
    assert (await h.say("签到", user="u-刘芳", chat=GREEN))[0].startswith("✅")
    assert await own_part() == "党课 ✅ 1/1"
    await h.say("语言 en", user="u-李红", chat=REGION_CHAT)
    english = (await h.say("组织生活 本月", user="u-李红", chat=REGION_CHAT))[0]
    assert "; the general branch itself: Party lesson ✅ 1/1" in english
    await h.say("语言 zh", user="u-李红", chat=REGION_CHAT)
    # December's 月报 closes with it too
    h.clock.set(datetime.fromisoformat("2026-12-15T09:02:00+08:00"))
    await queue_periodic(h.app.services, dormancy_weeks=8)
    pushed = await h.tick(days=21, hours=1)  # 5 January 10:02
    report = next(p for p in pushed if p.startswith(f"[{REGION_CHAT}] 🤖 📊 2026年12月 联合党委月报"))
    assert "；本总支：党课 ✅ 1/1" in report
    said = await h.say("党总支 机械产业党总支 规范 党课 每月0次", user="u-李红", chat=REGION_CHAT)
    assert said[0].startswith("✅ 党总支 机械产业党总支 本级规范：党课 不再要求。")
    assert "本级规范" not in (await h.say("党总支", user="u-李红", chat=REGION_CHAT))[0]
    changes = await h.rows(AuditLog.__table__.select().where(AuditLog.action == "unit.norm"))
    assert len(changes) == 2
    said = await h.say("党总支 机械产业党总支 规范 随便 每月1次", user="u-李红", chat=REGION_CHAT)
    assert said[0].startswith("格式不对。\n用法：党总支 [名称 支部名")
    said = await h.say("党总支 没有这个 规范 党课 每月1次", user="u-李红", chat=REGION_CHAT)
    assert said == ["没有名为“没有这个”的党总支或编组。发送“党总支”查看全部。"]
    assert (await h.say("党总支 机械产业党总支 规范 党课 每月1次", user="u-张伟", chat=REGION_CHAT))[0].startswith("⛔")


async def test_a_unit_s_own_chat_hears_the_unit_and_answers_only_what_concerns_it(h: Harness) -> None:
    await _chats(h)
    for text in (
        "党总支 机械产业党总支 红星机械党支部 绿源科技党支部",
        "党总支 机械产业党总支 书记 张伟",
        "党总支 机械产业党总支 活动日 15",
    ):
        await h.say(text, user="u-李红", chat=REGION_CHAT)
    unit_chat = "总支群"
    # 绿源's secretary does not manage the 党总支: he may not bind a chat to it
    assert (await h.say("绑定 机械产业党总支", user="u-刘芳", chat=unit_chat))[0].startswith("⛔")
    said = await h.say("绑定 机械产业党总支", user="u-张伟", chat=unit_chat)  # its secretary may
    assert said == [
        "✅ 本群已绑定到党总支（编组）：机械产业党总支。本群会收到它的活动日提醒和每月的落实情况，"
        "可以发送“组织生活”查看所属各支部；签到、请假等仍在各支部的群里。"
    ]
    told = await h.tick(seconds=5)
    assert any(t.startswith(f"[{REGION_CHAT}] 🤖 🔗 张伟") and "“机械产业党总支”" in t for t in told), told
    assert not any(t.startswith(f"[{unit_chat}]") for t in told)

    # what concerns a branch is said in the branch's chat
    elsewhere = "本群是党总支（编组）的群：签到、请假、发布活动等请在本支部的群里发送。"
    for text, user in (("签到", "u-赵强"), ("发布 支委会 12月3日 19:00 会议室", "u-张伟"), ("积分排行", "u-李红")):
        assert (await h.say(text, user=user, chat=unit_chat))[0].startswith(elsewhere), text
    helped = (await h.say("帮助", user="u-赵强", chat=unit_chat))[0]
    assert "· 组织生活与报表：组织生活规范、组织生活\n· 设置：我是谁、总支通知\n" in helped and "签到" not in helped
    assert "机械产业党总支" in (await h.say("我是谁", user="u-赵强", chat=unit_chat))[0]
    # 组织生活 here: its branches and its line, not the region's other branches nor the region's own norms
    shown = (await h.say("组织生活 本月", user="u-赵强", chat=unit_chat))[0].splitlines()
    names = [line.split("：")[0] for line in shown[1:] if "：" in line and not line.startswith("✅")]
    assert names == ["红星机械党支部", "绿源科技党支部", "机械产业党总支（党总支，2 个支部）"], shown
    listed = (await h.say("群列表", user="u-李红", chat=REGION_CHAT))[0]
    assert "机械产业党总支" in listed
    # its secretary's notice reaches it and each of its branches' chats (not 兴业's, not the region's)
    said = await h.say("总支通知 周五前报送本月工作情况", user="u-张伟", chat=unit_chat)
    assert said == ["📣 通知已排队发送到 3 个群。"]
    told = await h.tick(seconds=5)
    notice = "🤖 📣 通知（机械产业党总支 张伟）\n周五前报送本月工作情况"
    assert sorted(told) == sorted(f"[{c}] {notice}" for c in (unit_chat, GROUP, GREEN))
    assert (await h.say("总支通知 测试", user="u-刘芳", chat=unit_chat))[0].startswith("⛔")
    assert (await h.say("总支通知 测试", user="u-张伟"))[0].startswith("“总支通知”请在党总支或编组自己的群里发送")
    # every command and button, as its secretary and as a region officer: only the unit's are answered
    router = h.app.router
    for user in ("u-张伟", "u-李红"):
        for cmd in router.commands:
            texts = await h.say(f"/{cmd.name}", user=user, chat=unit_chat)
            assert texts[0].startswith(elsewhere) != cmd.unit_chat, (cmd.name, texts)
        for press in router.buttons:
            texts = [to_plain(r.text) for r in await h.press(f"{press.prefix}:999999", user=user, chat=unit_chat)]
            assert bool(texts and texts[0].startswith(elsewhere)) != press.unit_chat, (press.prefix, texts)

    # a region-wide lesson is not the unit chat's: its notices go to the region's and branches' chats only
    await h.say("发布 专题党课 12月10日 19:00 党校", user="u-李红", chat=REGION_CHAT)
    await queue_periodic(h.app.services, dormancy_weeks=8)
    pushed = await h.tick(days=13, minutes=5)  # 14 December 09:05
    mine = [p for p in pushed if p.startswith(f"[{unit_chat}]")]
    assert mine == [f"[{unit_chat}] 🤖 📅 明天（12月15日）是机械产业党总支的活动日，请各支部做好准备，组织党员参加。"]
    assert any(p.startswith(f"[{GROUP}]") and "专题党课" in p for p in pushed)
    # on the first of the month, how December went, for its branches only
    pushed = await h.tick(days=18, hours=1)  # 1 January 10:05
    mine = [p for p in pushed if p.startswith(f"[{unit_chat}]")]
    assert len(mine) == 1 and mine[0].startswith(f"[{unit_chat}] 🤖 📋 组织生活落实情况（2026年12月"), mine
    assert "红星机械党支部：" in mine[0] and "绿源科技党支部：" in mine[0] and "兴业" not in mine[0]
    assert "机械产业党总支（党总支，2 个支部）：" in mine[0] and "联合党委：" not in mine[0]


async def test_a_unit_paired_with_a_branch_pairs_each_of_its_branches(h: Harness) -> None:
    await _chats(h)
    for text in ("党总支 机械产业党总支 红星机械党支部 绿源科技党支部", "党总支 机械产业党总支 书记 张伟"):
        await h.say(text, user="u-李红", chat=REGION_CHAT)
    said = await h.say("结对 机械产业党总支 兴业商户联合党支部 共建", user="u-李红", chat=REGION_CHAT)
    assert said == [
        "✅ 机械产业党总支 与 兴业商户联合党支部 自今天起结对共建（共建）。双方支部的群会收到通知；"
        "联合活动发送：发布 类型 日期 时间 地点 联合：兴业商户联合党支部"
    ]
    told = sorted(await h.tick(seconds=5))
    tail = "结对共建（共建）。联合活动的双方党员均为应到，计入双方的组织生活。"
    assert told == sorted(
        [
            f"[{GROUP}] 🤖 🤝 本支部与兴业商户联合党支部{tail}",
            f"[{GREEN}] 🤖 🤝 本支部与兴业商户联合党支部{tail}",
            f"[{SHOP}] 🤖 🤝 本支部与机械产业党总支{tail}",  # once, naming the unit
        ]
    )
    listed = (await h.say("结对", user="u-李红", chat=REGION_CHAT))[0].splitlines()
    assert listed[0] == "🤝 结对共建 2 对：" and len(listed) == 3
    # 绿源's own secretary may now hold a joint event with 兴业; 兴业's with the whole 党总支
    created = await h.say("发布 支委会 12月3日 19:00 会议室 联合：兴业商户联合党支部", user="u-刘芳", chat=GREEN)
    assert created[0].startswith("📌 已发布 #1 支委会") and "联合：兴业商户联合党支部（" in created[0]
    created = await h.say("发布 党员活动日 12月10日 9:00 活动中心 联合：机械产业党总支", user="u-陈明", chat=SHOP)
    assert "联合：红星机械党支部、绿源科技党支部（" in created[0]
    # a unit is not paired with its own branch; ended for all its branches at once
    said = await h.say("结对 机械产业党总支 红星机械党支部", user="u-李红", chat=REGION_CHAT)
    assert said[0].startswith("格式不对。\n用法：结对 [A B [说明]]")
    said = await h.say("解除结对 兴业商户联合党支部 机械产业党总支", user="u-李红", chat=REGION_CHAT)
    assert said == ["✅ 兴业商户联合党支部 与 机械产业党总支 的结对自今天起结束，已开展的联合活动仍计入双方。"]
    assert (await h.say("结对", user="u-李红", chat=REGION_CHAT))[0].startswith("还没有结对")
    refused = await h.say("发布 支委会 12月4日 19:00 会议室 联合：兴业商户联合党支部", user="u-刘芳", chat=GREEN)
    assert refused[0].startswith("兴业商户联合党支部 与本支部没有结对")


async def test_who_may_and_bad_input(h: Harness) -> None:
    await _chats(h)
    assert await h.say("党总支 机械产业党总支 红星机械党支部", user="u-张伟", chat=REGION_CHAT) == [
        "⛔ 这项操作需要联合党委书记或管理员。"
    ]
    assert await h.say("结对 红星机械党支部 兴业商户联合党支部", user="u-张伟") == [
        "⛔ 这项操作需要联合党委书记或管理员。"
    ]
    assert await h.say("党总支", user="u-李红", chat=REGION_CHAT) == [
        "还没有党总支或编组。发送：党总支 名称 支部名 支部名…（或：编组 名称 支部名…）"
    ]
    said = await h.say("党总支 机械产业党总支 不存在党支部", user="u-李红", chat=REGION_CHAT)
    assert said == ["城东联合党委下没有名为“不存在党支部”的支部。"]
    said = await h.say("党总支 机械产业党总支 活动日 32", user="u-李红", chat=REGION_CHAT)
    assert said[0].startswith(
        "“32”不是一个月中的日子，请写 1 到 31（31 表示当月最后一天），或“无”。\n用法：党总支 [名称 支部名"
    )
    said = await h.say("总支经费 没有这个 100 用途", user="u-李红", chat=REGION_CHAT)
    assert said == ["没有名为“没有这个”的党总支或编组。发送“党总支”查看全部。"]
    said = await h.say("总支经费 机械产业党总支 很多 用途", user="u-李红", chat=REGION_CHAT)
    assert said[0].startswith("“很多”不是金额，请写元数，例如 20000 或 -3000。\n用法：总支经费 名称 金额 用途")
    said = await h.say("结对 红星机械党支部 红星机械党支部", user="u-李红", chat=REGION_CHAT)
    assert said[0].startswith("格式不对。\n用法：结对 [A B [说明]]")
    said = await h.say("解除结对 红星机械党支部 兴业商户联合党支部", user="u-李红", chat=REGION_CHAT)
    assert said == ["红星机械党支部 与 兴业商户联合党支部 现在没有结对。"]
    # a joint event from the region's chat needs the publishing branch named
    said = await h.say("发布 党员活动日 12月10日 9:00 中心 联合：兴业商户联合党支部", user="u-李红", chat=REGION_CHAT)
    assert said[0].startswith("联合活动要由一个支部发布")
    # user text stays verbatim (escaped where shown)
    said = await h.say("结对 红星机械党支部 兴业商户联合党支部 <b>联谊</b>", user="u-李红", chat=REGION_CHAT)
    assert "（<b>联谊</b>）" in said[0]


async def test_a_unit_s_secretary_in_every_chat_manages_its_branches_and_nothing_else(
    h: Harness, tmp_path: Path
) -> None:
    """The access walk for 张伟 (红星's secretary) made secretary of a 党总支: before, as a branch
    secretary; with a 党总支 of 红星 and 绿源 (OTHER_BRANCH), 支部管理 and 党费管理 in both branches'
    chats as a region officer has them, still nothing of the region's own (联合党委) nor in the
    region's chat beyond 成员, nothing in another region; with 绿源 moved out, back to his own."""
    await _two_regions(h, tmp_path)
    secretary = EXPECTED["branch"]["branch_secretary"]
    own = {"anyone": (True,) * 4, "member": EXPECTED["member"]["branch_secretary"], "branch": secretary,
           "dues": secretary}  # fmt: skip
    assert await _walk(h, own) == []
    await h.say("党总支 机械产业党总支 红星机械党支部 绿源科技党支部", user="u-李红", chat=REGION_CHAT)
    await h.say("党总支 机械产业党总支 书记 张伟", user="u-李红", chat=REGION_CHAT)
    both = {"anyone": (True,) * 4, "member": (Y, Y, Y, N), "branch": (Y, Y, N, N), "dues": (Y, Y, N, N)}
    assert await _walk(h, both) == []
    await h.say("党总支 机械产业党总支 红星机械党支部", user="u-李红", chat=REGION_CHAT)
    assert await _walk(h, own) == []


async def _walk(h: Harness, allowed: dict[str, tuple[bool, ...]]) -> list[object]:
    """Every command as 张伟 in every chat: refused exactly where the level does not allow it."""
    wrong: list[object] = []
    for index, chat in enumerate(CHATS):
        for name, level in COMMANDS.items():
            texts = await h.say(f"/{name}", user="u-张伟", chat=chat)
            if _refused(texts) == allowed.get(level, (False,) * 4)[index]:
                wrong.append((f"/{name}", chat, texts))
    return wrong


async def test_an_instructor_attached_to_a_general_branch_guides_its_branches(h: Harness, tmp_path: Path) -> None:
    await _instructor(h, tmp_path)
    await h.say("党总支 机械产业党总支 红星机械党支部 绿源科技党支部", user="u-李红", chat=REGION_CHAT)
    said = await h.say("指导员 周敏 机械产业党总支 兴业商户联合党支部", user="u-李红", chat=REGION_CHAT)
    assert said[0].startswith("✅ 周敏 自今天起指导：兴业商户联合党支部、红星机械党支部、绿源科技党支部。")


async def test_the_pairings_sheet_counts_joint_events_in_a_ledger_of_summaries_and_leaves_out_cancelled_ones(
    h: Harness, tmp_path: Path
) -> None:
    """A large region's ledger lists only the region's own events in its events sheet: its
    结对共建台账 still counts each joint event; a cancelled one is in neither ledger's sheet."""
    await _chats(h)
    await h.join("何平")
    await h.say("结对 红星机械党支部 兴业商户联合党支部", user="u-李红", chat=REGION_CHAT)
    await h.say("发布 党员活动日 今天 14:00 党群服务中心 联合：兴业商户联合党支部", user="u-张伟")
    await h.say("发布 党员活动日 12月9日 14:00 党群服务中心 联合：兴业商户联合党支部", user="u-张伟")
    await h.say("取消活动 #2", user="u-张伟")
    h.clock.advance(hours=4, minutes=40)  # 13:40, the window open
    await h.say("签到", user="u-赵强")
    await h.say("签到", user="u-何平", chat=SHOP)
    h.clock.advance(hours=1)
    expected = [
        ("红星机械党支部 ⇄ 兴业商户联合党支部", "2026-12-01", "联合活动", "#1 党员活动日", 6, 2, "党群服务中心")
    ]

    replies = await h.send(h.incoming("导出台账 本月", user="u-李红", chat=REGION_CHAT))
    _, *rows = table(openpyxl.load_workbook(io.BytesIO(replies[0].file.data))["结对共建台账"])
    assert [(r[0], day(r[1]), *r[2:]) for r in rows[1:]] == expected

    start, end = datetime.fromisoformat("2026-12-01T00:00+08:00"), datetime.fromisoformat("2027-01-01T00:00+08:00")
    out = tmp_path / "summaries.xlsx"

    async def write(conn: Any) -> Any:
        uow = UnitOfWork(conn, h.clock.now())
        scope = await uow.ledger.scope(1, None, start, end)
        return await write_ledger(
            uow, scope, out, tz=h.app.services.policy.tz, locale="zh-CN", title="t", detail_max_rows=0
        )

    assert (await h.app.db.read(write)).summarized
    _, *rows = table(openpyxl.load_workbook(out)["结对共建台账"])
    assert [(r[0], day(r[1]), *r[2:]) for r in rows[1:]] == expected


WEST_ROSTER = (
    "姓名,支部,角色,手机,telegram_id,wecom_userid\n"
    "钱西,城西联合党委机关党支部,管理员,13900000001,,\n"
    "孙西,西郊党支部,支部书记,13900000011,,\n"
    "周西,西郊党支部,党员,13900000012,,\n"
    "吴西,西郊党支部,党员,13900000013,,\n"
)
WEST_CHAT, SUBURB = "西区群", "西郊群"  # bound to 城西联合党委 and to its 西郊党支部


async def _west(h: Harness, tmp_path: Path) -> None:
    """A second region, 城西联合党委, with its committee's chat and its 西郊党支部's chat bound and
    every member registered (each sharing their own contact)."""
    roster = tmp_path / "west.csv"
    roster.write_text(WEST_ROSTER, encoding="utf-8")
    await import_roster(h.app.db, roster, "城西联合党委", h.clock.now())
    for line in WEST_ROSTER.splitlines()[1:]:
        name, phone = line.split(",")[0], line.split(",")[3]
        await h.send(h.incoming(user=f"u-{name}", chat=f"@u-{name}", private=True, contact=phone))
    assert (await h.say("绑定 城西联合党委", user="u-钱西", chat=WEST_CHAT))[0].startswith("✅")
    assert (await h.say("绑定 西郊党支部", user="u-钱西", chat=SUBURB))[0].startswith("✅")
    await h.tick(seconds=5)


async def test_a_pairing_across_regions_takes_both_committees_and_its_joint_event_counts_in_each(
    h: Harness, tmp_path: Path
) -> None:
    """红星 (城东联合党委) paired with 西郊 (城西联合党委): proposed by one committee, in force once the
    other consents; 红星's joint event gives 西郊 its own copy, which its members sign in to from
    their chat and which counts in 城西's 组织生活 and ledger; it follows the host's moves and
    cancellation; either side ends it; a proposal can be declined."""
    await _west(h, tmp_path)
    joint = "发布 党员活动日 12月10日 9:00 党群服务中心 联合：西郊党支部"
    assert await h.say(joint, user="u-张伟") == ["城东联合党委下没有名为“西郊党支部”的支部。"]

    said = await h.say("结对 红星机械党支部 城西联合党委 西郊党支部 支部联谊", user="u-李红", chat=REGION_CHAT)
    assert said == [
        "📨 已向城西联合党委提出：红星机械党支部 与 城西联合党委 西郊党支部 结对共建（支部联谊）。"
        "城西联合党委的书记或管理员同意后生效（在其群里发送：结对 西郊党支部 城东联合党委 红星机械党支部）。"
    ]
    assert await h.tick(seconds=5) == [
        f"[{WEST_CHAT}] 🤖 🤝 城东联合党委提出：其 红星机械党支部 与本党委 西郊党支部 结对共建（支部联谊）。"
        "同意请党委书记或管理员发送：结对 西郊党支部 城东联合党委 红星机械党支部；"
        "不同意：解除结对 西郊党支部 城东联合党委 红星机械党支部"
    ]
    again = await h.say("结对 红星机械党支部 城西联合党委 西郊党支部", user="u-李红", chat=REGION_CHAT)
    assert again == ["⏳ 红星机械党支部 与 城西联合党委 西郊党支部 的结对已经提出，还在等城西联合党委同意。"]
    assert (await h.say("结对", user="u-李红", chat=REGION_CHAT))[0].splitlines() == [
        "跨党委结对提议 1 个：",
        "⏳ 待城西联合党委同意：红星机械党支部 ⇄ 城西联合党委 西郊党支部（2026年12月1日提出，支部联谊）",
    ]
    assert (await h.say("结对", user="u-钱西", chat=WEST_CHAT))[0].splitlines()[1] == (
        "⏳ 城东联合党委提出，待本党委同意：西郊党支部 ⇄ 城东联合党委 红星机械党支部（支部联谊）。"
        "同意：结对 西郊党支部 城东联合党委 红星机械党支部；不同意：解除结对 西郊党支部 城东联合党委 红星机械党支部"
    )
    # not in force yet; and only a region officer consents (not 西郊's own secretary)
    assert (await h.say(joint, user="u-张伟"))[0] == "城东联合党委下没有名为“西郊党支部”的支部。"
    consent = "结对 西郊党支部 城东联合党委 红星机械党支部"
    assert await h.say(consent, user="u-孙西", chat=SUBURB) == ["⛔ 这项操作需要联合党委书记或管理员。"]
    assert await h.say(consent, user="u-钱西", chat=WEST_CHAT) == [
        "✅ 西郊党支部 与 城东联合党委 红星机械党支部 自今天起结对共建（支部联谊）。双方支部的群会收到通知；"
        "联合活动发送：发布 类型 日期 时间 地点 联合：红星机械党支部（对方党员在其群里签到，计入各自的组织生活）"
    ]
    tail = "结对共建（支部联谊）。联合活动的双方党员均为应到，计入双方的组织生活。"
    assert sorted(await h.tick(seconds=5)) == sorted(
        [
            f"[{GROUP}] 🤖 🤝 本支部与城西联合党委 西郊党支部{tail}",
            f"[{SUBURB}] 🤖 🤝 本支部与城东联合党委 红星机械党支部{tail}",
            f"[{REGION_CHAT}] 🤖 🤝 城西联合党委已同意：本党委 红星机械党支部 与 城西联合党委 西郊党支部 "
            "自今天起结对共建。"
            "联合活动发送：发布 类型 日期 时间 地点 联合：西郊党支部",
        ]
    )
    pair_line = "· 城东联合党委 红星机械党支部 ⇄ 城西联合党委 西郊党支部（2026年12月1日起，支部联谊）"
    for user, chat in (("u-李红", REGION_CHAT), ("u-钱西", WEST_CHAT)):
        assert (await h.say("结对", user=user, chat=chat))[0].splitlines() == ["🤝 结对共建 1 对：", pair_line]

    # the joint event: #1 in 城东 for 红星, #2 城西's copy for 西郊, whose chat hears of it now
    created = (await h.say(joint, user="u-张伟"))[0]
    assert created.startswith("📌 已发布 #1 党员活动日") and "\n联合：城西联合党委 西郊党支部（" in created
    assert await h.tick(seconds=5) == [
        f"[{SUBURB}] 🤖 🤝 联合活动：城东联合党委 红星机械党支部邀请本支部共同开展 党员活动日 #2\n"
        "时间：12月10日（周四）09:00\n地点：党群服务中心\n"
        "本支部党员均为应到，计入本支部的组织生活；届时在本群签到，不能参加请发送“请假 原因”。"
    ]
    copy_refused = (
        "活动 #2 是城东联合党委 红星机械党支部发起的联合活动，改期或取消由发起方办理（双方的群都会收到通知）；"
        "本支部党员照常签到、请假。"
    )
    assert await h.say("取消活动 #2", user="u-孙西", chat=SUBURB) == [copy_refused]
    assert await h.say("改期 #2 12月10日 9:30", user="u-钱西", chat=SUBURB) == [copy_refused]
    # moved by its host: the copy moves with it, each side's chat is told of its own
    assert (await h.say("改期 #1 12月10日 9:30", user="u-张伟"))[0].startswith("🔁 党员活动日 #1 已由")
    moved = sorted(await h.tick(seconds=5))
    assert [m.split("\n")[0] for m in moved] == [
        f"[{GROUP}] 🤖 📝 党员活动日有变动",
        f"[{SUBURB}] 🤖 📝 党员活动日有变动",
    ]
    assert "#2 12月10日（周四）09:30 · 党群服务中心" in moved[1]
    assert await h.say("活动列表", user="u-周西", chat=SUBURB) == [
        "近期活动：\n#2 12月10日（周四）09:30 党员活动日 · 党群服务中心"
    ]

    # each side signs in from its own chat, to its own region's event
    h.clock.set(datetime.fromisoformat("2026-12-10T09:25:00+08:00"))
    await h.tick(seconds=1)
    assert (await h.say("签到", user="u-周西", chat=SUBURB))[0].startswith("✅")
    assert (await h.say("签到", user="u-孙西", chat=SUBURB))[0].startswith("✅")
    assert (await h.say("请假 出差", user="u-吴西", chat=SUBURB))[0].startswith("📝 吴西 已请假：党员活动日")
    assert (await h.say("签到", user="u-赵强"))[0].startswith("✅")
    h.clock.set(datetime.fromisoformat("2026-12-10T10:29:00+08:00"))
    finals = sorted(p for p in await h.tick(minutes=2) if "签到结果" in p)  # the window closes at 10:30
    assert [f.splitlines()[0] for f in finals] == [
        f"[{GROUP}] 🤖 📊 党员活动日 12月10日（周四）09:30 签到结果",
        f"[{SUBURB}] 🤖 📊 党员活动日 12月10日（周四）09:30 签到结果",
    ]
    assert "联合方 城西联合党委 西郊党支部：应到 3 人，实到 2 人（名单见其群）" in finals[0]
    assert "联合方 城东联合党委 红星机械党支部：应到 3 人，实到 1 人（名单见其群）" in finals[1]
    west_count = (await h.say("考勤 #2", user="u-孙西", chat=SUBURB))[0].splitlines()
    assert west_count[1:3] == [
        "应到 3 人，实到 2 人（出席率 67%）",
        "联合方 城东联合党委 红星机械党支部：应到 3 人，实到 1 人（名单见其群）",
    ]
    assert "请假 1：吴西（出差）" in west_count
    east_count = (await h.say("考勤 #1", user="u-张伟"))[0].splitlines()
    assert east_count[1:3] == [
        "应到 3 人，实到 1 人（出席率 33%）",
        "联合方 城西联合党委 西郊党支部：应到 3 人，实到 2 人（名单见其群）",
    ]
    assert not any("周西" in line for line in east_count)  # the other region's names stay there

    # it counts in each region: 城西's 组织生活 for 西郊, 城东's for 红星
    shown = (await h.say("组织生活 本月", user="u-钱西", chat=WEST_CHAT))[0]
    assert "西郊党支部：支部党员大会 — · 支委会 ⏳ 0/1 · 党小组会 ⏳ 0/1 · 党课 — · 党员活动日 ✅ 1/1" in shown
    assert (
        "城西联合党委机关党支部：支部党员大会 — · 支委会 ⏳ 0/1 · 党小组会 ⏳ 0/1 · 党课 — · 党员活动日 ⏳ 0/1" in shown
    )
    shown = (await h.say("组织生活 本月", user="u-李红", chat=REGION_CHAT))[0]
    assert "红星机械党支部：" in shown and "党员活动日 ✅ 1/1" in shown.split("红星机械党支部：")[1].splitlines()[0]
    # and in each ledger, each side counting its own members
    for user, chat, row in (
        ("u-钱西", WEST_CHAT, ("西郊党支部 ⇄ 城东联合党委 红星机械党支部", "#2 党员活动日", 3, 2)),
        ("u-李红", REGION_CHAT, ("红星机械党支部 ⇄ 城西联合党委 西郊党支部", "#1 党员活动日", 3, 1)),
    ):
        replies = await h.send(h.incoming("导出台账 本月", user=user, chat=chat))
        book = openpyxl.load_workbook(io.BytesIO(replies[0].file.data))
        _, *events = table(book["活动台账"])  # the event's scope names the other side too
        assert [(e[0], e[2]) for e in events] == [(int(row[1][1]), row[0].replace(" ⇄ ", "＋", 1))]
        _, *rows = table(book["结对共建台账"])
        assert [(r[0], day(r[1]), *r[2:]) for r in rows] == [
            (
                "城东联合党委 红星机械党支部 ⇄ 城西联合党委 西郊党支部",
                "2026-12-01",
                "结对",
                None,
                None,
                None,
                "支部联谊",
            ),
            (row[0], "2026-12-10", "联合活动", row[1], row[2], row[3], "党群服务中心"),
        ]

    # cancelled by its host: the copy is cancelled too, its chat told, its reminders gone
    created = (await h.say("发布 党课 12月20日 15:00 会议室 联合：城西联合党委/西郊党支部", user="u-张伟"))[0]
    assert created.startswith("📌 已发布 #3 专题党课")
    await h.tick(seconds=5)
    assert (await h.say("取消活动 #3", user="u-张伟"))[0].startswith("🚫 已取消 #3 专题党课")
    told = await h.tick(seconds=5)
    assert told == [f"[{SUBURB}] 🤖 📝 专题党课有变动\n不再举行：\n#4 12月20日（周日）15:00"]
    assert [p for p in await h.tick(days=11) if "#4" in p] == []

    # ended by either committee; the other hears it; no joint event after
    h.clock.set(datetime.fromisoformat("2026-12-22T10:00:00+08:00"))
    end = "解除结对 西郊党支部 城东联合党委 红星机械党支部"
    assert await h.say(end, user="u-钱西", chat=WEST_CHAT) == [
        "✅ 西郊党支部 与 城东联合党委 红星机械党支部 的结对自今天起结束，已开展的联合活动仍计入双方；"
        "城东联合党委会收到通知。"
    ]
    assert await h.tick(seconds=5) == [
        f"[{REGION_CHAT}] 🤖 城西联合党委解除了其 西郊党支部 与本党委 红星机械党支部 的结对，自今天起结束；"
        "已开展的联合活动仍计入双方。"
    ]
    later = "发布 党员活动日 12月28日 9:00 党群服务中心 联合：西郊党支部"
    assert await h.say(later, user="u-张伟") == ["城东联合党委下没有名为“西郊党支部”的支部。"]
    # proposed again, and declined this time
    await h.say("结对 红星机械党支部 城西联合党委 西郊党支部", user="u-李红", chat=REGION_CHAT)
    assert await h.say(end, user="u-钱西", chat=WEST_CHAT) == [
        "✅ 已不同意 城东联合党委 红星机械党支部 与本党委 西郊党支部 结对，城东联合党委会收到通知。"
    ]
    assert await h.tick(seconds=5) == [
        f"[{REGION_CHAT}] 🤖 城西联合党委没有同意 本党委 红星机械党支部 与其 西郊党支部 结对。"
    ]
    assert (await h.say("结对", user="u-李红", chat=REGION_CHAT))[0].startswith("还没有结对")
    audit = select(AuditLog.action).where(AuditLog.action.like("pairing.%")).order_by(AuditLog.id)
    actions = [a for (a,) in await h.rows(audit)]
    assert actions == ["pairing.propose", "pairing.consent", "pairing.end", "pairing.propose", "pairing.decline"]
