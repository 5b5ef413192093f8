"""The middle level and pairing, as the seeds draw them: a region's 党总支 (general branches, each
with its secretary and a fixed activity day a month at the shared centre) and 编组 (groups of
enterprises led by a 组长单位, the lead branch), between the region and its branches; and 结对共建,
two branches (or a unit's branches) paired to learn and hold activities together.

  党总支 [名称 支部…|名称 书记 姓名|名称 活动日 15|无|名称 规范 党课 每月1次]   region officers set a 党总支 up
  编组 [名称 支部…|名称 组长 支部名|名称 活动日 N|名称 规范 …]                  the same for a 编组
  总支经费 名称 金额 用途                                 dues returned to a unit (a minus amount: spent)
  结对 [A B [说明]]                                       region officers pair two branches, or a unit's
                                                          branches with a branch or unit; alone, the pairings
  解除结对 A B                                            the pairing ends today (its joint events stay counted)

A unit's managers (the 党总支书记; a 编组's lead branch's secretaries) act on its branches as the
region's officers do on the region (handlers/core/access.py). A joint event expects each side's
members and counts for each side in 组织生活: `发布 … 联合：支部B` (a branch or unit paired with this
one, or one the sender manages) or `发布 … 党总支：名称` (all its branches; the sender manages them
all). A unit's own norms count only such events for all its branches. The day before a unit's
activity day its branches' chats, and its own chat (绑定 党总支名: a chat that answers only what
concerns the unit, handlers/core/router.py), are reminded; its own chat also hears, on the 1st, how
the month before went.
"""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from handlers.bulletins import MAX_NOTICE, NOTICE, NoticePush
from handlers.compliance import MonthPush, cell_params, matrix, parse_norm, unit_cells, unit_rows
from handlers.core.access import Level, unit_refusal
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.names import named_branches, named_member, named_side
from handlers.core.outbox import Moment, Payload, PushContext, PushKind, queue
from handlers.core.periods import period_label
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.core.timeparse import Period, ascii_digits
from handlers.dues import parse_yuan
from storage.records import BindingRec, BranchRec, RegionRec
from storage.repos.units import CLUSTER, GENERAL, PairingRec, UnitRec
from storage.uow import UnitOfWork

NONE_WORDS = ("无", "取消", "none")
MAX_NOTE = 200
REMIND_AT = time(9, 0)  # the day before a unit's activity day, local time
MONTH_AT = time(9, 30)  # on the first, a unit's chat hears how the month before went


