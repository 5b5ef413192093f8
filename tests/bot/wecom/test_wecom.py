"""WeCom end to end: @-mentions in a fake group through the long connection, replies as frames,
pushes through the webhook and the long connection, reconnects, bad frames, one connection."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import dispatcher_for
from bot.delivery.outbound import Limits
from handlers.bulletins import NoticePush
from jobs.dispatcher import Dispatcher
from storage.models import Attendance, ChatBinding, Event, MeetingPhoto, Member, MemberAccount
from storage.repos.chats import ChatRepo
from storage.repos.outbox import OutboxRepo
from tests.bot.wecom.conftest import GROUP, WC, free_port, start_wc
from tests.fakes.wecom import FakeWebhook, card_click, content_of, text_message


async def set_key(wc: WC, key: str) -> None:
    await wc.app.db.unit(lambda c: ChatRepo(c).set_push_key("wecom", GROUP, key))


async def bind_and_publish(wc: WC) -> None:
    assert (await wc.say("zhangwei", "绑定 红星机械党支部"))[0].startswith("✅ 本群已绑定到支部：红星机械党支部")
    published = await wc.say("zhangwei", "发布 支部党员大会 今天 9:20 办公室 研究发展党员")
    assert published[0].startswith("📌 已发布 #1 支部党员大会")


async def test_sign_in_by_mention_is_recorded_and_answered(wc: WC) -> None:
    await bind_and_publish(wc)
    assert await wc.say("zhaoqiang", "签到") == ["✅ <@zhaoqiang> 签到成功"]  # the member is @-mentioned back
    signed = await wc.rows(select(Member.name).join(Attendance, Attendance.member_id == Member.id))
    assert signed == [("赵强",)]
    assert (await wc.say("qianduoduo", "帮助", chatid=None))[0].startswith("📖 党建助手能做的事")  # single chat


async def test_the_same_msgid_twice_is_handled_once(wc: WC) -> None:
    await bind_and_publish(wc)
    first = await wc.say("zhaoqiang", "签到", msgid="dup-1")
    again = await wc.say("zhaoqiang", "签到", msgid="dup-1")  # WeCom redelivers when our answer was lost
    assert first == ["✅ <@zhaoqiang> 签到成功"] == again  # answered again, recorded once
    assert len(await wc.rows(select(Attendance.id))) == 1


async def test_buttons_become_a_card_and_clicks_come_back(wc: WC) -> None:
    await bind_and_publish(wc)
    published = [b for b in wc.server.sent if b["cmd"] == "aibot_respond_msg"][-1]["body"]
    assert published["msgtype"] == "template_card"
    assert published["template_card"]["button_list"][0]["key"] == "signin:1"
    task = published["template_card"]["task_id"]
    req_id = await wc.server.callback(card_click("qianduoduo", "signin:1", task_id=task), cmd="aibot_event_callback")
    await wc.server.until(lambda: bool(wc.server.card_updates(req_id)))
    updated = wc.server.card_updates(req_id)[0]
    assert time.monotonic() - wc.server.clicks[req_id] < 5  # within WeCom's 5 s
    assert updated["response_type"] == "update_template_card"
    card = updated["template_card"]  # the same card, the presser's result on top, its buttons kept
    assert card["task_id"] == task and card["button_list"] == published["template_card"]["button_list"]
    assert card["sub_title_text"] == "✅ 钱多多 签到成功\n" + published["template_card"]["sub_title_text"]
    assert wc.server.refused_replies == []  # nothing answered the click in a way WeCom refuses


async def test_pushes_go_through_the_webhook_where_there_is_a_key_else_the_long_connection(wc: WC) -> None:
    await wc.say("zhangwei", "绑定 红星机械党支部")
    await wc.say("lihong", "绑定 城东联合党委", chatid="wr-secretaries")
    await wc.say("lihong", "通知 全体 周五下午停电，<会议>改到线上 & *准时*", chatid="wr-secretaries")

    await set_key(wc, "KEY-1")
    assert await dispatcher_for(wc.app, {"wecom": wc.transport}).run_once() == 2
    via_hook = [b for _, key, b in wc.webhook.received if key == "KEY-1"]
    assert len(via_hook) == 1 and via_hook[0]["msgtype"] == "markdown"
    shown = via_hook[0]["markdown"]["content"]
    assert shown.replace("\u200b", "").endswith("周五下午停电，<会议>改到线上 & *准时*")  # as typed...
    assert "<会议>" not in shown and "*准时*" not in shown  # ...but inert as markdown
    pushed = wc.server.pushes("wr-secretaries")
    assert (
        len(pushed) == 1
        and pushed[0]["msgtype"] == "markdown"
        and "📣 通知（李红）" in pushed[0]["markdown"]["content"]
    )


async def test_webhook_keeps_20_a_minute_per_key_and_a_bad_key_switches_the_group_off(wc: WC) -> None:
    await wc.say("zhangwei", "绑定 红星机械党支部")

    await set_key(wc, "KEY-1")

    # 25 notices to the keyed group, the fake webhook allowing 20 per second (WeCom's 20/min, ×60)
    async def queue(conn: AsyncConnection) -> None:
        for i in range(25):
            await OutboxRepo(conn).enqueue(
                key=f"n{i}",
                purpose="notice",
                event_id=None,
                platform="wecom",
                chat_id=GROUP,
                due_at=wc.clock.now(),
                payload=NoticePush(text=f"第{i}条", by="李红", ref=f"n{i}").model_dump(),
            )

    await wc.app.db.unit(queue)
    # WeCom's window shortened from a minute to a second on both sides (20 a second), so the test is quick
    wc.transport.outbound.configure(Limits(per_chat_per_minute=20 * 60, chat_window_s=1.0))
    scaled = Dispatcher(wc.app.services, {"wecom": wc.transport})
    assert await scaled.run_once() == 25
    assert wc.webhook.refused == 0 and len(wc.webhook.received) == 25
    times = [t for t, _, _ in wc.webhook.received]
    assert times[20] - times[0] >= 1.0  # the 21st waited for the window, none was refused

    async def bad_key(conn: AsyncConnection) -> None:
        await ChatRepo(conn).set_push_key("wecom", GROUP, "REVOKED")
        await OutboxRepo(conn).enqueue(
            key="n-last",
            purpose="notice",
            event_id=None,
            platform="wecom",
            chat_id=GROUP,
            due_at=wc.clock.now(),
            payload=NoticePush(text="最后一条", by="李红", ref="n-last").model_dump(),
        )

    await wc.app.db.unit(bad_key)
    assert await scaled.run_once() == 0
    active = await wc.rows(select(ChatBinding.active).where(ChatBinding.chat_id == GROUP))
    assert active == [(False,)]


async def test_reconnects_after_the_server_drops_and_loses_nothing(wc: WC) -> None:
    await bind_and_publish(wc)
    await wc.server.drop()
    await wc.server.until(lambda: wc.server.subscribed == 2, within=10)  # backoff 1 s, then subscribe again
    assert await wc.transport.link.wait_ready(5)
    assert await wc.say("zhaoqiang", "签到") == ["✅ <@zhaoqiang> 签到成功"]
    assert await wc.say("zhaoqiang", "签到") == ["赵强 已签到，无需重复操作。"]
    assert len(await wc.rows(select(Attendance.id))) == 1
    await wc.server.until(lambda: wc.server.pings >= 2, within=5)  # the heartbeat runs on the new connection


async def test_an_outage_of_both_paths_holds_every_push_and_sends_each_once(wc: WC) -> None:
    """The long connection's server away for 6 s (the connection dropped, new ones refused) and
    the group robot's webhook answering 502 meanwhile: the pushes wait, then each goes once."""
    await wc.say("zhangwei", "绑定 红星机械党支部")
    await wc.say("lihong", "绑定 城东联合党委", chatid="wr-secretaries")
    await set_key(
        wc, "KEY-1"
    )  # 红星's group is pushed to through its robot; the secretaries' group through the connection
    await wc.say("lihong", "通知 全体 周五下午停电，会议改到线上", chatid="wr-secretaries")
    port = int(next(iter(wc.server._server.sockets)).getsockname()[1])  # type: ignore[union-attr]
    await wc.server.stop()
    await wc.server.drop()
    wc.webhook.down = True
    pushing = asyncio.create_task(dispatcher_for(wc.app, {"wecom": wc.transport}).run_once())
    await asyncio.sleep(6)
    assert not pushing.done() and wc.server.pushes("wr-secretaries") == [] and wc.webhook.received == []
    assert wc.webhook.failed_calls <= 6 * 3  # held and tried again now and then, not hammered
    await wc.server.start(port)
    wc.webhook.down = False
    back = time.monotonic()
    assert await asyncio.wait_for(pushing, 15) == 2
    await wc.server.until(lambda: len(wc.server.pushes("wr-secretaries")) == 1, within=5)
    assert time.monotonic() - back <= 5.0  # reconnected, subscribed again and sent within 5 s
    assert wc.server.subscribed == 2
    await asyncio.sleep(1)  # time for a second copy to show itself
    assert len(wc.server.pushes("wr-secretaries")) == 1
    assert [b["markdown"]["content"].count("周五下午停电") for _, _, b in wc.webhook.received] == [1]
    assert len(await wc.say("zhaoqiang", "签到")) == 1  # messages come in and are answered on the new link


