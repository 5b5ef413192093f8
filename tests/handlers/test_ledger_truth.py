"""Every cell of every sheet of the ledger an inspector is handed, in both languages, over a region
with a year behind it: no None, no repr, no raw code, no ISO or UTC time; times as typed in
Beijing; what is still to come not counted as missed."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import openpyxl
import pytest

from tests.harness import GROUP, REGION_CHAT, Harness
from tests.truth import table, untrue
from tests.year import seed_year

ENGLISH_CHAT = "secretaries (en)"


async def export(h: Harness, text: str, *, user: str = "u-李红", chat: str = REGION_CHAT) -> Any:
    replies = await h.send(h.incoming(text, user=user, chat=chat))
    assert replies[0].file is not None, replies[0].text
    return openpyxl.load_workbook(io.BytesIO(replies[0].file.data))


def scan(book: Any, locale: str) -> list[tuple[str, str, Any]]:
    """(sheet, cell, value) of every cell that shows an untrue mark."""
    bad = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and untrue(cell.value, locale):
                    bad.append((sheet.title, cell.coordinate, cell.value))
    return bad


@pytest.fixture
async def year(h: Harness) -> Harness:
    await seed_year(h)
    await h.say(f"绑定 {'城东联合党委'}", user="u-李红", chat=ENGLISH_CHAT)
    await h.say("语言 en", user="u-李红", chat=ENGLISH_CHAT)
    return h


async def test_every_cell_of_every_sheet_reads_true_in_both_languages(year: Harness) -> None:
    h = year
    for text, chat, locale in (
        ("导出台账 本年", REGION_CHAT, "zh-CN"),
        ("/export this year", ENGLISH_CHAT, "en"),
    ):
        book = await export(h, text, chat=chat)
        assert not scan(book, locale), scan(book, locale)[:10]
        for sheet in book.worksheets:  # each titled, the signing line under it
            first = sheet.cell(row=1, column=1).value
            assert first.startswith("城东联合党委"), (sheet.title, first)
            texts = [c.value for r in sheet.iter_rows() for c in r if isinstance(c.value, str)]
            assert any(t.startswith(("填报人", "Prepared by")) for t in texts), sheet.title
    branch = await export(h, "导出台账 本年", user="u-张伟", chat=GROUP)
    assert not scan(branch, "zh-CN")


async def test_times_states_and_counts_are_what_happened(year: Harness) -> None:
    book = await export(year, "导出台账 本年")
    events = table(book["活动台账"])
    head = events[0]
    col = {name: i for i, name in enumerate(head)}
    january = next(r for r in events[1:] if r[col["类型"]] == "书记例会" and r[col["时间"]].month == 1)
    assert january[col["时间"]] == datetime(2026, 1, 5, 14, 0)  # Beijing time, as recorded
    assert january[col["状态"]] == "已结束" and january[col["实到"]] == 2
    to_come = [r for r in events[1:] if r[col["状态"]] == "未开始"]
    assert len(to_come) == 3
    for r in to_come:  # nothing to come is counted as missed
        assert r[col["缺席"]] is None and r[col["实到"]] is None and r[col["出勤率"]] is None
    leave = next(r for r in to_come if r[col["类型"]] == "党员活动日")
    assert leave[col["请假"]] == 1
    names = table(book["出席名单与会议记录"])
    own = [r for r in names[1:] if "支委会" in r[0] and r[1]]
    assert own and all(r[1] == "张伟（本人补签）" for r in own)  # a secretary's own make-up, marked
    duty = table(book["值班台账"])
    dcol = {name: i for i, name in enumerate(duty[0])}
    night = next(r for r in duty[1:] if r[dcol["开始"]] == "03:00")
    assert night[dcol["日期"]] == datetime(2026, 12, 3) and night[dcol["情况"]] == "待上岗"  # to come: not missed
    kept = next(r for r in duty[1:] if r[dcol["开始"]] == "15:00")
    assert (kept[dcol["上岗"]], kept[dcol["下岗"]], kept[dcol["情况"]]) == ("15:02", "17:31", "已下岗")
    missed = next(r for r in duty[1:] if r[dcol["开始"]] == "10:00")
    assert missed[dcol["情况"]] == "缺岗"
    matrix = table(book["考勤明细"])
    subtotals = [r for r in matrix[1:] if r[1] == "小计"]
    assert {r[0] for r in subtotals} >= {"红星机械党支部", "城东联合党委机关党支部"}
    red = next(r for r in subtotals if r[0] == "红星机械党支部")
    # 12 + 11 + 22 came of 12 + 11 + 33 expected (张伟 at every secretaries' meeting, no activity day)
    assert red[-1] == pytest.approx(45 / 56)
    audit = table(book["操作日志"])
    sentences = [r[-1] for r in audit[1:]]
    assert "李红 设置启用日期：2026年1月1日" in sentences
    assert any(s.startswith("张伟 本人补签：#") and s.endswith("张伟") for s in sentences), sentences[:20]
    assert any(
        s.startswith("李红 发布活动：#") and "书记例会 12月15日（周二）14:00 党群服务中心" in s for s in sentences
    )
    summary = table(book["汇总"])
    assert summary[-1][0] == "合计"
    monthly = table(book["月报"])
    assert ("2026-11", "红星机械党支部") in [(r[0], r[1]) for r in monthly[1:] if r[3].startswith("开展主题党日")]
