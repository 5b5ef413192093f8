"""Every sentence exists in both languages, and English chats get English."""

from __future__ import annotations

import pytest

from handlers.core.i18n import LOCALES, TEMPLATES, render, sentences
from tests.harness import Harness

FEATURES = sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir())


@pytest.mark.parametrize("feature", FEATURES)
def test_locales_define_the_same_sentences(feature: str) -> None:
    zh, en = (sentences(feature, loc) for loc in LOCALES)
    assert zh == en


def test_rendering_escapes_parameters() -> None:
    out = render("org.joined", "en", name="<script>", branch="B&B")
    assert str(out) == "✅ Registered: &lt;script&gt; (B&amp;B)"
    assert str(render("org.joined", "zh-CN", name="张三", branch="一支部")) == "✅ 登记成功：张三（一支部）"


async def test_a_chat_switched_to_english_gets_english(h: Harness) -> None:
    assert await h.say("语言 en", user="u-赵强") == ["⛔ 这项操作需要本支部书记，或联合党委书记、管理员。"]
    assert (await h.say("语言 klingon", user="u-张伟"))[0].endswith("用法：语言 zh 或 语言 en  /lang zh|en")
    assert await h.say("/lang en", user="u-张伟") == ["✅ This chat will get replies in English."]
    assert await h.say("/signin", user="u-赵强") == ["No sign-in is open right now."]
    published = await h.say("/event committee 2026-12-01 15:00 Office Budget", user="u-张伟")
    assert published[0].startswith("📌 Published #1 Branch committee meeting")
    assert await h.say("语言 zh", user="u-张伟") == ["✅ 本群将使用中文回复。"]
