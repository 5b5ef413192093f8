"""Points (积分) in chat: my balance, the leaderboard, an admin's adjustment; and the points store
(积分超市): items, redemption requests, approval with stock and balance checked together."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.core.access import Level, Refused
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.expected import EVERY_MEMBER, Expected, expects, party_groups
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.intent import SEE, Phrase
from handlers.core.mentions import mention
from handlers.core.names import named_member
from handlers.core.outbox import Personal, PushContext, PushKind, queue
from handlers.core.ports import Button, Reply
from handlers.core.router import Command, Press
from handlers.core.timeparse import WhenError, numbered, parse_date, whole_number
from handlers.core.vocabulary import TERMS
from storage import limits
from storage.records import ATTENDED, MemberRec, rate_of
from storage.repos.ledger import PersonRow
from storage.repos.points import RedemptionRec, rule_in_effect
from storage.uow import UnitOfWork

MANUAL = "manual:"  # the ledger reason of an adjustment: this, then the reason given
MAX_REASON = limits.POINT_REASON - len(MANUAL)
MAX_ITEM = 50
_ADJUST = re.compile(r"^(?P<name>\S{1,50})\s+(?P<amount>\S+)\s+(?P<reason>.+)$", re.S)
MAX_ADJUST = 10_000  # points in one manual change
MAX_PRICE = MAX_STOCK = 100_000


async def my_points(ctx: Context, args: str) -> list[Reply]:
    """我的积分 — balance and the latest entries, shown only to the asker where possible."""
    member = ctx.need_member()

    async def look(uow: UnitOfWork) -> tuple[int, list[tuple[datetime, int, str]]]:
        return await uow.points.balance(member.id), await uow.points.recent(member.id)

    balance, recent = await ctx.read(look)
    entries = [{"at": ctx.local(at), "amount": amount, "reason": reason} for at, amount, reason in recent]
    return [ctx.reply("points.mine", private=True, name=member.name, balance=balance, entries=entries)]


async def ranking(ctx: Context, args: str) -> list[Reply]:
    """积分排行 [支部|区域] [本月|本年] — points earned in the period, best first. A branch's chat
    ranks that branch; the region's ranking (names of every branch) is for the region's chats."""
    words = set(args.split())
    unknown = words - {"支部", "区域", "本月", "本年", "branch", "region", "month", "year"}
    if unknown:
        raise UsageError("rank")
    node = ctx.need_node()
    wants_region = bool(words & {"区域", "region"})
    if wants_region and node.branch_id is not None:
        raise AppError("points.region_rank_elsewhere")
    whole_region = node.branch_id is None and not words & {"支部", "branch"}
    if node.branch_id is None and not whole_region:
        raise UsageError("rank", "points.which_branch")
    by_year = bool(words & {"本年", "year"})
    local = ctx.local(ctx.now)
    since = local.replace(month=1 if by_year else local.month, day=1, hour=0, minute=0, second=0, microsecond=0)
    branch_id = None if whole_region else node.branch_id
    rows = await ctx.read(lambda uow: uow.points.ranking(node.region_id, branch_id, since))
    return [ctx.reply("points.ranking", rows=rows, region=whole_region, year=by_year, since=since)]


async def adjust(ctx: Context, args: str) -> list[Reply]:
    """调整积分 姓名 +5 原因 — an admin's manual change, with a reason, never below zero."""
    m = _ADJUST.match(args.strip())
    if m is None:
        raise UsageError("adjust")
    amount = whole_number(m.group("amount"), -MAX_ADJUST, MAX_ADJUST)
    if not amount:
        raise UsageError("adjust", "common.bad_number", low=-MAX_ADJUST, high=MAX_ADJUST)
    name, reason = m.group("name"), m.group("reason").strip()
    if len(reason) > MAX_REASON:
        raise UsageError("adjust", "common.too_long", limit=MAX_REASON)
    binding = ctx.need_binding()
    admin = ctx.need_manager(binding.region_id, None)
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> tuple[MemberRec, int]:
        target = await named_member(uow, binding.region_id, name, binding.branch_id)
        ctx.need_manager_of(target)
        ref = f"manual:{inc.platform}:{inc.update_id}" if inc.update_id else None
        move = uow.points.credit if amount > 0 else uow.points.debit
        done = await move(
            target.id, abs(amount), reason=MANUAL + reason, source="manual", ref=ref, operator=admin.id, now=uow.now
        )
        if not done and amount < 0:
            raise AppError("points.not_enough", name=name, balance=await uow.points.balance(target.id))
        await uow.audit.record(
            actor=admin.id,
            platform=inc.platform,
            action="points.adjust",
            detail={"member": target.id, "amount": amount, "reason": reason},
            now=uow.now,
        )
        return target, await uow.points.balance(target.id)

    target, balance = await ctx.unit(work)
    return [
        ctx.reply(
            "points.adjusted", name=mention(target.id, target.name), amount=amount, reason=reason, balance=balance
        )
    ]


