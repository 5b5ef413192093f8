"""The monthly report (月报): asked on the 1st, a late branch reminded once on the 4th, the
region's report compiled on the 5th with each branch's narrative or 未报送; in the ledger too."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl

from jobs.periodic import queue_periodic
from tests.harness import GROUP, REGION_CHAT, Harness
from tests.truth import table

OTHER_BRANCH = "绿源群"


async def test_the_report_cycle_with_a_late_branch(h: Harness) -> None:
    await h.say("启用日期 2026-11-01", user="u-李红", chat=REGION_CHAT)  # November is reported on
    await h.join("刘芳")
    await h.say("绑定 绿源科技党支部", user="u-李红", chat=OTHER_BRANCH)
    h.clock.set(datetime.fromisoformat("2026-11-30T20:00:00+08:00"))
    await queue_periodic(h.app.services, dormancy_weeks=8)
    asked = await h.tick(hours=13, minutes=1)  # 1 December 09:01
    asks = [p for p in asked if "请报送11月工作情况" in p]
    assert sorted(p.split("]")[0] for p in asks) == [f"[{GROUP}", f"[{OTHER_BRANCH}"]
    assert any("张伟" in p for p in asks if p.startswith(f"[{GROUP}]"))  # the secretary is mentioned
    # 红星 reports (a member may not), 绿源 does not
    assert (await h.say("工作情况 完成了", user="u-赵强"))[0].startswith("⛔")
    assert await h.say("11月工作情况 完成了", user="u-赵强") == []  # a member's chatter, however it reads
    # 本月 is the month the words say; November's, still missing, is pointed out
    assert (await h.say("本月工作情况 十二月开了个头", user="u-张伟"))[0].splitlines() == [
        "📝 已收到2026年12月工作情况，将汇入次年1月5日的联合党委月报。",
        "⚠️ 11月的工作情况还没有报送（12月5日汇总）：如果刚才写的是11月的，请发送“11月工作情况 内容”。",
    ]
    assert await h.say("11月工作情况 开展主题党日1次，发展对象谈话2人", user="u-张伟") == [
        "📝 已收到2026年11月工作情况，将汇入12月5日的联合党委月报。"
    ]
    assert "已替换" in (await h.say("上月工作情况：开展主题党日1次，发展对象谈话3人", user="u-张伟"))[0]
    assert (await h.say("工作情况 2027年3月 还没到", user="u-张伟"))[0].startswith("2027年3月还没到，不能报送。")
    assert (await h.say("上月工作情况 联合党委情况", user="u-李红", chat=REGION_CHAT)) == [
        "月报由支部报送：请在本支部的群里，或私聊机器人发送。"
    ]
    reminded = await h.tick(days=3)  # 4 December 09:01
    late = [p for p in reminded if "11月工作情况还未报送" in p]
    assert len(late) == 1 and late[0].startswith(f"[{OTHER_BRANCH}]") and "刘芳" in late[0]
    compiled = [p for p in await h.tick(days=1) if "联合党委月报" in p]  # 5 December 09:01
    assert len(compiled) == 1 and compiled[0].startswith(f"[{REGION_CHAT}] 🤖 📊 2026年11月 联合党委月报")
    text = compiled[0]
    red = text[text.index("【红星机械党支部】") :]
    assert "工作情况：开展主题党日1次，发展对象谈话3人" in red.split("【")[1]
    green = text[text.index("【绿源科技党支部】") :]
    assert "工作情况：未报送" in green.split("【")[1] and "支委会 ❌ 0/1" in green
    # after the 5th a narrative is for the month under way; the ledger has the 月报 sheet
    assert "2026年12月工作情况" in (await h.say("工作情况 十二月开局", user="u-张伟"))[0]
    replies = await h.send(h.incoming("导出台账 2026年", user="u-李红", chat=REGION_CHAT))
    assert replies[0].file is not None
    rows = table(openpyxl.load_workbook(io.BytesIO(replies[0].file.data))["月报"])
    assert rows[0] == ("月份", "支部", "报送时间", "工作情况")
    assert rows[1] == ("2026-01", "全部支部", None, "2026-01 在启用日期（2026年11月1日）之前，不要求报送")
    by = {(r[0], r[1]): r[3] for r in rows[1:]}
    assert by[("2026-11", "红星机械党支部")] == "开展主题党日1次，发展对象谈话3人"
    assert by[("2026-11", "绿源科技党支部")] == "未报送"
    assert by[("2026-12", "红星机械党支部")] == "十二月开局" and ("2026-12", "绿源科技党支部") not in by
