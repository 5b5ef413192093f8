"""Mentions: a feature names a member; each transport decides how the name is shown.

Templates receive `mention(member_id, name)`, a small `<m id="…">name</m>` element inside the
reply's HTML-safe text. Telegram turns it into a tg://user link (the member is notified), the
console and toasts show the plain name, WeCom its own @ form.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import Markup

from storage.uow import UnitOfWork

_MARK = re.compile(r'<m id="(\d+)">(.*?)</m>', re.S)


def mention(member_id: int, name: str) -> Markup:
    return Markup('<m id="{}">{}</m>').format(member_id, name)


def mentioned(text: str) -> set[int]:
    """Ids of the members a text mentions."""
    return {int(m.group(1)) for m in _MARK.finditer(text)}


def resolve(text: str, show: Callable[[int, Markup], Markup]) -> Markup:
    """Replace every mention with what `show(member_id, escaped_name)` returns."""
    return Markup(_MARK.sub(lambda m: str(show(int(m.group(1)), Markup(m.group(2)))), text))


async def branch_secretaries(uow: UnitOfWork, region_id: int, branch_id: int) -> Markup:
    """The branch's secretaries, mentioned (so they are notified), as one run of names."""
    members = await uow.org.members_of(region_id, branch_id)
    return Markup("、").join(mention(m.id, m.name) for m in members if m.role == "branch_secretary")
