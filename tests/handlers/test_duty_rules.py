"""Recurring shifts (值班规则): weekly, monthly and lunar rules expanded ahead into the rota, with
holidays kept, skipped or moved, through chat messages on a fake clock."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from lunardate import LunarDate
from sqlalchemy import select

from handlers import duty_rules
from handlers.core.calendar_rules import is_workday
from storage.models import AuditLog, DutyShift, Member, Outbox
from storage.models.duty import DutyAssignment
from tests.harness import GROUP, REGION_CHAT, Harness

TZ = ZoneInfo("Asia/Shanghai")


async def rule(h: Harness, text: str) -> str:
    return (await h.say(f"值班规则 {text}", user="u-李红", chat=REGION_CHAT))[0]


async def days_of(h: Harness, rule_id: int) -> list[date]:
    rows = await h.rows(select(DutyShift.starts_at).where(DutyShift.rule_id == rule_id).order_by(DutyShift.starts_at))
    return [r[0].astimezone(TZ).date() for r in rows]


async def test_a_weekly_rule_fills_the_rota_ahead_and_its_shifts_work_like_any(h: Harness) -> None:
    added = await rule(h, "每周四 9:00-17:00 法律援助室 赵强")
    assert added.splitlines() == [
        "🔁 已设置值班规则 #1：每周四 09:00-17:00 法律援助室，赵强（节假日照常）。",
        "已排入值班表 3 个班次（提前三周排班），最近："
        "12月3日（周四）09:00、12月10日（周四）09:00、12月17日（周四）09:00。",
    ]
    assert await days_of(h, 1) == [date(2026, 12, 3), date(2026, 12, 10), date(2026, 12, 17)]
    assert "法律援助室 赵强 ⏳ 待上岗" in (await h.say("值班表", user="u-钱多多"))[0]
    pushed = await h.tick(days=1, hours=23)  # Thursday 08:00: the reminder, as for any shift
    assert pushed == [f"[{GROUP}] 🤖 ⏰ 值班提醒：12月3日（周四）09:00-17:00 法律援助室，赵强。到岗后请发送“上岗”。"]
    await h.tick(hours=1)
    assert (await h.say("上岗", user="u-赵强"))[0].startswith("🟢 赵强 已上岗（法律援助室）")

    assert await duty_rules.materialize(h.app.services) == 0  # nothing twice
    h.clock.advance(days=7)  # 10 December: one more Thursday comes within three weeks
    assert await duty_rules.materialize(h.app.services) == 1
    assert (await days_of(h, 1))[-1] == date(2026, 12, 24)
    listed = (await h.say("值班规则", user="u-李红", chat=REGION_CHAT))[0]
    assert listed == "🔁 值班规则\n· #1 每周四 09:00-17:00 法律援助室 赵强，节假日照常"

    cancelled = (await h.say("删除值班规则 #1", user="u-李红", chat=REGION_CHAT))[0]
    assert cancelled == "🗑 已删除值班规则 #1（每周四），撤下之后还没开始的 2 个班次。"
    # the shift kept stays in the record, and today's, begun at 09:00, stays on the rota
    assert await days_of(h, 1) == [date(2026, 12, 3), date(2026, 12, 10)]
    pending = await h.rows(select(Outbox.due_at).where(Outbox.status == "pending", Outbox.purpose.like("duty_%")))
    assert all(due < h.clock.now() + timedelta(days=1) for (due,) in pending)  # today's only
    h.clock.advance(days=7)
    assert await duty_rules.materialize(h.app.services) == 0
    assert (await h.say("删除值班规则 #1", user="u-李红", chat=REGION_CHAT))[0].startswith("没有编号为 #1 的值班规则")
    actions = [r[0] for r in await h.rows(select(AuditLog.action).where(AuditLog.action.like("duty.rule%")))]
    assert actions == ["duty.rule", "duty.rule_cancel"]


async def test_a_lunar_rule_keeps_the_last_days_of_each_lunar_month_with_two_on_duty(h: Harness) -> None:
    """Seed 002, case 5: the last four days of each lunar month, holidays or not, two on duty."""
    added = await rule(h, "农历每月最后4天 8:00-11:00 村民中心 张伟 钱多多 备岗：冯军")
    assert "已排入值班表 4 个班次" in added and "备岗：冯军" in added
    days = await days_of(h, 1)

    def lunar_day(d: date) -> int:
        return int(LunarDate.from_solar_date(d.year, d.month, d.day).day)

    # four days in a row, the lunar month turning (初一) the day after the last
    assert [(d - days[0]).days for d in days] == [0, 1, 2, 3]
    assert lunar_day(days[-1] + timedelta(days=1)) == 1 and lunar_day(days[0]) >= 26
    members = await h.rows(
        select(Member.name)
        .join(DutyAssignment, DutyAssignment.member_id == Member.id)
        .join(DutyShift, DutyShift.id == DutyAssignment.shift_id)
        .where(DutyShift.starts_at == min(r[0] for r in await h.rows(select(DutyShift.starts_at))))
    )
    assert sorted(m[0] for m in members) == ["张伟", "钱多多"]
    backups = await h.rows(select(DutyShift.backup_id).distinct())
    assert len(backups) == 1 and backups[0][0] is not None


async def test_holidays_are_kept_skipped_or_moved_as_the_rule_says(h: Harness) -> None:
    h.clock.advance(days=19)  # 20 December: three weeks ahead reach New Year's Day, a Friday
    await rule(h, "每周五 9:00-12:00 党群服务中心 赵强")
    await rule(h, "每周五 14:00-17:00 党群服务中心 钱多多 节假日：跳过")
    await rule(h, "每周五 18:00-20:00 党群服务中心 张伟 节假日：顺延")
    new_year = date(2027, 1, 1)
    assert not is_workday(new_year)
    assert new_year in await days_of(h, 1)
    assert new_year not in await days_of(h, 2) and date(2027, 1, 8) in await days_of(h, 2)
    moved = next(d for d in (new_year + timedelta(k) for k in range(1, 10)) if is_workday(d))
    assert moved in await days_of(h, 3) and new_year not in await days_of(h, 3)
    assert "节假日跳过" in (await h.say("值班规则", user="u-李红", chat=REGION_CHAT))[0]


async def test_rules_as_service_centres_write_them(h: Harness) -> None:
    cases = {  # rule -> the weekdays its shifts fall on (0 Monday)
        "每周一、三、五": {0, 2, 4},
        "每周二四": {1, 3},
        "每周一至周五": {0, 1, 2, 3, 4},
        "周末": {5, 6},
        "每周六": {5},
    }
    for number, (words, weekdays) in enumerate(cases.items(), start=1):
        added = await rule(h, f"{words} 9:00-12:00 服务站{number} 赵强 节假日：跳过")
        assert added.startswith(f"🔁 已设置值班规则 #{number}：{words} 09:00-12:00"), added
        days = await days_of(h, number)
        assert days and {d.weekday() for d in days} == weekdays, (words, days)  # a Saturday is not a holiday
        first = min(days)
        assert f"，最近：{first.month}月{first.day}日" in added, added
    # 工作日: every working day, New Year's Day out
    h.clock.advance(days=19)
    added = await rule(h, "工作日 8:30-17:30 便民服务窗口 钱多多")
    days = await days_of(h, len(cases) + 1)
    assert all(is_workday(d) for d in days) and date(2027, 1, 1) not in days and date(2027, 1, 4) in days
    assert "已排入值班表" in added


async def test_a_rule_answer_names_the_next_dates_or_says_why_there_are_none(h: Harness) -> None:
    added = await rule(h, "每月最后一个周五 14:00-17:00 党群服务中心 赵强")
    assert added.splitlines()[1] == (  # none within three weeks: the answer still says when
        "已排入值班表 0 个班次（提前三周排班），最近：12月25日（周五）14:00、"
        "2027年1月29日（周五）14:00、2027年2月26日（周五）14:00。"
    )
    none = await rule(h, "1月1日 9:00-12:00 党群服务中心 赵强 节假日：跳过")
    assert none.splitlines()[1:] == [
        "已排入值班表 0 个班次（提前三周排班）。",
        "⚠️ 一年内没有班次：规则里的日子都是节假日，被跳过了。",
    ]


async def test_bad_rules_get_the_usage_and_members_cannot_set_them(h: Harness) -> None:
    usage = "用法：值班规则 规则 开始-结束 地点 姓名"
    for bad in (
        "每逢雨天 9:00-17:00 中心 赵强",
        "每周四 17:00-9:00 中心 赵强",
        "每周四 9:00-17:00 中心",
        "每周四 9:00-17:00 中心 赵强 钱多多 张伟",
        "每周四 9:00-17:00 中心 赵强 节假日：随便",
        "农历每月最后40天 9:00-17:00 中心 赵强",
        "每周五至周一 9:00-17:00 中心 赵强",
    ):
        answer = await rule(h, bad)
        assert usage in answer, (bad, answer)
    assert (await rule(h, "每周四 9:00-17:00 中心 赵强 备岗：赵强")) == "赵强 已经排在这个班上，备岗请另选一人。"
    assert await h.say("值班规则 每周四 9:00-17:00 中心 赵强", user="u-赵强") == [
        "⛔ 这项操作需要联合党委书记或管理员。"
    ]
    assert await h.count(DutyShift) == 0


async def test_moved_shifts_land_on_days_the_rule_has_none(h: Harness) -> None:
    """The last four lunar days of December 2026 are Saturday to Tuesday: moved on (顺延), the
    weekend's shifts go to Wednesday and Thursday, never onto the Monday that has its own."""
    added = await rule(h, "农历每月最后4天 8:00-11:00 村民中心 张伟 钱多多 节假日：顺延")
    assert "已排入值班表 4 个班次" in added
    assert await days_of(h, 1) == [date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9), date(2026, 12, 10)]
    await duty_rules.materialize(h.app.services)  # expanding again puts nothing twice
    assert len(await days_of(h, 1)) == 4
