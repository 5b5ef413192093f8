"""双述双评 through the router: a secretary's 述职, the members' one anonymous vote each, the
committee's scores, the combined appraisal in 述职情况 and beside the 年度考评; who may, bad input."""

from __future__ import annotations

import io

import openpyxl

from jobs.periodic import queue_periodic
from storage.models import Appraisal, AuditLog, SecretaryReport
from tests.harness import REGION_CHAT, Harness
from tests.truth import table


async def test_a_report_appraised_by_members_and_the_committee_is_combined_and_shown_beside_the_ranking(
    h: Harness,
) -> None:
    text = "今年支部开展主题党日12次，\n发展党员1名。"
    said = await h.say(f"述职 {text}", user="u-张伟")
    assert said == [
        f"✅ 已收到2026年度述职（{len(text)} 字）。"
        "联合党委将评分，本支部党员可发送“述职测评 满意|基本满意|不满意”测评。"
    ]
    assert (await h.say("述职 补充：完成整改1项。", user="u-张伟"))[0].startswith("✅ 已更新2026年度述职")
    assert (await h.rows(SecretaryReport.__table__.select()))[0].text == "补充：完成整改1项。"  # as typed

    voted = await h.say("述职测评 满意", user="u-赵强")
    assert voted == ["🗳️ 已记录你对本支部书记2026年度述职的测评。测评不公开个人选择。"]
    assert await h.say("述职测评 不满意", user="u-赵强") == ["你已经测评过2026年度述职，每人一次，不再改动。"]
    assert (await h.dm("述职测评 基本满意", user="u-钱多多"))[0].startswith("🗳️ 已记录")  # privately, too
    assert await h.say("述职测评 满意", user="u-张伟") == [
        "述职测评由支部的党员作出；支部书记是被测评的人，联合党委请用“述职评分”。"
    ]

    await h.join("王建国")
    assert await h.say("述职评分 红星机械党支部 90", user="u-李红", chat=REGION_CHAT) == [
        "✅ 已记录对红星机械党支部2026年度述职的评分：90 分。"
    ]
    await h.say("述职评分 红星机械党支部 70", user="u-王建国", chat=REGION_CHAT)
    await h.say("述职评分 红星机械党支部 80", user="u-王建国", chat=REGION_CHAT)  # his second replaces his first
    listed = (await h.say("述职情况", user="u-李红", chat=REGION_CHAT))[0].splitlines()
    assert listed[0] == "📋 2026年度述职评议（双述双评；综合 = 委员会评分与党员测评各占一半）："
    # committee (90 + 80) / 2 = 85, members (100 + 60) / 2 = 80, combined 82.5
    assert "· 红星机械党支部：已述职（12月1日）；委员会评分 85（2 人）；党员测评 80（2 人）；综合 83" in listed
    assert "· 绿源科技党支部：未述职" in listed

    ranking = (await h.say("年度考评", user="u-李红", chat=REGION_CHAT))[0]
    line = next(x for x in ranking.splitlines() if "红星机械党支部" in x)
    assert line.endswith(" 述职评议83")
    assert "述职评议：委员会评分与党员测评各占一半，列在旁边，不计入总分。" in ranking
    assert all("述职评议" not in x for x in ranking.splitlines() if "绿源科技党支部" in x)
    assert await h.count(Appraisal) == 4  # two members, two officers: nobody twice
    replies = await h.send(h.incoming("导出台账 本年", user="u-李红", chat=REGION_CHAT))
    assert replies[0].file is not None
    head, *rows = table(openpyxl.load_workbook(io.BytesIO(replies[0].file.data))["述职评议台账"])
    assert head == ("年度", "支部", "述职时间", "述职内容", "委员会评分", "评分人数", "党员测评", "测评人数", "综合")
    assert [(r[0], r[1], str(r[2]), *r[3:]) for r in rows] == [
        (2026, "红星机械党支部", "2026-12-01 09:00:00", "补充：完成整改1项。", 85, 2, 80, 2, 83)
    ]  # the time in Beijing time; nobody's own vote
    assert await h.count(AuditLog, AuditLog.action.in_(("appraisal.report", "appraisal.score"))) == 5


async def test_the_branches_are_asked_for_their_report_on_15_december_unless_it_is_in(h: Harness) -> None:
    await h.join("刘芳")
    await h.say("绑定 绿源科技党支部", user="u-李红", chat="绿源群")
    await h.say("述职 今年支部开展主题党日12次", user="u-张伟")  # 红星's is in
    await queue_periodic(h.app.services, dormancy_weeks=8)
    pushed = await h.tick(days=14, hours=1)  # 15 December 10:00
    asks = [p for p in pushed if "2026年度述职：请支部书记在年底前" in p]
    assert asks == [
        "[绿源群] 🤖 📣 2026年度述职：请支部书记在年底前，在本群发送“述职 内容”，向联合党委报告支部一年的工作"
        "（党建工作、组织生活、发展党员、存在问题和来年打算）。"
        "本支部党员随后可以发送“述职测评 满意|基本满意|不满意”测评。"
    ]


async def test_who_may_and_bad_input(h: Harness) -> None:
    assert await h.say("述职测评 满意", user="u-赵强") == ["本支部书记还没有提交2026年度述职，提交后再测评。"]
    assert await h.say("述职评分 红星机械党支部 90", user="u-李红", chat=REGION_CHAT) == [
        "红星机械党支部还没有提交2026年度述职，提交后再评分。"
    ]
    assert (await h.say("述职 今年的工作", user="u-赵强"))[0].startswith("⛔")  # a member
    assert (await h.say("述职评分 红星机械党支部 90", user="u-张伟"))[0].startswith("⛔")  # a branch secretary
    assert (await h.say("述职情况", user="u-张伟"))[0].startswith("⛔")
    assert await h.say("述职 全年工作", user="u-李红", chat=REGION_CHAT) == [
        "请在支部的群里发送述职（联合党委的群不收述职）。"
    ]
    assert "\n用法：述职 [年份] 内容" in (await h.say("述职", user="u-张伟"))[0]
    assert "\n用法：述职测评 满意|基本满意|不满意" in (await h.say("述职测评 很好", user="u-赵强"))[0]
    for wrong in ("述职评分 红星机械党支部 101", "述职评分 红星机械党支部", "述职评分 红星机械党支部 九十"):
        assert "\n用法：述职评分 支部名 分数" in (await h.say(wrong, user="u-李红", chat=REGION_CHAT))[0]
    assert (await h.say("述职 " + "长" * 4001, user="u-张伟"))[0].startswith("内容太长了（最多 4000 字）")
    await h.say("述职 2025年 去年的述职补交", user="u-张伟")  # a named year
    assert (await h.rows(SecretaryReport.__table__.select()))[0].year == 2025
    assert "\n用法：述职 [年份] 内容" in (await h.say("述职 2027年 明年", user="u-张伟"))[0]
    assert await h.count(Appraisal) == 0
