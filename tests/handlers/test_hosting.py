"""The hosting rotation (活动轮值), through chat messages and the periodic pushes, on a fake clock."""

from __future__ import annotations

from sqlalchemy import select

from jobs.periodic import queue_periodic
from storage.models import AuditLog, HostingRecord, Outbox
from tests.harness import GROUP, REGION_CHAT, Harness

ORDER = "轮值顺序 红星机械党支部 绿源科技党支部 兴业商户联合党支部"


async def periodic(h: Harness) -> int:
    return await queue_periodic(h.app.services, dormancy_weeks=8)


def said(pushed: list[str], chat: str, words: str) -> list[str]:
    return [p for p in pushed if p.startswith(f"[{chat}]") and words in p]


async def test_hosting_rotation_turns_monthly_and_can_be_skipped_or_swapped(h: Harness) -> None:
    assert (await h.say("本月轮值", user="u-赵强"))[0].startswith("还没有设置轮值顺序")
    order = "轮值顺序 红星机械党支部 绿源科技党支部 兴业商户联合党支部"
    assert await h.say(order, user="u-赵强") == ["⛔ 这项操作需要联合党委书记或管理员。"]
    first = await h.say(order, user="u-李红", chat=REGION_CHAT)
    assert first[0].startswith("🎌 12月活动由 红星机械党支部 承办，下月轮到 绿源科技党支部。")
    assert (
        "不在轮值顺序里" in (await h.say("轮值交换 红星机械党支部 新兴物流党支部", user="u-李红", chat=REGION_CHAT))[0]
    )
    skipped = await h.say("轮值跳过", user="u-李红", chat=REGION_CHAT)
    assert skipped[0].startswith("🎌 12月活动由 绿源科技党支部 承办，下月轮到 兴业商户联合党支部。")
    swapped = await h.say("轮值交换 绿源科技党支部 兴业商户联合党支部", user="u-李红", chat=REGION_CHAT)
    assert swapped[0].startswith("🎌 12月活动由 兴业商户联合党支部 承办，下月轮到 绿源科技党支部。")
    h.clock.advance(days=31)  # January: the turn moves on by itself
    assert (await h.say("本月轮值", user="u-赵强"))[0].startswith("🎌 1月活动由 绿源科技党支部 承办")
    actions = [r[0] for r in await h.rows(select(AuditLog.action).where(AuditLog.action.like("rotation.%")))]
    assert actions == ["rotation.set", "rotation.skip", "rotation.exchange"]