async def test_bad_frames_are_ignored_and_the_connection_stays(wc: WC) -> None:
    await bind_and_publish(wc)
    await wc.server.raw("this is not json")
    await wc.server.raw(json.dumps(["a", "list"]))
    await wc.server.raw(json.dumps({"cmd": "aibot_unknown", "headers": {"req_id": "x"}}))
    await wc.server.callback({"msgtype": "text", "text": {"content": "@党建助手 签到"}})  # no msgid, no sender
    await wc.server.callback({"msgid": "m-img", "from": {"userid": "zhaoqiang"}, "chatid": GROUP, "msgtype": "image"})
    assert await wc.say("zhaoqiang", "签到") == ["✅ <@zhaoqiang> 签到成功"]
    assert wc.server.subscribed == 1  # the same connection all along


async def test_a_second_process_does_not_kick_the_first_off(wc: WC, tmp_path: Path, db_url: str) -> None:
    hook_port = free_port()
    second = await start_wc(db_url, tmp_path, wc.server, FakeWebhook(), hook_port=hook_port)
    try:
        await asyncio.sleep(0.5)
        assert wc.server.subscribed == 1 and not second.transport.link.connected  # it waits for the lease
        await bind_and_publish(wc)  # the first keeps working
    finally:
        await second.transport.stop()
        await second.app.close()


