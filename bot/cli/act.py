"""`dangjian say`: any chat command from the command line, through the router as the web console's
forms go: the operator is a roster member (the region's admin unless `--as 姓名` names another),
acting for the region or, with `--branch`, for one branch; the one authorization rule decides,
the audit records it (platform 命令行), the answers are the chat's own sentences."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from bot.app import build_app
from bot.delivery.answering import AnsweringTransport
from bot.delivery.render import to_plain
from bot.settings import Settings
from handlers.core.access import REGION_ROLES
from handlers.core.i18n import normalize_locale
from handlers.core.ports import Incoming, Reply
from storage.records import BindingRec, MemberRec
from storage.uow import UnitOfWork

PLATFORM = "cli"


class OperatorUnknown(ValueError):
    """Who acts could not be told: no such region, branch or member (a plain line, exit 2)."""


@dataclass(frozen=True)
class Said:
    lines: list[str]
    refused: bool  # an error or a refusal: nothing changed
    files: list[tuple[str, bytes]]


async def _operator(uow: UnitOfWork, region: str, name: str | None, branch: str | None) -> tuple[MemberRec, int | None]:
    found = await uow.org.region_by_name(region)
    if found is None:
        raise OperatorUnknown(f"没有这个联合党委 / no such region: {region}")
    if name is None:
        members = await uow.org.members_in_region(found.id)
        officers = [m for m in members if m.role == "admin"] or [m for m in members if m.role in REGION_ROLES]
        if not officers:
            raise OperatorUnknown(f"“{region}”没有管理员，请用 --as 姓名 / the region has no admin: name one with --as")
        member = officers[0]
    else:
        named = await uow.org.members_named(found.id, name)
        if len(named) != 1:
            raise OperatorUnknown(f"花名册中没有唯一的“{name}” / no single member named {name} in the roster")
        member = named[0]
    branch_id = None
    if branch is not None:
        ids = [b.id for b in await uow.org.branches(found.id) if b.name == branch]
        if not ids:
            raise OperatorUnknown(f"没有支部“{branch}” / no branch named {branch}")
        branch_id = ids[0]
    elif member.role not in REGION_ROLES:
        branch_id = member.branch_id
    return member, branch_id


async def say(
    settings: Settings,
    region: str,
    text: str,
    *,
    operator: str | None = None,
    branch: str | None = None,
    locale: str | None = None,
    meanwhile: Callable[[str], None] | None = None,
) -> Said:
    """Send `text` as the operator, for the region (or the branch); the answers as plain lines, in
    `locale` (default: the configured one). `meanwhile` hears, as plain text, a line said before
    the answer (a long export's "being made")."""
    app = await build_app(settings, settle=False)  # one command: nothing to keep from the collector
    try:
        now = app.services.clock.now()
        member, branch_id = await app.db.read(lambda c: _operator(UnitOfWork(c, now), region, operator, branch))
        member = await app.services.directory.reach(member)  # a unit's manager acts on its branches here too
        locale = normalize_locale(locale or settings.locale)
        chat_id = f"cli:{member.id}:{branch_id or 0}"

        async def identify(_incoming: Incoming) -> tuple[BindingRec | None, MemberRec | None]:
            return BindingRec(0, PLATFORM, chat_id, member.region_id, branch_id, True, locale), member

        app.router.identify(PLATFORM, identify)
        transport = AnsweringTransport(app, PLATFORM)
        incoming = Incoming(
            platform=PLATFORM,
            chat_id=chat_id,
            user_id=str(member.id),
            text=text,
            update_id=f"cli:{secrets.token_hex(8)}",
            message_id=None,
            user_display=member.name,
            is_private=False,
            addressed=True,
        )

        async def early(reply: Reply) -> None:
            if meanwhile is not None:
                meanwhile(to_plain(reply.text))

        replies: list[Reply] = await transport.act(incoming, locale, early)
        await transport.close()
    finally:
        await app.close()
    files = [(r.file.name, r.file.data) for r in replies if r.file is not None]
    return Said([to_plain(r.text) for r in replies], any(r.refused for r in replies) or not replies, files)
