"""党建指导员 through the router: assigned by the region, a visit recorded and heard in the
branch's chat, listed with the last visit, kept in the 指导员台账; who may, and bad input; an
instructor walked through every command in every chat (the one rule's level 党建指导员)."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl

from bot.cli.roster import import_roster
from bot.delivery.render import to_plain
from jobs.periodic import queue_periodic
from storage.models import AuditLog, GuidanceVisit, InstructorLink
from tests.handlers.test_access import CHATS, COMMANDS, _refused, _two_regions
from tests.handlers.test_ledger import png, send_photo, upload
from tests.harness import GROUP, REGION, REGION_CHAT, Harness
from tests.truth import day, table

PHONE = "13800000005"


async def _instructor(h: Harness, tmp_path: Path) -> None:
    """周敏, of the region's office branch, role 党建指导员, registered with her phone."""
    roster = tmp_path / "instructor.csv"
    roster.write_text(f"姓名,支部,角色,手机\n周敏,城东联合党委机关党支部,党建指导员,{PHONE}\n", encoding="utf-8")
    await import_roster(h.app.db, roster, REGION, h.clock.now())
    await h.send(h.incoming(user="u-周敏", chat="@u-周敏", private=True, contact=PHONE))


async def test_an_instructor_assigned_records_a_visit_heard_listed_and_in_the_ledger(
    h: Harness, tmp_path: Path
) -> None:
    await _instructor(h, tmp_path)
    said = await h.say("指导员 周敏 红星机械党支部 绿源科技党支部", user="u-李红", chat=REGION_CHAT)
    assert said == ["✅ 周敏 自今天起指导：红星机械党支部、绿源科技党支部。\n新增：红星机械党支部、绿源科技党支部"]

    said = await h.say("指导记录 红星机械党支部 查阅“三会一课”记录 <b>", user="u-周敏")  # in 红星's own chat
    assert said == ["📝 已登记指导记录：红星机械党支部，2026年12月1日，“查阅“三会一课”记录 <b>”。该支部的群会收到。"]
    told = await h.tick(seconds=5)
    assert told == [f"[{GROUP}] 🤖 🧭 党建指导员 周敏 的指导记录（2026年12月1日）：查阅“三会一课”记录 <b>"]
    said = await h.say("指导记录 红星机械党支部\n回访：记录已规范", user="u-周敏")  # the branch on a line of its own
    assert said[0].startswith("📝 已登记指导记录：红星机械党支部，2026年12月1日，“回访：记录已规范”")
    await h.tick(seconds=5)
    h.clock.advance(days=2)
    # privately, as the caption of a photo taken there
    said = await send_photo(
        h, "指导记录 绿源科技党支部 走访，了解党员流动情况", upload(png("red")), user="u-周敏", chat="@u-周敏"
    )
    assert said == [
        "📝 已登记指导记录：绿源科技党支部，2026年12月3日，“走访，了解党员流动情况”（附照片 1 张）。该支部的群会收到。"
    ]

    listed = await h.say("指导员", user="u-李红", chat=REGION_CHAT)
    assert listed[0].splitlines() == [
        "🧭 党建指导员 1 位：",
        "· 周敏：红星机械党支部（最近指导 2026年12月1日）、绿源科技党支部（最近指导 2026年12月3日）",
    ]

    # the region's next list drops 绿源: it ends today, the visits stay
    said = await h.say("指导员 周敏 红星机械党支部", user="u-李红", chat=REGION_CHAT)
    assert said == ["✅ 周敏 自今天起指导：红星机械党支部。\n不再指导：绿源科技党支部"]
    refused = await h.dm("指导记录 绿源科技党支部 回访", user="u-周敏")
    assert refused == ["你没有被指派指导绿源科技党支部。请联系联合党委书记发送：指导员 你的姓名 绿源科技党支部"]
    assert await h.count(InstructorLink) == 2 and await h.count(InstructorLink, InstructorLink.until.is_(None)) == 1

    replies = await h.send(h.incoming("导出台账 本月", user="u-李红", chat=REGION_CHAT))
    assert replies[0].file is not None
    sheet = openpyxl.load_workbook(io.BytesIO(replies[0].file.data))["指导员台账"]
    head, *rows = table(sheet)
    assert head == ("日期", "党建指导员", "支部", "类别", "内容", "照片")
    assert [(day(r[0]), *r[1:]) for r in rows] == [
        ("2026-12-01", "周敏", "红星机械党支部", "指导记录", "查阅“三会一课”记录 <b>", None),
        ("2026-12-01", "周敏", "红星机械党支部", "指导记录", "回访：记录已规范", None),
        ("2026-12-03", "周敏", "绿源科技党支部", "指导记录", "走访，了解党员流动情况", None),
        ("2026-12-01", "周敏", "红星机械党支部", "现指导", "自 2026-12-01 起指导（日期栏为最近一次指导）", None),
    ]
    # the photo's thumbnail sits in the 照片 cell of the visit it came with (row 5: title, header, three visits)
    assert [(i.anchor._from.row + 1, i.anchor._from.col + 1) for i in sheet._images] == [(5, 6)]
    # a branch's own ledger: its visits only
    replies = await h.send(h.incoming("导出台账 本月", user="u-张伟"))
    assert replies[0].file is not None
    _head, *rows = table(openpyxl.load_workbook(io.BytesIO(replies[0].file.data))["指导员台账"])
    assert [r[2] for r in rows] == ["红星机械党支部"] * 3
    assert await h.count(AuditLog, AuditLog.action.in_(("instructor.assign", "instructor.visit"))) == 5

    # in the chat of a branch she guides she reads what its secretary reads, and changes nothing
    replies = await h.send(h.incoming("导出台账 本月", user="u-周敏"))
    assert replies[0].file is not None and to_plain(replies[0].text).startswith("📒 红星机械党支部 台账（2026年12月）")
    assert (await h.say("组织生活", user="u-周敏"))[0].startswith("📋")
    assert (await h.say("月报", user="u-周敏"))[0] == (await h.say("月报", user="u-张伟"))[0]
    assert (await h.say("补签 赵强", user="u-周敏"))[0].startswith("⛔")
    assert (await h.say("发布 党员大会 明天 14:00 三楼会议室", user="u-周敏"))[0].startswith("⛔")
    await h.say("绑定 绿源科技党支部", user="u-李红", chat="绿源群")
    assert (await h.say("导出台账 本月", user="u-周敏", chat="绿源群"))[0].startswith("⛔")  # guided no more
    helped = (await h.say("帮助 报表", user="u-周敏"))[0]
    assert "• 月报 —" in helped and "• 工作情况 —" not in helped
    assert "• 导出台账 —" in (await h.say("帮助 台账", user="u-周敏"))[0]