async def test_duty_ideas_and_reminders_work_through_wecom(wc: WC) -> None:
    await wc.say("zhangwei", "绑定 红星机械党支部")
    await wc.say("lihong", "绑定 城东联合党委", chatid="wr-secretaries")
    added = await wc.say("lihong", "添加值班 今天 9:15-12:00 党群服务中心 赵强", chatid="wr-secretaries")
    assert added[0].startswith("📋 已添加值班")
    assert await wc.say("zhaoqiang", "上岗") == ["🟢 <@zhaoqiang> 已上岗（党群服务中心）。12:00 下岗时请发送“下岗”。"]
    idea = await wc.say("qianduoduo", "金点子：食堂错峰就餐 #管理")
    assert idea[0].startswith("💡 金点子 #1 已收到（钱多多） #管理")  # a card: plain text, names not mentions
    assert await wc.say("lihong", "采纳 #1 好", chatid="wr-secretaries") == [
        "✅ 金点子 #1（<@qianduoduo>） 采纳：好，作者获得 5 积分。"
    ]
    dispatcher = dispatcher_for(wc.app, {"wecom": wc.transport})
    assert await dispatcher.run_once() == 1  # the idea's group hears of its adoption
    assert content_of(wc.server.pushes(GROUP)[-1]).startswith("✅ 金点子 #1（<@qianduoduo>） 采纳")
    await wc.say("zhangwei", "发布 党员大会 今天 14:00 三楼会议室 学习党章")
    wc.clock.set(wc.clock.now() + timedelta(hours=4))  # 13:00: the 1-hour reminder is due
    # sent: the reminder, and the report that the 12:05 duty check (skipped over here) was missed
    assert await dispatcher.run_once() == 2
    assert content_of(wc.server.pushes(GROUP)[-1]).startswith("⏰ 提醒：1小时后 支部党员大会 #1")