def activity_day_in(year: int, month: int, day: int) -> date:
    """A unit's activity day in a month: its day, or the month's last where the month is shorter."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def next_activity_day(day: int, after: date) -> date:
    """The first activity day after `after`."""
    this = activity_day_in(after.year, after.month, day)
    if this > after:
        return this
    year, month = (after.year + 1, 1) if after.month == 12 else (after.year, after.month + 1)
    return activity_day_in(year, month, day)


def _parse_day(word: str, usage: str) -> int | None:
    if word.lower() in NONE_WORDS:
        return None
    digits = ascii_digits(word).removeprefix("每月").removesuffix("日").removesuffix("号")
    if not digits.isdigit() or not 1 <= int(digits) <= 31:
        raise UsageError(usage, "units.bad_day", word=word)
    return int(digits)


async def unit_command(ctx: Context, args: str, kind: str) -> list[Reply]:
    """党总支 / 编组 — set a unit up (its branches, secretary or lead branch, activity day), or list them all."""
    usage = "unit" if kind == GENERAL else "cluster"
    node = ctx.need_node()
    actor = ctx.need_manager(node.region_id, None, Level.REGION)
    words = args.split()
    if not words:
        units = await ctx.read(lambda uow: uow.units.units(node.region_id))
        return [ctx.reply("units.listing", units=units)]
    if len(words) < 2:
        raise UsageError(usage)
    name, what, rest = words[0], words[1], words[2:]
    if len(name) > 50:
        raise UsageError(usage, "common.too_long", limit=50)
    if what in ("规范", "norm"):
        return await _unit_norm(ctx, actor.id, node.region_id, name, " ".join(rest), usage)
    today = ctx.local(ctx.now).date()

    async def work(uow: UnitOfWork) -> tuple[UnitRec, list[str]]:
        kept = await uow.units.named(node.region_id, name)
        unit_kind = kept.kind if kept is not None else kind
        left: list[str] = []
        if what in ("书记", "secretary") and len(rest) == 1:
            member = await named_member(uow, node.region_id, rest[0])
            await uow.units.save(node.region_id, name, unit_kind, uow.now, secretary_id=member.id)
            change = {"secretary": member.name}
        elif what in ("组长", "组长单位", "lead") and len(rest) == 1:
            (lead,) = await named_branches(uow, node.region_id, rest, today)
            branches = (kept.branch_ids if kept else frozenset()) | {lead.id}
            _, left = await uow.units.save(
                node.region_id, name, unit_kind, uow.now, branches=set(branches), lead_branch_id=lead.id
            )
            change = {"lead": lead.name}
        elif what in ("活动日", "day") and len(rest) == 1:
            day = _parse_day(rest[0], usage)
            await uow.units.save(node.region_id, name, unit_kind, uow.now, activity_day=day)
            change = {"day": str(day) if day else "—"}
        else:
            named = list(dict.fromkeys(words[1:]))
            found = await named_branches(uow, node.region_id, named, today)
            _, left = await uow.units.save(node.region_id, name, unit_kind, uow.now, branches={b.id for b in found})
            change = {"branches": "、".join(b.name for b in found)}
        await ctx.audit(uow, actor.id, "unit.set", unit=name, **change)
        unit = await uow.units.named(node.region_id, name)
        assert unit is not None
        return unit, left

    unit, left = await ctx.unit(work)
    ctx.services.directory.forget_units(node.region_id)
    return [ctx.reply("units.saved", u=unit, left=left)]


async def _unit_norm(ctx: Context, actor_id: int, region_id: int, name: str, text: str, usage: str) -> list[Reply]:
    """党总支 名称 规范 党员活动日 每月1次 — a unit's own norm (events held for all its branches)."""
    norm = parse_norm(text)
    if norm is None:
        raise UsageError(usage)
    norm = replace(norm, scope="unit")

    async def work(uow: UnitOfWork) -> UnitRec:
        unit = await uow.units.named(region_id, name)
        if unit is None:
            raise AppError("units.no_such_unit", name=name)
        await uow.units.set_norm(unit.id, norm, by=actor_id, now=uow.now)
        await ctx.audit(uow, actor_id, "unit.norm", unit=name, kind=norm.kind, per=norm.per, count=norm.count)
        return unit

    unit = await ctx.unit(work)
    return [ctx.reply("units.norm_saved", u=unit, kind=norm.kind, per=norm.per, count=norm.count)]


async def general(ctx: Context, args: str) -> list[Reply]:
    """党总支 [名称 支部…|名称 书记 姓名|名称 活动日 N] — region officers set up a 党总支."""
    return await unit_command(ctx, args, GENERAL)


async def cluster(ctx: Context, args: str) -> list[Reply]:
    """编组 [名称 支部…|名称 组长 支部名|名称 活动日 N] — region officers set up a 编组."""
    return await unit_command(ctx, args, CLUSTER)


async def fund(ctx: Context, args: str) -> list[Reply]:
    """总支经费 名称 金额 用途 — dues returned to a unit, or (a minus amount) what it spent them on."""
    words = args.split(maxsplit=2)
    if len(words) < 3:
        raise UsageError("unit_fund")
    name, amount_word, purpose = words
    spent = amount_word.startswith(("-", "－", "−"))
    fen = parse_yuan(amount_word.lstrip("-－−+"))
    if fen is None or fen == 0:
        raise UsageError("unit_fund", "units.bad_amount", word=amount_word)
    if len(purpose) > MAX_NOTE:
        raise UsageError("unit_fund", "common.too_long", limit=MAX_NOTE)
    node = ctx.need_node()
    actor = ctx.need_manager(node.region_id, None, Level.REGION)
    today = ctx.local(ctx.now).date()

    async def work(uow: UnitOfWork) -> tuple[str, int]:
        unit = await uow.units.named(node.region_id, name)
        if unit is None:
            raise AppError("units.no_such_unit", name=name)
        signed = -fen if spent else fen
        await uow.units.add_fund(unit.id, signed, purpose, today, by=actor.id, now=uow.now)
        await ctx.audit(uow, actor.id, "unit.fund", unit=unit.name, money=f"{signed / 100:+.2f}", text=purpose)
        return unit.name, await uow.units.balance(unit.id)

    unit_name, balance = await ctx.unit(work)
    return [ctx.reply("units.funded", unit=unit_name, fen=fen, spent=spent, purpose=purpose, balance=balance)]


