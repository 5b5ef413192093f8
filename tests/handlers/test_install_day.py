"""The day a region starts (its 启用日期: the first roster import, here 1 December): nothing before
it counts as a failure, and what has not come due is not failed either. Through the router, the
ledger and the web console, then the date moved by a region officer (chat and CLI)."""

from __future__ import annotations

import io

import openpyxl

from jobs.periodic import queue_periodic
from storage.models import AuditLog
from tests.harness import GROUP, REGION_CHAT, Harness

MARKS_OF_FAILURE = ("❌", "预警", "未报送", "0/3")


async def test_the_first_day_shows_no_failure_anywhere(h: Harness) -> None:
    await h.join("王建国")
    year = (await h.say("组织生活 本年", user="u-王建国", chat=REGION_CHAT))[0]
    rows, legend = year.rsplit("\n", 1)  # the legend names every mark; the rows carry none of failure
    assert not [m for m in MARKS_OF_FAILURE if m in rows], year
    assert "2026年12月1日启用，此前不计" in legend
    assert "支委会 ⏳ 0/1" in year  # December is under way: not failed yet
    assert "党课 —" in year  # a quarter with a month left asks for no lesson (1 × 31/92 rounds to 0)
    before = (await h.say("组织生活 上月", user="u-王建国", chat=REGION_CHAT))[0]
    assert "支委会 未启用" in before and "❌" not in before.rsplit("\n", 1)[0]
    ranking = (await h.say("年度考评", user="u-王建国", chat=REGION_CHAT))[0]
    assert "预警" not in ranking and "★" not in ranking and ranking.count("未评") == 5
    replies = await h.send(h.incoming("导出台账 本年", user="u-王建国", chat=REGION_CHAT))
    book = openpyxl.load_workbook(io.BytesIO(replies[0].file.data))  # type: ignore[union-attr]
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            text = " ".join(str(v) for v in row if v is not None)
            assert not [m for m in MARKS_OF_FAILURE if m in text], (sheet.title, text)
    monthly = [r for r in book["月报"].iter_rows(min_row=3, values_only=True) if r[0] and r[0].startswith("2026-")]
    assert [r[0] for r in monthly] == [f"2026-{m:02d}" for m in range(1, 12)]  # Jan–Nov: one line each
    assert all("启用日期" in r[3] for r in monthly)
    assert [r[3] for r in book["年度考评"].iter_rows(min_row=3, max_row=7, values_only=True)] == ["未评"] * 5


async def test_no_dormancy_warning_and_no_digest_of_the_month_before(h: Harness) -> None:
    await queue_periodic(h.app.services, dormancy_weeks=8)
    pushed = await h.tick(days=8)  # the Mondays' warnings, the 1st's digest of November
    assert not [p for p in pushed if "防瘫" in p or "连续" in p or ("11月" in p and "简报" in p)], pushed


async def test_a_region_officer_moves_the_start_and_the_year_counts(h: Harness) -> None:
    assert "2026年12月1日 启用" in (await h.say("启用日期", user="u-赵强"))[0]  # a member may look
    assert (await h.say("启用日期 2026-01-01", user="u-张伟"))[0].startswith("⛔")  # a branch secretary may not
    assert "日期" in (await h.say("启用日期 明年的某天", user="u-李红", chat=REGION_CHAT))[0]  # a clear answer
    too_far = (await h.say("启用日期 2028-01-01", user="u-李红", chat=REGION_CHAT))[0]
    assert too_far.startswith("启用日期最多设在一年以后。\n用法：")
    assert await h.say("启用日期 2026-01-01", user="u-李红", chat=REGION_CHAT) == [
        "✅ 启用日期已设为 2026年1月1日：组织生活、年度考评、月报和防瘫预警从这天起计算。"
    ]
    year = (await h.say("组织生活 本年", user="u-李红", chat=REGION_CHAT))[0]
    assert "支委会 ❌ 0/12" in year  # eleven months have ended without one
    assert await h.count(AuditLog, AuditLog.action == "region.start") == 1
    assert GROUP  # the branch chat is bound (the harness's)
