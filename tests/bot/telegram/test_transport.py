"""The Telegram transport driven with real Update objects; assertions on the Bot API requests."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot.telegram.convert import split_html, visible_len
from storage.models import Attendance, ChatBinding, Event, Member, MemberAccount, Outbox
from tests.bot.telegram.conftest import ADMIN, FENG, GROUP, QIAN, SECRETARY, TG, ZHAO
from tests.fakes.telegram_api import button_update, contact_update, member_update, migrate_update, text_update
from tests.truth import table


async def bind_and_publish(tg: TG, when: str = "今天 9:20") -> int:
    await tg.say(SECRETARY, "/bind@dangjian_bot 红星机械党支部")
    await tg.say(SECRETARY, f"发布 支部党员大会 {when} 办公室 研究发展党员")
    await tg.settle()
    return int((await tg.rows(select(Event.id)))[-1][0])


async def test_start_publishes_the_command_menu_in_both_languages(tg: TG) -> None:
    menus = tg.api.of("setMyCommands")
    assert sorted(str(c.params.get("language_code")) for c in menus) == ["None", "en", "zh"]
    zh = next(c for c in menus if c.params.get("language_code") == "zh").params["commands"]
    assert {"command": "signin", "description": "为正在进行的会议或活动签到"} in zh


async def test_keyword_signin_confirmed_and_board_edited(tg: TG) -> None:
    event_id = await bind_and_publish(tg)
    texts = tg.api.sent_texts(GROUP)
    assert texts[0].startswith("✅ 本群已绑定到支部：红星机械党支部")
    board = tg.api.of("sendMessage", GROUP)[1]
    assert board.text.startswith(f"📌 已发布 #{event_id} 支部党员大会") and "签到已开放" in board.text
    assert board.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"signin:{event_id}"
    assert board.params["parse_mode"] == "HTML"
    await tg.say(ZHAO, "签到")
    await tg.settle()
    assert "✅ 赵强 签到成功" in tg.api.sent_texts(GROUP)
    edits = tg.api.of("editMessageText", GROUP)
    assert edits and "已签到 1/4：赵强" in edits[-1].text
    # the message edited is the one published with the button (now showing the board)
    edited = (str(GROUP), int(edits[-1].params["message_id"]))
    assert sorted(k for k in tg.api.texts if k[0] == str(GROUP))[1] == edited


async def test_button_press_is_answered_with_a_toast_not_a_group_message(tg: TG) -> None:
    event_id = await bind_and_publish(tg)
    before = len(tg.api.sent_texts(GROUP))
    await tg.feed(button_update(QIAN, GROUP, f"signin:{event_id}", message_id=1))
    await tg.settle()
    answer = tg.api.of("answerCallbackQuery")[-1]
    assert answer.params["text"] == "✅ 钱多多 签到成功"
    assert len(tg.api.sent_texts(GROUP)) == before  # no group message per sign-in
    assert "钱多多" in tg.api.of("editMessageText", GROUP)[-1].text
    # someone not in the roster gets a polite refusal, privately
    await tg.feed(button_update(777, GROUP, f"signin:{event_id}", message_id=1))
    assert tg.api.of("answerCallbackQuery")[-1].params["text"].startswith("⛔ 你还没有登记")


async def test_redelivered_update_is_processed_once_and_answered_again(tg: TG) -> None:
    await bind_and_publish(tg)
    update = text_update(ZHAO, GROUP, "签到", update_id=555_000)
    await tg.feed(update)
    await tg.feed(update)
    await tg.settle()
    assert len(await tg.rows(select(Attendance.id))) == 1
    # the second delivery (an answer lost with a crash, say) gets the same answer, not a second row
    assert sum(t.count("✅ 赵强 签到成功") for t in tg.api.sent_texts(GROUP)) == 2


async def test_commands_for_other_bots_and_chatter_are_ignored(tg: TG) -> None:
    await bind_and_publish(tg)
    before = len(tg.api.calls)
    await tg.say(ZHAO, "/signin@other_bot")
    await tg.say(ZHAO, "我昨天忘了签到")
    await tg.settle()
    assert len(tg.api.calls) == before
    await tg.say(ZHAO, "/signin@dangjian_bot")
    await tg.settle()
    assert "✅ 赵强 签到成功" in tg.api.sent_texts(GROUP)


async def test_private_chat_and_unknown_command(tg: TG) -> None:
    await tg.say(ZHAO, "/nosuch", cid=ZHAO)
    assert tg.api.sent_texts(ZHAO) == ["没有这个命令。发送“帮助”或 /help 查看可用命令。"]
    await tg.say(ZHAO, "/help", cid=ZHAO)
    assert "党建助手能做的事（按主题）" in tg.api.sent_texts(ZHAO)[-1]


async def test_a_member_who_is_a_group_admin_manages_nothing(tg: TG) -> None:
    """Rights come from the roster: 赵强 (党员) made an administrator of the branch group, and the
    creator of a group of his own, binds, publishes, cancels and exports nothing; Telegram is not
    even asked who administers the chat."""
    event_id = await bind_and_publish(tg)
    tg.api.member_status[(str(GROUP), str(ZHAO))] = "administrator"
    own = -2002  # a group 赵强 made himself
    tg.api.member_status[(str(own), str(ZHAO))] = "creator"
    needs_manager = "⛔ 这项操作需要本支部书记，或联合党委书记、管理员。"
    phishing = "发布 党课 今天 15:00 http://evil.example/login 重新登记"
    for text in ("绑定 红星机械党支部", phishing, f"取消活动 #{event_id}", "导出台账", "群列表", "补签 钱多多"):
        await tg.say(ZHAO, text)
        await tg.settle()
        assert tg.api.sent_texts(GROUP)[-1] == needs_manager, text
    await tg.say(ZHAO, "绑定 红星机械党支部", cid=own)
    await tg.settle()
    assert tg.api.sent_texts(own)[-1] == needs_manager
    region, other = -2003, -2004  # the region's group and another branch's (机关), 赵强 an admin of both
    await tg.say(ADMIN, "绑定 城东联合党委", cid=region)
    await tg.say(ADMIN, "绑定 机关党支部", cid=other)
    for chat in (region, other):
        tg.api.member_status[(str(chat), str(ZHAO))] = "administrator"
        for text in ("发布 书记例会 今天 15:00 党群服务中心", "通知 全体 请点链接", "导出台账", "解绑群 #1"):
            await tg.say(ZHAO, text, cid=chat)
            await tg.settle()
            assert tg.api.sent_texts(chat)[-1].startswith("⛔"), (chat, text)
    assert not tg.api.of("getChatMember")
    assert [r[0] for r in await tg.rows(select(Event.status))] == ["scheduled"]  # nothing cancelled, nothing new


async def test_anonymous_admin_gets_a_polite_explanation(tg: TG) -> None:
    anon = text_update(
        1087968824, GROUP, "绑定 红星机械党支部", sender_chat={"id": GROUP, "type": "supergroup", "title": "g"}
    )
    await tg.feed(anon)
    await tg.settle()
    assert "匿名管理员" in tg.api.sent_texts(GROUP)[-1]
    assert await tg.binding_active(GROUP) is None


async def test_kicked_and_readded_toggles_the_binding(tg: TG) -> None:
    await bind_and_publish(tg)
    await tg.feed(member_update(GROUP, "kicked"))
    assert await tg.binding_active(GROUP) is False
    await tg.feed(member_update(GROUP, "member"))
    assert await tg.binding_active(GROUP) is True


async def test_group_migration_moves_binding_and_pushes(tg: TG) -> None:
    await tg.say(SECRETARY, "绑定 红星机械党支部")
    await tg.say(SECRETARY, "发布 支部党员大会 今天 15:00 办公室")
    await tg.settle()
    new = -100777
    await tg.feed(migrate_update(GROUP, new))
    chats = {r[0] for r in await tg.rows(select(ChatBinding.chat_id))}
    assert chats == {str(new)}
    assert {r[0] for r in await tg.rows(select(Outbox.chat_id))} == {str(new)}
    await tg.say(ZHAO, "活动列表", cid=new)
    await tg.settle()
    assert "近期活动" in tg.api.sent_texts(new)[-1]


async def test_outbox_push_handles_429_and_kicked(tg: TG) -> None:
    from bot.app import dispatcher_for

    await tg.say(SECRETARY, "绑定 红星机械党支部")
    await tg.say(SECRETARY, "发布 支部党员大会 今天 15:00 办公室")
    await tg.settle()
    tg.clock.advance(hours=5, minutes=31)  # 14:31: the window is open
    tg.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    dispatcher = dispatcher_for(tg.app, {"telegram": tg.transport})
    started = time.monotonic()
    assert await dispatcher.run_once() == 1  # held on the outbound path, not dropped: sent after retry_after
    assert time.monotonic() - started >= 1.0 and tg.transport.outbound.rejected == 1
    opening = [c for c in tg.api.of("sendMessage", GROUP) if "开始签到" in c.text]
    assert [c.status for c in opening] == [429, 200]  # tried once more, once
    row = (await tg.rows(select(Outbox.status).where(Outbox.purpose == "signin_open")))[0]
    assert row[0] == "sent"
    tg.api.fail_next("sendMessage", 403, "Forbidden: bot was kicked from the supergroup chat")
    tg.clock.advance(hours=1)  # 15:32 + : the summary is due at 16:00
    tg.clock.advance(minutes=30)
    assert await dispatcher.run_once() == 0
    assert await tg.binding_active(GROUP) is False
    assert (await tg.rows(select(Outbox.status).where(Outbox.purpose == "signin_summary")))[0][0] == "failed"


async def test_user_text_is_escaped_in_html(tg: TG) -> None:
    await bind_and_publish(tg, "今天 15:00")
    await tg.say(ZHAO, "请假 <b>出差</b> & 开会")
    await tg.settle()
    sent = tg.api.of("sendMessage", GROUP)[-1]
    assert "原因：&lt;b&gt;出差&lt;/b&gt; &amp; 开会" in sent.html  # escaped on the wire
    assert sent.text.endswith("原因：<b>出差</b> & 开会")  # so members see exactly what was typed
    reason = (await tg.rows(select(Attendance.reason)))[0][0]
    assert reason == "<b>出差</b> & 开会"


async def test_confirmations_mention_members_by_link(tg: TG) -> None:
    await bind_and_publish(tg)
    await tg.say(ZHAO, "签到")
    await tg.answered(contact_update(FENG, "8613800000014"))  # not linked by the roster: proves it by phone
    tg.clock.advance(minutes=21)  # a make-up sign-in is taken once the meeting has begun
    await tg.say(SECRETARY, "补签 冯军")
    await tg.settle()
    links = [link for c in tg.api.of("sendMessage", GROUP) for link in c.links]
    assert (f"tg://user?id={ZHAO}", "赵强") in links
    assert (f"tg://user?id={FENG}", "冯军") in links  # linked by the shared contact, so mentioned as well


async def test_a_member_registers_by_sharing_their_own_contact(tg: TG) -> None:
    await tg.say(SECRETARY, "绑定 红星机械党支部")
    await tg.say(FENG, "登记 冯军")  # in the group: no proof there, so it waits for approval
    await tg.settle()
    waiting = tg.api.sent_texts(GROUP)
    assert any(t.startswith("📨 已收到登记“冯军”的申请") and "私聊机器人" in t for t in waiting)
    assert await tg.rows(select(MemberAccount.id).where(MemberAccount.user_id == str(FENG))) == []

    await tg.say(FENG, "验证手机号", cid=FENG)  # privately: the share-contact keyboard
    offer = tg.api.of("sendMessage", FENG)[-1]
    assert offer.params["reply_markup"]["keyboard"][0][0] == {"text": "验证手机号", "request_contact": True}

    await tg.answered(contact_update(FENG, "+86 138 0000 0012", owner=ZHAO))  # someone else's card proves nothing
    assert tg.api.sent_texts(FENG)[-1].startswith("请分享你自己的联系方式")
    await tg.answered(contact_update(FENG, "+86 138 0000 0014"))
    done = tg.api.of("sendMessage", FENG)[-1]
    assert done.text == "✅ 登记成功：冯军（红星机械党支部）"
    assert done.params["reply_markup"] == {"remove_keyboard": True}
    linked = await tg.rows(
        select(Member.name)
        .join(MemberAccount, MemberAccount.member_id == Member.id)
        .where(MemberAccount.user_id == str(FENG))
    )
    assert linked == [("冯军",)]
    await tg.answered(contact_update(FENG, "+86 138 0000 0014"))  # again: nothing changes
    assert tg.api.sent_texts(FENG)[-1] == "你已登记为 冯军。"


async def test_a_stranger_cannot_take_a_roster_name_or_its_role(tg: TG) -> None:
    await tg.say(ADMIN, "绑定 城东联合党委", cid=-2002)
    stranger = 4242
    await tg.say(stranger, "登记 王建国", cid=stranger)  # privately, naming the regional secretary
    await tg.settle()
    asked = tg.api.sent_texts(stranger)[-1]
    assert asked.startswith("📨 已收到登记“王建国”的申请") and "机关党支部" not in asked  # no branch, no role
    await tg.say(stranger, "登记 李红", cid=stranger)  # the admin has an account already: the same words
    assert tg.api.sent_texts(stranger)[-1] == asked.replace("王建国", "李红")
    await tg.push()
    card = tg.api.of("sendMessage", -2002)[-1]  # only the region's officers are asked
    assert "申请登记为 机关党支部 的 王建国（联合党委书记）" in card.text
    assert [b["callback_data"] for b in card.params["reply_markup"]["inline_keyboard"][0]] == ["link_ok:1", "link_no:1"]
    await tg.say(stranger, "通知 全体 请点击 http://example.invalid 重新登记", cid=stranger)
    assert tg.api.sent_texts(stranger)[-1].startswith("⛔ 你还没有登记")
    await tg.answered(contact_update(stranger, "+86 139 1234 5678"))  # their own phone is not the admin's
    assert tg.api.sent_texts(stranger)[-1].startswith("花名册中没有这个手机号")
    assert await tg.rows(select(MemberAccount.id).where(MemberAccount.user_id == str(stranger))) == []


def test_split_html_counts_what_telegram_counts_and_keeps_markup_whole() -> None:
    text = "\n".join(f"<b>第{i}行</b> &lt;名单&gt; " + '<a href="tg://user?id=1">张三</a>、' * 30 for i in range(100))
    parts = split_html(text)
    assert len(parts) > 1 and all(visible_len(p) <= 4096 for p in parts)
    assert all(len(p) > 4096 for p in parts[:-1])  # tags are not counted, so parts are fuller than raw length
    assert "\n".join(parts) == text
    assert all(p.count("<a ") == p.count("</a>") and p.count("<b>") == p.count("</b>") for p in parts)
    long_line = "&amp;<i>x</i>" * 2000
    parts = split_html(long_line)
    assert "".join(parts) == long_line and all(visible_len(p) <= 4096 for p in parts)
    assert all(p.count("&") == p.count(";") and p.count("<") == p.count(">") for p in parts)
    assert split_html("") == [""] and split_html("短") == ["短"]


async def test_photos_come_in_and_the_ledger_and_charts_go_out_as_files(tg: TG) -> None:
    import io

    import openpyxl
    from PIL import Image

    from storage.models import MeetingPhoto
    from tests.fakes.telegram_api import photo_update

    event_id = await bind_and_publish(tg)
    await tg.say(ZHAO, "签到")
    tg.clock.advance(minutes=40)
    picture = io.BytesIO()
    Image.new("RGB", (320, 240), "red").save(picture, "JPEG")
    tg.api.files["ph-1"] = picture.getvalue()
    await tg.feed(photo_update(SECRETARY, GROUP, "ph-1", len(picture.getvalue()), caption=f"#{event_id}"))
    await tg.feed(photo_update(ZHAO, GROUP, "ph-2", 10, caption="大家辛苦了"))  # conversation: left alone
    await tg.settle()
    assert f"📷 照片已附在 #{event_id} 支部党员大会（共 1 张）。" in tg.api.sent_texts(GROUP)
    assert [c.params["file_id"] for c in tg.api.of("getFile")] == ["ph-1"]  # the largest size, only once
    assert len(await tg.rows(select(MeetingPhoto.id))) == 1
    # an image sent as a file counts too; a file that is not an image is refused
    tg.api.files["doc-1"] = b"%PDF-1.4 not an image"
    await tg.feed(photo_update(SECRETARY, GROUP, "doc-1", 21, caption=f"#{event_id}", document="照片.jpg"))
    await tg.settle()
    assert "这个文件不是图片（支持 JPEG、PNG、GIF、WebP），没有保存。" in tg.api.sent_texts(GROUP)

    await tg.say(SECRETARY, "导出台账")
    await tg.settle()
    sent = tg.api.of("sendDocument", GROUP)[-1]
    assert sent.params["caption"].startswith("📒 红星机械党支部 台账（2026年12月）")
    chat, kind, name, data = tg.api.uploads[-1]
    assert (chat, kind, name) == (str(GROUP), "document", "红星机械党支部-台账-2026年12月.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert [r[1] for r in table(book["考勤明细"])[1:]] == ["张伟", "赵强", "钱多多", "冯军", "小计"]
    assert len(book["会议照片"]._images) == 1

    await tg.say(ZHAO, "图表 出勤")
    await tg.settle()
    chat, kind, name, data = tg.api.uploads[-1]
    assert (chat, kind, name) == (str(GROUP), "photo", "出勤率.png") and data.startswith(b"\x89PNG")


async def test_an_update_that_fails_is_answered_in_the_chats_own_language(tg: TG) -> None:
    await bind_and_publish(tg)
    await tg.say(SECRETARY, "语言 en")
    await tg.app.db.unit(lambda c: c.exec_driver_sql("DROP TABLE attendance"))  # the storage breaks
    await tg.say(ZHAO, "签到")
    sorry = "Sorry, something went wrong and this message was not processed. Please try again later."
    assert tg.api.sent_texts(GROUP)[-1] == sorry
    await tg.say(SECRETARY, "语言 中文")
    await tg.say(ZHAO, "签到")
    assert tg.api.sent_texts(GROUP)[-1] == "抱歉，出了点问题，这条消息没有处理成功，请稍后再试。"
