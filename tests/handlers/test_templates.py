"""Every sentence exists in both languages, and English chats get English."""

from __future__ import annotations

import pytest

from handlers.i18n import LOCALES, TEMPLATES, render, sentences

FEATURES = sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir())


@pytest.mark.parametrize("feature", FEATURES)
def test_locales_define_the_same_sentences(feature: str) -> None:
    zh, en = (sentences(feature, loc) for loc in LOCALES)
    assert zh == en


def test_rendering_escapes_parameters() -> None:
    out = render("org.joined", "en", name="<script>", branch="B&B")
    assert str(out) == "✅ Registered: &lt;script&gt; (B&amp;B)"
    assert str(render("org.joined", "zh-CN", name="张三", branch="一支部")) == "✅ 登记成功：张三（一支部）"