async def pair(ctx: Context, args: str) -> list[Reply]:
    """结对 [A B [说明]] — region officers pair two branches, or a 党总支 / 编组 (each of its branches)
    with a branch or another unit, from today; `结对 A 城西联合党委 B [说明]` proposes pairing A
    with another region's branch B, which that region's officers consent to by sending the same
    from their side. Alone: the pairings in force and the proposals waiting."""
    node = ctx.need_node()
    actor = ctx.need_manager(node.region_id, None, Level.REGION)
    today = ctx.local(ctx.now).date()
    words = args.split(maxsplit=3)
    if not words:

        async def listing(uow: UnitOfWork) -> tuple[list[PairingRec], list[PairingRec]]:
            return await uow.units.pairings(node.region_id, today), await uow.units.pairings(
                node.region_id, status="proposed"
            )

        pairings, proposals = await ctx.read(listing)
        return [ctx.reply("units.pairings", pairings=pairings, proposals=proposals, region=node.region_id)]
    if len(words) >= 3:
        other = await ctx.read(lambda uow: _other_region(uow, node.region_id, words[1]))
        if other is not None:
            return await _pair_across(ctx, actor.id, node.region_id, other, words, today)
    words = args.split(maxsplit=2)
    if len(words) < 2 or words[0] == words[1]:
        raise UsageError("pair")
    note = _note(words, 2)

    async def work(uow: UnitOfWork) -> tuple[str, str, bool]:
        (a, a_side), (b, b_side) = [await named_side(uow, node.region_id, w, today) for w in words[:2]]
        if {x.id for x in a_side} & {x.id for x in b_side}:
            raise UsageError("pair")  # a unit with one of its own branches
        first: dict[int, int] = {}  # each branch -> a pairing it is in (what its chat is told of)
        made = False
        for x in a_side:
            for y in b_side:
                pairing, new = await uow.units.pair(node.region_id, x.id, y.id, note, today, by=actor.id, now=uow.now)
                made |= new
                first.setdefault(x.id, pairing)
                first.setdefault(y.id, pairing)
        if made:
            for side, other in ((a_side, b), (b_side, a)):
                for branch in side:
                    await _tell_paired(uow, node.region_id, branch.id, first[branch.id], other)
        await ctx.audit(uow, actor.id, "pairing.set", branches=f"{a}、{b}", text=note or "—")
        return a, b, made

    a, b, new = await ctx.unit(work)
    return [ctx.reply("units.paired", a=a, b=b, note=note, new=new)]


def _note(words: list[str], at: int) -> str:
    note = words[at].strip() if len(words) > at else ""
    if len(note) > MAX_NOTE:
        raise UsageError("pair", "common.too_long", limit=MAX_NOTE)
    return note


async def _other_region(uow: UnitOfWork, region_id: int, word: str) -> RegionRec | None:
    """Another region named in a pairing (结对 A 城西联合党委 B), or None."""
    found = await uow.org.region_by_name(word)
    return found if found is not None and found.id != region_id else None


async def _tell_paired(uow: UnitOfWork, region_id: int, branch_id: int, pairing: int, other: str) -> None:
    """A branch's chats hear whom it is now paired with."""
    payload = PairedPush(pairing=pairing, other=other)
    for chat in await uow.chats.chats_for(region_id, branch_id, include_branch_chats=False):
        await queue(uow, PAIRED, chat.platform, chat.chat_id, due=uow.now, payload=payload)


async def _across(
    uow: UnitOfWork, region_id: int, other: RegionRec, words: list[str], today: date
) -> tuple[BranchRec, BranchRec, PairingRec | None, PairingRec | None]:
    """结对 / 解除结对 A 城西联合党委 B: this region's branch A, the other's branch B, their pairing in
    force and a proposal between them (either side's), if any."""
    (own,) = await named_branches(uow, region_id, [words[0]], today)
    (theirs,) = await named_branches(uow, other.id, [words[2]], today)
    joined = [p for p in await uow.units.pairings(region_id, today) if p.joins(own.id, theirs.id)]
    asked = [p for p in await uow.units.pairings(region_id, status="proposed") if p.joins(own.id, theirs.id)]
    return own, theirs, next(iter(joined), None), next(iter(asked), None)