# -- the store --------------------------------------------------------------------------------
_VOLUNTEER = re.compile(
    r"^(?P<name>\S{1,50})\s+(?:(?P<hours>[0-9０-９]{1,2}(?:\.5)?)\s*(?:小时|个小时|h)\s*)?(?P<what>.+)$", re.S
)
MAX_HOURS = 24


async def volunteer(ctx: Context, args: str) -> list[Reply]:
    """志愿服务 姓名 [N小时] 内容 — a branch records a member's volunteer service; it earns the
    region's 志愿服务 points (积分规则)."""
    m = _VOLUNTEER.match(args.strip())
    if m is None:
        raise UsageError("volunteer")
    name, what = m.group("name").lstrip("@"), m.group("what").strip()
    hours = float(m.group("hours").translate(_FULL_WIDTH)) if m.group("hours") else None
    if hours is not None and not 0 < hours <= MAX_HOURS:
        raise UsageError("volunteer", "points.bad_hours", limit=MAX_HOURS)
    reason = f"{hours:g}小时 {what}" if hours is not None else what
    if len(reason) > limits.POINT_REASON - len("volunteer:"):
        raise UsageError("volunteer", "common.too_long", limit=limits.POINT_REASON - len("volunteer:") - 6)
    node = ctx.need_node()
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> tuple[MemberRec, int, int]:
        target = await named_member(uow, node.region_id, name, node.branch_id)
        actor = ctx.need_manager_of(target)
        points = await ctx.points_for("volunteer", target.region_id)
        ref = f"volunteer:{inc.platform}:{inc.update_id}" if inc.update_id else None
        if points:
            await uow.points.credit(
                target.id, points, reason=f"volunteer:{reason}", source="volunteer", ref=ref, operator=actor.id,
                now=uow.now,
            )  # fmt: skip
        await ctx.audit(uow, actor.id, "points.volunteer", member=target.id, text=reason, worth=points)
        return target, points, await uow.points.balance(target.id)

    target, points, balance = await ctx.unit(work)
    said: dict[str, Any] = {"name": mention(target.id, target.name), "hours": hours, "what": what, "points": points}
    return [ctx.reply("points.volunteered", balance=balance, **said)]


_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
MAX_RULE_POINTS = 100  # what one rule may give at a time
FROM_WORDS = frozenset({"从", "自", "from"})


def _rule_named(word: str) -> str | None:
    """A points rule by its Chinese or English name, or its code."""
    low = word.lower()
    for code, names in TERMS["point_rule"].items():
        if low in (code, names[0], names[1].lower().replace(" ", "_"), names[1].lower().replace(" ", "")):
            return code
    return None


async def point_rules(ctx: Context, args: str) -> list[Reply]:
    """积分规则 — what earns points in this region today, the changes to come and the earlier ones."""
    if args.strip():
        raise UsageError("point_rules")
    node = ctx.need_node()
    today = ctx.local(ctx.now).date()
    rules = await ctx.read(lambda uow: uow.points.rules(node.region_id))
    defaults = ctx.services.policy.points
    now = [(code, rule_in_effect(rules, code, today, defaults.get(code, 0))) for code in TERMS["point_rule"]]
    coming = sorted((r for r in rules if r.from_day > today), key=lambda r: (r.from_day, r.set_at))
    return [ctx.reply("points.rules", now=now, coming=coming, earlier=[r for r in rules if r.from_day <= today][-10:])]


