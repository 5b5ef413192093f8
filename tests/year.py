"""A region with a year behind it and a month ahead, made through the router as secretaries make
it: meetings recorded each month with who came (a secretary's own make-up among them), meetings
and shifts to come (one at 03:00 Beijing time, one with leave), shifts kept and missed, ideas at
every step, store requests, findings with and without a deadline, a monthly report.

What the pages and sheets must then show is in `Year` (Beijing times as typed)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from tests.harness import REGION_CHAT, Harness

OTHER = "绿源群"  # bound to 绿源科技党支部


@dataclass
class Year:
    past: list[int] = field(default_factory=list)  # events held (recorded with 补录)
    future: list[int] = field(default_factory=list)  # events to come
    night_shift: str = "2026-12-03 03:00"  # as the duty page must show it (Beijing time)
    day_shift: str = "15:00–17:30"


def _number(replies: list[str]) -> int:
    found = re.search(r"#(\d+)", replies[0])
    assert found, replies
    return int(found.group(1))


async def seed_year(h: Harness) -> Year:
    """On the harness (its clock at 1 December 2026 09:00), the region counted from 1 January."""
    y = Year()
    assert (await h.say("启用日期 2026-01-01", user="u-李红", chat=REGION_CHAT))[0].startswith("✅")
    await h.join("刘芳")
    await h.join("王建国")
    await h.join("吴静")
    await h.say("绑定 绿源科技党支部", user="u-李红", chat=OTHER)
    for month in range(1, 12):
        meeting = _number(
            await h.say(
                f"补录 书记例会 2026-{month:02d}-05 14:00 党群服务中心 月度例会", user="u-李红", chat=REGION_CHAT
            )
        )
        await h.say(f"补签 #{meeting} 张伟 刘芳", user="u-李红", chat=REGION_CHAT)
        committee = _number(await h.say(f"补录 支委会 2026-{month:02d}-10 19:00 办公室 研究工作", user="u-张伟"))
        await h.say(f"补签 #{committee} 张伟", user="u-张伟")  # the secretary's own attendance
        day = _number(await h.say(f"补录 党员活动日 2026-{month:02d}-15 9:00 车间 志愿服务", user="u-张伟"))
        await h.say(f"补签 #{day} 赵强 钱多多", user="u-张伟")
        y.past += [meeting, committee, day]
    # this month's first secretaries' meeting, held this morning: three of five secretaries came
    december = _number(await h.say("补录 书记例会 今天 8:30 党群服务中心 年终部署", user="u-李红", chat=REGION_CHAT))
    await h.say(f"补签 #{december} 张伟 刘芳 陈明", user="u-李红", chat=REGION_CHAT)
    y.past.append(december)
    # to come: a committee meeting, an activity day with a member on leave, the secretaries' meeting
    y.future.append(_number(await h.say("发布 支委会 12月10日 19:00 办公室 年终总结", user="u-张伟")))
    activity = _number(await h.say("发布 党员活动日 12月12日 9:00 车间 义务植树", user="u-张伟"))
    await h.say(f"请假 #{activity} 出差", user="u-赵强")
    y.future += [
        activity,
        _number(await h.say("发布 书记例会 12月15日 14:00 党群服务中心", user="u-李红", chat=REGION_CHAT)),
    ]
    # shifts: one at night (03:00 Beijing, the day before in UTC), one kept, one missed
    for line in (
        "添加值班 12月3日 03:00-06:00 党群服务中心 赵强",
        "添加值班 今天 15:00-17:30 党群服务中心 张伟",
        "添加值班 今天 10:00-12:00 党群服务中心 钱多多",
    ):
        assert (await h.say(line, user="u-李红", chat=REGION_CHAT))[0].startswith("📋"), line
    assert "请 钱多多 替班" in (await h.say("换班 钱多多 12月3日", user="u-赵强"))[0]  # the night shift
    # ideas at every step, store requests, findings, a monthly report
    await h.say("金点子：设立党员先锋岗，亮身份作表率", user="u-赵强")
    await h.say("金点子：车间设立读书角", user="u-钱多多")
    await h.say("金点子：组织结对帮扶困难职工", user="u-吴静", chat=OTHER)
    await h.say("采纳 #1 很好", user="u-李红", chat=REGION_CHAT)
    await h.say("不采纳 #2 已有类似安排", user="u-李红", chat=REGION_CHAT)
    await h.say("上架 保温杯 10 5", user="u-李红", chat=REGION_CHAT)
    await h.say("调整积分 赵强 +30 表彰", user="u-李红", chat=REGION_CHAT)
    await h.say("兑换 保温杯", user="u-赵强")
    await h.say("督查 红星机械党支部 台账不全 期限：12月20日", user="u-李红", chat=REGION_CHAT)
    await h.say("督查 绿源科技党支部 学习记录缺页", user="u-李红", chat=REGION_CHAT)
    await h.say("11月工作情况 开展主题党日1次，发展入党积极分子1名", user="u-张伟")
    # committee terms: 红星's ends within 90 days, 绿源's is overdue; dues set privately, one paid
    assert (await h.say("换届 2023-12-20 书记 张伟 委员 赵强 钱多多", user="u-张伟"))[0].startswith("🗳")
    assert (await h.say("换届 2023-06-01 书记 刘芳 委员 吴静", user="u-刘芳", chat=OTHER))[0].startswith("🗳")
    assert (await h.dm("党费基数 赵强 6000", user="u-张伟"))[0].startswith("🔒")
    assert (await h.dm("党费基数 钱多多 2800", user="u-张伟"))[0].startswith("🔒")
    assert (await h.say("党费已交 赵强 本月 No.0012", user="u-张伟"))[0].startswith("💴")
    # recruitment: an activist of a year and a half, an applicant not on the roster
    assert (await h.say("发展 冯军 积极分子 2025-06-01 联系人 张伟 赵强", user="u-张伟"))[0].startswith("🌱")
    assert (await h.say("思想汇报 冯军", user="u-张伟"))[0].startswith("📝")
    assert (await h.say("发展 孙八 入党申请人 2026-11-20", user="u-张伟"))[0].startswith("🌱")
    # the day goes on: the 10:00 shift is missed, the 15:00 one kept
    h.clock.set(datetime.fromisoformat("2026-12-01T15:02:00+08:00"))
    assert (await h.say("上岗", user="u-张伟"))[0].startswith("🟢")
    h.clock.set(datetime.fromisoformat("2026-12-01T17:31:00+08:00"))
    await h.say("下岗", user="u-张伟")
    h.clock.set(datetime.fromisoformat("2026-12-02T10:00:00+08:00"))
    return y