async def _pair_across(
    ctx: Context, actor: int, region_id: int, other: RegionRec, words: list[str], today: date
) -> list[Reply]:
    """A pairing across regions: proposed by one committee, in force when the other consents (by
    sending the same pairing from its side); each side's branch chats are told then."""
    note = _note(words, 3)

    async def work(uow: UnitOfWork) -> tuple[str, str, str]:
        own, theirs, joined, asked = await _across(uow, region_id, other, words, today)
        mine = await uow.org.region(region_id)
        if joined is not None:
            return "already", mine.name, joined.note
        if asked is not None and asked.region_id == other.id:  # they proposed it: this is consent
            await uow.units.settle(asked.id, "active", today, note or None)
            await _tell_paired(uow, region_id, own.id, asked.id, f"{other.name} {theirs.name}")
            await _tell_paired(uow, other.id, theirs.id, asked.id, f"{mine.name} {own.name}")
            await _tell_committee(uow, other.id, asked.id, "consented")
            await ctx.audit(uow, actor, "pairing.consent", branches=f"{own.name}、{other.name} {theirs.name}")
            return "paired", mine.name, note or asked.note
        if asked is not None:
            return "waiting", mine.name, asked.note
        pairing = await uow.units.propose(region_id, own.id, other.id, theirs.id, note, today, by=actor, now=uow.now)
        await _tell_committee(uow, other.id, pairing, "proposed")
        await ctx.audit(
            uow, actor, "pairing.propose", branches=f"{own.name}、{other.name} {theirs.name}", text=note or "—"
        )
        return "proposed", mine.name, note

    outcome, mine, said = await ctx.unit(work)
    a, b = words[0], words[2]
    return [ctx.reply("units.across", outcome=outcome, a=a, region=other.name, b=b, note=said, mine=mine)]


async def unpair(ctx: Context, args: str) -> list[Reply]:
    """解除结对 A B — the pairing (of two branches, or of a unit's branches) ends today; its joint
    events stay counted. `解除结对 A 城西联合党委 B`: a pairing across regions ends, or a proposal
    between them is withdrawn or declined (either committee)."""
    words = args.split()
    if len(words) not in (2, 3):
        raise UsageError("unpair")
    node = ctx.need_node()
    actor = ctx.need_manager(node.region_id, None, Level.REGION)
    today = ctx.local(ctx.now).date()
    if len(words) == 3:
        other = await ctx.read(lambda uow: _other_region(uow, node.region_id, words[1]))
        if other is None:
            raise UsageError("unpair")
        return await _unpair_across(ctx, actor.id, node.region_id, other, words, today)

    async def work(uow: UnitOfWork) -> bool:
        (a, a_side), (b, b_side) = [await named_side(uow, node.region_id, w, today) for w in words]
        ended = False
        for x in a_side:
            for y in b_side:
                ended |= await uow.units.unpair(node.region_id, x.id, y.id, today)
        if ended:
            await ctx.audit(uow, actor.id, "pairing.end", branches=f"{a}、{b}")
        return ended

    if not await ctx.unit(work):
        raise AppError("units.not_paired", a=words[0], b=words[1])
    return [ctx.reply("units.unpaired", a=words[0], b=words[1])]


SETTLED = {"withdrawn": "pairing.withdraw", "declined": "pairing.decline"}


async def _unpair_across(
    ctx: Context, actor: int, region_id: int, other: RegionRec, words: list[str], today: date
) -> list[Reply]:
    async def work(uow: UnitOfWork) -> str:
        own, theirs, joined, asked = await _across(uow, region_id, other, words, today)
        label = f"{own.name}、{other.name} {theirs.name}"
        if joined is not None:
            await uow.units.unpair(region_id, own.id, theirs.id, today)
            await _tell_committee(uow, other.id, joined.id, "ended")
            await ctx.audit(uow, actor, "pairing.end", branches=label)
            return "ended"
        if asked is None:
            raise AppError("units.not_paired", a=own.name, b=f"{other.name} {theirs.name}")
        outcome = "withdrawn" if asked.region_id == region_id else "declined"
        await uow.units.settle(asked.id, outcome, today)
        await _tell_committee(uow, other.id, asked.id, outcome)
        await ctx.audit(uow, actor, SETTLED[outcome], branches=label)
        return outcome

    outcome = await ctx.unit(work)
    return [ctx.reply("units.unpaired_across", outcome=outcome, a=words[0], region=other.name, b=words[2])]


async def unit_audience(uow: UnitOfWork, unit: UnitRec) -> list[BindingRec]:
    """Where the unit's own news goes: its own chats, and each of its branches' chats."""
    chats = await uow.chats.unit_chats(unit.id)
    for branch_id in sorted(unit.branch_ids):
        chats += await uow.chats.chats_for(unit.region_id, branch_id, include_branch_chats=False)
    return chats


