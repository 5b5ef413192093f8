"""换届 through the router: recording an election (in a branch's chat and the region's), the
reminders 90 and 30 days before a term ends (none once a newer election is recorded), the
region's list and its monthly push of what is overdue or due, who may, and bad input."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import select

from storage.models import AuditLog, BranchTerm
from tests.harness import REGION_CHAT, Harness
from tests.truth import day, table

LVYUAN = "绿源群"  # bound to 绿源科技党支部, whose secretary is 刘芳


async def test_an_election_is_recorded_and_its_branch_reminded_before_the_term_ends(h: Harness) -> None:
    said = await h.say("换届 2024-03-10 书记 张伟 委员 赵强、钱多多", user="u-张伟")
    assert said == [
        "🗳 已登记红星机械党支部换届：2024年3月10日 选举，书记 张伟，委员 赵强、钱多多；任期 3 年，"
        "2027年3月10日 届满，到期前 90 天和 30 天会在支部群提醒。"
    ]
    stored = (await h.rows(select(BranchTerm.elected_on, BranchTerm.ends_on, BranchTerm.committee)))[0]
    assert (str(stored[0]), str(stored[1]), stored[2]) == ("2024-03-10", "2027-03-10", "赵强、钱多多")
    assert await h.count(AuditLog, AuditLog.action == "branch.election") == 1

    assert not [p for p in await h.tick(days=8, hours=23) if "届满" in p]  # 10 December 08:00: not yet
    pushed = [p for p in await h.tick(hours=2) if "届满" in p]  # 10:00, 90 days before 10 March
    assert len(pushed) == 1 and pushed[0].startswith("[红星群]"), pushed
    assert (
        "红星机械党支部本届支部委员会（2024年3月10日 选举，任期 3 年）将于 2027年3月10日 届满，还有 90 天" in pushed[0]
    )
    assert "张伟" in pushed[0]

    listed = (await h.say("换届提醒", user="u-赵强"))[0]
    assert "本届：书记 张伟，委员 赵强、钱多多" in listed and "还有 90 天届满" in listed

    # re-elected early: the old term's 30-day reminder is not sent, the new term's are queued
    again = await h.say("换届 2026-12-10 书记 张伟 委员 赵强 冯军 任期 3年", user="u-张伟")
    assert "2029年12月10日 届满" in again[0]
    assert not [p for p in await h.tick(days=70) if "届满" in p]  # past 8 February 2027
    listed = (await h.say("换届提醒", user="u-赵强"))[0]
    assert "本届：书记 张伟，委员 赵强、冯军" in listed and "在任" in listed
    assert "以往各届：\n· 2024年3月10日 选举，书记 张伟，委员 赵强、钱多多（任期 3 年）" in listed


async def test_the_region_sees_every_branch_most_urgent_first_and_hears_monthly(h: Harness) -> None:
    from jobs.periodic import queue_periodic

    await h.join("刘芳")
    await h.say("绑定 绿源科技党支部", user="u-李红", chat=LVYUAN)
    # recorded from the region's chat, naming the branch; an old election: overdue at once
    said = (await h.say("换届 绿源科技党支部 2023年6月1日 书记 刘芳 委员 吴静", user="u-李红", chat=REGION_CHAT))[0]
    assert "2026年6月1日 届满（已过 183 天，请尽快换届）" in said
    soon = (await h.say("换届 2024-01-20 书记 张伟", user="u-张伟"))[0]  # ends 2027-01-20: within 90 days
    assert "2027年1月20日 届满，还有 50 天，到期前 30 天会在支部群提醒。" in soon

    listed = (await h.say("换届提醒", user="u-李红", chat=REGION_CHAT))[0]
    overdue, soon, none = (
        listed.index("已逾期未换届 1 个"),
        listed.index("90 天内届满 1 个"),
        listed.index("未登记换届 3 个"),
    )
    assert overdue < soon < none
    assert "· 绿源科技党支部：书记 刘芳，委员 吴静，2023年6月1日 选举，2026年6月1日 届满 — 已逾期 183 天" in listed
    assert "· 红星机械党支部：书记 张伟，2024年1月20日 选举，2027年1月20日 届满 — 还有 50 天届满" in listed
    assert "未登记换届 3 个：城东联合党委机关党支部、兴业商户联合党支部、新兴物流党支部" in listed
    assert (await h.say("哪些支部该换届了", user="u-李红", chat=REGION_CHAT))[0] == listed  # as people ask
    # a branch's chat sees its own only
    own = (await h.say("换届提醒", user="u-刘芳", chat=LVYUAN))[0]
    assert "绿源科技党支部的换届情况" in own and "红星" not in own

    await queue_periodic(h.app.services, dormancy_weeks=8)
    pushed = [p for p in await h.tick(days=31, hours=1) if "本月换届提醒" in p]  # 1 January 2027 09:00
    assert len(pushed) == 1 and pushed[0].startswith(f"[{REGION_CHAT}]"), pushed
    assert "绿源科技党支部" in pushed[0] and "已逾期 214 天" in pushed[0] and "还有 19 天届满" in pushed[0]
    assert "兴业" not in pushed[0]  # none recorded is in the listing, not the monthly push


async def test_who_may_record_and_bad_input(h: Harness) -> None:
    refused = await h.say("换届 2024-03-10 书记 张伟", user="u-赵强")
    assert refused[0].startswith("⛔")
    usage = "换届 [支部名] 选举日期 书记 姓名 [委员 姓名 姓名…] [任期 N年]"
    assert usage in (await h.say("换届 书记 张伟", user="u-张伟"))[0]  # no date
    assert usage in (await h.say("换届 2024-03-10", user="u-张伟"))[0]  # no secretary
    assert "没有看懂“明年春天”" in (await h.say("换届 明年春天 书记 张伟", user="u-张伟"))[0]
    assert "还没到" in (await h.say("换届 2027-01-05 书记 张伟", user="u-张伟"))[0]
    assert "没有看懂任期“9年”" in (await h.say("换届 2024-03-10 书记 张伟 任期 9年", user="u-张伟"))[0]
    assert "刘芳 不在红星机械党支部的花名册上" in (await h.say("换届 2024-03-10 书记 刘芳", user="u-张伟"))[0]
    assert "请写上支部名" in (await h.say("换届 2024-03-10 书记 张伟", user="u-李红", chat=REGION_CHAT))[0]
    # another branch's name from a branch's chat: refused, nothing recorded
    assert (await h.say("换届 绿源科技党支部 2024-03-10 书记 刘芳", user="u-张伟"))[0].startswith("⛔")
    assert await h.count(BranchTerm) == 0
    # a secretary the roster does not name as one: recorded, and told the roster decides rights
    said = (await h.say("换届 2025-11-30 书记 赵强 委员 张伟", user="u-张伟"))[0]
    assert "花名册上 赵强 还不是支部书记" in said
    assert "只能登记比它更晚的选举" in (await h.say("换届 2025-11-30 书记 张伟", user="u-张伟"))[0]
    assert (await h.say("换届 2025-12-01 书记 赵强", user="u-赵强"))[0].startswith("⛔")  # rights stay the roster's
    english = await h.say("/election 2025-12-01 secretary 张伟 committee 赵强 term 2", user="u-张伟")
    assert "书记 张伟，委员 赵强；任期 2 年" in english[0]


async def test_the_ledger_has_the_terms_and_the_transfers(h: Harness) -> None:
    await h.join("王建国")
    await h.say("换届 2023-06-01 书记 张伟 委员 赵强", user="u-张伟")
    await h.say("换届 2026-11-20 书记 张伟 委员 赵强 钱多多", user="u-张伟")
    await h.say("换届 绿源科技党支部 2024-01-20 书记 刘芳", user="u-李红", chat=REGION_CHAT)
    await h.say("转出 钱多多 北京市某公司党支部 京组2026-3", user="u-张伟")
    await h.say("转出 赵强 绿源科技党支部", user="u-张伟")
    h.clock.advance(days=1)
    replies = await h.send(h.incoming("导出台账 本月", user="u-王建国", chat=REGION_CHAT))
    assert replies[0].file is not None
    book = openpyxl.load_workbook(io.BytesIO(replies[0].file.data))
    terms = table(book["换届台账"])
    assert terms[0] == ("支部", "书记", "委员", "选举日期", "任期（年）", "届满日期", "状态")
    rows = [(r[0], r[1], r[2], day(r[3]), r[4], day(r[5]), r[6]) for r in terms[1:]]
    assert rows == [
        ("城东联合党委机关党支部", None, None, None, None, None, "未登记换届"),
        ("红星机械党支部", "张伟", "赵强、钱多多", "2026-11-20", 3, "2029-11-20", "在任"),
        ("红星机械党支部", "张伟", "赵强", "2023-06-01", 3, "2026-06-01", "已换届"),
        ("绿源科技党支部", "刘芳", None, "2024-01-20", 3, "2027-01-20", "即将届满（还有 49 天）"),
        ("兴业商户联合党支部", None, None, None, None, None, "未登记换届"),
        ("新兴物流党支部", None, None, None, None, None, "未登记换届"),
    ]
    transfers = table(book["组织关系转接台账"])
    assert transfers[0] == (
        "申请日期",
        "姓名",
        "转出（来自）",
        "转入（去向）",
        "类型",
        "介绍信编号",
        "状态",
        "完成日期",
    )
    assert [(day(r[0]), *r[1:7], day(r[7])) for r in transfers[1:]] == [
        (
            "2026-12-01",
            "钱多多",
            "红星机械党支部",
            "北京市某公司党支部",
            "转出联合党委",
            "京组2026-3",
            "已完成",
            "2026-12-01",
        ),
        ("2026-12-01", "赵强", "红星机械党支部", "绿源科技党支部", "联合党委内转接", None, "待接收", None),
    ]
    # a branch's ledger: its own terms and the transfers from or to it
    replies = await h.send(h.incoming("导出台账 本月", user="u-张伟"))
    assert replies[0].file is not None
    own = openpyxl.load_workbook(io.BytesIO(replies[0].file.data))
    assert {r[0] for r in table(own["换届台账"])[1:]} == {"红星机械党支部"}
    assert len(table(own["组织关系转接台账"])) == 3
