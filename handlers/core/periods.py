"""A period as people name it (本月, 上季度, 2026年) put into words, and the words of a command that
names one ("this month" kept together)."""

from __future__ import annotations

from markupsafe import Markup

from handlers.core.i18n import render
from handlers.core.timeparse import Period


def period_label(period: Period, locale: str) -> str:
    return Markup(render("ledger.period_name", locale, start=period.start, end=period.end, kind=period.kind)).unescape()


def split_words(args: str) -> list[str]:
    """The words of the arguments, "this month" / "last year" kept together."""
    words: list[str] = []
    for word in args.split():
        if words and words[-1].lower() in ("this", "last"):
            words[-1] = f"{words[-1]} {word}"
        else:
            words.append(word)
    return words