async def test_webhook_pushes_mention_members_by_user_id_or_phone(wc: WC) -> None:
    await wc.say("zhangwei", "绑定 红星机械党支部")
    await wc.say("lihong", "绑定 城东联合党委", chatid="wr-secretaries")
    await set_key(wc, "KEY-1")
    await wc.say("lihong", "添加值班 明天 9:00-12:00 党群服务中心 赵强 冯军", chatid="wr-secretaries")
    wc.clock.set(wc.clock.now() + timedelta(hours=23))  # 08:00 tomorrow: the reminder is due
    assert await dispatcher_for(wc.app, {"wecom": wc.transport}).run_once() == 1
    [(_, key, body)] = wc.webhook.received
    assert key == "KEY-1" and body["msgtype"] == "text"
    assert body["text"]["content"].startswith("⏰ 值班提醒：12月2日（周三）09:00-12:00 党群服务中心，赵强、冯军。")
    assert body["text"]["mentioned_list"] == ["zhaoqiang"]  # a WeCom account
    assert body["text"]["mentioned_mobile_list"] == ["13800000014"]  # no account: by phone


async def test_registration_trusts_the_userid_the_enterprise_issued_and_nothing_else(wc: WC) -> None:
    await wc.say("zhangwei", "绑定 红星机械党支部")
    # 冯军 has no wecom_userid in the roster: his WeCom account waits for the branch secretary
    waiting = await wc.say("fengjun", "登记 冯军")
    assert waiting[0].startswith("📨 已收到登记“冯军”的申请")
    assert "验证手机号" not in waiting[0]  # WeCom cannot share a contact: no such button offered
    # someone typing 赵强's name from another account gets nothing: his userid is the roster's
    assert (await wc.say("someone", "登记 赵强"))[0].startswith("📨 已收到登记“赵强”的申请")  # and no card
    await dispatcher_for(wc.app, {"wecom": wc.transport}).run_once()
    card = [b for b in wc.server.sent if b["cmd"] == "aibot_send_msg"][-1]["body"]
    assert card["chatid"] == GROUP and card["template_card"]["button_list"][0]["key"] == "link_ok:1"
    task = card["template_card"]["task_id"]
    req_id = await wc.server.callback(card_click("zhangwei", "link_ok:1", task_id=task), cmd="aibot_event_callback")
    await wc.server.until(lambda: bool(wc.server.card_updates(req_id)))
    assert wc.server.card_updates(req_id)[0]["template_card"]["task_id"] == task  # the click: a card update
    approved = "✅ 已同意：“fengjun”登记为 冯军。"
    await wc.server.until(lambda: any(approved in content_of(p) for p in wc.server.pushes(GROUP)))
    assert wc.server.refused_replies == []
    linked = await wc.rows(select(MemberAccount.user_id).join(Member).where(Member.name == "冯军"))
    assert linked == [("fengjun",)]
    assert (await wc.say("fengjun", "我是谁"))[0].startswith("你是 冯军，红星机械党支部，党员")


async def test_user_text_cannot_become_markdown_links_colours_or_mentions(wc: WC) -> None:
    await wc.say("zhangwei", "绑定 红星机械党支部")
    hostile = '[点此领取](http://evil.example/x) <@lihong> <font color="warning">红字</font> **粗体**'
    await wc.say("zhaoqiang", f"金点子：{hostile}")
    listing = (await wc.say("zhaoqiang", "金点子 #1"))[0]
    visible = listing.replace("\u200b", "")
    assert hostile in visible  # members still read exactly what was typed...
    for markup in ("](http", "<@lihong>", "<font", "**粗"):
        assert markup not in listing  # ...but WeCom finds no markdown in it


async def webhook_messages(wc: WC, kind: str, within: float = 5.0) -> list[dict[str, object]]:
    """The group robot's messages of a kind, once the bot (another task) has sent one."""

    def found() -> list[dict[str, object]]:
        return [b for _t, _k, b in wc.webhook.received if b.get("msgtype") == kind]

    await wc.webhook.until(lambda: bool(found()), within)
    return found()