async def test_who_may_and_bad_input(h: Harness, tmp_path: Path) -> None:
    await _instructor(h, tmp_path)
    assert (await h.say("指导员 周敏 红星机械党支部", user="u-张伟"))[0].startswith("⛔")  # a branch secretary
    assert await h.say("指导记录 红星机械党支部 看看", user="u-赵强") == [
        "⛔ 这项操作需要党建指导员（花名册角色，由联合党委指派指导的支部）。"
    ]
    assert await h.say("指导员 赵强 红星机械党支部", user="u-李红", chat=REGION_CHAT) == [
        "赵强 在花名册中不是党建指导员。请先在花名册中把其角色写为“党建指导员”并重新导入。"
    ]
    assert await h.say("指导员 周敏 不存在支部", user="u-李红", chat=REGION_CHAT) == [
        "城东联合党委下没有名为“不存在支部”的支部。"
    ]
    assert "\n用法：指导员 [姓名 支部名" in (await h.say("指导员 周敏", user="u-李红", chat=REGION_CHAT))[0]
    assert "\n用法：指导记录 支部名 内容" in (await h.dm("指导记录 红星机械党支部", user="u-周敏"))[0]
    too_long = (await h.dm("指导记录 红星机械党支部 " + "长" * 1001, user="u-周敏"))[0]
    assert too_long.startswith("内容太长了（最多 1000 字）。\n用法：指导记录")
    said = await h.dm("指导记录 红星机械党支部 走访", user="u-周敏")  # not (yet) assigned
    assert said[0].startswith("你没有被指派指导红星机械党支部")
    assert await h.say("指导员", user="u-李红", chat=REGION_CHAT) == [
        "还没有指派党建指导员。先在花名册中把角色写为“党建指导员”，再发送：指导员 姓名 支部名"
    ]
    await h.say("指导员 周敏 红星机械党支部", user="u-李红", chat=REGION_CHAT)
    assert await h.say("指导员 周敏 无", user="u-李红", chat=REGION_CHAT) == [
        "✅ 周敏 自今天起不再指导任何支部。\n不再指导：红星机械党支部"
    ]
    assert await h.count(GuidanceVisit) == 0


