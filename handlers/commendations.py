"""表彰: the region commends a branch (先进基层党组织) or a member (优秀共产党员), as the seeds'
通报表彰 does at the year's end. 表彰 支部名|姓名 称号 [日期] records it (a region officer, in the
region's chat), the region's chats and the branch's hear it, 表彰记录 lists a year's, and the
ledger's 表彰台账 keeps them.
"""

from __future__ import annotations

from datetime import date

from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import UsageError
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.names import named_member
from handlers.core.outbox import Payload, PushContext, PushKind, queue
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.core.timeparse import WhenError, parse_date, whole_number
from storage.repos.commendations import CommendationRec
from storage.uow import UnitOfWork

MAX_TITLE = 50


async def commend(ctx: Context, args: str) -> list[Reply]:
    """表彰 支部名|姓名 称号 [日期] — a region officer records a commendation (today unless a past day is said)."""
    words = args.split()
    if len(words) < 2:
        raise UsageError("commend")
    today = ctx.local(ctx.now).date()
    given_on = today
    if len(words) >= 3:
        try:
            given_on = parse_date(words[-1], today, past=True)
            words = words[:-1]
        except WhenError:
            pass  # the title's last word
    if given_on > today:
        raise UsageError("commend", "commendations.future", day=given_on)
    who, title = words[0], " ".join(words[1:]).strip('“”"')
    if not title or len(title) > MAX_TITLE:
        raise UsageError("commend", "commendations.bad_title", limit=MAX_TITLE)
    node = ctx.need_node()
    actor = ctx.need_manager(node.region_id, None, Level.REGION)

    async def work(uow: UnitOfWork) -> CommendationRec | None:
        branches = {b.name: b for b in await uow.org.branches(node.region_id)}
        branch = branches.get(who)
        member = None if branch is not None else await named_member(uow, node.region_id, who)
        branch_id = branch.id if branch is not None else member.branch_id if member is not None else None
        cid = await uow.commendations.record(
            region_id=node.region_id, branch_id=branch_id, member_id=member.id if member else None, title=title,
            given_on=given_on, by=actor.id, now=uow.now,
        )  # fmt: skip
        chats = await uow.chats.chats_for(node.region_id, None, include_branch_chats=False)
        if branch_id is not None:
            chats += await uow.chats.chats_for(node.region_id, branch_id, include_branch_chats=False)
        for chat in chats:
            await queue(
                uow, COMMENDED, chat.platform, chat.chat_id, due=uow.now, payload=CommendedPush(commendation=cid)
            )
        await ctx.audit(uow, actor.id, "commendation.record", title=title, date=str(given_on),
                        **({"member": member.id} if member else {"branch": who}))  # fmt: skip
        return await uow.commendations.by_id(cid)

    return [ctx.reply("commendations.recorded", c=await ctx.unit(work))]


async def listing(ctx: Context, args: str) -> list[Reply]:
    """表彰记录 [年份] — the year's commendations (in a branch's chat: the branch's and its members')."""
    word = args.strip().removesuffix("年")
    today = ctx.local(ctx.now).date()
    year = whole_number(word, 2000, today.year) if word else today.year
    if year is None:
        raise UsageError("commendations")
    node = ctx.need_node()
    found = await ctx.read(
        lambda uow: uow.commendations.between(node.region_id, date(year, 1, 1), date(year, 12, 31), node.branch_id)
    )
    return [ctx.reply("commendations.listing", items=found, year=year, region=node.branch_id is None)]


class CommendedPush(Payload):
    commendation: int


async def _commended(ctx: PushContext[CommendedPush]) -> Reply | None:
    """To the region's chats and the branch's: who was commended, with what title."""
    c = await ctx.uow.commendations.by_id(ctx.payload.commendation)
    if c is None or c.region_id != ctx.chat.region_id:
        return None
    return Reply(text=render("commendations.push", ctx.locale, c=c))


COMMENDED = PushKind(
    "commended", CommendedPush, _commended, lambda p: f"commended:{p.commendation}", label=("表彰通报", "commendation")
)

COMMANDS = [
    Command("commend", ("表彰",), commend, "commendations.usage_commend", "commendations.help_commend", Level.REGION),
    Command(
        "commendations",
        ("表彰记录",),
        listing,
        "commendations.usage_list",
        "commendations.help_list",
        Level.MEMBER,
        reads=True,
    ),
]

FEATURE = Feature("commendations", topic="life", commands=COMMANDS, pushes=[COMMENDED])