async def test_the_host_is_told_reminded_and_the_region_hears_when_nothing_is_published(h: Harness) -> None:
    await h.say("绑定 绿源科技党支部", user="u-李红", chat="绿源群")
    await h.join("刘芳")
    await h.say(ORDER, user="u-李红", chat=REGION_CHAT)
    await periodic(h)
    pushed = await h.tick(minutes=1)  # 1 December 09:01
    region = said(pushed, REGION_CHAT, "12月由 红星机械党支部 承办联合党委活动，下月轮到 绿源科技党支部")
    asked = said(pushed, GROUP, "12月轮到本支部承办联合党委活动")
    assert len(region) == 1 and len(asked) == 1 and "张伟" in asked[0]
    assert not said(pushed, "绿源群", "承办")  # not its turn
    queued = await h.count(Outbox, Outbox.purpose.like("hosting_%"))
    await periodic(h)
    assert await h.count(Outbox, Outbox.purpose.like("hosting_%")) == queued  # queued once

    pushed = await h.tick(days=9)  # the 10th, nothing published: the host's secretary is reminded
    reminded = said(pushed, GROUP, "本支部承办的联合党委活动还没有发布")
    assert len(reminded) == 1 and "张伟" in reminded[0]
    assert "⏳ 还没有发布承办的活动" in (await h.say("本月轮值", user="u-赵强"))[0]

    published = await h.say("发布 党员活动日 12月20日 14:00 红色教育基地 主题：重温入党誓词", user="u-张伟")
    assert published[0].startswith("📌 已发布 #1 党员活动日")
    pushed = await h.tick(days=5)  # the 15th: published, so the region hears nothing
    assert not [p for p in pushed if "至今还没有发布活动" in p]
    shown = (await h.say("本月轮值", user="u-赵强"))[0]
    assert "📅 已发布：" in shown and "党员活动日 12月20日（周日）14:00 重温入党誓词" in shown

    await h.tick(days=5, hours=5)  # 20 December 14:00
    await h.say("签到", user="u-赵强")
    await h.say("签到", user="u-张伟")
    assert "✅ 已承办：" in (await h.say("本月轮值", user="u-赵强"))[0]
    await periodic(h)  # January's steps are queued ahead
    pushed = await h.tick(days=12)  # 1 January
    assert said(pushed, REGION_CHAT, "1月由 绿源科技党支部 承办联合党委活动，下月轮到 兴业商户联合党支部")
    assert said(pushed, "绿源群", "1月轮到本支部承办联合党委活动") and not said(pushed, GROUP, "承办")
    await periodic(h)  # January is opened: its host recorded
    pushed = await h.tick(days=15)  # 16 January: reminded on the 10th, the region told on the 15th
    assert len(said(pushed, "绿源群", "还没有发布")) == 1 and "刘芳" in said(pushed, "绿源群", "还没有发布")[0]
    late = said(pushed, REGION_CHAT, "轮值承办支部 绿源科技党支部 至今还没有发布活动")
    assert len(late) == 1

    h.clock.advance(days=20)  # February
    await periodic(h)
    log = (await h.say("轮值记录", user="u-赵强"))[0]
    lines = log.splitlines()
    assert lines[0] == "📜 轮值记录"
    assert lines[1].startswith("· 2月 兴业商户联合党支部：⏳ 进行中，尚未发布")
    assert lines[2] == "· 1月 绿源科技党支部：❌ 未承办"
    assert lines[3] == "· 2026年12月 红星机械党支部：✅ 党员活动日 2026年12月20日（周日）14:00 重温入党誓词，出席 2/3"


async def test_a_turn_passed_on_moves_the_chain_to_the_new_host(h: Harness) -> None:
    await h.say("绑定 绿源科技党支部", user="u-李红", chat="绿源群")
    await h.say(ORDER, user="u-李红", chat=REGION_CHAT)
    h.clock.advance(days=2)  # 3 December
    await h.say("轮值跳过", user="u-李红", chat=REGION_CHAT)
    await periodic(h)
    pushed = await h.tick(days=7, minutes=1)  # the 10th
    assert said(pushed, "绿源群", "本支部承办的联合党委活动还没有发布") and not said(pushed, GROUP, "还没有发布")
    hosts = await h.rows(select(HostingRecord.period, HostingRecord.branch_id))
    assert len(hosts) == 1 and hosts[0][0] == "2026-12"
    assert "· 12月 绿源科技党支部：⏳ 进行中，尚未发布" in (await h.say("轮值记录", user="u-赵强"))[0]


async def test_a_quarterly_rotation_turns_each_quarter(h: Harness) -> None:
    first = await h.say(f"轮值顺序 每季度 {ORDER.split(' ', 1)[1]}", user="u-李红", chat=REGION_CHAT)
    assert first[0].startswith("🎌 第四季度活动由 红星机械党支部 承办，下季度轮到 绿源科技党支部。")
    assert await periodic(h) > 0  # the next quarter's steps (this quarter's are past)
    pushed = await h.tick(days=31)  # 1 January: a new quarter
    assert said(pushed, REGION_CHAT, "第一季度由 绿源科技党支部 承办联合党委活动，下季度轮到 兴业商户联合党支部")
    h.clock.advance(days=40)  # February: still the first quarter
    assert (await h.say("本月轮值", user="u-赵强"))[0].startswith("🎌 第一季度活动由 绿源科技党支部 承办")
    assert await h.say("轮值顺序 每季度 红星机械党支部", user="u-李红", chat=REGION_CHAT) == [
        "格式不对。\n用法：轮值顺序 [每季度] 支部A 支部B …（从本月或本季度开始依次承办，默认每月轮换）"
    ]
    detail = await h.rows(select(AuditLog.detail).where(AuditLog.action == "rotation.set"))
    assert '"quarter"' in str(detail[0][0])
