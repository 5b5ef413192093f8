"""Meeting records, photos, the XLSX ledger and charts, through the chat (both databases)."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import warnings
import zlib
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from matplotlib import font_manager
from PIL import Image
from sqlalchemy import select

from bot.delivery.render import to_plain
from handlers.core import charts
from handlers.core.ports import IncomingFile, Reply
from storage.models import AuditLog, MeetingPhoto, MeetingRecordVersion
from tests.harness import GROUP, REGION_CHAT, Harness
from tests.truth import table

OTHER_BRANCH = "绿源群"  # bound to 绿源科技党支部


def png(color: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def upload(data: bytes, *, size: int | None = None) -> IncomingFile:
    async def fetch() -> bytes:
        return data

    return IncomingFile(len(data) if size is None else size, fetch, "photo.jpg")


async def send_photo(h: Harness, caption: str, file: IncomingFile, *, user: str, chat: str = GROUP) -> list[str]:
    incoming = h.incoming(caption, user=user, chat=chat, private=chat.startswith("@"))
    return [to_plain(r.text) for r in await h.send(replace(incoming, file=file))]


async def held_event(h: Harness) -> int:
    """A branch activity day tomorrow at 15:00, held: 张伟 on time, 赵强 late, 钱多多 on leave."""
    out = await h.say("发布 党员活动日 明天 15:00 党群服务中心 学习党章", user="u-张伟")
    number = int(out[0].split("#")[1].split()[0])
    await h.say("请假 出差在外", user="u-钱多多")
    await h.tick(hours=29, minutes=50)  # 12-02 14:50, the window is open
    await h.say("签到", user="u-张伟")
    await h.tick(minutes=20)  # 15:10: after start + grace
    await h.say("签到", user="u-赵强")
    return number


async def test_record_is_appended_shown_and_corrected_with_history(h: Harness) -> None:
    number = await held_event(h)
    assert await h.say(f"会议记录 #{number} 学习党章第一章", user="u-张伟") == [
        f"📝 已记入 #{number} 党员活动日 的会议记录（共 7 字）。"
    ]
    await h.say(f"会议记录 #{number} 讨论发展对象", user="u-张伟")
    shown = (await h.say(f"会议记录 #{number}", user="u-赵强"))[0]
    assert "学习党章第一章\n讨论发展对象" in shown and "照片 0 张" in shown
    # a member reads it but does not write it; another branch does not see the event at all
    assert (await h.say(f"会议记录 #{number} 我也写一句", user="u-赵强"))[0].startswith("⛔")
    await h.join("刘芳")
    await h.say("绑定 绿源科技党支部", user="u-李红", chat=OTHER_BRANCH)
    assert "找不到" in (await h.say(f"会议记录 #{number}", user="u-刘芳", chat=OTHER_BRANCH))[0]
    fixed = await h.say(f"修改会议记录 #{number} 学习党章第一、二章", user="u-张伟")
    assert fixed == [f"📝 #{number} 党员活动日 的会议记录已更正，原文已留档。"]
    assert "学习党章第一、二章" in (await h.say(f"会议记录 #{number}", user="u-张伟"))[0]
    versions = await h.rows(
        select(MeetingRecordVersion.text, MeetingRecordVersion.change).order_by(MeetingRecordVersion.id)
    )
    assert [c for _, c in versions] == ["append", "append", "correct"]
    assert versions[1][0] == "学习党章第一章\n讨论发展对象"  # the text before the correction is kept
    actions = [a for (a,) in await h.rows(select(AuditLog.action))]
    assert actions.count("record_append") == 2 and actions.count("record_correct") == 1
    # usage and bad numbers get the usage line
    assert "会议记录 #编号" in (await h.say("会议记录 十二", user="u-张伟"))[0]
    assert "找不到" in (await h.say("会议记录 #999 内容", user="u-张伟"))[0]


async def test_record_refused_before_start_and_for_cancelled(h: Harness) -> None:
    out = await h.say("发布 支委会 12月20日 19:00 办公室", user="u-张伟")
    number = int(out[0].split("#")[1].split()[0])
    assert "还没开始" in (await h.say(f"会议记录 #{number} 提前写", user="u-张伟"))[0]
    await h.say(f"取消活动 #{number}", user="u-张伟")
    assert await h.say(f"会议记录 #{number} 写", user="u-张伟") == [f"#{number} 已取消，不能记录。"]


async def test_photos_are_kept_by_content_hash_checked_and_limited(h: Harness) -> None:
    number = await held_event(h)
    picture = png()
    assert await send_photo(h, f"#{number}", upload(picture), user="u-张伟") == [
        f"📷 照片已附在 #{number} 党员活动日（共 1 张）。"
    ]
    digest = hashlib.sha256(picture).hexdigest()
    stored = Path(h.app.services.media.root) / digest[:2] / f"{digest}.png"
    assert stored.read_bytes() == picture  # named by its content, typed by its content (not "photo.jpg")
    assert await send_photo(h, f"#{number}", upload(picture), user="u-张伟") == [f"这张照片已经附在 #{number} 了。"]
    assert (await send_photo(h, f"#{number}", upload(png("blue")), user="u-张伟"))[0].endswith("（共 2 张）。")
    # not a picture, whatever its name says; too large (refused before it is fetched); no number
    fake = b"MZ\x90\x00 this is not a picture at all" * 10
    assert await send_photo(h, f"#{number}", upload(fake), user="u-张伟") == [
        "这个文件不是图片（支持 JPEG、PNG、GIF、WebP），没有保存。"
    ]

    async def never() -> bytes:
        raise AssertionError("a photo over the limit must not be downloaded")

    too_big = IncomingFile(11 * 1024 * 1024, never, "big.jpg")
    assert await send_photo(h, f"#{number}", too_big, user="u-张伟") == ["照片太大：每张不超过 10 MB。"]
    assert await send_photo(h, "聚餐照片", upload(png("green")), user="u-赵强") == []  # chatter in a group
    assert await send_photo(h, "", upload(png("green")), user="u-张伟", chat="@u-张伟") == [
        "要把照片附到哪次活动？请在同一条消息里写上 #编号，例如“#12”。"
    ]
    assert (await send_photo(h, f"#{number}", upload(png("green")), user="u-赵强"))[0].startswith("⛔")
    assert len(await h.rows(select(MeetingPhoto.id))) == 2
    assert "照片 2 张" in (await h.say(f"会议记录 #{number}", user="u-张伟"))[0]


async def _full_month(h: Harness) -> int:
    """A held event with a record and a photo, an anonymous idea, a formula-looking idea, an
    adopted idea, points, a redemption, a shift, and a region-wide lesson."""
    for name in ("王建国", "刘芳"):
        await h.join(name)
    await h.say("绑定 绿源科技党支部", user="u-李红", chat=OTHER_BRANCH)
    number = await held_event(h)
    await h.say(f'会议记录 #{number} =HYPERLINK("http://x") 学习', user="u-张伟")
    await send_photo(h, f"#{number}", upload(png(size=(400, 300))), user="u-张伟")
    await h.dm("匿名金点子：食堂增加素菜", user="u-赵强")
    await h.say("金点子：+1 建议设立党员示范岗", user="u-钱多多")
    await h.say("金点子：@all 组织读书会 #学习", user="u-刘芳", chat=OTHER_BRANCH)
    await h.say("采纳 #3 很好", user="u-李红", chat=REGION_CHAT)
    await h.say("上架 保温杯 1 5", user="u-李红", chat=REGION_CHAT)
    await h.say("兑换 保温杯", user="u-张伟")
    await h.say("添加值班 12月3日 9:00-17:00 党群服务中心 赵强", user="u-李红", chat=REGION_CHAT)
    return number


def _book(reply: Reply) -> Any:
    assert reply.file is not None and reply.file.name.endswith(".xlsx")
    return openpyxl.load_workbook(io.BytesIO(reply.file.data))


def _rows(sheet: Any) -> list[tuple[Any, ...]]:
    """The sheet's header and rows (its title above and signing lines below left out)."""
    return table(sheet)


