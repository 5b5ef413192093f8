"""The lecturer pool (讲师团) and lesson requests (点单): the request, the lecturer asked in private,
decline and accept, the lesson published with its sign-in, rated once by attendees; through chat
messages, buttons and the CLI, on a fake clock."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli.roster import import_roster
from bot.delivery.render import to_plain
from storage.models import AuditLog, Event, Lecturer, LessonRating
from tests.bot.test_cli import invoke
from tests.harness import GROUP, REGION, REGION_CHAT, ROSTER, Harness
from tests.truth import table


async def cli(h: Harness, *args: str) -> tuple[int, str]:
    """The command line, run on the harness's database (in a thread: it runs its own loop)."""
    return await asyncio.to_thread(invoke, h.app.settings.database_url, *args)


def buttons(reply: object) -> list[tuple[str, str]]:
    return [(b.label, b.data) for b in reply.buttons]  # type: ignore[attr-defined]


async def pool_of_two(h: Harness) -> None:
    code, out = await cli(h, "lecturer", "add", "--name", "周涛", "--topics", "党史,法律", "--regions", REGION)
    assert code == 0 and "已加入讲师团" in out, out
    code, out = await cli(h, "lecturer", "add", "--name", "刘芳", "--topics", "乡村振兴", "--regions", REGION)
    assert code == 0, out
    await h.join("周涛")  # in their private chat with the bot: where they will be asked
    await h.join("刘芳")


async def test_a_request_is_declined_then_another_accepted_and_the_lesson_is_rated_once(h: Harness) -> None:
    await pool_of_two(h)
    pool = (await h.say("讲师团", user="u-赵强"))[0]
    assert pool == "🎓 讲师团\n· 刘芳（乡村振兴）今年授课 0 次\n· 周涛（党史、法律）今年授课 0 次"

    assert await h.say("点单 党史 12月20日 14:00 三楼会议室", user="u-赵强") == [
        "⛔ 这项操作需要本支部书记，或联合党委书记、管理员。"
    ]
    [card] = await h.send(h.incoming("点单 党史学习教育 12月20日 14:00 三楼会议室", user="u-张伟"))
    text = to_plain(card.text)
    assert text.startswith(
        "📚 点单 #1：党史学习教育\n时间：12月20日（周日）14:00\n地点：三楼会议室\n擅长这个主题的讲师："
    )
    assert "· 周涛（党史、法律）今年授课 0 次" in text and "刘芳" not in text
    [(label, pick)] = buttons(card)
    assert label == "请 周涛"

    assert (
        to_plain((await h.press(pick, user="u-赵强"))[0].text) == "⛔ 这项操作需要本支部书记，或联合党委书记、管理员。"
    )
    asked = to_plain((await h.press(pick, user="u-张伟"))[0].text)
    assert asked == "📨 已请 周涛 讲“党史学习教育”（点单 #1），等待讲师确认。"
    pushed = await h.tick(seconds=1)
    [private] = [p for p in pushed if p.startswith("[@u-周涛]")]
    assert "📚 红星机械党支部 点单 #1：请你讲“党史学习教育”" in private and "[1] 接受" in private

    refused = await h.send(h.incoming(user="u-刘芳", chat="@u-刘芳", button="lesson_yes:1", private=True))
    assert to_plain(refused[0].text) == "点单 #1 不是请你讲的，或已改请其他讲师。"
    declined = await h.send(h.incoming(user="u-周涛", chat="@u-周涛", button="lesson_no:1", private=True))
    assert to_plain(declined[0].text).startswith("已婉拒点单 #1")
    told = [p for p in await h.tick(seconds=1) if p.startswith(f"[{GROUP}]")]
    assert len(told) == 1 and "😔 周涛 婉拒了点单 #1（党史学习教育）。没有其他擅长这个主题的讲师了" in told[0]
    assert "周涛 已婉拒这次点单" in to_plain((await h.press(pick, user="u-张伟"))[0].text)

    [card] = await h.send(h.incoming("点单 党史 12月20日 14:00 三楼会议室", user="u-张伟"))
    await h.press(buttons(card)[0][1], user="u-张伟")
    await h.tick(seconds=1)
    accepted = await h.send(h.incoming(user="u-周涛", chat="@u-周涛", button="lesson_yes:2", private=True))
    assert to_plain(accepted[0].text) == "✅ 已接单 #2：“党史”已发布为党课 #1，开课前会提醒。"
    again = await h.send(h.incoming(user="u-周涛", chat="@u-周涛", button="lesson_yes:2", private=True))
    assert to_plain(again[0].text) == "点单 #2 目前：已接单，这一步无需再操作。"
    assert await h.count(Event) == 1
    [event] = await h.rows(select(Event.kind, Event.lecturer, Event.topic, Event.place, Event.branch_id))
    assert event[:4] == ("party_lesson", "周涛", "党史", "三楼会议室") and event[4] is not None
    told = [p for p in await h.tick(seconds=1) if p.startswith(f"[{GROUP}]")]
    assert len(told) == 1 and told[0].endswith(
        "🎓 周涛 接受了点单 #2：党课“党史”已发布（#1）\n"
        "时间：12月20日（周日）14:00\n地点：三楼会议室\n张伟 届时请组织签到。"
    )

    await h.tick(days=19, hours=4, minutes=50)  # 20 December 13:50: the sign-in is open
    assert (await h.say("签到", user="u-赵强"))[0] == "✅ 赵强 签到成功"
    assert (await h.say("签到", user="u-钱多多"))[0] == "✅ 钱多多 签到成功"
    early = await h.press("lesson_rate:1:5", user="u-赵强")  # a button made up before the lesson is given
    assert to_plain(early[0].text) == "这堂课结束签到后才能评分，到时会请你打分。"
    pushed = await h.tick(hours=2)  # the sign-in closes: attendees are asked to rate it
    [ask] = [p for p in pushed if "请出席的同志为" in p]
    assert ask.startswith(f"[{GROUP}]") and "周涛 的党课“党史”打分" in ask and "[5] ⭐⭐⭐⭐⭐" in ask
    thanks = await h.press("lesson_rate:1:5", user="u-赵强")
    assert to_plain(thanks[0].text) == "谢谢！你给这堂课打了 5 分。"
    twice = await h.press("lesson_rate:1:3", user="u-赵强")
    assert to_plain(twice[0].text) == "你已经评过分了（5 分），每人只评一次。"
    await h.press("lesson_rate:1:4", user="u-钱多多")
    absent = await h.press("lesson_rate:1:1", user="u-冯军")
    assert to_plain(absent[0].text) == "只有签到出席的同志可以给这堂课评分。"
    assert sorted(r[0] for r in await h.rows(select(LessonRating.score))) == [4, 5]
    pool = (await h.say("讲师团", user="u-赵强"))[0]
    assert "· 周涛（党史、法律）今年授课 1 次，评分 4.5" in pool

    replies = await h.send(h.incoming("导出台账 本月", user="u-李红", chat=REGION_CHAT))
    assert replies[0].file is not None
    book = load_workbook(io.BytesIO(replies[0].file.data))
    rows = table(book["讲师授课"])
    assert rows[0] == ("时间", "讲师", "主题", "范围", "状态", "实到", "评分人数", "平均分")
    assert rows[1][1:] == ("周涛", "党史", "红星机械党支部", "已结束", 2, 2, 4.5)
    lesson = select(AuditLog.action).where(AuditLog.action.like("lesson.%")).order_by(AuditLog.id)  # as written
    actions = [r[0] for r in await h.rows(lesson)]
    assert actions[:3] == ["lesson.request", "lesson.ask", "lesson.decline"]
    assert actions.count("lesson.rate") == 2 and "lesson.accept" in actions


