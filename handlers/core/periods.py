"""A period as people name it (本月, 上季度, 2026年) put into words, and the words of a command that
names one ("this month" kept together)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup

from handlers.core.i18n import render
from handlers.core.timeparse import Period

WEEKLY_HOUR = 9  # the dormancy warning and the overdue findings: Mondays at 09:00


def period_label(period: Period, locale: str) -> str:
    """A month, a quarter, a year, or a range by its first and its last day (both included)."""
    last = period.end - timedelta(days=1)
    return Markup(render("ledger.period_name", locale, start=period.start, last=last, kind=period.kind)).unescape()


def split_words(args: str) -> list[str]:
    """The words of the arguments, "this month" / "last year" kept together."""
    words: list[str] = []
    for word in args.split():
        if words and words[-1].lower() in ("this", "last"):
            words[-1] = f"{words[-1]} {word}"
        else:
            words.append(word)
    return words


def next_monday(now: datetime, tz: ZoneInfo, hour: int = WEEKLY_HOUR) -> datetime:
    """The next Monday at 09:00 (local) at or after now: when the weekly warnings go out."""
    local = now.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    at = datetime(monday.year, monday.month, monday.day, hour, tzinfo=tz)
    return at if at >= now else at + timedelta(weeks=1)