async def test_region_ledger_has_every_sheet_and_keeps_user_text_as_text(h: Harness) -> None:
    number = await _full_month(h)
    h.clock.advance(days=3)
    replies = await h.send(h.incoming("导出台账 本月", user="u-王建国", chat=REGION_CHAT))
    assert to_plain(replies[0].text).startswith("📒 城东联合党委 台账（2026年12月）")
    book = _book(replies[0])
    assert book.sheetnames == [
        "汇总", "活动台账", "出席名单与会议记录", "考勤明细", "值班台账", "金点子台账",
        "积分台账", "积分超市兑换台账", "轮值记录", "讲师授课", "操作日志", "会议照片", "月报", "年度考评",
        "组织关系转接台账", "发展党员台账", "流动党员台账", "换届台账", "党费台账", "表彰台账", "指导员台账",
        "述职评议台账", "党总支台账", "结对共建台账",
    ]  # fmt: skip
    for sheet in book.worksheets:  # printable and readable: titled, the title and header on every page
        assert sheet.freeze_panes == "A3" and sheet.print_title_rows == "$1:$2"
        assert sheet["A1"].value.startswith("城东联合党委 党建台账 2026年12月 · ")
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
        assert sheet.column_dimensions["A"].width > 4
    events = _rows(book["活动台账"])
    assert events[0][:5] == ("编号", "类型", "范围", "时间", "地点")
    row = next(r for r in events[1:] if r[0] == number)
    assert row[1:4] == ("党员活动日", "红星机械党支部", datetime(2026, 12, 2, 15, 0))  # a real time, in Beijing
    assert row[7:12] == (3, 2, 1, 1, 0)  # 应到 实到 迟到 请假 缺席 (冯军 is an activist: welcome, not expected)
    assert row[12] == pytest.approx(2 / 3) and row[13] == 1  # 出勤率; one photo
    names = _rows(book["出席名单与会议记录"])
    listed = next(r for r in names[1:] if r[0].startswith(f"#{number} "))
    assert listed[1:4] == ("张伟、赵强（迟到）", "钱多多（出差在外）", None)
    record = book["出席名单与会议记录"].cell(row=names.index(listed) + 2, column=5)
    assert record.value.startswith("=HYPERLINK") and record.data_type == "s"  # text, not a formula
    matrix = _rows(book["考勤明细"])
    assert matrix[0][:3] == ("支部", "姓名", "身份") and matrix[0][-1] == "出勤率"
    marks = {r[1]: r[3] for r in matrix[1:]}
    assert (marks["张伟"], marks["赵强"], marks["钱多多"], marks["冯军"]) == ("✓", "迟", "假", None)
    assert marks["刘芳"] is None  # another branch's event: not expected there
    ideas = _rows(book["金点子台账"])
    by_number = {r[0]: r for r in ideas[1:]}
    assert by_number[1][4] == "赵强（匿名）"  # an anonymous author, marked as such
    assert by_number[2][2] == "+1 建议设立党员示范岗" and by_number[2][4] == "钱多多"
    assert by_number[3][7] == "采纳" and "采纳（李红）：很好" in by_number[3][8]
    for sheet in book.worksheets:  # no cell anywhere became a formula
        assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)
    points = _rows(book["积分台账"])
    assert ("张伟", "红星机械党支部", 2, "签到（准时）", "签到") in [r[1:6] for r in points[1:]]
    assert [r[1:6] for r in _rows(book["积分超市兑换台账"])[1:]] == [("张伟", "红星机械党支部", "保温杯", 1, "待审批")]
    duty = _rows(book["值班台账"])
    assert duty[1][3:6] == ("党群服务中心", "赵强", "红星机械党支部") and duty[1][8] == "缺岗"
    audit = [r[4] for r in _rows(book["操作日志"])[1:]]
    recorded = f"张伟 记入会议记录：#{number} 党员活动日 12月2日（周三）15:00"
    assert any(line.startswith(recorded) for line in audit), audit
    assert any(line.startswith(f"张伟 上传会议照片：#{number} 党员活动日") for line in audit)
    photos = book["会议照片"]
    assert _rows(photos)[1][0] == number and len(photos._images) == 1  # the thumbnail is in the sheet
    summary = _rows(book["汇总"])
    red = next(r for r in summary if r[0] == "红星机械党支部")
    assert (
        red[2:5] == (1, 3, 2) and abs(red[5] - 2 / 3) < 1e-9 and red[8] == 2
    )  # events, expected, present, rate; ideas
    assert len(book["汇总"]._charts) == 3  # attendance, points, ideas by status
    # the year's evaluation, ranked as 年度考评 ranks it
    ranking = (await h.say("年度考评", user="u-王建国", chat=REGION_CHAT))[0].split("\n🌟")[0].splitlines()[1:]
    evaluation = _rows(book["年度考评"])
    assert evaluation[0][:6] == ("年度", "排名", "支部", "总分", "星级", "评级")
    assert len(evaluation) == len(ranking) == 6  # five branches (the chat's last line explains the —)
    assert [f"· {r[2]} 未评" for r in evaluation[1:]] == [line.split("：")[0] for line in ranking[:-1]]