async def test_a_region_request_without_a_time_is_given_one_by_the_lecturer(h: Harness) -> None:
    await pool_of_two(h)
    [card] = await h.send(h.incoming("点单 法律", user="u-李红", chat=REGION_CHAT))
    assert "时间" not in to_plain(card.text)
    await h.send(h.incoming(user="u-李红", chat=REGION_CHAT, button=buttons(card)[0][1]))
    [private] = [p for p in await h.tick(seconds=1) if p.startswith("[@u-周涛]")]
    assert "时间：待定（接受时请发送“接单 #1 日期 时间 地点”）" in private and "城东联合党委 点单 #1" in private
    assert await h.dm("接单 #1", user="u-周涛") == ["这次点单还没有时间或地点，请发送“接单 #1 日期 时间 地点”。"]
    assert (await h.dm("接单 #1 12月22日 19:00", user="u-周涛"))[0].startswith("请写明地点。\n用法：接单 #编号")
    assert (await h.dm("接单 #1 12月22日 19:00 党校报告厅", user="u-周涛"))[0].startswith("✅ 已接单 #1")
    [event] = await h.rows(select(Event.kind, Event.branch_id, Event.place, Event.lecturer))
    assert event == ("party_lesson", None, "党校报告厅", "周涛")  # the region's 专题党课
    told = [p for p in await h.tick(seconds=1) if "接受了点单 #1" in p]
    assert [p.split("]")[0] for p in told] == [f"[{REGION_CHAT}"]
    assert "李红 届时请组织签到" in told[0]

    # moved a day later: the rating is asked after the lesson as it is now, not at the old time
    assert (await h.say("改期 #1 12月23日 19:00", user="u-李红", chat=REGION_CHAT))[0].startswith("🔁 专题党课 #1")
    pushed = await h.tick(days=21, hours=11, minutes=30)  # 22 December 20:30: the old close
    assert not [p for p in pushed if "打分" in p]
    await h.tick(days=1, hours=-1, minutes=-10)  # 23 December 19:20
    assert (await h.say("签到", user="u-李红", chat=REGION_CHAT))[0].startswith("✅ 李红")
    pushed = await h.tick(hours=1)
    assert len([p for p in pushed if p.startswith(f"[{REGION_CHAT}]") and "打分" in p]) == 1


