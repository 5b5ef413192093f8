"""表彰 through the router: a branch and a member commended, announced in the region's chats
and the branch's, listed by year, kept in the 表彰台账; who may, and bad input."""

from __future__ import annotations

import io

import openpyxl

from storage.models import AuditLog, Commendation
from tests.harness import GROUP, REGION_CHAT, Harness
from tests.truth import day, table


async def test_a_branch_and_a_member_commended_are_announced_listed_and_in_the_ledger(h: Harness) -> None:
    said = await h.say("表彰 红星机械党支部 先进基层党组织", user="u-李红", chat=REGION_CHAT)
    assert said == [
        "🎖️ 已登记表彰：红星机械党支部 获评“先进基层党组织”（2026年12月1日），联合党委和红星机械党支部的群会收到通报。"
    ]
    told = await h.tick(seconds=5)
    assert f"[{REGION_CHAT}] 🤖 🎖️ 表彰通报：红星机械党支部 获评“先进基层党组织”（2026年12月1日）。" in told
    assert any(t.startswith(f"[{GROUP}]") and "表彰通报：红星机械党支部" in t for t in told)
    await h.join("王建国")
    said = await h.say("表彰 赵强 优秀共产党员 2026-11-28", user="u-王建国", chat=REGION_CHAT)
    assert said[0].startswith("🎖️ 已登记表彰：红星机械党支部 赵强 获评“优秀共产党员”（2026年11月28日）")

    listed = (await h.say("表彰记录", user="u-钱多多"))[0]  # a member, in the branch's chat
    assert listed == (
        "🎖️ 2026年表彰 2 项：\n· 2026年11月28日 红星机械党支部 赵强：优秀共产党员\n"
        "· 2026年12月1日 红星机械党支部：先进基层党组织"
    )
    assert (await h.say("表彰记录 2025", user="u-李红", chat=REGION_CHAT))[0] == "2025年还没有表彰记录。"

    replies = await h.send(h.incoming("导出台账 本年", user="u-李红", chat=REGION_CHAT))
    assert replies[0].file is not None
    book = openpyxl.load_workbook(io.BytesIO(replies[0].file.data))
    head, *rows = table(book["表彰台账"])
    assert head == ("日期", "类别", "支部", "姓名", "称号", "登记人")
    assert [(day(r[0]), *r[1:]) for r in rows] == [
        ("2026-11-28", "先进个人", "红星机械党支部", "赵强", "优秀共产党员", "王建国"),
        ("2026-12-01", "先进集体", "红星机械党支部", None, "先进基层党组织", "李红"),
    ]
    assert await h.count(AuditLog, AuditLog.action == "commendation.record") == 2


async def test_who_may_and_bad_input(h: Harness) -> None:
    assert (await h.say("表彰 赵强 优秀共产党员", user="u-张伟"))[0].startswith("⛔")  # a branch secretary
    assert "表彰 支部名|姓名 称号" in (await h.say("表彰 赵强", user="u-李红", chat=REGION_CHAT))[0]
    assert "还没到" in (await h.say("表彰 赵强 优秀共产党员 2027-01-01", user="u-李红", chat=REGION_CHAT))[0]
    assert "请写明称号（最多 50 字）" in (await h.say("表彰 赵强 " + "优" * 51, user="u-李红", chat=REGION_CHAT))[0]
    nobody = await h.say("表彰 无名氏 优秀共产党员", user="u-李红", chat=REGION_CHAT)
    assert nobody == ["花名册中没有找到“无名氏”。请核对姓名，或联系管理员导入花名册。"]
    assert await h.count(Commendation) == 0