async def test_branch_ledger_stays_inside_the_branch(h: Harness) -> None:
    await _full_month(h)
    replies = await h.send(h.incoming("导出台账", user="u-张伟"))
    book = _book(replies[0])
    names = {r[1] for r in _rows(book["考勤明细"])[1:]}
    assert names == {"张伟", "赵强", "钱多多", "冯军", "小计"}
    assert {r[4] for r in _rows(book["金点子台账"])[1:]} == {"赵强（匿名）", "钱多多"}  # not 刘芳's idea
    assert {r[2] for r in _rows(book["积分台账"])[1:]} == {"红星机械党支部"}
    assert [r[0] for r in _rows(book["汇总"])[1:] if r[0]] == ["红星机械党支部"]
    assert [r[2] for r in _rows(book["年度考评"])[1:]] == ["红星机械党支部"]  # its own row, its rank kept
    # a branch secretary cannot name another branch; a member cannot export; a region officer can
    assert (await h.say("导出台账 绿源科技党支部", user="u-张伟"))[0].startswith("⛔")
    assert (await h.say("导出台账", user="u-赵强"))[0].startswith("⛔")
    other = await h.send(h.incoming("导出台账 上月 绿源科技党支部", user="u-李红", chat=REGION_CHAT))
    assert to_plain(other[0].text).startswith("📒 绿源科技党支部 台账（2026年11月）")
    span = await h.send(h.incoming("导出台账 2026-11-03至2026-11-20", user="u-张伟"))
    assert to_plain(span[0].text).startswith("📒 红星机械党支部 台账（2026-11-03至2026-11-20）"), span
    assert span[0].file is not None and span[0].file.name == "红星机械党支部-台账-2026-11-03至2026-11-20.xlsx"
    assert "没有看懂时间段" in (await h.say("导出台账 2026-13", user="u-张伟"))[0]
    assert "没有叫“火星支部”的支部" in (await h.say("导出台账 火星支部", user="u-李红", chat=REGION_CHAT))[0]
    exports = await h.rows(select(AuditLog.detail).where(AuditLog.action == "export_ledger"))
    assert len(exports) == 3


