"""组织关系转接: a member's Party membership moving with them, as 001 asks ("规范党员组织关系管理")
and 003 counts ("离职的党员及时转接了组织关系").

Within the region the sending branch records the move (转出 姓名 支部名) and the receiving branch
takes the member in (转入 姓名): one person throughout, with their attendance, points, duty,
ideas and accounts; until taken in they stay where they were. Out of the region (转出 姓名 去向)
the member is no longer expected nor able to act here, their accounts are let go, their records
stay in the ledgers. Into the region (转入 姓名 来自) a member joins the branch's roster. Every step
is audited and told to the other branch's chats; 转接记录 lists the latest.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from handlers.core.access import Level, Node
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.mentions import branch_secretaries
from handlers.core.names import named_member
from handlers.core.outbox import Payload, Personal, PushContext, PushKind, queue
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.core.timeparse import WhenError, parse_date
from handlers.org import MAX_NAME
from storage.records import BranchRec, MemberRec
from storage.uow import UnitOfWork

MAX_PLACE = 200
MAX_LETTER = 50
LISTED = 20  # 转接记录 shows this many, newest first


def _parts(args: str, usage: str, least: int) -> tuple[str, str | None, str | None]:
    """姓名 [去向或来自] [介绍信编号], each one word."""
    parts = args.split()
    if not least <= len(parts) <= 3:
        raise UsageError(usage)
    name = parts[0].lstrip("@")
    place = parts[1] if len(parts) > 1 else None
    letter = parts[2] if len(parts) > 2 else None
    if len(name) > MAX_NAME:
        raise AppError("transfers.too_long", field="name", limit=MAX_NAME)
    if place is not None and len(place) > MAX_PLACE:
        raise AppError("transfers.too_long", field="place", limit=MAX_PLACE)
    if letter is not None and len(letter) > MAX_LETTER:
        raise AppError("transfers.too_long", field="letter", limit=MAX_LETTER)
    return name, place, letter


async def transfer_out(ctx: Context, args: str) -> list[Reply]:
    """转出 姓名 去向 [介绍信编号] — to a branch of the region (it takes the member in with 转入), or
    out of the region (done at once)."""
    name, place, letter = _parts(args, "transfer_out", 2)
    assert place is not None
    actor = ctx.need_member()
    node = ctx.need_node()

    async def work(uow: UnitOfWork) -> tuple[str, dict[str, Any], list[tuple[str, str]]]:
        member = await named_member(uow, node.region_id, name, node.branch_id)
        ctx.need_manager_of(member, identity=True)
        if await uow.transfers.pending_of(member.id) is not None:
            raise AppError("transfers.already_pending", name=member.name)
        branches = {b.name: b for b in await uow.org.branches(node.region_id)}
        here = next(b for b in branches.values() if b.id == member.branch_id)
        to = branches.get(place)
        if to is not None and to.id == member.branch_id:
            raise AppError("transfers.same_branch", name=member.name, branch=to.name)
        if to is not None and not to.open_on(uow.now.astimezone(ctx.tz).date()):
            raise AppError("transfers.closed", branch=to.name, day=to.closed_on)
        record = partial(
            uow.transfers.record, region_id=node.region_id, member_id=member.id, letter_no=letter, by=actor.id,
            now=uow.now, from_branch_id=here.id,
        )  # fmt: skip
        said: dict[str, Any]
        if to is not None:
            tid = await record(direction="within", to_branch_id=to.id, place=None, pending=True)
            await _tell(uow, node.region_id, to.id, TransferPush(transfer=tid, taken_in=False))
            removed: list[tuple[str, str]] = []
            said = {"name": member.name, "frm": here.name, "to": to.name, "letter": letter}
            key = "transfers.out_pending"
        else:
            tid = await record(direction="out", to_branch_id=None, place=place)
            await uow.org.set_member_active(member.id, False)
            removed = await uow.accounts.unlink(member.id, None)
            said = {"name": member.name, "frm": here.name, "place": place, "letter": letter, "accounts": bool(removed)}
            key = "transfers.out_done"
        await uow.audit.record(
            actor=actor.id,
            platform=ctx.incoming.platform,
            action="member.transfer_out",
            detail={"member": member.id, "transfer": tid, "to": place, "letter": letter},
            now=uow.now,
        )
        return key, said, removed

    key, said, removed = await ctx.unit(work)
    for platform, user in removed:
        ctx.services.directory.forget_account(platform, user)
    ctx.services.directory.clear()
    return [ctx.reply(key, **said)]


async def transfer_in(ctx: Context, args: str) -> list[Reply]:
    """转入 姓名 [来自] [介绍信编号] — in a branch's chat: take in a member the region's other branch
    sent (转出), or, with where from, one coming from outside the region."""
    name, origin, letter = _parts(args, "transfer_in", 1)
    actor = ctx.need_member()
    node = ctx.need_node()
    if node.branch_id is None:
        raise AppError("transfers.in_branch_chat")
    branch_id = node.branch_id

    async def work(uow: UnitOfWork) -> tuple[str, dict[str, Any]]:
        here = await uow.org.branch(branch_id)
        waiting = await uow.transfers.pending_into(branch_id, name)
        if waiting is not None:
            if await uow.org.member_in_branch(branch_id, name) is not None:
                raise AppError("transfers.name_here", name=name, branch=here.name)
            await uow.transfers.take_in(waiting, actor.id, uow.now)
            assert waiting.from_branch_id is not None
            await _tell(uow, node.region_id, waiting.from_branch_id, TransferPush(transfer=waiting.id, taken_in=True))
            detail: dict[str, Any] = {"member": waiting.member_id, "transfer": waiting.id}
            said: dict[str, Any] = {"name": name, "frm": waiting.from_branch, "letter": waiting.letter_no}
            key = "transfers.in_done"
        else:
            if origin is None:
                raise AppError("transfers.nothing_waiting", name=name, branch=here.name)
            branches = {b.name for b in await uow.org.branches(node.region_id)}
            if origin in branches:  # a move within the region starts where the member is
                raise AppError("transfers.send_first", name=name, frm=origin)
            if await uow.org.member_in_branch(branch_id, name) is not None:
                raise AppError("transfers.name_here", name=name, branch=here.name)
            member_id, _ = await uow.org.upsert_member(
                region_id=node.region_id, branch_id=branch_id, name=name, role="member", phone=None,
                is_mobile=False, now=uow.now,
            )  # fmt: skip
            tid = await uow.transfers.record(
                region_id=node.region_id, member_id=member_id, direction="in", from_branch_id=None,
                to_branch_id=branch_id, place=origin, letter_no=letter, by=actor.id, now=uow.now,
            )  # fmt: skip
            detail = {"member": member_id, "transfer": tid, "from": origin}
            said = {"name": name, "place": origin, "letter": letter}
            key = "transfers.in_new"
        await uow.audit.record(
            actor=actor.id, platform=ctx.incoming.platform, action="member.transfer_in", detail=detail, now=uow.now
        )
        return key, said

    key, said = await ctx.unit(work)
    ctx.services.directory.clear()  # who is expected where changed
    return [ctx.reply(key, **said)]


async def listing(ctx: Context, args: str) -> list[Reply]:
    """转接记录 — the latest transfers of this branch (in the region's chat: of the region)."""
    if args.strip():
        raise UsageError("transfers")
    node = ctx.need_node()

    async def read(uow: UnitOfWork) -> tuple[list[Any], list[tuple[str, str]]]:
        rows = await uow.transfers.of_region(node.region_id, node.branch_id, LISTED)
        closed = {b.id: b.name for b in await uow.org.branches(node.region_id) if b.closed_on is not None}
        waiting = [] if node.branch_id is not None else [
            (m.name, closed[m.branch_id]) for m in await uow.org.members_of(node.region_id) if m.branch_id in closed
        ]  # fmt: skip
        return rows, waiting

    rows, waiting = await ctx.read(read)
    shown = [{"r": r, "at": ctx.local(r.requested_at)} for r in rows]
    return [ctx.reply("transfers.listing", rows=shown, waiting=waiting)]


async def merge_branch(ctx: Context, args: str) -> list[Reply]:
    """合并支部 甲 到 乙 [日期] — an enterprise merged: 甲's members move to 乙 (each a transfer on
    record, their history theirs), what was on its way to 甲 goes to 乙, 甲 is closed from that day
    (its events and ledgers keep its name), its chats are told and unbound, 乙's told."""
    words = [w for w in args.split() if w not in ("到", "并入", "into", "to")]
    node, actor, day = _region_act(ctx, words, 2, "merge_branch")

    async def work(uow: UnitOfWork) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        gone = await _open_branch(uow, node.region_id, words[0], day)
        into = await _open_branch(uow, node.region_id, words[1], day)
        if gone.id == into.id:
            raise AppError("transfers.same_branch_merge", branch=gone.name)
        members = await uow.org.members_of(node.region_id, gone.id)
        secretaries = [m.name for m in members if m.role == "branch_secretary"]
        theirs = {m.name for m in await uow.org.members_of(node.region_id, into.id)}
        theirs |= {r.name for r in await uow.recruits.of_region(node.region_id, into.id)}
        ours = {m.name for m in members} | {r.name for r in await uow.recruits.of_region(node.region_id, gone.id)}
        if clash := sorted(ours & theirs):
            raise AppError("transfers.names_clash", names=clash, frm=gone.name, to=into.name)
        await uow.transfers.move_all(gone.id, into.id, [m.id for m in members], actor.id, uow.now)
        unbound = await _close(uow, gone, day, into)
        for chat in await uow.chats.chats_for(node.region_id, into.id, include_branch_chats=False):
            payload = BranchNews(branch=gone.id, into=into.id, moved=len(members))
            await queue(uow, BRANCH_NEWS, chat.platform, chat.chat_id, due=uow.now, payload=payload)
        detail = {"branch": gone.name, "into": into.name, "date": day.isoformat(), "moved": len(members)}
        await ctx.audit(uow, actor.id, "branch.merge", **detail)
        said = {"frm": gone.name, "to": into.name, "day": day, "moved": len(members), "chats": len(unbound),
                "secretaries": secretaries}  # fmt: skip
        return said, unbound

    said, unbound = await ctx.unit(work)
    _forget(ctx, unbound)
    return [ctx.reply("transfers.merged", **said)]


async def close_branch(ctx: Context, args: str) -> list[Reply]:
    """撤销支部 甲 [日期] — an enterprise closed: 甲 is closed from that day (its history keeps its
    name), its chats are told and unbound; its members wait for their transfers (待转接)."""
    words = args.split()
    node, actor, day = _region_act(ctx, words, 1, "close_branch")

    async def work(uow: UnitOfWork) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        gone = await _open_branch(uow, node.region_id, words[0], day)
        if waiting := await uow.transfers.pending_into_branch(gone.id):
            raise AppError("transfers.still_coming", branch=gone.name, count=waiting)
        members = [m.name for m in await uow.org.members_of(node.region_id, gone.id)]
        unbound = await _close(uow, gone, day, None)
        await ctx.audit(uow, actor.id, "branch.close", branch=gone.name, date=day.isoformat(), waiting=len(members))
        return {"branch": gone.name, "day": day, "names": members, "chats": len(unbound)}, unbound

    said, unbound = await ctx.unit(work)
    _forget(ctx, unbound)
    return [ctx.reply("transfers.closed_branch", **said)]


def _region_act(ctx: Context, words: list[str], names: int, usage: str) -> tuple[Node, MemberRec, date]:
    """A closing or merger: `names` branch names, then the day it takes effect (today unless said);
    a region officer's act."""
    if len(words) not in (names, names + 1):
        raise UsageError(usage)
    day = _day(ctx, words[names], usage) if len(words) > names else ctx.local(ctx.now).date()
    node = ctx.need_node()
    return node, ctx.need_manager(node.region_id, None), day


def _day(ctx: Context, word: str, usage: str) -> date:
    """The day a closing or merger takes effect: today or before."""
    today = ctx.local(ctx.now).date()
    try:
        day = parse_date(word, today, past=True)
    except WhenError as exc:
        raise UsageError(usage, "transfers.bad_day", text=word[:20]) from exc
    if day > today:
        raise UsageError(usage, "transfers.future_day", day=day)
    return day


async def _open_branch(uow: UnitOfWork, region_id: int, name: str, day: date) -> BranchRec:
    found = next((b for b in await uow.org.branches(region_id) if b.name == name), None)
    if found is None:
        raise AppError("ledger.no_branch", name=name[:MAX_PLACE])
    if not found.open_on(day):
        raise AppError("transfers.closed", branch=found.name, day=found.closed_on)
    return found


async def _close(uow: UnitOfWork, gone: BranchRec, day: date, into: BranchRec | None) -> list[tuple[str, str]]:
    """Close the branch; its chats get the news (sent though no longer bound) and are unbound."""
    await uow.org.close_branch(gone.id, day)
    unbound = []
    for chat in await uow.chats.chats_for(gone.region_id, gone.id, include_branch_chats=False):
        payload = BranchNews(branch=gone.id, into=into.id if into else None, moved=0, private=True)
        await queue(uow, BRANCH_NEWS, chat.platform, chat.chat_id, due=uow.now, payload=payload)
        await uow.chats.unbind(chat.id)
        unbound.append((chat.platform, chat.chat_id))
    return unbound


def _forget(ctx: Context, unbound: list[tuple[str, str]]) -> None:
    for platform, chat_id in unbound:
        ctx.services.directory.forget_binding(platform, chat_id)
    ctx.services.directory.clear()  # who is expected where changed


async def _tell(uow: UnitOfWork, region_id: int, branch_id: int, payload: TransferPush) -> None:
    """The other branch's chats hear of the transfer (its secretaries named)."""
    for chat in await uow.chats.chats_for(region_id, branch_id, include_branch_chats=False):
        await queue(uow, TRANSFER_NEWS, chat.platform, chat.chat_id, due=uow.now, payload=payload)


class TransferPush(Payload):
    transfer: int
    taken_in: bool  # False: to the receiving branch, the member is on the way; True: to the sending one


async def _news(ctx: PushContext[TransferPush]) -> Reply | None:
    """To the receiving branch: a member is on the way (转入 to take them in); to the sending
    branch: the member was taken in."""
    r = await ctx.uow.transfers.by_id(ctx.payload.transfer)
    branch_id = None if r is None else r.from_branch_id if ctx.payload.taken_in else r.to_branch_id
    if r is None or branch_id is None:
        return None
    region_id = (await ctx.uow.org.branch(branch_id)).region_id
    names = await branch_secretaries(ctx.uow, region_id, branch_id)
    return Reply(text=render("transfers.news", ctx.locale, r=r, taken_in=ctx.payload.taken_in, names=names))


class BranchNews(Personal):
    branch: int  # the branch closed or merged away
    into: int | None  # the branch it merged into; None: closed
    moved: int  # to the receiving branch's chats: how many members came


async def _branch_news(ctx: PushContext[BranchNews]) -> Reply | None:
    """To a closed branch's former chats: it is closed (or merged) and they are unbound; to the
    receiving branch's chats: the members who came."""
    gone = await ctx.uow.org.branch(ctx.payload.branch)
    into = await ctx.uow.org.branch(ctx.payload.into) if ctx.payload.into is not None else None
    key = "transfers.news_closed" if ctx.payload.private else "transfers.news_merged"
    return Reply(text=render(key, ctx.locale, gone=gone, into=into, moved=ctx.payload.moved))


BRANCH_NEWS = PushKind(
    "branch_news", BranchNews, _branch_news,
    lambda p: f"branch_news:{p.branch}:{'gone' if p.private else 'into'}",
    label=("支部撤销合并通知", "branch closed or merged"),
)  # fmt: skip

TRANSFER_NEWS = PushKind(
    "transfer_news",
    TransferPush,
    _news,
    lambda p: f"transfer:{p.transfer}:{'in' if p.taken_in else 'out'}",
    label=("组织关系转接通知", "membership transfer notice"),
)

B, R = Level.BRANCH, Level.REGION
COMMANDS = [
    Command("transfer_out", ("转出",), transfer_out, "transfers.usage_transfer_out", "transfers.help_transfer_out", B),
    Command("transfer_in", ("转入",), transfer_in, "transfers.usage_transfer_in", "transfers.help_transfer_in", B),
    Command(
        "transfers", ("转接记录",), listing, "transfers.usage_transfers", "transfers.help_transfers", B, reads=True
    ),
    Command("merge_branch", ("合并支部",), merge_branch, "transfers.usage_merge", "transfers.help_merge", R),
    Command("close_branch", ("撤销支部",), close_branch, "transfers.usage_close", "transfers.help_close", R),
]

FEATURE = Feature("transfers", topic="people", commands=COMMANDS, pushes=[TRANSFER_NEWS, BRANCH_NEWS])