async def set_points(ctx: Context, args: str) -> list[Reply]:
    """设置积分 规则 分值 [从 日期] — a region officer sets what a rule earns in the region, from
    today or a later day; points already given stay as they were."""
    words = args.split()
    today = ctx.local(ctx.now).date()
    day = today
    if len(words) >= 3 and words[-2] in FROM_WORDS:
        try:
            day = parse_date(words[-1], today)
        except WhenError as exc:
            raise UsageError("set_points", "points.bad_day", text=words[-1][:20]) from exc
        words = words[:-2]
    if len(words) != 2:
        raise UsageError("set_points")
    rule = _rule_named(words[0])
    if rule is None:
        raise UsageError("set_points", "points.no_such_rule", text=words[0][:20], rules=list(TERMS["point_rule"]))
    amount = whole_number(words[1], 0, MAX_RULE_POINTS)
    if amount is None:
        raise UsageError("set_points", "points.bad_rule_points", text=words[1][:20], limit=MAX_RULE_POINTS)
    if day < today:
        raise UsageError("set_points", "points.rule_past", day=day)
    node = ctx.need_node()
    actor = ctx.need_manager(node.region_id, None, Level.REGION)
    defaults = ctx.services.policy.points

    async def work(uow: UnitOfWork) -> int:
        before = rule_in_effect(await uow.points.rules(node.region_id), rule, day, defaults.get(rule, 0))
        await uow.points.set_rule(node.region_id, rule, amount, day, actor.id, uow.now)
        await ctx.audit(uow, actor.id, "points.rule", point_rule=rule, worth=amount, from_day=str(day), before=before)
        return before

    before = await ctx.unit(work)
    ctx.services.directory.forget_point_rules(node.region_id)
    return [ctx.reply("points.rule_set", rule=rule, amount=amount, before=before, day=day, today=today)]


# 先锋指数: points earned (against the region's best), attendance and duty kept, out of 100
PIONEER_WEIGHTS = {"points": 40, "attendance": 40, "duty": 20}


@dataclass(frozen=True)
class Pioneer:
    """A member's 先锋指数 for the year so far and what it is made of."""

    earned: int  # points earned this year
    best: int  # the region's highest
    expected: int  # held events they were expected at
    present: int
    leave: int
    kept: int  # duty shifts begun, kept
    due: int
    since: date  # counted from (1 January, or the region's start day)

    def parts(self) -> dict[str, float | None]:
        """Each part's score out of its weight; None: nothing to count (left out)."""
        w = PIONEER_WEIGHTS
        return {
            "points": w["points"] * self.earned / self.best if self.best else None,
            "attendance": w["attendance"] * self.present / self.expected if self.expected else None,
            "duty": w["duty"] * self.kept / self.due if self.due else None,
        }

    @property
    def index(self) -> float | None:
        """The parts counted, scaled to 100 (None: nothing to count yet)."""
        counted = {k: v for k, v in self.parts().items() if v is not None}
        weight = sum(PIONEER_WEIGHTS[k] for k in counted)
        return round(100 * sum(counted.values()) / weight, 1) if weight else None


async def pioneer_of(uow: UnitOfWork, member: MemberRec, tz: ZoneInfo) -> Pioneer:
    """A member's 先锋指数 this year up to now: the held events they were expected at where they
    were then (transfers kept), their marks, their points and the region's best, their shifts."""
    today = uow.now.astimezone(tz).date()
    since = max(date(today.year, 1, 1), (await uow.org.region(member.region_id)).start(tz))
    start = datetime.combine(since, time(), tzinfo=tz)
    held = await uow.compliance.held(member.region_id, start, uow.now) if start < uow.now else []
    scope = await uow.ledger.scope(member.region_id, None, start, uow.now)
    stays = await uow.ledger.people(scope, only=frozenset({member.id}))
    groups = await party_groups(uow, held)
    mine = [e.id for e in held if any(expects(e, p, groups) for p in stays)]
    marks = await uow.attendance.statuses_of(member.id, mine)
    earned, best = await uow.points.earned_most(member.region_id, member.id, start)
    shifts = [s for s in await uow.duty.of_member(member.id, start, uow.now) if s.starts_at <= uow.now]
    return Pioneer(
        earned, best, len(mine), sum(s in ATTENDED for s in marks.values()), sum(s == "leave" for s in marks.values()),
        sum(s.checked_in_at is not None for s in shifts), len(shifts), since,
    )  # fmt: skip


@dataclass(frozen=True)
class PioneerRow:
    """One member's 先锋指数 of a year in the region's list (年度考评)."""

    member_id: int
    name: str
    branch_id: int  # where they are now (or were last, that year)
    p: Pioneer