async def unit_notice(ctx: Context, args: str) -> list[Reply]:
    """总支通知 内容 — in a 党总支's or 编组's own chat, its managers (or a region officer) send a
    notice to it and to each of its branches' chats."""
    text = args.strip()
    if not text:
        raise UsageError("unit_notice")
    if len(text) > MAX_NOTICE:
        raise UsageError("unit_notice", "common.too_long", limit=MAX_NOTICE)
    unit_id = ctx.unit_chat
    if unit_id is None:
        raise AppError("units.notice_where")
    binding = ctx.need_binding()
    sender = ctx.need_member()
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> int:
        unit = next(u for u in await uow.units.units(binding.region_id) if u.id == unit_id)
        refused = unit_refusal(sender, binding.region_id, unit.branch_ids)
        if refused is not None:
            raise refused
        chats = await unit_audience(uow, unit)
        ref = inc.update_id or f"{inc.chat_id}:{inc.message_id}:{uow.now.isoformat()}"
        payload = NoticePush(text=text, by=f"{unit.name} {sender.name}", ref=f"{inc.platform}:{ref}")
        for chat in chats:
            await queue(uow, NOTICE, chat.platform, chat.chat_id, due=uow.now, payload=payload)
        await ctx.audit(uow, sender.id, "unit.notice", unit=unit.name, chats=len(chats))
        return len(chats)

    count = await ctx.unit(work)
    return [ctx.reply("bulletins.notice_queued", count=count, private=True)]


class PairedPush(Payload):
    pairing: int
    other: str | None = None  # what the chat is paired with, as named (a 党总支 pairs each of its branches)


async def _paired(ctx: PushContext[PairedPush]) -> Reply | None:
    """To both branches' chats: who they are paired with."""
    found = await ctx.uow.units.pairing(ctx.payload.pairing)
    if found is None or found.status != "active" or found.ended_on is not None:
        return None
    if ctx.chat.branch_id not in (found.a_branch_id, found.b_branch_id):
        return None
    other = ctx.payload.other or found.other_of(ctx.chat.branch_id).label
    return Reply(text=render("units.paired_push", ctx.locale, other=other, note=found.note))


PAIRED = PushKind("paired", PairedPush, _paired, lambda p: f"paired:{p.pairing}", label=("结对通知", "pairing"))


class CommitteePush(Payload):
    """A pairing across regions, as the other committee hears of it: proposed, consented to,
    declined, withdrawn or ended."""

    pairing: int
    what: str


async def _tell_committee(uow: UnitOfWork, region_id: int, pairing: int, what: str) -> None:
    payload = CommitteePush(pairing=pairing, what=what)
    for chat in await uow.chats.chats_for(region_id, None, include_branch_chats=False):
        await queue(uow, COMMITTEE, chat.platform, chat.chat_id, due=uow.now, payload=payload)


async def _committee(ctx: PushContext[CommitteePush]) -> Reply | None:
    p = await ctx.uow.units.pairing(ctx.payload.pairing)
    if p is None or (ctx.payload.what == "proposed" and p.status != "proposed"):
        return None  # answered before this was sent: the answer is what they hear
    ours = ctx.chat.region_id == p.region_id  # the proposing side (a) or the asked one (b)
    own, other, region = (p.a, p.b, p.b_region) if ours else (p.b, p.a, p.a_region)
    said = render(
        "units.committee_push", ctx.locale, what=ctx.payload.what, own=own, other=other, region=region, note=p.note
    )
    return Reply(text=said)


COMMITTEE = PushKind(
    "pairing_committee",
    CommitteePush,
    _committee,
    lambda p: f"pairing:{p.pairing}:{p.what}",
    label=("跨党委结对通知", "pairing across regions"),
)


class UnitDayPush(Payload):
    unit: int
    day: date


async def _periodic(uow: UnitOfWork, at: Moment) -> int:
    """Each unit's next activity day, told to its branches' chats the day before."""
    queued = 0
    today = at.now.astimezone(at.tz).date()
    for region in await uow.org.regions():
        for unit in await uow.units.units(region.id):
            if unit.activity_day is None or not unit.branches:
                continue
            day = next_activity_day(unit.activity_day, today)
            due = datetime.combine(day - timedelta(days=1), REMIND_AT, tzinfo=at.tz)
            if due < at.now:  # tomorrow's, past its reminder time: the next one
                day = next_activity_day(unit.activity_day, day)
                due = datetime.combine(day - timedelta(days=1), REMIND_AT, tzinfo=at.tz)
            payload = UnitDayPush(unit=unit.id, day=day)
            for chat in await unit_audience(uow, unit):
                queued += await queue(uow, UNIT_DAY, chat.platform, chat.chat_id, due=due, payload=payload)
    return queued


