"""发展党员 through the router: each stage recorded with the rules' years enforced, the milestone
reminders (an activist's year, a 预备期 ending soon and today; none once moved on), the quarter's
思想汇报 and its reminder, the listings, who may, bad input and the 发展党员台账."""

from __future__ import annotations

import io

import openpyxl

from storage.models import AuditLog, Recruit
from tests.harness import REGION_CHAT, Harness
from tests.truth import day, table


async def test_the_way_from_activist_to_full_member_with_its_reminders(h: Harness) -> None:
    said = await h.say("发展 冯军 积极分子 2025-12-10 联系人 张伟 赵强", user="u-张伟")
    assert said == [
        "🌱 已登记：冯军（红星机械党支部）2025年12月10日 成为入党积极分子，培养联系人 张伟、赵强。\n"
        "下一步：列为发展对象（2026年12月10日 起）"
    ]
    too_soon = (await h.say("发展 冯军 发展对象 2026-12-01", user="u-张伟"))[0]
    assert "培养考察满一年后（2026年12月10日 起）才能列为发展对象" in too_soon
    # the year is up on 10 December: the branch's chat is told, its secretary named
    told = [p for p in await h.tick(days=9, hours=1) if "培养考察已满一年" in p]
    assert len(told) == 1 and told[0].startswith("[红星群]") and "张伟" in told[0]

    assert "成为发展对象" in (await h.say("发展 冯军 发展对象 2026-12-10", user="u-张伟"))[0]
    admitted = (await h.say("发展 冯军 预备党员 今天", user="u-张伟"))[0]
    assert "成为预备党员" in admitted and "下一步：预备期满讨论转正（2027年12月10日）" in admitted
    assert "请联合党委管理员在花名册中把 冯军 登记为党员" in admitted  # the roster still says 积极分子

    # a month before the 预备期 ends, and on the day
    soon = [p for p in await h.tick(days=335) if "预备期将于" in p]  # 10 November 2027 10:00
    assert soon and "冯军 的预备期将于 2027年12月10日 届满（还有 30 天）" in soon[0]
    too_early = (await h.say("发展 冯军 正式党员 2027-11-09", user="u-张伟"))[0]
    assert "2027年12月10日 期满后才能讨论转正" in too_early
    due = [p for p in await h.tick(days=30) if "预备期今天" in p]
    assert len(due) == 1
    assert "已转为正式党员" in (await h.say("发展 冯军 正式党员 2027-12-10", user="u-张伟"))[0]
    listed = (await h.say("发展党员", user="u-赵强"))[0]
    assert "已转正 1 人：冯军" in listed
    assert await h.count(AuditLog, AuditLog.action == "recruit.stage") == 4


async def test_thought_reports_and_their_quarterly_reminder(h: Harness) -> None:
    from jobs.periodic import queue_periodic

    await h.say("发展 冯军 积极分子 2026-06-01 联系人 张伟 赵强", user="u-张伟")
    await h.say("发展 孙八 入党申请人 2026-11-20", user="u-张伟")  # not on the roster: kept by name
    assert "登记 冯军 2026年第四季度的思想汇报（累计 1 份）" in (await h.say("思想汇报 冯军", user="u-张伟"))[0]
    assert "已经登记过了" in (await h.say("思想汇报 冯军 第四季度", user="u-张伟"))[0]
    assert "累计 2 份" in (await h.say("思想汇报 冯军 2026Q3", user="u-张伟"))[0]
    assert "孙八 不是本支部的入党积极分子" in (await h.say("思想汇报 孙八", user="u-张伟"))[0]
    listed = (await h.say("发展党员", user="u-赵强"))[0]
    assert "入党申请人 1 人：\n· 孙八，2026年11月20日；下一步：确定为入党积极分子" in listed
    assert (
        "入党积极分子 1 人：\n· 冯军，2026年6月1日，联系人 张伟、赵强，思想汇报 2 份；"
        "下一步：列为发展对象（2027年6月1日 起）" in listed
    )

    await h.say("发展 钱二 积极分子 2026-11-01 联系人 张伟 钱多多", user="u-张伟")
    await queue_periodic(h.app.services, dormancy_weeks=8)
    reminded = [p for p in await h.tick(days=14, hours=1) if "思想汇报还没有收到" in p]  # 15 December
    assert reminded == [
        "[红星群] 🤖 📝 2026年第四季度思想汇报还没有收到的有 1 人：钱二。"
        "请培养联系人提醒本季度内提交，收到后发送“思想汇报 姓名”登记。"
    ]
    region = (await h.say("发展党员", user="u-李红", chat=REGION_CHAT))[0]
    assert "· 红星机械党支部：1 / 2 / 0 / 0 / 0" in region and "合计：1 / 2 / 0 / 0 / 0" in region