async def test_a_lecturer_is_not_an_expected_attendee(h: Harness, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER.read_text(encoding="utf-8") + "王老师,红星机械党支部,讲师,13800000019,,,否\n", "utf-8")
    await import_roster(h.app.db, roster, REGION, h.clock.now())
    await h.say("发布 支部党员大会 今天 14:00 三楼会议室", user="u-张伟")
    await h.tick(hours=5, minutes=1)
    await h.say("签到", user="u-赵强")
    summary = (await h.say("考勤", user="u-张伟"))[0]
    assert "应到 3" in summary and "王老师" not in summary  # 张伟, 赵强, 钱多多; not the lecturer


async def test_the_cli_refuses_a_lecturer_who_is_not_on_the_roster(h: Harness) -> None:
    code, out = await cli(h, "lecturer", "add", "--name", "无名氏", "--topics", "党史", "--regions", REGION)
    assert code == 2 and "花名册中没有“无名氏”" in out
    code, out = await cli(h, "lecturer", "add", "--name", "周涛", "--topics", "党史", "--regions", "不存在")
    assert code == 2 and "没有这个联合党委" in out
    assert await h.count(Lecturer) == 0
    assert (await h.say("点单 党史", user="u-张伟"))[0].startswith("本联合党委还没有讲师团")
    code, out = await cli(h, "lecturer", "list", "--region", REGION)
    assert code == 0 and "还没有讲师。联合党委书记或管理员可发送“添加讲师 姓名 党史,法律”添加。" in out, out


async def test_region_officers_keep_the_pool_from_the_chat(h: Harness) -> None:
    assert (await h.say("讲师团", user="u-张伟"))[0].endswith("可发送“添加讲师 姓名 党史,法律”添加。")
    added = await h.say("添加讲师 周涛 党史、法律", user="u-李红", chat=REGION_CHAT)
    assert added == ["🎓 已把 周涛 加入讲师团：党史、法律。支部可发送“点单 主题”请讲师讲课。"]
    again = await h.say("添加讲师 周涛 党史，乡村振兴", user="u-李红", chat=REGION_CHAT)
    assert again == ["🎓 已更新 周涛 的主题：党史、乡村振兴。支部可发送“点单 主题”请讲师讲课。"]
    assert (await h.say("讲师团", user="u-赵强"))[0] == "🎓 讲师团\n· 周涛（党史、乡村振兴）今年授课 0 次"
    # the one rule: a branch secretary may not; the roster is the only source of names
    assert (await h.say("添加讲师 刘芳 党史", user="u-张伟"))[0].startswith("⛔")
    missing = await h.say("添加讲师 无名氏 党史", user="u-李红", chat=REGION_CHAT)
    assert missing[0].startswith("花名册中没有“无名氏”") and "用法：添加讲师" in missing[0]
    assert (await h.say("添加讲师 周涛", user="u-李红", chat=REGION_CHAT))[0].startswith("格式不对。\n用法：添加讲师")
    assert (await h.say(f"添加讲师 周涛 {'史' * 31}", user="u-李红", chat=REGION_CHAT))[0].startswith("内容太长了")
    await h.join("周涛")
    [card] = await h.send(h.incoming("点单 乡村振兴", user="u-张伟"))
    assert "· 周涛（党史、乡村振兴）" in to_plain(card.text)
    removed = await h.say("移除讲师 周涛", user="u-李红", chat=REGION_CHAT)
    assert removed == ["🎓 已把 周涛 移出本联合党委的讲师团。"]
    assert (await h.say("移除讲师 周涛", user="u-李红", chat=REGION_CHAT)) == ["周涛 不在本联合党委的讲师团中。"]
    assert (await h.say("讲师团", user="u-赵强"))[0].startswith("🎓 讲师团\n还没有讲师。")
    audit = await h.rows(select(AuditLog.action, AuditLog.platform).where(AuditLog.action.like("lecturer.%")))
    assert [a for a, _ in audit] == ["lecturer.put", "lecturer.put", "lecturer.remove"]
