"""Quarterly supervision (季督): a finding from record through deadline to confirmation."""

from __future__ import annotations

from storage.models import AuditLog, Finding, FindingPhoto
from tests.handlers.test_ledger import png, send_photo, upload
from tests.harness import GROUP, REGION_CHAT, Harness

OTHER_BRANCH = "绿源群"


async def test_a_finding_is_recorded_rectified_and_confirmed(h: Harness) -> None:
    await h.join("王建国")
    said = await h.say("督查 红星机械党支部 三会一课记录不全 期限：12月20日", user="u-王建国", chat=REGION_CHAT)
    assert said == [
        "🔎 已记录督查问题 #1 红星机械党支部：三会一课记录不全（期限 12月20日）。"
        "已通知该支部，整改后请支部书记发送“整改完成 #1 说明”。"
    ]
    told = await h.tick(minutes=1)
    assert f"[{GROUP}] 🤖 🔎 联合党委督查发现问题 #1 红星机械党支部：三会一课记录不全（期限 12月20日）。" in "\n".join(
        told
    )
    # the branch sees it; a member cannot report it rectified; another branch's chat does not see it
    listed = (await h.say("督查清单", user="u-赵强"))[0]
    assert "#1 红星机械党支部：三会一课记录不全（期限 12月20日） [待整改]" in listed
    assert (await h.say("整改完成 #1 已补齐", user="u-赵强"))[0].startswith("⛔")
    await h.join("刘芳")
    await h.say("绑定 绿源科技党支部", user="u-李红", chat=OTHER_BRANCH)
    assert await h.say("督查清单", user="u-刘芳", chat=OTHER_BRANCH) == ["🔎 没有督查问题。"]
    # three days before the deadline, 09:00: the branch is reminded
    reminded = await h.tick(days=16)  # 17 December 09:01
    assert any(p.startswith(f"[{GROUP}]") and "⏰ 督查问题 #1" in p for p in reminded)
    assert (await h.say("确认整改 #1", user="u-王建国", chat=REGION_CHAT))[0].endswith("支部报整改完成后才能确认。")
    assert await h.say("整改完成 #1 已补齐三会一课记录", user="u-张伟") == [
        "🛠 督查问题 #1 已报整改完成：已补齐三会一课记录。等待督查人确认。"
    ]
    assert "不需要再报整改" in (await h.say("整改完成 #1 再报一次", user="u-张伟"))[0]
    told = await h.tick(minutes=1)
    assert any(p.startswith(f"[{REGION_CHAT}]") and "🛠 红星机械党支部 报告督查问题 #1 已整改" in p for p in told)
    assert await h.say("确认整改 #1", user="u-王建国", chat=REGION_CHAT) == [
        "✅ 督查问题 #1（红星机械党支部）整改已确认。"
    ]
    told = await h.tick(minutes=1)
    assert any(p.startswith(f"[{GROUP}]") and "✅ 督查问题 #1 的整改已获确认。" in p for p in told)
    assert [(f.status, f.fix_note) for f in await h.rows(Finding.__table__.select())] == [
        ("confirmed", "已补齐三会一课记录")
    ]
    actions = [a for (a,) in await h.rows(AuditLog.__table__.select().with_only_columns(AuditLog.action))]
    assert {"finding", "finding_fixed", "finding_confirm"} <= set(actions)


async def test_bad_findings_and_the_weekly_overdue_list(h: Harness) -> None:
    from jobs.periodic import queue_periodic

    await h.join("王建国")
    assert (await h.say("督查 红星机械党支部 问题", user="u-张伟"))[0].startswith("⛔")  # supervisors only
    assert "没有叫“火星支部”的支部" in (await h.say("督查 火星支部 问题", user="u-王建国", chat=REGION_CHAT))[0]
    assert "已经过去了" in (await h.say("督查 红星机械党支部 问题 期限：11月1日", user="u-王建国", chat=REGION_CHAT))[0]
    assert "督查 支部名 问题描述" in (await h.say("督查 红星机械党支部", user="u-王建国", chat=REGION_CHAT))[0]
    assert "找不到督查问题 #9" in (await h.say("整改完成 #9 好了", user="u-张伟"))[0]
    await h.say("督查 红星机械党支部 党费收缴不及时 期限：12月3日", user="u-王建国", chat=REGION_CHAT)
    await h.say("督查 红星机械党支部 阵地标识缺失", user="u-王建国", chat=REGION_CHAT)  # no deadline: never overdue
    await queue_periodic(h.app.services, dormancy_weeks=8)
    pushed = await h.tick(days=6, hours=1)  # Monday 7 December 10:00
    overdue = [p for p in pushed if "已过期限仍未整改" in p]
    assert len(overdue) == 1 and overdue[0].startswith(f"[{REGION_CHAT}]")
    assert "#1 红星机械党支部：党费收缴不及时（期限 12月3日）" in overdue[0] and "阵地标识" not in overdue[0]
    listed = (await h.say("督查清单", user="u-王建国", chat=REGION_CHAT))[0]
    assert "[待整改，已逾期]" in listed and "#2 红星机械党支部：阵地标识缺失 [待整改]" in listed


async def test_a_rectification_carries_photos_as_evidence(h: Harness) -> None:
    await h.join("王建国")
    await h.say("督查 红星机械党支部 消防通道堆放杂物", user="u-王建国", chat=REGION_CHAT)
    # a photo captioned with the report: moved to fixed, the photo kept, the supervisor told
    assert await send_photo(h, "整改完成 #1 杂物已清理", upload(png("red")), user="u-张伟") == [
        "🛠 督查问题 #1 已报整改完成：杂物已清理（附照片 1 张）。等待督查人确认。"
    ]
    pushed = await h.tick(minutes=1)
    assert any(p.startswith(f"[{REGION_CHAT}]") and "杂物已清理（附照片 1 张）" in p for p in pushed)
    # more evidence until it is confirmed; the same picture again is kept once
    assert await send_photo(h, "整改完成 #1", upload(png("blue")), user="u-张伟") == [
        "📷 照片已附在督查问题 #1 的整改凭证（共 2 张）。"
    ]
    assert await send_photo(h, "整改完成 #1", upload(png("blue")), user="u-张伟") == [
        "这张照片已经附在督查问题 #1 了。"
    ]
    assert (await send_photo(h, "整改完成 #1", upload(png("green")), user="u-赵强"))[0].startswith("⛔")
    assert "这个文件不是图片" in (await send_photo(h, "整改完成 #1", upload(b"MZ" * 100), user="u-张伟"))[0]
    listing = (await h.say("督查清单", user="u-王建国", chat=REGION_CHAT))[0]
    assert "整改：杂物已清理（附照片 2 张）" in listing
    assert await h.count(FindingPhoto) == 2
    assert await h.count(AuditLog, AuditLog.action == "finding_photo") == 2
    await h.say("确认整改 #1", user="u-王建国", chat=REGION_CHAT)
    assert "不需要再报整改" in (await send_photo(h, "整改完成 #1", upload(png("white")), user="u-张伟"))[0]
    # a picture captioned "#1" is still a meeting photo, not evidence of a finding
    assert "找不到活动 #1" in (await send_photo(h, "#1", upload(png("white")), user="u-张伟"))[0]
