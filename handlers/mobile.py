"""流动党员: "离乡离土不离党" (004). A branch records where a member working away is, how to reach
them and which 驻外党支部 (or other Party organization) they take part in (流动 姓名 去向 …); they
sign in remotely (远程签到) to their branch's meetings. 流动党员 lists them apart, with their remote
sign-ins this year; how to reach them is shown in a private chat only. 流动返回 姓名 when they are
back. The roster's 流动党员 column says the same: the answer asks for it to follow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.intent import SEE, Phrase
from handlers.core.names import named_member
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.org import MAX_NAME
from storage.uow import UnitOfWork

MAX_WHERE = 200
MAX_CONTACT = 100
CONTACT_WORDS = frozenset({"联系", "联系方式", "contact"})
PART_WORDS = frozenset({"参加", "参加组织生活", "takes_part"})
_SEPARATORS = re.compile(r"[\s，,]+")


@dataclass
class Away:
    name: str = ""
    where: list[str] | None = None
    contact: list[str] | None = None
    part: list[str] | None = None


def _parse(args: str) -> Away:
    """姓名 去向 [联系 方式] [参加 组织]: the words after each keyword, up to the next."""
    words = [w for w in _SEPARATORS.split(args.strip()) if w]
    if len(words) < 2:
        raise UsageError("mobile_away")
    said = Away(name=words[0].lstrip("@"), where=[])
    into: list[str] = said.where if said.where is not None else []
    for word in words[1:]:
        if word in CONTACT_WORDS:
            said.contact = into = []
        elif word in PART_WORDS:
            said.part = into = []
        else:
            into.append(word)
    for value, limit in ((said.where, MAX_WHERE), (said.contact, MAX_CONTACT), (said.part, MAX_WHERE)):
        if value is not None and not value:  # a keyword with nothing after it
            raise UsageError("mobile_away")
        if value is not None and len(" ".join(value)) > limit:
            raise UsageError("mobile_away", "mobile.too_long", limit=limit)
    if len(said.name) > MAX_NAME:
        raise UsageError("mobile_away", "mobile.too_long", limit=MAX_NAME)
    return said


async def away(ctx: Context, args: str) -> list[Reply]:
    """流动 姓名 去向 [联系 方式] [参加 驻外党支部] — a member works away (or where they are changed)."""
    said = _parse(args)
    node = ctx.need_node()
    today = ctx.local(ctx.now).date()

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        member = await named_member(uow, node.region_id, said.name, node.branch_id)
        actor = ctx.need_manager_of(member)
        was_mobile = member.is_mobile
        await uow.mobile.away(
            region_id=node.region_id, member_id=member.id, whereabouts=" ".join(said.where or []),
            contact=" ".join(said.contact) if said.contact else None,
            takes_part=" ".join(said.part) if said.part else None, since=today, by=actor.id, now=uow.now,
        )  # fmt: skip
        await ctx.audit(uow, actor.id, "member.mobile", member=member.id)
        return {"name": member.name, "roster_said": was_mobile}

    done = await ctx.unit(work)
    ctx.services.directory.clear()  # who may sign in remotely changed
    where, part = " ".join(said.where or []), " ".join(said.part) if said.part else None
    return [ctx.reply("mobile.away", where=where, part=part, contact=bool(said.contact), **done)]


async def back(ctx: Context, args: str) -> list[Reply]:
    """流动返回 姓名 — back home: no longer a mobile member (the record kept)."""
    name = args.strip().lstrip("@")
    if not name or " " in name or len(name) > MAX_NAME:
        raise UsageError("mobile_back")
    node = ctx.need_node()
    today = ctx.local(ctx.now).date()

    async def work(uow: UnitOfWork) -> bool:
        member = await named_member(uow, node.region_id, name, node.branch_id)
        actor = ctx.need_manager_of(member)
        if not member.is_mobile:
            raise AppError("mobile.not_away", name=member.name)
        await uow.mobile.back(member.id, today, actor.id, uow.now)
        await ctx.audit(uow, actor.id, "member.back", member=member.id)
        return True

    await ctx.unit(work)
    ctx.services.directory.clear()
    return [ctx.reply("mobile.back", name=name)]


async def listing(ctx: Context, args: str) -> list[Reply]:
    """流动党员 — the branch's members working away (in the region's chat, every branch's), where
    they take part and their remote sign-ins this year; how to reach them in a private chat only."""
    if args.strip():
        raise UsageError("mobile")
    node = ctx.need_node()
    local = ctx.local(ctx.now)
    year = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    private = ctx.incoming.is_private and ctx.can_manage(node.region_id, node.branch_id)

    async def read(uow: UnitOfWork) -> list[dict[str, Any]]:
        records = {r.member_id: r for r in await uow.mobile.of_region(node.region_id, node.branch_id)}
        away = [m for m in await uow.org.members_of(node.region_id, node.branch_id) if m.is_mobile]
        remote = await uow.attendance.remote_counts([m.id for m in away], year)
        names = {b.id: b.name for b in await uow.org.branches(node.region_id)}
        return [
            {"name": m.name, "m": records.get(m.id), "branch": names.get(m.branch_id), "remote": remote.get(m.id, 0)}
            for m in away
        ]  # the roster's mobile members, with where they are when recorded

    rows = await ctx.read(read)
    return [ctx.reply("mobile.listing", rows=rows, contacts=private, region=node.branch_id is None, year=year)]


B = Level.BRANCH
COMMANDS = [
    Command("mobile", ("流动党员",), listing, "mobile.usage_mobile", "mobile.help_mobile", reads=True),
    Command("mobile_away", ("流动",), away, "mobile.usage_away", "mobile.help_away", B),
    Command("mobile_back", ("流动返回",), back, "mobile.usage_back", "mobile.help_back", B),
]

PHRASES = [Phrase(SEE + r"(?:本支部的?)?流动党员(?:情况|名单|去向)?", "流动党员")]

FEATURE = Feature("mobile", topic="people", commands=COMMANDS, phrases=PHRASES)