async def pioneers(uow: UnitOfWork, region_id: int, year: int, tz: ZoneInfo) -> list[PioneerRow]:
    """Every Party member's 先锋指数 of a year (so far, for this one) in one pass over the region:
    the held events with who was expected where they were then, the marks, the points earned and
    the shifts, each read once, whatever the number of members; as `pioneer_of` counts one
    member. Highest first (those with nothing to count last, by name)."""
    first = max(date(year, 1, 1), (await uow.org.region(region_id)).start(tz))
    start = datetime.combine(first, time(), tzinfo=tz)
    end = min(datetime.combine(date(year + 1, 1, 1), time(), tzinfo=tz), uow.now)
    if start >= end:
        return []
    held = await uow.compliance.held(region_id, start, end)
    scope = await uow.ledger.scope(region_id, None, start, end)
    people = await uow.ledger.people(scope)
    expect = Expected(people, start, end, await party_groups(uow, held))
    expected: dict[int, set[int]] = defaultdict(set)
    for e in held:
        for person in expect.of(e):
            expected[person.id].add(e.id)
    marks: dict[int, Counter[str]] = defaultdict(Counter)
    async for r in uow.ledger.attendance(scope, by_member=False):
        if r.event_id in expected.get(r.member_id, ()):
            marks[r.member_id]["present" if r.status in ATTENDED else str(r.status)] += 1
    earned = await uow.points.earned_by_member(region_id, start, end)
    best = max(earned.values(), default=0)
    kept: Counter[int] = Counter()
    due: Counter[int] = Counter()
    for s in await uow.duty.between(region_id, start - timedelta(days=1), end):
        if s.ends_at > start and s.starts_at <= uow.now:
            due[s.member_id] += 1
            kept[s.member_id] += s.checked_in_at is not None
    last: dict[int, PersonRow] = {}
    for person in people:  # a member's last stay of the year names them and their branch
        if person.role in EVERY_MEMBER and (person.until is None or person.until > start):
            last[person.id] = person
    rows = []
    for m, person in last.items():
        if person.active:
            counted = marks[m]
            p = Pioneer(earned.get(m, 0), best, len(expected.get(m, ())), counted["present"], counted["leave"], kept[m],
                        due[m], first)  # fmt: skip
            rows.append(PioneerRow(m, person.name, person.branch_id, p))
    return sorted(rows, key=lambda r: (r.p.index is None, -(r.p.index or 0), r.name))


async def pioneer(ctx: Context, args: str) -> list[Reply]:
    """先锋指数 — the asker's 先锋指数 this year, and what it is made of (answered privately where possible)."""
    if args.strip():
        raise UsageError("pioneer")
    member = ctx.need_member()
    found = await ctx.read(lambda uow: pioneer_of(uow, member, ctx.tz))
    shown: dict[str, Any] = {"name": member.name, "p": found, "parts": found.parts(), "weights": PIONEER_WEIGHTS}
    rate = rate_of(found.expected, found.present, found.leave)
    return [ctx.reply("points.pioneer", private=True, today=ctx.local(ctx.now).date(), rate=rate, **shown)]


async def store(ctx: Context, args: str) -> list[Reply]:
    """积分超市 — the items, their price and what is left."""
    node = ctx.need_node()
    items = await ctx.read(lambda uow: uow.store.items(node.region_id))
    return [ctx.reply("points.store", items=items)]


async def stock_item(ctx: Context, args: str) -> list[Reply]:
    """上架 商品名 价格 库存 — an admin adds an item, or restocks and reprices one."""
    parts = args.split()
    if len(parts) != 3:
        raise UsageError("store_add")
    name, price, stock = parts[0], whole_number(parts[1], 1, MAX_PRICE), whole_number(parts[2], 0, MAX_STOCK)
    if price is None:  # an item costs at least a point
        raise UsageError("store_add", "common.bad_number", low=1, high=MAX_PRICE)
    if stock is None:
        raise UsageError("store_add", "common.bad_number", low=0, high=MAX_STOCK)
    if len(name) > MAX_ITEM:
        raise UsageError("store_add", "common.too_long", limit=MAX_ITEM)
    if limits.unreadable(name):  # no zero-width twin of another item
        raise UsageError("store_add", "common.invisible")
    binding = ctx.need_binding()
    admin = ctx.need_manager(binding.region_id, None)

    async def work(uow: UnitOfWork) -> int:
        item_id = await uow.store.put(binding.region_id, name, price, stock)
        await uow.audit.record(
            actor=admin.id,
            platform=ctx.incoming.platform,
            action="store.put",
            detail={"item": item_id, "price": price, "stock": stock},
            now=uow.now,
        )
        item = await uow.store.item_named(binding.region_id, name)
        assert item is not None
        return item.stock

    total = await ctx.unit(work)
    return [ctx.reply("points.stocked", name=name, price=price, stock=total)]


