"""党费 through the router: the base set privately and never shown in a group, payments with their
receipts, the 公示 in the chat and on the 1st, the reminder on the 25th (a count, never names),
arrears to the secretary alone, a member's own account, who may, bad input and the 党费台账."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl

from bot.cli.roster import import_roster
from storage.models import AuditLog, DuesPayment
from tests.harness import REGION_CHAT, Harness
from tests.truth import day, table


async def _bases(h: Harness) -> None:
    said = await h.dm("党费基数 赵强 6000", user="u-张伟")
    assert said == [
        "🔒 已设定 赵强 的党费：基数 6000.00 元（在职，5000–10000 元，1.5%），每月应交 90.00 元，自2026年12月起。"
        "基数只有本人、支部书记、组织委员和联合党委看得到；公示只列姓名和金额。"
    ]
    assert "每月应交 14.00 元" in (await h.dm("党费基数 钱多多 2800", user="u-张伟"))[0]  # 0.5%
    assert (await h.dm("党费基数 张伟 1500", user="u-张伟"))[0].startswith("⛔")  # not their own: the region sets it
    assert "每月应交 0.20 元" in (await h.dm("党费基数 张伟 1500 低收入", user="u-李红"))[0]


async def test_the_base_stays_private_and_the_public_sees_names_and_amounts(h: Harness) -> None:
    # said in a group, the base is refused (and so not echoed back)
    refused = (await h.say("党费基数 赵强 6000", user="u-张伟"))[0]
    assert refused.startswith("🔒 “党费基数”涉及个人党费信息，请私聊机器人发送") and "6000" not in refused
    await _bases(h)
    assert "基数 6000.00 元" in (await h.dm("党费基数 赵强", user="u-张伟"))[0]  # shown to the secretary, privately
    assert (await h.dm("党费基数 钱多多", user="u-赵强"))[0].startswith("⛔")  # not to another member

    paid = await h.say("党费已交 赵强 12月 No.0012", user="u-张伟")
    assert paid == ["💴 已登记 赵强 交纳党费：2026年12月 90.00 元，票据号 No.0012。"]
    again = await h.say("党费 已交 赵强 本月", user="u-张伟")  # as the issue writes it, and a second time
    assert again == ["赵强 2026年12月的党费已经登记过了。"]
    assert await h.count(DuesPayment) == 1
    assert await h.count(AuditLog, AuditLog.action.in_(["dues.base", "dues.paid"])) == 4

    shown = (await h.say("党费", user="u-钱多多"))[0]
    assert shown == (
        "💴 红星机械党支部 2026年12月党费收缴公示：\n· 赵强 90.00 元（12月1日，票据 No.0012）\n"
        "已交 1 人，合计 90.00 元；还有 2 人未交。"
    )
    region = (await h.say("党费", user="u-李红", chat=REGION_CHAT))[0]
    assert "· 红星机械党支部：已交 1/3 人，90.00 元" in region and "· 绿源科技党支部：已交 0/0 人，0.00 元" in region

    # the 25th: how many, never who; the 1st: December made public, without any base
    from jobs.periodic import queue_periodic

    await queue_periodic(h.app.services, dormancy_weeks=8)
    reminded = [p for p in await h.tick(days=24, hours=1) if "党费：已交" in p]
    assert reminded == [
        "[红星群] 🤖 📣 红星机械党支部 2026年12月党费：已交 1 人，还有 2 人未交。"
        "请未交的同志在月底前交给支部书记；私聊机器人发送“我的党费”可查看应交金额。"
    ]
    assert await queue_periodic(h.app.services, dormancy_weeks=8) > 0  # the 25th, 10:00: each who owes, privately
    assert await queue_periodic(h.app.services, dormancy_weeks=8) == 0  # the next hour's run: none again
    pushed = await h.tick(days=7)
    owed = sorted(p for p in pushed if "还没有交" in p)
    assert owed == [
        "[@u-张伟] 🤖 📣 张伟同志，你2026年12月的党费 0.20 元 还没有交，请在月底前交给支部书记。"
        "已经交了的，请提醒书记登记（发送“我的党费”可查看）。",
        "[@u-钱多多] 🤖 📣 钱多多同志，你2026年12月的党费 14.00 元 还没有交，请在月底前交给支部书记。"
        "已经交了的，请提醒书记登记（发送“我的党费”可查看）。",
    ]  # 赵强 paid: nothing for him; each once
    notice = [p for p in pushed if "党费收缴公示" in p]
    assert len(notice) == 1 and "· 赵强 90.00 元" in notice[0] and "6000" not in notice[0] and "钱多多" not in notice[0]


async def test_arrears_go_to_the_secretary_alone_and_a_member_sees_their_own(h: Harness) -> None:
    await _bases(h)
    await h.say("党费已交 赵强 12月 90", user="u-张伟")
    h.clock.advance(days=62)  # 1 February 2027: December and January have ended
    await h.say("党费已交 钱多多 2026-12", user="u-张伟")
    assert (await h.say("党费欠缴", user="u-张伟"))[0].startswith("🔒 “党费欠缴”涉及个人党费信息，请私聊")
    owed = (await h.dm("党费欠缴", user="u-张伟"))[0]
    assert owed.startswith("🔒 截至2027年1月欠缴党费（3 人）：")
    assert "· 赵强：2027年1月，共 90.00 元" in owed and "· 钱多多：2027年1月，共 14.00 元" in owed
    assert "· 张伟：2026年12月、2027年1月，共 0.40 元" in owed
    assert (await h.dm("党费欠缴", user="u-赵强"))[0].startswith("⛔")

    mine = (await h.dm("我的党费", user="u-赵强"))[0]
    assert "基数 6000.00 元（在职，5000–10000 元，1.5%），每月应交 90.00 元" in mine
    assert "本月（2027年2月）：未交" in mine and "今年已交 0 个月" in mine and "欠缴：2027年1月，共 90.00 元" in mine
    in_group = (await h.say("我的党费", user="u-赵强"))[0]
    assert in_group.startswith("🔒") and "6000" not in in_group and "交给支部书记" in in_group
    assert (await h.dm("我党费交了吗", user="u-赵强"))[0] == mine  # as people ask

    # several months at once, each at its own amount
    both = await h.say("党费已交 赵强 1月 2月 No.0102", user="u-张伟")
    assert both == ["💴 已登记 赵强 交纳党费：2027年1月 90.00 元、2027年2月 90.00 元，票据号 No.0102。"]


async def test_who_may_and_bad_input(h: Harness) -> None:
    await _bases(h)
    assert (await h.say("党费已交 钱多多", user="u-赵强"))[0].startswith("⛔")  # a member records no one's dues
    assert (await h.say("党费 已交 钱多多", user="u-赵强"))[0].startswith("⛔")
    usage = "党费已交 姓名 [月份…] [金额] [票据号]"
    assert "没有看懂“票据号A”" in (await h.say("党费已交 赵强 No.1 票据号A", user="u-张伟"))[0]
    assert usage in (await h.say("党费已交 赵强 1月 2月 90", user="u-张伟"))[0]  # an amount for several months
    assert "还没到的月份" in (await h.say("党费已交 赵强 2027-03", user="u-张伟"))[0]
    assert "冯军 是入党积极分子" in (await h.dm("党费基数 冯军 5000", user="u-张伟"))[0]
    assert "没有看懂金额“很多”" in (await h.dm("党费基数 赵强 很多", user="u-张伟"))[0]
    assert "没有看懂“兼职”" in (await h.dm("党费基数 赵强 5000 兼职", user="u-张伟"))[0]
    assert "没有看懂月份“明年”" in (await h.say("党费 明年", user="u-赵强"))[0]
    await h.join("刘芳")
    no_base = (await h.say("党费已交 刘芳", user="u-李红", chat=REGION_CHAT))[0]
    assert "刘芳 还没有设定2026年12月的党费基数" in no_base
    assert (
        "💴 已登记 刘芳 交纳党费：2026年12月 25.50 元"
        in (await h.say("党费已交 刘芳 25.5元", user="u-李红", chat=REGION_CHAT))[0]
    )
    # a base from an earlier month: a region that starts mid-year
    assert "自2026年10月起" in (await h.dm("党费基数 何平 4000 从 2026-10", user="u-李红"))[0]
    assert "最早只能从 2024年12月 起算" in (await h.dm("党费基数 何平 4000 从 2020-01", user="u-李红"))[0]
    assert "没有看懂月份“去年春天”" in (await h.dm("党费基数 何平 4000 从 去年春天", user="u-李红"))[0]
    owed = (await h.dm("党费欠缴", user="u-李红"))[0]
    assert "· 兴业商户联合党支部 何平：2026年10月、2026年11月，共 80.00 元" in owed
    english = await h.dm("/dues_base 赵强 12000 retired", user="u-张伟")
    assert "每月应交 120.00 元" in english[0]  # retired above 5000: 1%


async def test_the_dues_ledger_shows_bands_never_bases(h: Harness) -> None:
    await h.join("王建国")
    await _bases(h)
    await h.say("党费已交 赵强 12月 No.0012", user="u-张伟")
    h.clock.advance(days=31)  # January 2027
    replies = await h.send(h.incoming("导出台账 2026年", user="u-王建国", chat=REGION_CHAT))
    assert replies[0].file is not None
    book = openpyxl.load_workbook(io.BytesIO(replies[0].file.data))
    rows = table(book["党费台账"])
    assert rows[0] == ("支部", "姓名", "月份", "基数档次", "应交（元）", "实交（元）", "票据号", "交纳日期", "状态")
    got = [(r[1], r[2], r[3], r[4], r[5], r[6], day(r[7]), r[8]) for r in rows[1:]]
    assert got == [
        ("张伟", "2026-12", "低收入（每月 0.20 元）", 0.2, None, None, None, "未交"),
        ("赵强", "2026-12", "在职 5000–10000 元（1.5%）", 90, 90, "No.0012", "2026-12-01", "已交"),
        ("钱多多", "2026-12", "在职 3000 元及以下（0.5%）", 14, None, None, None, "未交"),
    ]
    assert not any("6000" in str(c) or "2800" in str(c) for r in rows for c in r)


async def test_the_branch_s_organizer_keeps_its_dues_and_nothing_more(h: Harness, tmp_path: Path) -> None:
    """组织委员 (a roster role): sets and sees the branch's bases, records payments and reads the
    arrears, like its secretary; not their own base, not another branch's, nothing else."""
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,支部,角色,手机\n赵强,红星机械党支部,组织委员,13800000012\n", encoding="utf-8")
    await import_roster(h.app.db, roster, "城东联合党委", h.clock.now())
    said = (await h.dm("党费基数 钱多多 2800", user="u-赵强"))[0]
    assert said.startswith("🔒 已设定 钱多多 的党费：基数 2800.00 元") and "本人、支部书记、组织委员和联合党委" in said
    assert "基数 2800.00 元" in (await h.dm("党费基数 钱多多", user="u-赵强"))[0]
    assert (await h.dm("党费基数 赵强 6000", user="u-赵强"))[0].startswith("⛔")  # their own: the secretary's
    assert "每月应交 90.00 元" in (await h.dm("党费基数 赵强 6000", user="u-张伟"))[0]
    assert not (await h.dm("党费基数 刘芳 6000", user="u-赵强"))[0].startswith("🔒")  # another branch's
    paid = await h.say("党费已交 钱多多 12月 No.0013", user="u-赵强")
    assert paid == ["💴 已登记 钱多多 交纳党费：2026年12月 14.00 元，票据号 No.0013。"]
    assert (await h.say("党费已交 赵强 本月", user="u-赵强"))[0].startswith("💴 已登记 赵强")  # their own payment
    h.clock.advance(days=31)  # January: December is counted
    owed = (await h.dm("党费欠缴", user="u-赵强"))[0]
    assert not owed.startswith("⛔") and "钱多多" not in owed
    # nothing else a secretary does; a plain member is told who keeps the dues
    assert (await h.say("发布 党员活动日 明天 14:00 活动中心", user="u-赵强")) == [
        "⛔ 这项操作需要本支部书记，或联合党委书记、管理员。"
    ]
    assert (await h.say("党费已交 赵强", user="u-钱多多")) == [
        "⛔ 这项操作需要本支部书记或组织委员，或联合党委书记、管理员。"
    ]
    assert "• 党费已交 —" in (await h.say("帮助 党员管理", user="u-赵强"))[0]