async def test_charts_render_chinese_in_the_bundled_font(h: Harness) -> None:
    await _full_month(h)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        replies = await h.send(h.incoming("图表 出勤", user="u-王建国", chat=REGION_CHAT))
        points = await h.send(h.incoming("图表 积分 本月", user="u-张伟"))
        ideas = await h.send(h.incoming("/chart ideas", user="u-王建国", chat=REGION_CHAT))
    assert not [w for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    for reply in (replies[0], points[0], ideas[0]):
        assert reply.file is not None and reply.file.image and reply.file.data.startswith(b"\x89PNG")
        with Image.open(io.BytesIO(reply.file.data)) as image:
            assert image.size[0] == 960 and image.size[1] >= 300  # as tall as its rows need
    assert to_plain(replies[0].text) == "📊 城东联合党委 出勤率（2026年12月）"
    import noto_cjk_sans_otc

    family = charts.cjk_family()
    found = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    # the bundled file is registered; where the system has the same font (Debian's fonts-noto-cjk),
    # matplotlib may resolve the family to that identical file instead
    bundled = Path(noto_cjk_sans_otc.FONT_PATH)
    assert bundled in {Path(f.fname) for f in font_manager.fontManager.ttflist}
    assert Path(os.fspath(found)).name == bundled.name
    assert "没有可画的数据" in (await h.say("图表 出勤 2025年", user="u-王建国", chat=REGION_CHAT))[0]
    assert "图表 [出勤|积分|金点子]" in (await h.say("图表 出勤 明年后年", user="u-赵强"))[0]


async def test_the_monthly_digest_carries_the_attendance_chart(h: Harness) -> None:
    await held_event(h)
    h.clock.set(datetime.fromisoformat("2026-12-31T12:00:00+08:00"))
    await h.tick(seconds=1)
    from jobs.periodic import queue_periodic

    await queue_periodic(h.app.services, 8)
    await h.tick(days=1)
    digests = [r for _chat, r in h.sender.sent if "2026年12月 党建简报" in to_plain(r.text)]
    assert len(digests) == 2 and all(r.file is not None and r.file.data.startswith(b"\x89PNG") for r in digests)


async def test_a_period_with_more_events_than_fit_across_counts_by_month(h: Harness, tmp_path: Path) -> None:
    """A large region's year has more events than columns: months go across, present / expected."""
    from handlers.ledger_book import write_ledger
    from storage.repos.ledger import Scope
    from storage.uow import UnitOfWork

    await held_event(h)
    await h.say("发布 支委会 12月3日 19:00 办公室", user="u-张伟")  # not held yet: expected nowhere
    start, end = datetime.fromisoformat("2026-12-01T00:00+08:00"), datetime.fromisoformat("2027-01-01T00:00+08:00")
    out = tmp_path / "months.xlsx"

    async def write(conn: Any) -> Any:
        uow = UnitOfWork(conn, h.clock.now())
        tz = h.app.services.policy.tz
        return await write_ledger(
            uow, Scope(1, 2, start, end, frozenset()), out, tz=tz, locale="zh-CN", title="t", matrix_max_events=1
        )

    await h.app.db.read(write)
    rows = table(openpyxl.load_workbook(out)["考勤明细"])
    assert rows[0] == ("支部", "姓名", "身份", "2026-12", "出勤率")
    assert rows[1:] == [
        ("红星机械党支部", "张伟", "支部书记", "1/1", 1.0),
        ("红星机械党支部", "赵强", "党员", "1/1", 1.0),  # late counts as present
        ("红星机械党支部", "钱多多", "党员", "0/1", 0.0),  # on leave: expected, not present
        ("红星机械党支部", "冯军", "入党积极分子", None, None),
        ("红星机械党支部", "小计", None, "2/3", pytest.approx(2 / 3)),
    ]


async def test_a_secretary_meetings_record_is_not_shown_to_a_member_in_private(h: Harness) -> None:
    """A private chat sees what its sender's branch chat sees: no secretaries' meeting."""
    out = await h.say("发布 书记例会 明天 14:00 党群服务中心", user="u-李红", chat=REGION_CHAT)
    number = int(out[0].split("#")[1].split()[0])
    assert "找不到活动" in (await h.dm(f"会议记录 #{number}", user="u-赵强"))[0]
    assert "会议记录" in (await h.dm(f"会议记录 #{number}", user="u-李红"))[0]


def png_claiming(width: int, height: int, color_type: int = 6) -> bytes:
    """A tiny PNG file whose header claims a huge picture (what an image bomb looks like)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


async def test_image_bombs_are_refused_and_thumbnails_are_made_once(h: Harness) -> None:
    number = await held_event(h)
    refused = "这个文件不是图片（支持 JPEG、PNG、GIF、WebP），没有保存。"
    assert await send_photo(h, f"#{number}", upload(png_claiming(8900, 8900)), user="u-张伟") == [refused]  # 79 M px
    assert await send_photo(h, f"#{number}", upload(png_claiming(5800, 5800)), user="u-张伟") == [refused]  # 134 MB
    assert len(await h.rows(select(MeetingPhoto.id))) == 0
    picture = png("green", size=(1600, 1200))
    assert (await send_photo(h, f"#{number}", upload(picture), user="u-张伟"))[0].startswith("📷")
    digest = hashlib.sha256(picture).hexdigest()
    folder = Path(h.app.services.media.root) / digest[:2]
    assert sorted(f.name for f in folder.iterdir()) == [f"{digest}.png", f"{digest}.t160.png", f"{digest}.t800.png"]
    (folder / f"{digest}.png").unlink()  # from now on the original is never opened again
    thumb = h.app.services.media.thumbnail(digest, 800)
    assert thumb is not None and (thumb[1], thumb[2]) == (800, 600)
    replies = await h.send(h.incoming("导出台账", user="u-张伟"))
    assert len(_book(replies[0])["会议照片"]._images) == 1  # the ledger used the kept thumbnail