async def test_who_may_and_bad_input(h: Harness) -> None:
    assert (await h.say("发展 冯军 积极分子 2026-11-01 联系人 张伟 赵强", user="u-赵强"))[0].startswith("⛔")
    usage = "发展 [支部名] 姓名 阶段 日期 [联系人 甲 乙]"
    assert usage in (await h.say("发展 冯军", user="u-张伟"))[0]
    assert "要写明两名培养联系人" in (await h.say("发展 冯军 积极分子 2026-11-01", user="u-张伟"))[0]
    assert "要写明两名培养联系人" in (await h.say("发展 冯军 积极分子 2026-11-01 联系人 张伟", user="u-张伟"))[0]
    bad = (await h.say("发展 冯军 积极分子 2026-11-01 联系人 张伟 刘芳", user="u-张伟"))[0]
    assert "刘芳 不能担任培养联系人" in bad
    assert "还没到" in (await h.say("发展 冯军 入党申请人 2026-12-20", user="u-张伟"))[0]
    assert "没有看懂“好几天前”" in (await h.say("发展 冯军 入党申请人 好几天前", user="u-张伟"))[0]
    assert "请写上支部名" in (await h.say("发展 冯军 入党申请人 2026-11-01", user="u-李红", chat=REGION_CHAT))[0]
    assert await h.count(Recruit) == 0
    await h.say("发展 红星机械党支部 冯军 入党申请人 2026-03-01", user="u-李红", chat=REGION_CHAT)
    assert "已经是入党申请人了" in (await h.say("发展 冯军 入党申请人 2026-04-01", user="u-张伟"))[0]
    assert "不能更早" in (await h.say("发展 冯军 积极分子 2026-02-01 联系人 张伟 赵强", user="u-张伟"))[0]
    english = await h.say("/recruit 冯军 activist 2026-04-01 contacts 张伟 赵强", user="u-张伟")
    assert "2026年4月1日 成为入党积极分子" in english[0]


async def test_the_recruitment_ledger(h: Harness) -> None:
    await h.join("王建国")
    await h.say("发展 冯军 积极分子 2025-12-10 联系人 张伟 赵强", user="u-张伟")
    await h.say("思想汇报 冯军", user="u-张伟")
    await h.say("发展 孙八 入党申请人 2026-11-20", user="u-张伟")
    replies = await h.send(h.incoming("导出台账 本月", user="u-王建国", chat=REGION_CHAT))
    assert replies[0].file is not None
    rows = table(openpyxl.load_workbook(io.BytesIO(replies[0].file.data))["发展党员台账"])
    assert rows[0] == (
        "支部", "姓名", "阶段", "申请入党", "确定积极分子", "培养联系人", "列为发展对象", "接收预备党员", "转正",
        "思想汇报（份）", "下一步",
    )  # fmt: skip
    got = [(r[1], r[2], day(r[3]), day(r[4]), r[5], r[9], r[10]) for r in rows[1:]]
    assert got == [
        ("冯军", "入党积极分子", None, "2025-12-10", "张伟、赵强", 1, "列为发展对象（2026年12月10日 起）"),
        ("孙八", "入党申请人", "2026-11-20", None, None, 0, "确定为入党积极分子（指定两名培养联系人）"),
    ]
