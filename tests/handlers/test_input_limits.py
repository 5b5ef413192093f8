"""Every text field has one length limit, checked at input, the same on SQLite and PostgreSQL;
numbers out of range or in other scripts get a clear answer; nothing is stored half-way."""

from __future__ import annotations

from storage import limits
from storage.models import DutyShift, Event, Idea, PointEntry, ScheduleRule, StoreItem
from tests.harness import REGION_CHAT, Harness


def refused(replies: list[str], usage: str) -> bool:
    return len(replies) == 1 and usage in replies[0] and "出了点问题" not in replies[0]


async def test_over_long_text_is_refused_alike_on_both_databases(h: Harness) -> None:
    place = "党" * (limits.PLACE + 1)
    lecturer = "讲" * (limits.LECTURER + 1)
    topic = "题" * (limits.TOPIC + 1)
    cases = [
        (f"发布 支委会 明天 14:00 {place}", "用法：发布", f"地点太长了（最多 {limits.PLACE} 字）"),
        (f"发布 支委会 明天 14:00 办公室 讲师：{lecturer}", "用法：发布", f"讲师太长了（最多 {limits.LECTURER} 字）"),
        (f"发布 支委会 明天 14:00 办公室 {topic}", "用法：发布", f"主题太长了（最多 {limits.TOPIC} 字）"),
        (f"例会设置 党员活动日 每月8日 9:00 {place}", "用法：例会设置", "地点太长了"),
        (f"添加值班 明天 9:00-12:00 {place} 赵强", "用法：添加值班", "地点太长了"),
    ]
    for text, usage, reason in cases:
        replies = await h.say(text, user="u-李红", chat=REGION_CHAT)
        assert refused(replies, usage) and replies[0].startswith(reason), (text[:30], replies)
    # the reason of an adjustment is stored with its prefix: the limit leaves room for it
    longest = "因" * (limits.POINT_REASON - len("manual:"))
    assert (await h.say(f"调整积分 赵强 +1 {longest}", user="u-李红", chat=REGION_CHAT))[0].startswith("✏️")
    over = await h.say(f"调整积分 赵强 +1 {longest}因", user="u-李红", chat=REGION_CHAT)
    assert refused(over, "用法：调整积分") and "内容太长了" in over[0]
    assert await h.count(Event) == 0 and await h.count(ScheduleRule) == 0 and await h.count(DutyShift) == 0
    assert await h.count(PointEntry) == 1
    # edits too, never cut silently
    await h.say("例会设置 党员活动日 每月8日 9:00 车间", user="u-李红", chat=REGION_CHAT)
    edit = await h.say(f"修改日程 1 地点 {place}", user="u-李红", chat=REGION_CHAT)
    assert refused(edit, "用法：修改日程") and edit[0].startswith("地点太长了"), edit


async def test_numbers_out_of_range_or_in_other_scripts(h: Harness) -> None:
    for text in ("上架 杯子 99999999999 1", "上架 杯子 ² 1", "上架 杯子 ٣ 1", "上架 杯子 10 -1"):
        replies = await h.say(text, user="u-李红", chat=REGION_CHAT)
        assert refused(replies, "用法：上架") and "数字不对" in replies[0], (text, replies)
    free = await h.say("上架 杯子 0 5", user="u-李红", chat=REGION_CHAT)  # an item costs at least a point
    assert free[0].startswith("数字不对：请用 1 到 100000 之间的整数。"), free
    assert (await h.say("上架 杯子 １０ ５", user="u-李红", chat=REGION_CHAT))[0].startswith("🛒 杯子 已上架：10 分")
    assert await h.count(StoreItem) == 1
    for text in ("调整积分 赵强 +٣ 好", "调整积分 赵强 +99999 好", "调整积分 赵强 0 好"):
        replies = await h.say(text, user="u-李红", chat=REGION_CHAT)
        assert refused(replies, "用法：调整积分") and "数字不对" in replies[0], (text, replies)
    far = await h.say("发布 支委会 9999-01-01 10:00 办公室", user="u-张伟")
    assert refused(far, "用法：发布") and "日期太远了" in far[0]
    other_digits = await h.say("发布 支委会 ١٢月٥日 10:00 办公室", user="u-张伟")
    assert refused(other_digits, "用法：发布") and "没有看懂日期" in other_digits[0]
    full_width = await h.say("发布 支委会 １２月５日 １０：００ ３楼会议室", user="u-张伟")
    assert full_width[0].startswith("📌 已发布 #1 支委会") and "地点：３楼会议室" in full_width[0]
    # an idea number nobody could have is "not found", never a new idea
    assert (await h.say("金点子 #99999999999999999999", user="u-赵强"))[0].startswith("找不到金点子")
    assert (await h.say("金点子 ＃1", user="u-赵强"))[0].startswith("找不到金点子 #1")
    assert await h.count(Idea) == 0
