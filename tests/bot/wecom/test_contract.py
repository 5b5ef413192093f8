"""The WeCom transport against a server that frames as WeCom's official SDKs expect
(wecom-aibot-python-sdk 1.0.2, @wecom/aibot-node-sdk 1.0.7): answers matched by req_id with or
without `cmd`, a fresh id for every stream and card, a long answer whole and in order, a callback
that comes before the subscription's answer, both shapes of a card click, the "newer connection"
event honoured without a reconnect storm, a refused secret said plainly."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.wecom.link import LinkError, WeComLink
from bot.wecom.transport import STREAM_BYTES
from storage.models import Attendance
from tests.bot.telegram.test_e2e import cli
from tests.bot.wecom.conftest import GROUP, WC, free_port, start_wc
from tests.fakes.wecom import BOT_ID, FakeWebhook, FakeWeComServer, card_click, content_of, text_message

DIGITS = "零一二三四五六七八九"
CLICK = "aibot_event_callback"


async def bind_and_publish(wc: WC) -> None:
    bound = (await wc.say("zhangwei", "绑定 红星机械党支部"))[0]
    assert bound.startswith("✅ 本群已绑定到支部") and "企业微信账号（wecom_userid）的成员无需登记" in bound
    assert (await wc.say("zhangwei", "发布 支部党员大会 今天 9:20 办公室 研究发展党员"))[0].startswith("📌 已发布 #1")


async def test_answers_echoing_their_cmd_are_matched_and_every_stream_has_its_own_id(wc: WC) -> None:
    wc.server.echo_cmd = True  # the answer to our frame names the cmd: still our answer
    await bind_and_publish(wc)
    started = time.monotonic()
    first = await wc.server.callback(text_message("zhangwei", "@党建助手 考勤"))
    second = await wc.server.callback(text_message("zhangwei", "@党建助手 考勤"))
    await wc.server.until(lambda: bool(wc.server.replies(first)) and bool(wc.server.replies(second)), within=5)
    assert time.monotonic() - started < 3  # no 10 s wait for an answer that went unrecognised
    frames = [f for f in wc.server.sent if f["headers"]["req_id"] in (first, second)]
    assert len(frames) == 2 and all(f["cmd"] == "aibot_respond_msg" for f in frames)
    for frame in frames:
        assert set(frame) == {"cmd", "headers", "body"} and set(frame["body"]) == {"msgtype", "stream"}
        stream = frame["body"]["stream"]
        assert frame["body"]["msgtype"] == "stream" and stream["finish"] is True
        assert re.fullmatch(r"[0-9a-f]{24}", stream["id"])
    ids = [f["body"]["stream"]["id"] for f in frames]
    assert len(ids) == len(set(ids))  # two identical answers to two messages: two streams
    assert content_of(wc.server.replies(first)[0]) == content_of(wc.server.replies(second)[0])
    await asyncio.sleep(0.5)
    assert len(await wc.say("zhaoqiang", "签到")) == 1  # and nothing waits on a timed-out answer


async def test_cards_never_repeat_a_task_id_and_both_click_shapes_work(wc: WC) -> None:
    await bind_and_publish(wc)
    for _ in range(2):  # the same question twice: the same card, sent twice
        asked = await wc.say("lihong", "绑定 城东联合党委")
        assert asked and "红星机械党支部" in asked[0]
    cards = [f["body"]["template_card"] for f in wc.server.sent if f["body"].get("msgtype") == "template_card"]
    assert len(cards) >= 2
    task_ids = [c["task_id"] for c in cards]
    assert len(task_ids) == len(set(task_ids)) and all(re.fullmatch(r"card_[0-9a-f]{24}", t) for t in task_ids)
    for card in cards:  # plain text within WeCom's recommended lengths, no markdown, no <@userid>
        assert len(card["main_title"]["title"]) <= 26 and len(card.get("sub_title_text", "")) <= 112
        assert "<@" not in str(card) and "**" not in str(card)
    board = next(f["body"]["template_card"] for f in wc.server.sent if "已发布" in str(f["body"]))
    clicks = [
        await wc.server.callback(card_click("zhaoqiang", "signin:1", task_id=board["task_id"]), "aibot_event_callback"),
        await wc.server.callback(
            card_click("qianduoduo", "signin:1", task_id=board["task_id"], flat=True), "aibot_event_callback"
        ),
    ]
    await wc.server.until(lambda: all(wc.server.card_updates(c) for c in clicks))
    for click in clicks:  # each click answered by updating its card, within 5 s
        update = wc.server.card_updates(click)[0]
        assert update["response_type"] == "update_template_card"
        assert update["template_card"]["task_id"] == board["task_id"]
        assert time.monotonic() - wc.server.clicks[click] < 5
    assert wc.server.refused_replies == [] and not any(wc.server.replies(c) for c in clicks)

    results = [wc.server.card_updates(c)[0]["template_card"]["sub_title_text"] for c in clicks]
    assert results[0].startswith("✅ 赵强 签到成功") and results[1].startswith("✅ 钱多多 签到成功")  # in the card
    assert len(await wc.rows(select(Attendance.id))) == 2  # both presses signed their member in


async def test_an_answer_of_8000_characters_arrives_whole_and_in_order(wc: WC, tmp_path: Path) -> None:
    from bot.cli.roster import import_roster

    names = ["员" + "".join(DIGITS[int(d)] for d in f"{n:04d}") for n in range(1400)]  # 5 characters each
    roster = tmp_path / "big.csv"
    roster.write_text(
        "姓名,支部,角色,手机,telegram_id,wecom_userid\n" + "".join(f"{n},红星机械党支部,党员,,,\n" for n in names),
        encoding="utf-8",
    )
    await import_roster(wc.app.db, roster, "城东联合党委", wc.clock.now())
    await bind_and_publish(wc)
    req_id = await wc.server.callback(text_message("zhangwei", "@党建助手 考勤"))
    await wc.server.until(lambda: len(wc.server.replies(req_id)) >= 2, within=10)
    await asyncio.sleep(0.3)
    parts = [content_of(b) for b in wc.server.replies(req_id)]
    whole = "".join(parts)
    assert len(whole) >= 8000 and all(len(p.encode()) <= STREAM_BYTES for p in parts)
    positions = [whole.find(n) for n in names]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)  # every name, in order
    assert all(whole.count(n) == 1 for n in names[:50])
    assert all(any(n in p for p in parts) for n in names)  # no name cut in two


async def test_a_callback_before_the_subscription_answer_is_handled(db_url: str, tmp_path: Path) -> None:
    server, webhook = FakeWeComServer(), FakeWebhook()
    hook_port = free_port()
    http = webhook.serve(hook_port)
    server.early.append(text_message("zhangwei", "@党建助手 绑定 红星机械党支部"))
    wc = await start_wc(db_url, tmp_path, server, webhook, hook_port=hook_port)
    try:
        await server.until(lambda: any(f["cmd"] == "aibot_respond_msg" for f in server.sent), within=5)
        assert content_of(server.sent[0]["body"]).startswith("✅ 本群已绑定到支部：红星机械党支部")
    finally:
        await wc.transport.stop()
        await wc.app.close()
        http.stop()
        await server.stop()


async def test_the_newer_connection_event_ends_the_link_without_a_storm(wc: WC, caplog: object) -> None:
    await bind_and_publish(wc)
    await wc.server.newer_connection()
    await asyncio.sleep(6)  # a client that reconnected would have subscribed again by now (backoff ≤ 4 s)
    assert wc.server.subscribed == 1 and len(wc.server.subscribe_frames) == 1
    assert wc.transport.link.kicked and not wc.transport.link.running
    assert "a newer connection for bot aib-test was opened" in caplog.text  # type: ignore[attr-defined]


async def test_every_answer_needs_errcode_zero() -> None:
    server = FakeWeComServer()
    port = await server.start()
    link = WeComLink(f"ws://127.0.0.1:{port}", BOT_ID, server.secret, lambda f: asyncio.sleep(0))
    link.start()
    try:
        assert await link.wait_ready(5)
        answer = await link.request("ping", None)
        assert answer["errcode"] == 0
        server.echo_cmd = True
        assert (await link.request("ping", None))["errcode"] == 0
        server.omit_errcode = True  # an answer that does not say it worked did not work
        with pytest.raises(LinkError):
            await link.request("ping", None)
    finally:
        await link.stop()
        await server.stop()


async def test_a_refused_secret_stops_the_start_with_a_plain_line(db_url: str, tmp_path: Path) -> None:
    server = FakeWeComServer(secret="the-right-one")
    port = await server.start()
    hook_port = free_port()
    env = {
        "DANGJIAN_DATABASE_URL": db_url,
        "DANGJIAN_WECOM_BOT_ID": BOT_ID,
        "DANGJIAN_WECOM_BOT_SECRET": "a-wrong-one",
        "DANGJIAN_WECOM_WS_URL": f"ws://127.0.0.1:{port}",
        "DANGJIAN_WECOM_WEBHOOK_URL": f"http://127.0.0.1:{hook_port}/cgi-bin/webhook/send",
        "DANGJIAN_LOG_LEVEL": "WARNING",
    }
    import os

    bot = await cli({**os.environ, **env}, "run", "wecom")
    out, err = await asyncio.wait_for(bot.communicate(), 60)
    await server.stop()
    text = out.decode() + err.decode()
    assert bot.returncode == 2 and "企业微信不接受 DANGJIAN_WECOM_BOT_ID / DANGJIAN_WECOM_BOT_SECRET" in text, text
    assert "a-wrong-one" not in text and "Traceback" not in text
    assert len(server.subscribe_frames) == 1  # asked once, not hammered
    assert server.subscribe_frames[0]["body"] == {"bot_id": BOT_ID, "secret": "a-wrong-one"}
    assert GROUP  # the group the other tests talk in


async def test_a_click_after_a_restart_updates_the_card_as_it_was(wc: WC, db_url: str, tmp_path: Path) -> None:
    await bind_and_publish(wc)
    board = next(f["body"]["template_card"] for f in wc.server.sent if "已发布" in str(f["body"]))
    await wc.transport.stop()  # the process that sent the card is gone
    hook_port = int(wc.settings.wecom_webhook_url.split(":")[2].split("/")[0])
    again = await start_wc(db_url, tmp_path, wc.server, wc.webhook, hook_port=hook_port)
    try:
        click = await wc.server.callback(card_click("zhaoqiang", "signin:1", task_id=board["task_id"]), CLICK)
        await wc.server.until(lambda: bool(wc.server.card_updates(click)))
        card = wc.server.card_updates(click)[0]["template_card"]
        assert card["task_id"] == board["task_id"] and card["button_list"] == board["button_list"]
        assert card["main_title"] == board["main_title"]
        assert card["sub_title_text"] == "✅ 赵强 签到成功\n" + board["sub_title_text"]
    finally:
        await again.transport.stop()
        await again.app.close()