async def test_an_instructor_in_every_chat_may_record_guidance_and_manage_nothing(h: Harness, tmp_path: Path) -> None:
    """The access walk for the role 党建指导员 (of the office branch, which has no chat): 成员 in the
    region's chat as any member of the region, 党建指导员 in every chat of the region, nothing
    a branch's or the region's managers do, nothing in another region."""
    await _two_regions(h, tmp_path)
    await _instructor(h, tmp_path)
    allowed = {"member": (False, False, True, False), "guide": (True, True, True, False), "anyone": (True,) * 4}
    assert await _walk(h, allowed, reads=frozenset()) == []
    # guiding 红星 (GROUP): there, also every command that only shows what is there, as its secretary
    await h.say("指导员 周敏 红星机械党支部", user="u-李红", chat=REGION_CHAT)
    reads = frozenset(c.name for c in h.app.router.commands if c.reads)
    assert {"attendance", "compliance", "export", "report_status", "transfers", "chats"} <= reads
    assert await _walk(h, allowed, reads=reads) == []


async def _walk(h: Harness, allowed: dict[str, tuple[bool, ...]], reads: frozenset[str]) -> list[object]:
    """Every command as the instructor in every chat: what the level allows (the reads also in GROUP)."""
    wrong: list[object] = []
    for index, chat in enumerate(CHATS):
        for name, level in COMMANDS.items():
            texts = await h.say(f"/{name}", user="u-周敏", chat=chat)
            may = allowed.get(level, (False,) * 4)[index] or (
                chat == GROUP and name in reads and level in ("member", "branch", "dues")
            )
            if _refused(texts) == may:
                wrong.append((f"/{name}", chat, texts))
    return wrong


async def test_an_instructor_hears_privately_on_monday_what_needs_a_visit_among_their_branches(
    h: Harness, tmp_path: Path
) -> None:
    """A dormant branch, a finding past its deadline and last month's 月报 not sent (from the 4th),
    of the branches she guides; nothing when none of that is left."""
    await _instructor(h, tmp_path)
    await h.say("启用日期 2026-09-01", user="u-李红", chat=REGION_CHAT)  # counted for longer than 8 weeks
    await h.say("绑定 绿源科技党支部", user="u-李红", chat="绿源群")
    await h.say("指导员 周敏 红星机械党支部 绿源科技党支部", user="u-李红", chat=REGION_CHAT)
    await h.say("发布 党员大会 今天 14:00 三楼会议室 学习党章", user="u-张伟")  # 红星 holds one
    await h.say("工作情况 11月 开展主题党日一次", user="u-张伟")  # 红星's November report; 绿源 sends none
    await h.say("督查 红星机械党支部 三会一课记录不全 期限：12月3日", user="u-李红", chat=REGION_CHAT)
    await h.tick(hours=5)
    await h.say("签到", user="u-赵强")
    await queue_periodic(h.app.services, dormancy_weeks=8)
    assert await queue_periodic(h.app.services, dormancy_weeks=8) == 0  # queued once
    pushed = await h.tick(days=5, hours=20)  # Monday 7 December 09:00 … 10:00
    mine = [p for p in pushed if p.startswith("[@u-周敏]")]
    assert len(mine) == 1
    lines = mine[0].splitlines()
    assert lines[0] == "[@u-周敏] 🤖 🧭 指导员提醒：你指导的支部中，以下情况需要关注："
    assert lines[1] == "⚠️ 已连续 8 周以上没有开展本支部的活动："
    assert lines[2].startswith("· 绿源科技党支部（预警）：从未开展过支部活动")  # as the dormancy warning writes it
    assert lines[3] == "⏰ 督查问题已过期限仍未整改："
    assert lines[4] == "· #1 红星机械党支部：三会一课记录不全（期限 12月3日）"
    assert lines[5] == "📝 11月工作情况（月报）尚未报送：绿源科技党支部"
    assert "指导记录 支部名 内容" in lines[-1]
    # she guides 红星 only, whose finding is rectified: nothing needs her next Monday
    await h.say("指导员 周敏 红星机械党支部", user="u-李红", chat=REGION_CHAT)
    await h.say("整改完成 #1 已补齐记录", user="u-张伟")
    await queue_periodic(h.app.services, dormancy_weeks=8)
    assert not [p for p in await h.tick(days=7) if p.startswith("[@u-周敏]")]