async def _periodic_month(uow: UnitOfWork, at: Moment) -> int:
    """On the first of each month, each unit's own chats hear how the month before went."""
    local = at.now.astimezone(at.tz)
    first = date(local.year + local.month // 12, local.month % 12 + 1, 1)  # next month's first day
    due = datetime.combine(first, MONTH_AT, tzinfo=at.tz)
    ended = (first - timedelta(days=1)).replace(day=1)
    queued = 0
    for region in await uow.org.regions():
        for unit in await uow.units.units(region.id):
            for chat in await uow.chats.unit_chats(unit.id):
                queued += await queue(
                    uow, UNIT_MONTH, chat.platform, chat.chat_id, due=due, payload=MonthPush(month=ended)
                )
    return queued


def _chat_unit(units: list[UnitRec], chat: BindingRec, unit_id: int | None = None) -> UnitRec | None:
    """The unit a push is for, if the chat is still one of its: its own chat, or a branch's of it."""
    unit = next((u for u in units if u.id == (unit_id if unit_id is not None else chat.unit_id)), None)
    if unit is None or not (chat.unit_id == unit.id or chat.branch_id in unit.branch_ids):
        return None
    return unit


async def _unit_day(ctx: PushContext[UnitDayPush]) -> Reply | None:
    """The unit's activity day tomorrow, to its own chat or a chat of one of its branches (still so when due)."""
    unit = _chat_unit(await ctx.uow.units.units(ctx.chat.region_id), ctx.chat, ctx.payload.unit)
    if unit is None or unit.activity_day is None:
        return None
    day = ctx.payload.day
    if activity_day_in(day.year, day.month, unit.activity_day) != day:
        return None  # the day was changed since it was queued
    return Reply(text=render("units.day_push", ctx.locale, u=unit, day=day))


async def _unit_month(ctx: PushContext[MonthPush]) -> Reply | None:
    """To a unit's own chat on the first: the month before, its branches' norms and its own line."""
    units = await ctx.uow.units.units(ctx.chat.region_id)
    unit = _chat_unit(units, ctx.chat)
    if unit is None or not unit.branches:
        return None
    month = ctx.payload.month
    period = Period(month, date(month.year + month.month // 12, month.month % 12 + 1, 1), "month")
    found = await matrix(ctx.uow, ctx.chat.region_id, None, period, ctx.tz)
    branches = [b for b in found.branches if b[0] in unit.branch_ids]
    rows = [{"name": name, "tier": None, "cells": cell_params(cells), "mobile": None} for _, name, cells in branches]
    lines = unit_rows([unit], branches, await unit_cells(ctx.uow, ctx.chat.region_id, [unit], period, ctx.tz))
    label = period_label(period, ctx.locale)
    text = render(
        "compliance.matrix", ctx.locale, period=label, rows=rows, region=[], started=found.started, units=lines
    )
    return Reply(text=text)


UNIT_MONTH = PushKind(
    "unit_month",
    MonthPush,
    _unit_month,
    lambda p: f"unit_month:{p.month:%Y-%m}",
    label=("党总支月度落实情况", "unit's month"),
)

UNIT_DAY = PushKind(
    "unit_day",
    UnitDayPush,
    _unit_day,
    lambda p: f"unit_day:{p.unit}:{p.day:%Y%m%d}",
    label=("党总支活动日提醒", "unit activity day"),
)

R = Level.REGION
COMMANDS = [
    Command("unit", ("党总支",), general, "units.usage_unit", "units.help_unit", R),
    Command("cluster", ("编组",), cluster, "units.usage_cluster", "units.help_cluster", R),
    Command("unit_fund", ("总支经费",), fund, "units.usage_fund", "units.help_fund", R),
    Command("unit_notice", ("总支通知",), unit_notice, "units.usage_notice", "units.help_notice", unit_chat=True),
    Command("pair", ("结对",), pair, "units.usage_pair", "units.help_pair", R),
    Command("unpair", ("解除结对",), unpair, "units.usage_unpair", "units.help_unpair", R),
]

FEATURE = Feature(
    "units",
    topic="settings",
    commands=COMMANDS,
    pushes=[PAIRED, COMMITTEE, UNIT_DAY, UNIT_MONTH],
    periodic=[_periodic, _periodic_month],
)