async def test_the_ledger_is_uploaded_and_sent_as_a_file_with_the_webhook_as_fallback(wc: WC) -> None:
    import io

    import openpyxl

    await bind_and_publish(wc)
    await wc.say("zhaoqiang", "签到")
    answer = await wc.say("zhangwei", "导出台账")
    assert answer[0].startswith("📒 红星机械党支部 台账（2026年12月）")
    await wc.server.until(lambda: any(p.get("msgtype") == "file" for p in wc.server.pushes(GROUP)))
    sent = next(p for p in wc.server.pushes(GROUP) if p.get("msgtype") == "file")
    kind, name, data = wc.server.media[sent["file"]["media_id"]]
    assert (kind, name) == ("file", "红星机械党支部-台账-2026年12月.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))  # uploaded in chunks, put back together whole
    assert book.sheetnames[0] == "汇总" and book["活动台账"]["H2"].value == "应到" and book["活动台账"]["H3"].value == 4
    # the long connection refuses uploads: a group with a robot webhook gets the file through that
    wc.server.refuse_uploads = True
    await set_key(wc, "KEY-1")
    wc.clock.advance(minutes=30)  # the meeting has begun: there is an attendance rate to draw
    assert (await wc.say("zhangwei", "图表 出勤"))[0].startswith("📊 红星机械党支部 出勤率")
    images = await webhook_messages(wc, "image")
    assert images[0]["image"]["base64"]
    await wc.say("zhangwei", "导出台账")
    files = await webhook_messages(wc, "file")
    assert wc.webhook.uploads[files[0]["file"]["media_id"]][0].endswith(".xlsx")


async def test_a_picture_sent_with_its_number_is_decrypted_and_kept(wc: WC) -> None:
    import base64
    import hashlib
    import io

    from PIL import Image

    from storage.models import MeetingPhoto
    from tests.fakes.wecom import encrypt_media, picture_message

    await bind_and_publish(wc)
    wc.clock.advance(minutes=30)
    picture = io.BytesIO()
    Image.new("RGB", (200, 150), "red").save(picture, "PNG")
    aeskey = base64.b64encode(bytes(range(32))).decode().rstrip("=")  # fixed keys: the outcome is too
    wc.webhook.downloads["p1"] = encrypt_media(picture.getvalue(), aeskey)
    base = wc.settings.wecom_webhook_url.split("/cgi-bin")[0]

    async def send(body: dict[str, object]) -> list[str]:
        req_id = await wc.server.callback(body)
        await wc.server.until(lambda: bool(wc.server.replies(req_id)), within=5)
        return [content_of(b) for b in wc.server.replies(req_id)]

    assert await send(picture_message("zhangwei", f"{base}/media/p1", aeskey, "@党建助手 #1")) == [
        "📷 照片已附在 #1 支部党员大会（共 1 张）。"
    ]
    digest = hashlib.sha256(picture.getvalue()).hexdigest()
    assert await wc.rows(select(MeetingPhoto.sha256)) == [(digest,)]
    stored = wc.app.services.media.find(digest)
    assert stored is not None and stored.read_bytes() == picture.getvalue()  # decrypted, byte for byte
    # the wrong key, a member who is not a manager, a picture with no number in a single chat
    wrong = base64.b64encode(bytes(range(100, 132))).decode().rstrip("=")
    assert await send(picture_message("zhangwei", f"{base}/media/p1", wrong, "#1")) == [
        "照片没能下载，请稍后再发一次。"
    ]
    assert (await send(picture_message("zhaoqiang", f"{base}/media/p1", aeskey, "#1")))[0].startswith("⛔")
    assert await send(picture_message("zhangwei", f"{base}/media/p1", aeskey, None, chatid=None)) == [
        "要把照片附到哪次活动？请在同一条消息里写上 #编号，例如“#12”。"
    ]


async def test_one_senders_messages_are_handled_in_order(wc: WC) -> None:
    # sent back to back, without waiting for an answer: the binding is committed before the
    # publication that needs it is read, and the answers come in the same order
    texts = ["绑定 红星机械党支部", "发布 支部党员大会 今天 9:20 办公室 研究发展党员", "考勤"]
    req_ids = [await wc.server.callback(text_message("zhangwei", f"@党建助手 {t}", GROUP)) for t in texts]
    await wc.server.until(lambda: all(wc.server.replies(r) for r in req_ids), within=10)
    answers = [content_of(wc.server.replies(r)[0]) for r in req_ids]
    assert answers[0].startswith("✅ 本群已绑定到支部：红星机械党支部")
    assert answers[1].startswith("📌 已发布 #1 支部党员大会")
    assert "支部党员大会" in answers[2]
    order = [f["headers"]["req_id"] for f in wc.server.sent if f["cmd"] == "aibot_respond_msg"]
    assert [r for r in order if r in req_ids] == req_ids


async def test_a_message_that_fails_is_answered_in_the_chats_own_language(wc: WC) -> None:
    await bind_and_publish(wc)
    await wc.say("zhangwei", "语言 en")
    await wc.app.db.unit(lambda c: c.exec_driver_sql("DROP TABLE attendance"))  # the storage breaks
    sorry = "Sorry, something went wrong and this message was not processed. Please try again later."
    await wc.server.callback(text_message("zhaoqiang", "@党建助手 签到", GROUP))
    await wc.server.until(lambda: any(sorry in json.dumps(p, ensure_ascii=False) for p in wc.server.pushes(GROUP)))
    await wc.say("zhangwei", "语言 中文")
    await wc.server.callback(text_message("zhaoqiang", "@党建助手 签到", GROUP))
    await wc.server.until(
        lambda: any("抱歉，出了点问题" in json.dumps(p, ensure_ascii=False) for p in wc.server.pushes(GROUP))
    )


async def test_a_ledger_over_wecoms_20_mb_comes_as_the_regions_summary_and_a_file_per_branch(wc: WC) -> None:
    """A month of meeting photos makes the region's ledger larger than WeCom takes (its media
    upload refuses a file over 20 MB): the line says so, then the region's summary and each
    branch's ledger come as files of their own, every one under the limit."""
    import io
    import random

    import openpyxl
    from PIL import Image

    assert (await wc.say("lihong", "绑定 城东联合党委", chatid="wr-region"))[0].startswith("✅")
    assert (await wc.say("lihong", "绑定 机关党支部", chatid="wr-jiguan"))[0].startswith("✅")
    await bind_and_publish(wc)  # #1, 红星机械党支部's
    assert (await wc.say("lihong", "发布 党员活动日 今天 10:00 机关 学习", chatid="wr-jiguan"))[0].startswith("📌")
    rnd = random.Random(5)

    def noise() -> bytes:  # a photo that does not compress, nor does the ledger's thumbnail of it
        out = io.BytesIO()
        Image.frombytes("RGB", (320, 240), rnd.randbytes(320 * 240 * 3)).save(out, "PNG")
        return out.getvalue()

    stored = [await asyncio.to_thread(wc.app.services.media.put, noise()) for _ in range(440)]
    assert sorted(await wc.rows(select(Event.id).where(Event.branch_id.is_not(None)))) == [(1,), (2,)]

    async def attach(conn: AsyncConnection) -> None:  # half on each branch's event
        await conn.execute(
            insert(MeetingPhoto),
            [{"event_id": 1 + i % 2, "sha256": s.sha256, "kind": s.kind, "size": s.size, "by": None,
              "platform": "wecom", "at": wc.clock.now()} for i, s in enumerate(stored)],
        )  # fmt: skip

    await wc.app.db.unit(attach)
    asked = await wc.server.callback(text_message("lihong", "@党建助手 导出台账 本月", "wr-region"))

    def files() -> list[tuple[str, str, bytes]]:
        return [
            wc.server.media[p["file"]["media_id"]] for p in wc.server.pushes("wr-region") if p.get("msgtype") == "file"
        ]

    await wc.server.until(lambda: len(files()) == 3, 90)
    said = [content_of(b) for b in wc.server.replies(asked)]
    assert said[0].startswith("📦 台账有 ") and "超过本平台单个文件 20 MB 的上限，分成 3 个文件发送" in said[0], said
    assert [line.split("：")[0] for line in said[1:]] == [
        f"📒 {who} 台账（2026年12月）" for who in ("城东联合党委", "机关党支部", "红星机械党支部")
    ]
    names = [name for _kind, name, _data in files()]
    assert names == [f"{who}-台账-2026年12月.xlsx" for who in ("城东联合党委", "机关党支部", "红星机械党支部")]
    for _kind, name, data in files():
        assert len(data) <= 20 * 1024 * 1024, name
        photos = openpyxl.load_workbook(io.BytesIO(data))["会议照片"]._images
        assert len(photos) == (0 if name.startswith("城东") else 220), name  # the summary: the region's own only