async def redeem(ctx: Context, args: str) -> list[Reply]:
    """兑换 商品名 — ask for an item (in a group or privately); nothing is debited until an admin
    approves."""
    name = args.strip()
    if not name:
        raise UsageError("redeem")
    binding = ctx.need_node()
    member = ctx.need_member()
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> tuple[int, int]:
        item = await uow.store.item_named(binding.region_id, name)
        if item is None or not item.active:
            raise AppError("points.no_item", name=name)
        if item.stock < 1:
            raise AppError("points.sold_out", name=name)
        waiting = await uow.store.waiting(member.id, item.id)
        if waiting is not None:  # one request per item at a time: thirty presses post one card
            raise AppError("points.already_asked", id=waiting, name=name)
        balance = await uow.points.balance(member.id)
        promised = await uow.store.promised(member.id)  # asked for already, not yet decided
        if balance - promised < item.price:
            raise AppError("points.not_enough", name=member.name, balance=balance, promised=promised)
        rid = await uow.store.request(
            item_id=item.id,
            member_id=member.id,
            price=item.price,
            platform=inc.platform,
            chat_id=inc.chat_id,
            created_at=uow.now,
        )
        # the region's managers decide: their chats hear of it (with the buttons) wherever it was asked
        for chat in await uow.chats.chats_for(binding.region_id, None, include_branch_chats=False):
            if (chat.platform, chat.chat_id) != (inc.platform, inc.chat_id):
                news = RedeemNews(redemption=rid, step="requested")
                await queue(uow, REDEEM_NEWS, chat.platform, chat.chat_id, due=uow.now, payload=news)
        return rid, item.price

    rid, price = await ctx.unit(work)
    return [
        ctx.reply(
            "points.requested",
            buttons=decide_buttons(ctx.locale, rid),
            id=rid,
            name=mention(member.id, member.name),
            item=name,
            price=price,
        )
    ]


def decide_buttons(locale: str, rid: int, *, numbered: bool = False) -> tuple[Button, ...]:
    """批准 / 驳回 under one request; under a list of several, each with its request's number."""
    number = rid if numbered else None
    return (
        Button(str(render("points.approve_button", locale, number=number)), f"redeem_ok:{rid}"),
        Button(str(render("points.reject_button", locale, number=number)), f"redeem_no:{rid}"),
    )


async def tell_member(ctx: Context, uow: UnitOfWork, r: RedemptionRec, step: str, note: str = "") -> None:
    """The member hears of a decision on their request in the chat they asked in (their private
    chat with the bot, if that is where), unless that is where it was decided."""
    inc = ctx.incoming
    if (r.platform, r.chat_id) == (inc.platform, inc.chat_id):
        return
    private = await uow.chats.binding(r.platform, r.chat_id) is None
    news = RedeemNews(redemption=r.id, step=step, note=note, private=private)
    await queue(uow, REDEEM_NEWS, r.platform, r.chat_id, due=uow.now, payload=news)


