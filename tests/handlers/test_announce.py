"""Announcements in plain words: a manager's "明天下午三点开支委会" gets a card with what was
understood and 发布 / 取消 buttons; 发布 publishes as "发布 …" does; members' chatter is left alone."""

from __future__ import annotations

from sqlalchemy import select

from bot.delivery.render import to_plain
from storage.models import Event, EventDraft
from tests.harness import GROUP, REGION_CHAT, Harness


async def test_a_managers_announcement_is_published_with_one_press(h: Harness) -> None:
    # 1 December 2026 09:00, a Tuesday
    card = await h.send(h.incoming("同志们，明天下午三点在会议室开支委会，主题：研究发展党员", user="u-张伟"))
    text = to_plain(card[0].text)
    assert text.startswith("📝 要发布这个活动吗？")
    assert "类型：支委会" in text and "时间：12月2日（周三）15:00" in text
    assert "地点：会议室" in text and "主题：研究发展党员" in text
    assert card[0].private  # meant for the one who wrote it (shown to them alone where the platform can)
    publish, drop = card[0].buttons
    assert (publish.label, drop.label) == ("发布", "取消")
    assert await h.count(Event) == 0  # nothing published until pressed

    pressed = await h.press(publish.data, user="u-张伟")
    published = to_plain(pressed[0].text)
    assert published.startswith("📌 已发布 #1 支委会") and "地点：会议室" in published
    assert "时间：12月2日（周三）15:00" in published and "主题：研究发展党员" in published
    # the same as "发布 支委会 12月2日 15:00 会议室 …" would have made
    typed = await h.say("发布 支委会 12月2日 15:00 会议室 主题：研究发展党员", user="u-张伟")
    assert "⚠️ 同一时间、同一地点已有 #1 支委会" in typed[0]
    rows = await h.rows(select(Event.kind, Event.place, Event.topic, Event.branch_id).order_by(Event.id))
    assert rows[0] == rows[1]

    again = await h.press(publish.data, user="u-张伟")  # a second press publishes nothing
    assert "已经处理过了" in to_plain(again[0].text)
    assert await h.count(Event) == 2
    assert await h.rows(select(EventDraft.status, EventDraft.event_id)) == [("published", 1)]


async def test_a_card_can_be_cancelled_and_a_place_left_out_is_to_be_decided(h: Harness) -> None:
    card = await h.send(h.incoming("下周三晚上7点上党课", user="u-张伟"))
    text = to_plain(card[0].text)
    assert "类型：专题党课" in text and "时间：12月9日（周三）19:00" in text and "地点：未写明" in text
    publish, drop = card[0].buttons
    assert "好的，不发布" in to_plain((await h.press(drop.data, user="u-张伟"))[0].text)
    assert "已经处理过了" in to_plain((await h.press(publish.data, user="u-张伟"))[0].text)
    assert await h.count(Event) == 0

    second = await h.send(h.incoming("12.5 上午9点 党员活动日", user="u-张伟"))
    done = await h.press(second[0].buttons[0].data, user="u-张伟")
    assert "地点：待定" in to_plain(done[0].text) and "12月5日（周六）09:00" in to_plain(done[0].text)


async def test_members_chatter_and_talk_of_the_past_get_no_answer(h: Harness) -> None:
    for text in ("明天下午三点开支委会", "下周三晚上7点在党校上党课", "我3号楼下午见"):
        assert await h.say(text, user="u-赵强") == []  # a member: however it reads
    assert await h.say("我昨天就说了要请假", user="u-张伟") == []
    assert await h.say("上个月5号下午3点开的支委会很好", user="u-张伟") == []  # no announcement in it
    assert await h.say("11月5日下午3点开的支委会很好", user="u-张伟") == []  # held already
    assert await h.say("明天下午三点开书记例会", user="u-张伟") == []  # the region's meeting, in a branch group
    assert await h.count(EventDraft) == 0


async def test_an_hour_that_could_be_night_or_afternoon_is_asked_back(h: Harness) -> None:
    asked = await h.say("明天3点开支委会", user="u-张伟")
    assert "“3点”可能是凌晨也可能是下午" in asked[0] and "发布 类型 日期 时间 地点" in asked[0]
    assert await h.count(EventDraft) == 0


async def test_only_a_manager_may_press_and_only_in_the_chat_of_the_card(h: Harness) -> None:
    card = await h.send(h.incoming("明天下午三点开书记例会", user="u-李红", chat=REGION_CHAT))
    assert "类型：书记例会" in to_plain(card[0].text)
    publish = card[0].buttons[0]
    refused = await h.press(publish.data, user="u-赵强", chat=REGION_CHAT)
    assert to_plain(refused[0].text).startswith("⛔")
    elsewhere = await h.press(publish.data, user="u-张伟", chat=GROUP)
    assert "找不到这条待发布的活动" in to_plain(elsewhere[0].text)
    assert await h.count(Event) == 0
    done = await h.press(publish.data, user="u-李红", chat=REGION_CHAT)
    assert to_plain(done[0].text).startswith("📌 已发布 #1 书记例会")


async def test_a_redelivered_announcement_makes_one_draft_and_the_same_card(h: Harness) -> None:
    first = await h.send(h.incoming("明天下午三点开支委会", user="u-张伟", update_id="ann-1"))
    again = await h.send(h.incoming("明天下午三点开支委会", user="u-张伟", update_id="ann-1"))
    assert [to_plain(r.text) for r in again] == [to_plain(r.text) for r in first]
    assert [b.data for b in again[0].buttons] == [b.data for b in first[0].buttons]
    assert await h.count(EventDraft) == 1


async def test_what_the_card_shows_is_what_is_published(h: Harness) -> None:
    """Labels typed inside the topic stay the topic: the card's place is the place published."""
    text = "明天下午三点在会议室开支委会，主题：学习 地点：http://evil.example/login 讲师：冒名者"
    card = await h.send(h.incoming(text, user="u-张伟"))
    shown = to_plain(card[0].text)
    assert "地点：会议室" in shown and "主题：学习 地点：http://evil.example/login 讲师：冒名者" in shown
    await h.press(card[0].buttons[0].data, user="u-张伟")
    [(place, topic, lecturer)] = await h.rows(select(Event.place, Event.topic, Event.lecturer))
    assert (place, lecturer) == ("会议室", None) and topic == "学习 地点：http://evil.example/login 讲师：冒名者"
