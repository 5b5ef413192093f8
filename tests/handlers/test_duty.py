"""Duty shifts, through chat messages, buttons and the CLI."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select

from bot.delivery.render import to_plain
from storage.models import AuditLog, DutyAssignment, DutyShift, DutySwap, Member
from storage.repos.duty import DutyRepo
from tests.bot.test_cli import invoke, rows_of
from tests.harness import GROUP, REGION_CHAT, Harness
from tests.truth import table


async def add(h: Harness, text: str) -> str:
    return (await h.say(f"添加值班 {text}", user="u-李红", chat=REGION_CHAT))[0]


async def test_check_in_and_out_with_marks_and_points(h: Harness) -> None:
    assert (await add(h, "今天 9:30-17:00 党群服务中心 赵强")).startswith("📋 已添加值班：12月1日（周二）09:30-17:00")
    assert await h.say("上岗", user="u-赵强") == [
        "🟢 赵强 已上岗（党群服务中心）。17:00 下岗时请发送“下岗”。"
    ]  # 09:00: check-in opens 30 minutes before
    assert (await h.say("值班打卡", user="u-赵强"))[0] == "你已经在 09:00 上岗了，无需重复打卡。"
    assert (await h.say("上岗", user="u-钱多多"))[0].startswith("你今天没有值班安排")
    assert "党群服务中心 赵强 ✅ 在岗" in (await h.say("值班表", user="u-钱多多"))[0]
    h.clock.advance(hours=7)  # 16:00
    assert await h.say("下岗", user="u-赵强") == [
        "⚪ 赵强 已下岗（党群服务中心），早于结束时间（早退）。辛苦了！发送“值班日志 内容”记下今天的接待、服务和问题。"
    ]
    assert (await h.say("下岗", user="u-赵强"))[0] == "你现在没有在岗的班，无需下岗。"
    assert "+3 值班" in (await h.say("我的积分", user="u-赵强"))[0]

    await add(h, "明天 9:00-12:00 党群服务中心 张伟")
    await add(h, "明天 14:00-17:00 党群服务中心 钱多多")
    h.clock.set(h.clock.now() + timedelta(hours=17, minutes=20))  # tomorrow 09:20
    assert (await h.say("上岗", user="u-张伟"))[0].startswith("🟢 张伟 已上岗（党群服务中心），迟到。")
    assert (await h.say("上岗", user="u-钱多多"))[0].startswith("还没到上岗时间：你的班是 12月2日（周三）14:00")
    h.clock.advance(hours=8)  # 17:20: 钱多多 never came
    rota = (await h.say("值班表", user="u-张伟"))[0]
    assert "党群服务中心 张伟 ⚠️ 未签退（迟到）" in rota and "党群服务中心 钱多多 ❌ 缺岗" in rota
    assert "已早退" not in rota and "赵强 ✅ 已下岗（早退）" in rota
    assert (await h.say("上岗", user="u-钱多多"))[0].startswith("这个班已经在 12月2日（周三）17:00 结束了")
    week_ago = h.clock.now() - timedelta(days=7)
    missed = await h.app.db.read(lambda c: DutyRepo(c).missed(1, h.clock.now(), week_ago))
    assert [m.name for m in missed] == ["钱多多"]


async def test_swap_is_agreed_by_the_other_member(h: Harness) -> None:
    await add(h, "明天 14:00-17:00 党群服务中心 钱多多")
    assert (await h.say("换班 钱多多 明天", user="u-钱多多"))[0] == "不能和自己换班。"
    assert (await h.say("换班 不存在 明天", user="u-钱多多"))[0].startswith("花名册中没有找到“不存在”")
    assert (await h.say("换班 赵强 后天", user="u-钱多多"))[0] == "你在 12月3日 没有还没开始的班。"
    assert "换班 姓名 日期" in (await h.say("换班 赵强", user="u-钱多多"))[0]
    asked = await h.send(h.incoming("换班 @赵强 明天", user="u-钱多多"))
    assert to_plain(asked[0].text) == "🔁 钱多多 请 赵强 替班：12月2日（周三）14:00 党群服务中心。请 赵强 点按钮答复。"
    assert [b.data for b in asked[0].buttons] == ["swap_yes:1", "swap_no:1"]
    assert to_plain((await h.press("swap_yes:1", user="u-张伟"))[0].text) == "这个换班请求不是发给你的。"
    declined = await h.press("swap_no:1", user="u-赵强")
    assert to_plain(declined[0].text).startswith("❎ 赵强 没有接受替班")
    assert to_plain((await h.press("swap_yes:1", user="u-赵强"))[0].text).startswith("这个换班请求已经处理过了")
    who = select(Member.name).join(DutyAssignment, DutyAssignment.member_id == Member.id)
    assert await h.rows(who) == [("钱多多",)]  # unchanged until someone accepts
    await h.say("换班 赵强 明天", user="u-钱多多")
    accepted = await h.press("swap_yes:2", user="u-赵强")
    assert to_plain(accepted[0].text) == "✅ 赵强 已接受替班，12月2日（周三）14:00 党群服务中心 的班改由 赵强 值。"
    assert await h.rows(who) == [("赵强",)]
    assert await h.count(AuditLog, AuditLog.action == "duty.swap") == 1
    history = (await h.say("换班记录", user="u-李红", chat=REGION_CHAT))[0]  # admins see the history
    assert history.split("\n")[1:3] == [
        "· 12月1日 钱多多 → 赵强：12月2日（周三）14:00 党群服务中心，已接受",
        "· 12月1日 钱多多 → 赵强：12月2日（周三）14:00 党群服务中心，已拒绝",
    ]
    assert await h.say("换班记录", user="u-赵强") == ["⛔ 这项操作需要联合党委书记或管理员。"]
    assert (await h.say("上岗", user="u-钱多多"))[0].startswith("你今天没有值班安排")


async def test_shift_input_errors_change_nothing(h: Harness) -> None:
    assert await h.say("添加值班 明天 9:00-12:00 中心 赵强", user="u-赵强") == ["⛔ 这项操作需要联合党委书记或管理员。"]
    for bad in (
        "明天 12:00-9:00 中心 赵强",
        "明天 9:00 中心 赵强",
        "明天 9:00-12:00 中心 赵强 钱多多 张伟",
        "昨天 9:00-12:00 中心 赵强",
    ):
        assert "添加值班 日期 开始-结束" in await add(h, bad), bad
    assert (await add(h, "明天 9:00-12:00 中心 不存在")).startswith("花名册中没有找到“不存在”")
    assert await h.count(DutyShift) == 0


def test_duty_rota_import_is_all_or_nothing_and_idempotent(db_url: str, tmp_path: Path) -> None:
    sample = str(Path(__file__).parents[2] / "bot" / "console" / "sample_roster.csv")
    assert invoke(db_url, "org", "import", sample, "--region", "城东联合党委")[0] == 0
    rota = tmp_path / "rota.csv"
    rota.write_text(
        "日期,开始,结束,地点,值班人\n2027-03-01,9:00,12:00,党群服务中心,赵强、钱多多\n2027-03-02,14:00,17:00,党群服务中心,张伟\n",
        encoding="utf-8",
    )
    code, out = invoke(db_url, "duty", "import", str(rota), "--region", "城东联合党委")
    assert code == 0 and "新增值班 2 个，修改 0 个，已存在 0 个" in out, out
    code, out = invoke(db_url, "duty", "import", str(rota), "--region", "城东联合党委")
    assert code == 0 and "新增值班 0 个，修改 0 个，已存在 2 个" in out
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date,start,end,place,members\n2027-03-08,9:00,12:00,中心,赵强\n2027-03-09,9:00,8:00,中心,赵强\n",
        encoding="utf-8",
    )
    code, out = invoke(db_url, "duty", "import", str(bad), "--region", "城东联合党委")
    assert code == 2 and "第 3 行" in out and "结束时间早于开始时间" in out
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("日期,开始,结束,地点,值班人\n2027-03-08,9:00,12:00,中心,无名氏\n", encoding="utf-8")
    code, out = invoke(db_url, "duty", "import", str(unknown), "--region", "城东联合党委")
    assert code == 2 and "第 2 行" in out and "无名氏" in out
    code, out = invoke(db_url, "duty", "import", str(rota), "--region", "城东联合党委")
    assert "已存在 2 个" in out  # nothing from the bad files was half-imported


BACKUPS = select(Member.name).join(DutyShift, DutyShift.backup_id == Member.id)


def test_the_rota_import_takes_a_backup_column(db_url: str, tmp_path: Path) -> None:
    sample = str(Path(__file__).parents[2] / "bot" / "console" / "sample_roster.csv")
    assert invoke(db_url, "org", "import", sample, "--region", "城东联合党委")[0] == 0
    rota = tmp_path / "rota.csv"
    rota.write_text("日期,开始,结束,地点,值班人,备岗\n2027-03-01,9:00,12:00,中心,赵强,冯军\n", encoding="utf-8")
    code, out = invoke(db_url, "duty", "import", str(rota), "--region", "城东联合党委")
    assert code == 0 and "新增值班 1 个" in out, out
    backups = rows_of(db_url, BACKUPS)
    assert backups == [("冯军",)]
    rota.write_text("日期,开始,结束,地点,值班人,备岗\n2027-03-01,9:00,12:00,中心,赵强,钱多多\n", encoding="utf-8")
    code, out = invoke(db_url, "duty", "import", str(rota), "--region", "城东联合党委")
    assert code == 2 and "备岗" in out  # another backup is a conflict
    code, out = invoke(db_url, "duty", "import", str(rota), "--region", "城东联合党委", "--replace")
    assert code == 0 and "修改 1 个" in out
    assert rows_of(db_url, BACKUPS) == [("钱多多",)]
    rota.write_text("日期,开始,结束,地点,值班人,备岗\n2027-03-02,9:00,12:00,中心,赵强,赵强\n", encoding="utf-8")
    code, out = invoke(db_url, "duty", "import", str(rota), "--region", "城东联合党委")
    assert code == 2 and "第 2 行" in out and "备岗须是一名班次以外的人" in out


async def test_duty_reminder_mentions_the_members_and_a_missed_shift_alerts_the_admins(h: Harness) -> None:
    await add(h, "明天 9:00-12:00 党群服务中心 赵强 钱多多")
    pushed = await h.tick(hours=23)  # 08:00 tomorrow: the reminder in their branch group
    assert pushed == [
        f"[{GROUP}] 🤖 ⏰ 值班提醒：12月2日（周三）09:00-12:00 党群服务中心，赵强、钱多多。到岗后请发送“上岗”。"
    ]
    h.clock.advance(minutes=50)
    await h.say("上岗", user="u-赵强")
    pushed = await h.tick(hours=3, minutes=30)  # 12:05: 钱多多 never checked in
    assert pushed == [
        f"[{REGION_CHAT}] 🤖 ⚠️ 以下值班没有打卡（缺岗）：\n· 12月2日（周三）09:00 党群服务中心 钱多多\n"
        "⚠️ 以下值班上岗后没有签退，已按结束时间关班（未签退）：\n· 12月2日（周三）09:00 党群服务中心 赵强"
    ]
    await add(h, "后天 9:00-12:00 党群服务中心 张伟")
    h.clock.set(h.clock.now() + timedelta(hours=20, minutes=55))  # 08:55 the day after: on time
    await h.tick(seconds=1)
    await h.say("上岗", user="u-张伟")
    assert not any("缺岗" in p for p in await h.tick(hours=4))  # kept: no alert


async def test_a_swap_across_branches_is_asked_and_reminded_in_the_right_group_once(h: Harness) -> None:
    for name in ("刘芳", "吴静"):
        await h.join(name)
    await h.say("绑定 绿源科技党支部", user="u-刘芳", chat="绿源群")
    await add(h, "明天 14:00-17:00 党群服务中心 钱多多")
    h.pushed.clear()
    asked = await h.say("换班 吴静 明天", user="u-钱多多")
    assert asked[0].startswith("🔁 钱多多 请 吴静 替班")
    again = await h.say("换班 赵强 明天", user="u-钱多多")
    assert again == ["你已经请 吴静 替 12月2日（周三）14:00 的班，正在等答复，不能重复请求。"]
    await h.tick(seconds=1)
    assert [p for p in h.pushed if "替班" in p] == [
        "[绿源群] 🤖 🔁 钱多多 请 吴静 替班：12月2日（周三）14:00 党群服务中心。请 吴静 点按钮答复。"
        "\n   [1] 接受  [2] 拒绝"
    ]  # where 吴静 is, with the buttons
    accepted = await h.press("swap_yes:1", user="u-吴静", chat="绿源群")
    assert to_plain(accepted[0].text).startswith("✅ 吴静 已接受替班")
    h.pushed.clear()
    await h.tick(hours=28)  # tomorrow 13:00: the reminder
    reminders = [p for p in h.pushed if "值班提醒" in p]
    assert reminders == [
        "[绿源群] 🤖 ⏰ 值班提醒：12月2日（周三）14:00-17:00 党群服务中心，吴静。到岗后请发送“上岗”。"
    ]  # not in 钱多多's group any more


async def test_a_shift_never_checked_out_is_closed_at_its_end_as_unsigned(h: Harness) -> None:
    await add(h, "今天 9:30-12:00 党群服务中心 赵强")
    await h.say("上岗", user="u-赵强")
    assert "赵强 ✅ 在岗" in (await h.say("值班表", user="u-赵强"))[0]
    pushed = await h.tick(hours=3, minutes=6)  # 12:06: end + grace
    assert [p for p in pushed if "未签退" in p] == [
        f"[{REGION_CHAT}] 🤖 ⚠️ 以下值班上岗后没有签退，已按结束时间关班（未签退）：\n"
        "· 12月1日（周二）09:30 党群服务中心 赵强"
    ]
    assert "赵强 ⚠️ 未签退" in (await h.say("值班表", user="u-赵强"))[0]
    assert await h.say("下岗", user="u-赵强") == [
        "这个班（党群服务中心）已在 12月1日（周二）12:00 结束并关班，记为未签退。"
    ]


def test_the_rota_import_reads_dates_as_chat_does_and_names_the_forms(db_url: str, tmp_path: Path) -> None:
    sample = str(Path(__file__).parents[2] / "bot" / "console" / "sample_roster.csv")
    assert invoke(db_url, "org", "import", sample, "--region", "城东联合党委")[0] == 0
    rota = tmp_path / "rota.csv"
    rota.write_text(
        "日期,开始,结束,地点,值班人\n12月5日,9:00,12:00,中心,赵强\n2026/12/7,下午2点,17:00,中心,钱多多\n", "utf-8"
    )
    code, out = invoke(db_url, "duty", "import", str(rota), "--region", "城东联合党委")
    assert code == 0 and "新增值班 2 个" in out, out
    days = rows_of(db_url, select(DutyShift.starts_at).order_by(DutyShift.starts_at))
    assert [d[0].astimezone(ZoneInfo("Asia/Shanghai")).strftime("%m-%d %H:%M") for d in days] == [
        "12-05 09:00",
        "12-07 14:00",
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("日期,开始,结束,地点,值班人\n下礼拜,9:00,12:00,中心,赵强\n", "utf-8")
    code, out = invoke(db_url, "duty", "import", str(bad), "--region", "城东联合党委")
    assert code == 2 and "日期看不懂：“下礼拜”（可写 2026-12-07、2026/12/7、12月7日）" in out


async def test_a_shift_keeps_its_log_and_a_chat_sees_the_weeks_logs_it_may(h: Harness) -> None:
    assert (await h.say("值班日志 接待群众3人", user="u-赵强"))[0].startswith("你最近 24 小时内没有上岗的班")
    await add(h, "今天 9:30-12:00 党群服务中心 赵强")
    await h.join("吴静")  # 绿源科技党支部
    await add(h, "今天 13:00-17:00 党员先锋岗 吴静")
    await h.say("上岗", user="u-赵强")
    h.clock.advance(hours=3)  # 12:00
    await h.say("下岗", user="u-赵强")
    first = await h.say("值班日志 接待群众3人，法律咨询2件", user="u-赵强", update_id="log-1")
    assert first == ["📝 已记入值班日志（12月1日（周二）09:30 党群服务中心）：\n接待群众3人，法律咨询2件"]
    assert await h.say("值班日志 接待群众3人，法律咨询2件", user="u-赵强", update_id="log-1") == first  # redelivered
    more = await h.say("值班日志 <b>打印机缺墨</b>", user="u-赵强")
    assert more[0].endswith("接待群众3人，法律咨询2件\n<b>打印机缺墨</b>")  # added under it, as typed
    stored = await h.rows(select(DutyAssignment.log).where(DutyAssignment.log.is_not(None)))
    assert stored == [("接待群众3人，法律咨询2件\n<b>打印机缺墨</b>",)]
    h.clock.advance(hours=1)  # 13:00
    await h.say("上岗", user="u-吴静", chat=REGION_CHAT)
    await h.say("值班日志 宣传栏更新", user="u-吴静", chat=REGION_CHAT)
    region = (await h.say("值班日志", user="u-李红", chat=REGION_CHAT))[0]
    assert region.startswith("📝 本周值班日志（11月30日起）")
    assert "党群服务中心 赵强：\n  接待群众3人" in region and "党员先锋岗 吴静：\n  宣传栏更新" in region
    branch = (await h.say("值班日志", user="u-赵强"))[0]  # 红星机械's group: its own members' logs only
    assert "赵强" in branch and "吴静" not in branch and "宣传栏" not in branch
    assert await h.count(AuditLog, AuditLog.action == "duty.log") == 3
    ledger = await h.send(h.incoming("导出台账 本月", user="u-李红", chat=REGION_CHAT))
    book = load_workbook(io.BytesIO(ledger[0].file.data))  # type: ignore[union-attr]
    header, *rows = table(book["值班台账"])
    logs = {row[header.index("值班人")]: row[header.index("值班日志")] for row in rows}
    assert logs["赵强"] == "接待群众3人，法律咨询2件\n<b>打印机缺墨</b>" and logs["吴静"] == "宣传栏更新"


async def test_a_backup_is_called_when_nobody_came_and_takes_the_shift_over(h: Harness) -> None:
    added = await add(h, "今天 9:30-12:00 党群服务中心 赵强 备岗：钱多多")
    assert added.endswith("赵强；备岗：钱多多（开始后无人上岗时顶岗）。")
    assert "备岗请另选一人" in await add(h, "今天 13:00-15:00 党群服务中心 赵强 备岗：赵强")
    early = (await h.say("上岗", user="u-钱多多"))[0]
    assert early == "你是 党群服务中心 这个班的备岗；到 12月1日（周二）09:35 仍无人上岗时，你可以发送“上岗”顶岗。"
    called = await h.tick(minutes=36)  # 09:36: start + grace passed, nobody came
    assert any("09:30-12:00 党群服务中心 的值班，赵强 还没有上岗。请备岗 钱多多 顶岗" in p for p in called), called
    took = await h.say("上岗", user="u-钱多多")
    assert took == ["🟢 钱多多 顶岗上岗（党群服务中心，替 赵强）。12:00 下岗时请发送“下岗”。"]
    assert (await h.say("上岗", user="u-赵强"))[0].startswith("你今天没有值班安排")  # the place is no longer his
    assert "党群服务中心 钱多多 ✅ 在岗" in (await h.say("值班表", user="u-钱多多"))[0]
    swaps = await h.rows(select(DutySwap.status, DutySwap.from_member_id, DutySwap.to_member_id))
    names = dict(await h.rows(select(Member.id, Member.name)))
    assert [(s, names[a], names[b]) for s, a, b in swaps] == [("backup", "赵强", "钱多多")]


async def test_no_backup_call_when_the_member_came(h: Harness) -> None:
    await add(h, "今天 9:30-12:00 党群服务中心 赵强 备岗：钱多多")
    await h.say("上岗", user="u-赵强")
    assert not any("备岗" in p for p in await h.tick(minutes=40))
    assert (await h.say("上岗", user="u-钱多多"))[0].startswith("你今天没有值班安排")


async def test_a_shift_is_on_the_rota_once(h: Harness) -> None:
    """The same shift typed twice is refused with the number of the one there; a name twice in one
    shift is told plainly; a shift typed by hand is not put on again by a rule."""
    first = await add(h, "12月5日 9:00-12:00 党群服务中心 赵强")
    assert first.startswith("📋 已添加值班")
    [(shift_id,)] = await h.rows(select(DutyShift.id))
    again = await add(h, "12月5日 9:00-12:00 党群服务中心 赵强 钱多多")
    assert again == (
        f"这个班次已经有了（值班 #{shift_id}：12月5日（周六）09:00 党群服务中心），没有重复添加。要换人请用“换班”。"
    )
    twice = await add(h, "12月6日 9:00-12:00 党群服务中心 钱多多 钱多多")
    assert twice.startswith("钱多多 在同一个班次里写了两次：每人写一次。\n用法：添加值班")
    assert (await add(h, "12月5日 9:00-12:00 法律援助室 赵强")).startswith("📋")  # another place: another shift
    assert await h.count(DutyShift) == 2
    ruled = (await h.say("值班规则 每周六 9:00-12:00 党群服务中心 赵强", user="u-李红", chat=REGION_CHAT))[0]
    assert "已排入值班表 2 个班次" in ruled  # 12 and 19 December: the 5th is on the rota already
    assert await h.count(DutyShift) == 4


async def test_next_week_s_rota_with_its_backups(h: Harness) -> None:
    tz = h.app.services.policy.tz
    local = h.clock.now().astimezone(tz)
    monday = local.date() + timedelta(days=7 - local.weekday())
    added = await h.say(
        f"添加值班 {monday.month}月{monday.day}日 9:00-12:00 党群服务中心 赵强 备岗：冯军",
        user="u-李红",
        chat=REGION_CHAT,
    )
    assert added[0].startswith("📋 已添加值班"), added
    this_week = (await h.say("值班表", user="u-钱多多"))[0]
    assert "党群服务中心 赵强" not in this_week
    following = (await h.say("下周谁值班", user="u-张伟"))[0]
    assert following.startswith(f"📋 下周值班（{monday.month}月{monday.day}日起）"), following
    assert "党群服务中心 赵强 ⏳ 待上岗，备岗：冯军" in following, following
    assert (await h.say("值班表 下个月", user="u-钱多多"))[0].startswith("格式不对")


async def test_a_shift_already_begun_is_said_and_a_night_hour_is_asked_back(h: Harness) -> None:
    now = h.clock.now().astimezone(h.app.services.policy.tz)
    begun = now - timedelta(minutes=27)
    later = now + timedelta(hours=2)
    added = await h.say(f"添加值班 今天 {begun:%H:%M}-{later:%H:%M} 党群服务中心 赵强", user="u-李红", chat=REGION_CHAT)
    assert added[0].splitlines()[1] == "⚠️ 这个班已经开始 27 分钟了：现在上岗会记为迟到，不会发开始前的提醒。", added
    night = await h.say("添加值班 明天 3:00-6:00 党群服务中心 赵强", user="u-李红", chat=REGION_CHAT)
    assert night[0].startswith("几点？“3点”可能是凌晨也可能是下午"), night
    meant = await h.say("添加值班 明天 凌晨3:00-6:00 党群服务中心 赵强", user="u-李红", chat=REGION_CHAT)
    assert meant[0].startswith("📋 已添加值班"), meant