async def _decide(ctx: Context, rid: int, approve: bool, note: str) -> list[Reply]:
    admin = ctx.need_member()

    async def work(uow: UnitOfWork) -> RedemptionRec:
        r = await uow.store.redemption(rid)
        if r is None or r.region_id != admin.region_id:
            raise AppError("points.no_redemption", id=rid)
        ctx.need_manager(r.region_id, None)
        if r.status != "pending":
            raise AppError("points.already_decided", id=rid, status=r.status)
        if not approve:
            await uow.store.decide(rid, old="pending", new="rejected", by=admin.id, now=uow.now)
            await _audit(ctx, uow, admin.id, "store.reject", r, note)
            await tell_member(ctx, uow, r, "rejected", note)
            return r
        if not await uow.store.take_one(r.item_id):
            raise AppError("points.sold_out", name=r.item)
        if not await uow.points.debit(
            r.member_id,
            r.price,
            reason=f"store:{r.item}",
            source="store",
            ref=f"redeem:{rid}",
            operator=admin.id,
            now=uow.now,
        ):
            raise AppError("points.not_enough", name=r.member, balance=await uow.points.balance(r.member_id))
        if not await uow.store.decide(rid, old="pending", new="approved", by=admin.id, now=uow.now):
            raise AppError("points.already_decided", id=rid, status="?")
        await _audit(ctx, uow, admin.id, "store.approve", r, note)
        await tell_member(ctx, uow, r, "approved", note)
        return r

    r = await ctx.unit(work)  # an AppError rolls the whole unit back: stock and points stay as they were
    key = "points.approved" if approve else "points.rejected"
    return [ctx.reply(key, id=rid, name=mention(r.member_id, r.member), item=r.item, price=r.price, note=note)]


async def _audit(ctx: Context, uow: UnitOfWork, actor: int, action: str, r: RedemptionRec, note: str = "") -> None:
    detail = {"redemption": r.id, "member": r.member_id, "item": r.item, "price": r.price, "note": note}
    await uow.audit.record(actor=actor, platform=ctx.incoming.platform, action=action, detail=detail, now=uow.now)


async def approve(ctx: Context, args: str) -> list[Reply]:
    """批准兑换 编号 — points debited and stock decremented together, or neither."""
    number, note = numbered(args)
    if number is None:
        raise UsageError("approve")
    return await _decide(ctx, number, True, note)


async def reject(ctx: Context, args: str) -> list[Reply]:
    """驳回兑换 编号 [原因] — nothing is debited."""
    number, note = numbered(args)
    if number is None:
        raise UsageError("reject_redeem")
    return await _decide(ctx, number, False, note)


async def cancel(ctx: Context, args: str) -> list[Reply]:
    """取消兑换 编号 — the member withdraws a pending request; an admin may also cancel an approved
    one, which gives the points and the item back."""
    rid, _ = numbered(args)
    if rid is None:
        raise UsageError("cancel_redeem")
    member = ctx.need_member()

    async def work(uow: UnitOfWork) -> tuple[RedemptionRec, bool]:
        r = await uow.store.redemption(rid)
        if r is None or r.region_id != member.region_id:
            raise AppError("points.no_redemption", id=rid)
        manager = ctx.can_manage(r.region_id, None)
        if r.status == "pending" and (r.member_id == member.id or manager):
            await uow.store.decide(rid, old="pending", new="cancelled", by=member.id, now=uow.now)
            return r, False
        if r.status == "approved" and manager:
            await uow.store.decide(rid, old="approved", new="cancelled", by=member.id, now=uow.now)
            await uow.store.give_back(r.item_id)
            await uow.points.credit(
                r.member_id,
                r.price,
                reason=f"refund:{r.item}",
                source="store",
                ref=f"refund:{rid}",
                operator=member.id,
                now=uow.now,
            )
            await _audit(ctx, uow, member.id, "store.refund", r)
            await tell_member(ctx, uow, r, "refunded")
            return r, True
        if r.status in ("pending", "approved"):
            raise Refused("access.needs_region")
        raise AppError("points.already_decided", id=rid, status=r.status)

    r, refunded = await ctx.unit(work)
    return [ctx.reply("points.cancelled", id=rid, item=r.item, refunded=refunded, price=r.price)]


async def press_approve(ctx: Context, data: str) -> list[Reply]:
    return await _button(ctx, data, True)


async def press_reject(ctx: Context, data: str) -> list[Reply]:
    return await _button(ctx, data, False)


async def _button(ctx: Context, data: str, ok: bool) -> list[Reply]:
    if not data.isdigit():
        return []
    return await _decide(ctx, int(data), ok, "")


async def pending_requests(ctx: Context, args: str) -> list[Reply]:
    """待批兑换 — the requests waiting for a decision, each with its buttons."""
    binding = ctx.need_binding()
    ctx.need_manager(binding.region_id, None)
    waiting = await ctx.read(lambda uow: uow.store.pending(binding.region_id, binding.branch_id))
    if not waiting:
        return [ctx.reply("points.none_pending")]
    buttons = tuple(b for r in waiting[:PENDING_BUTTONS] for b in decide_buttons(ctx.locale, r.id, numbered=True))
    return [ctx.reply("points.pending", items=waiting, buttons=buttons)]


