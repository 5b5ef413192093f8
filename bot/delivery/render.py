"""Turning a Reply's HTML-safe text into what each platform shows."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from markupsafe import Markup

from handlers.core.mentions import mentioned, resolve
from storage.db import Database
from storage.repos.accounts import AccountRepo

_TAG = re.compile(r"<[^>]+>")


def to_plain(text: Markup | str) -> str:
    """Plain text for a terminal: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", str(text)))


async def show_mentions(db: Database, platform: str, text: Markup, show: Callable[[str, Markup], Markup]) -> Markup:
    """Each mention in text as `show(platform user id, escaped name)` for members with an account
    on the platform (so they are notified); the plain name for the others."""
    ids = mentioned(text)
    if not ids:
        return text
    accounts = await db.read(lambda c: AccountRepo(c).platform_accounts(platform, ids))
    return resolve(text, lambda member_id, name: show(accounts[member_id], name) if member_id in accounts else name)
