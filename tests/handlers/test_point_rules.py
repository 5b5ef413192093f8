"""积分规则 per region through the router: the rules shown, a change by a region officer from a
day on (points given before it stay as they were, those after it follow it), a change today, who
may, and bad input."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from sqlalchemy import select

from handlers.points import Pioneer, pioneer_of, pioneers
from storage.models import AuditLog, PointEntry
from storage.uow import UnitOfWork
from tests.harness import GROUP, REGION_CHAT, Harness
from tests.truth import table


async def _given(h: Harness, reason: str) -> list[int]:
    rows = await h.rows(select(PointEntry.amount).where(PointEntry.reason == reason).order_by(PointEntry.id))
    return [int(r[0]) for r in rows]


async def test_a_rule_changed_from_a_day_holds_from_that_day_and_changes_nothing_before(h: Harness) -> None:
    shown = (await h.say("积分规则", user="u-赵强"))[0]
    assert shown.startswith("📋 积分规则（本联合党委）\n· 准时签到 2 分\n· 迟到签到 1 分")
    assert "· 金点子采纳 5 分" in shown and "将要生效" not in shown

    said = await h.say("设置积分 金点子采纳 10 从 2027-01-01", user="u-李红", chat=REGION_CHAT)
    assert said == ["✅ 已设置积分规则：金点子采纳 10 分，自2027年1月1日起生效（此前为 5 分）；已得的积分不变。"]
    assert "将要生效：\n· 自2027年1月1日起 金点子采纳 10 分（李红设置）" in (await h.say("积分规则", user="u-赵强"))[0]

    await h.say("金点子：仓库加装温湿度计", user="u-钱多多")
    await h.say("采纳 #1", user="u-李红", chat=REGION_CHAT)  # December: the rule of today, 5
    h.clock.advance(days=31)  # 1 January 2027
    await h.say("金点子：食堂增设党员示范岗", user="u-赵强")
    await h.say("采纳 #2", user="u-李红", chat=REGION_CHAT)
    assert await _given(h, "idea:adopted:1") == [5] and await _given(h, "idea:adopted:2") == [10]
    now = (await h.say("积分规则", user="u-赵强"))[0]
    assert "· 金点子采纳 10 分" in now and "调整记录：\n· 2027年1月1日起 金点子采纳 10 分（李红）" in now
    audit = await h.rows(select(AuditLog.detail).where(AuditLog.action == "points.rule"))
    assert len(audit) == 1 and '"before": 5' in audit[0][0]


async def test_a_rule_changed_today_holds_at_once(h: Harness) -> None:
    assert (await h.say("设置积分 准时签到 3", user="u-李红", chat=REGION_CHAT))[0].startswith(
        "✅ 已设置积分规则：准时签到 3 分，即日起生效（此前为 2 分）"
    )
    await h.say("发布 党员活动日 今天 14:00 活动中心", user="u-张伟")
    h.clock.advance(hours=4, minutes=40)
    assert await h.say("签到", user="u-赵强") == ["✅ 赵强 签到成功"]
    rows = await h.rows(select(PointEntry.amount).where(PointEntry.source == "signin"))
    assert [int(r[0]) for r in rows] == [3]


async def test_who_may_and_bad_input(h: Harness) -> None:
    assert (await h.say("设置积分 值班 4", user="u-张伟"))[0].startswith("⛔")  # a branch secretary
    assert (await h.say("设置积分 值班 4", user="u-赵强", chat=REGION_CHAT))[0].startswith("⛔")
    unknown = (await h.say("设置积分 扫地 4", user="u-李红", chat=REGION_CHAT))[0]
    assert unknown.startswith("没有“扫地”这项积分规则。可设置的有：准时签到、迟到签到、远程签到、补签、值班")
    assert "设置积分 规则 分值 [从 日期]" in unknown  # the usage line
    assert "应为 0 到 100 的整数" in (await h.say("设置积分 值班 500", user="u-李红", chat=REGION_CHAT))[0]
    past = (await h.say("设置积分 值班 4 从 2026-11-01", user="u-李红", chat=REGION_CHAT))[0]
    assert past.startswith("2026年11月1日 已经过去")
    assert "设置积分 规则 分值" in (await h.say("设置积分", user="u-李红", chat=REGION_CHAT))[0]
    assert await h.count(AuditLog, AuditLog.action == "points.rule") == 0
    assert await h.say("积分规则 多余", user="u-赵强", chat=GROUP) == ["格式不对。\n用法：积分规则  /point_rules"]


async def test_a_volunteer_service_earns_the_region_s_points_and_reads_in_the_ledger(h: Harness) -> None:
    said = await h.say("志愿服务 赵强 2小时 社区义诊", user="u-张伟")
    assert said == ["🤝 已登记 赵强 的志愿服务（2小时）：社区义诊，+2 分，现有 2 分。"]
    await h.say("设置积分 志愿服务 4", user="u-李红", chat=REGION_CHAT)
    assert "+4 分，现有 6 分" in (await h.say("志愿服务 赵强 清扫楼道", user="u-张伟"))[0]
    assert "志愿服务：2小时 社区义诊" in (await h.dm("我的积分", user="u-赵强"))[0]
    replies = await h.send(h.incoming("导出台账 本月", user="u-张伟", chat=GROUP))
    book = openpyxl.load_workbook(io.BytesIO(replies[0].file.data))  # type: ignore[union-attr]
    rows = [r for r in table(book["积分台账"])[1:] if r[1] == "赵强"]
    assert [(r[3], r[4], r[5]) for r in rows] == [
        (2, "志愿服务：2小时 社区义诊", "志愿服务"), (4, "志愿服务：清扫楼道", "志愿服务"),
    ]  # fmt: skip
    # who may: the member's own branch's managers; bad input gets the usage line
    assert (await h.say("志愿服务 赵强 社区义诊", user="u-钱多多"))[0].startswith("⛔")
    assert (await h.say("志愿服务 赵强 30小时 社区义诊", user="u-张伟"))[0].startswith("时长应在 0 到 24 小时之间")
    assert "志愿服务 姓名 [N小时] 内容" in (await h.say("志愿服务 赵强", user="u-张伟"))[0]
    assert await h.count(AuditLog, AuditLog.action == "points.volunteer") == 2


async def test_a_member_s_pioneer_index_is_made_of_points_attendance_and_duty(h: Harness) -> None:
    assert "还没有可计算的内容" in (await h.dm("先锋指数", user="u-赵强"))[0]
    await h.say("发布 党员活动日 今天 14:00 活动中心", user="u-张伟")
    await h.say("发布 支部党员大会 今天 16:00 三楼会议室", user="u-张伟")
    h.clock.advance(hours=4, minutes=40)  # 13:40
    assert await h.say("签到", user="u-赵强") == ["✅ 赵强 签到成功"]  # +2
    h.clock.advance(hours=2)  # 15:40: 张伟 keeps the meeting held, 赵强 misses it
    assert (await h.say("签到", user="u-张伟"))[0].startswith("✅")
    await h.say("添加值班 明天 9:00-12:00 党群服务中心 赵强", user="u-李红", chat=REGION_CHAT)
    await h.say("金点子：仓库加装温湿度计", user="u-钱多多")
    await h.say("采纳 #1", user="u-李红", chat=REGION_CHAT)  # 钱多多 1 + 5: the region's best
    h.clock.advance(hours=17, minutes=15)  # 2 December 08:55
    assert (await h.say("上岗", user="u-赵强"))[0].startswith("🟢 赵强 已上岗")  # +3
    h.clock.advance(hours=1)  # the shift has begun
    said = (await h.dm("先锋指数", user="u-赵强"))[0]
    assert said.splitlines() == [
        "🚩 赵强 的先锋指数（2026年，12月1日启用以来，截至12月2日）：73.3",
        "· 积分：今年获得 5 分（本联合党委最高 6 分） → 33.3/40",
        "· 出勤：应到 2 次，出席 1 次（出席率 50%） → 20.0/40",
        "· 值班：1 个班次，到岗 1 个 → 20.0/20",
        "计算方法：积分占 40（与本联合党委今年最高者相比）、出席率占 40、值班到岗率占 20；"
        "没有应到活动或值班的部分不计，其余部分折算为百分制。",
    ]
    # 钱多多: no shift, so duty is left out and the rest scaled to 100
    other = (await h.dm("先锋指数", user="u-钱多多"))[0]
    assert "· 值班：0 个班次，到岗 0 个 → 不计" in other and "截至12月2日）：50.0" in other

    # 年度考评 lists the highest 先锋指数 of the region, counted in one pass: the same as each member's own
    await h.join("王建国")
    ranking = (await h.say("年度考评", user="u-王建国", chat=REGION_CHAT))[0]
    listed = ranking.split("🌟 ")[1].splitlines()
    assert listed[0] == "党员先锋指数前 3 名（积分40%、出勤40%、值班20%，满分100）："
    assert listed[1:] == [
        "1. 赵强（红星机械党支部）73.3",
        "2. 钱多多（红星机械党支部）50.0",
        "3. 张伟（红星机械党支部）41.7",
    ]

    async def both(conn: Any) -> list[tuple[str, Pioneer, Pioneer]]:
        uow, tz = UnitOfWork(conn, h.clock.now()), h.app.services.policy.tz
        pairs = []
        for row in await pioneers(uow, 1, 2026, tz):
            member = await uow.org.member(row.member_id)
            assert member is not None
            pairs.append((row.name, row.p, await pioneer_of(uow, member, tz)))
        return pairs

    pairs = await h.app.db.read(both)
    assert len(pairs) == 14  # the Party members on the roll (not 冯军, an activist, nor 孙丽, a lecturer)
    assert [(name, batch) for name, batch, own in pairs if batch != own] == []