PENDING_BUTTONS = 5  # requests listed with their buttons under the list (the rest by 批准兑换 编号)


class RedeemNews(Personal):
    redemption: int
    step: str  # requested (to the managers), approved / rejected / refunded (to the member)
    note: str = ""


async def _redeem_news(ctx: PushContext[RedeemNews]) -> Reply | None:
    p = ctx.payload
    r = await ctx.uow.store.redemption(p.redemption)
    if r is None:
        return None
    name = mention(r.member_id, r.member)
    if p.step == "requested":
        if r.status != "pending":
            return None  # decided meanwhile: nothing to ask
        text = render("points.requested", ctx.locale, id=r.id, name=name, item=r.item, price=r.price)
        return Reply(text=text, buttons=decide_buttons(ctx.locale, r.id))
    if p.step == "refunded":
        return Reply(text=render("points.cancelled", ctx.locale, id=r.id, item=r.item, refunded=True, price=r.price))
    key = "points.approved" if p.step == "approved" else "points.rejected"
    return Reply(text=render(key, ctx.locale, id=r.id, name=name, item=r.item, price=r.price, note=p.note))


REDEEM_NEWS = PushKind(
    "redeem_news",
    RedeemNews,
    _redeem_news,
    lambda p: f"redeem:{p.redemption}:{p.step}",
    label=("兑换进展", "redemption update"),
)
PUSHES = [REDEEM_NEWS]

M, B, R = Level.MEMBER, Level.BRANCH, Level.REGION
COMMANDS = [
    Command("pending_redeem", ("待批兑换",), pending_requests, "points.usage_pending", None, access=R),
    Command("points", ("我的积分",), my_points, "points.usage_points", "points.help_points", access=M),
    Command("rank", ("积分排行",), ranking, "points.usage_rank", "points.help_rank", access=M, reads=True),
    Command("adjust", ("调整积分",), adjust, "points.usage_adjust", "points.help_adjust", access=R),
    Command("volunteer", ("志愿服务",), volunteer, "points.usage_volunteer", "points.help_volunteer", access=B),
    Command("pioneer", ("先锋指数",), pioneer, "points.usage_pioneer", "points.help_pioneer", access=M),
    Command(
        "point_rules",
        ("积分规则",),
        point_rules,
        "points.usage_point_rules",
        "points.help_point_rules",
        access=M,
        reads=True,
    ),
    Command("set_points", ("设置积分",), set_points, "points.usage_set_points", "points.help_set_points", access=R),
    Command("store", ("积分超市",), store, "points.usage_store", "points.help_store", access=M),
    Command("store_add", ("上架",), stock_item, "points.usage_store_add", None, access=R),
    Command("redeem", ("兑换",), redeem, "points.usage_redeem", "points.help_redeem", access=M),
    Command("approve", ("批准兑换",), approve, "points.usage_approve", None, access=R),
    Command("reject_redeem", ("驳回兑换",), reject, "points.usage_reject_redeem", None, access=R),
    Command("cancel_redeem", ("取消兑换",), cancel, "points.usage_cancel_redeem", None, access=M),
]
BUTTONS = [Press("redeem_ok", press_approve, R), Press("redeem_no", press_reject, R)]


PHRASES = [
    Phrase(r"积分(?:排行|排名|榜|情况)?|" + SEE + r"积分(?:排行|排名|榜)|(?:积分)?排行榜|谁的积分最多", "积分排行"),
    Phrase(
        r"我(?:有|还有|现在有)?(?:多少|几)(?:个)?积分|我的积分(?:多少|有多少|是多少)?|"
        + SEE
        + r"我的积分|查积分|我积分多少",
        "我的积分",
        anyone=True,
    ),
    Phrase(
        r"积分(?:商城|商店|兑换)|(?:有|能)?(?:什么|哪些|啥)(?:东西)?(?:可以|能)?(?:兑换|换)|兑换(?:商品|礼品)",
        "积分超市",
    ),
    Phrase(r"(?:待审批|待批|要批)的?兑换|兑换(?:申请|审批)", "待批兑换"),
]

FEATURE = Feature("points", topic="points", commands=COMMANDS, buttons=BUTTONS, pushes=PUSHES, phrases=PHRASES)
