"""党费: 一册一账一票, as 001 asks ("规范党费收缴基数、时间，并及时将党费收缴情况公示").

A branch's secretary sets each member's monthly amount from the base the member declares, by the
rate bands (党费基数, in a private chat: the base is seen only by the member, the branch's secretary
and the region's officers), and records each month's payment with its receipt (党费已交). The
branch's chats are reminded on the 25th how many have not paid (never who), and on the 1st the
month before is made public (公示: name, month, amount — never the base). Arrears (党费欠缴) and a
member's own account (我的党费) are answered in a private chat only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.intent import SEE, Phrase
from handlers.core.names import named_member
from handlers.core.outbox import Moment, Payload, Personal, PushContext, PushKind, queue, to_chats
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.org import MAX_NAME
from storage.records import MemberRec
from storage.repos.dues import BaseRec, PaymentRec
from storage.uow import UnitOfWork

# the rate bands (中组部《关于中国共产党党费收缴、使用和管理的规定》): a monthly base up to each
# bound (fen, inclusive) pays that many ten-thousandths; the low band a fixed 0.20 yuan
BANDS: dict[str, list[tuple[int | None, int]]] = {
    "working": [(300_000, 50), (500_000, 100), (1_000_000, 150), (None, 200)],
    "retired": [(500_000, 50), (None, 100)],
}
LOW_CENTS = 20
CATEGORY_WORDS = {
    "在职": "working", "离退休": "retired", "退休": "retired", "离休": "retired", "低收入": "low", "学生": "low",
    "下岗": "low", "失业": "low", "working": "working", "retired": "retired", "low": "low",
}  # fmt: skip
NOT_MEMBERS = frozenset({"activist"})  # an activist is not yet a Party member: no dues
MAX_CENTS = 10_000_000_00  # a base or payment above 10 million yuan is a typo
MAX_RECEIPT = 50
FROM_WORDS = frozenset({"从", "自", "from"})
BACKDATE_MONTHS = 24  # a base may hold from a month this far back, no further
REMIND_DAY = 25  # the branch's chats hear on this day how many have not paid the month
PUSH_HOUR = 9
_YUAN = re.compile(r"^(?P<n>[0-9]+(?:\.[0-9]{1,2})?)元?$")
_MONTH = re.compile(r"^(?:(?P<y>[0-9]{4})\s*[-/.年]\s*)?(?P<m>[0-9]{1,2})(?:月份?)?$")
_SEPARATORS = re.compile(r"[\s、，,]+")


def amount_of(category: str, base_cents: int) -> int:
    """The monthly dues a base makes, in fen (rounded half up)."""
    if category == "low":
        return LOW_CENTS
    rate = next(r for bound, r in BANDS[category] if bound is None or base_cents <= bound)
    return (base_cents * rate + 5000) // 10000


@dataclass(frozen=True)
class Band:
    """The band a base falls in, for the ledger and the member (never the base itself)."""

    category: str
    lower: int | None  # fen, exclusive
    upper: int | None  # fen, inclusive
    rate: int  # ten-thousandths


def band_of(category: str, base_cents: int) -> Band:
    if category == "low":
        return Band("low", None, None, 0)
    lower = None
    for bound, rate in BANDS[category]:
        if bound is None or base_cents <= bound:
            return Band(category, lower, bound, rate)
        lower = bound
    raise AssertionError("the last band has no bound")


def yuan(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def parse_yuan(word: str) -> int | None:
    """ "6000", "6000元", "6,000.5" -> fen; None if not an amount."""
    m = _YUAN.match(word.replace(",", "").replace("，", "").replace("¥", "").replace("￥", ""))
    if not m:
        return None
    whole, _, part = m.group("n").partition(".")
    cents = int(whole) * 100 + int((part + "00")[:2])
    return cents if cents <= MAX_CENTS else None


def month_key(day: date) -> str:
    return f"{day:%Y-%m}"


def parse_month(word: str, today: date) -> str | None:
    """本月, 上月, 12月, 2026-12, 2026年12月 -> "YYYY-MM"; a month without a year is the latest
    such month up to this one; None if not a month."""
    if word in ("本月", "这个月", "this_month"):
        return month_key(today)
    if word in ("上月", "上个月", "last_month"):
        return month_key(today.replace(day=1) - timedelta(days=1))
    m = _MONTH.match(word)
    if not m or (m.group("y") is None and not word.endswith(("月", "月份"))):
        return None  # a bare number is an amount, not a month
    month = int(m.group("m"))
    if not 1 <= month <= 12:
        return None
    year = int(m.group("y")) if m.group("y") else today.year - (month > today.month)
    return f"{year:04d}-{month:02d}"


def months_between(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    found = []
    while f"{y:04d}-{m:02d}" <= last:
        found.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return found


def base_in(bases: list[BaseRec], month: str) -> BaseRec | None:
    """The base that holds in a month: the latest set from that month or before."""
    found = None
    for b in bases:
        if b.from_month <= month:
            found = b
    return found


def owed(bases: list[BaseRec], paid: set[str], last: str) -> list[tuple[str, int]]:
    """The months from the first base through `last` not paid, with what each owes."""
    if not bases:
        return []
    found = []
    for month in months_between(bases[0].from_month, last):
        base = base_in(bases, month)
        if base is not None and month not in paid:
            found.append((month, base.amount_cents))
    return found


def _from_month(word: str, today: date) -> str:
    """The month a base holds from: this one or one of the last BACKDATE_MONTHS."""
    month = parse_month(word.removesuffix("起"), today)
    if month is None:
        raise UsageError("dues_base", "dues.bad_month", text=word[:20])
    earliest = month_key(date(today.year - BACKDATE_MONTHS // 12, today.month, 1))
    if not earliest <= month <= month_key(today):
        raise UsageError("dues_base", "dues.from_range", earliest=earliest)
    return month


def _private(ctx: Context, command: str) -> None:
    """What touches a base or a member's arrears is said in a private chat only."""
    if not ctx.incoming.is_private:
        raise AppError("dues.private_only", command=command)


# -- commands ----------------------------------------------------------------------------------
async def set_base(ctx: Context, args: str) -> list[Reply]:
    """党费基数 姓名 [金额 [在职|离退休|低收入] [从 月份]] — privately: set a member's monthly base
    (from this month on, or from a month of the last two years: a region starting mid-year) and so
    their dues; with the name alone, show it."""
    _private(ctx, "党费基数")
    words = [w for w in _SEPARATORS.split(args.strip()) if w]
    today = ctx.local(ctx.now).date()
    month = month_key(today)
    if len(words) >= 3 and words[-2] in FROM_WORDS:
        month = _from_month(words[-1], today)
        words = words[:-2]
    elif words and words[-1].startswith(tuple(FROM_WORDS)) and len(words[-1]) > 1:
        month = _from_month(words[-1][1:], today)
        words = words[:-1]
    if not 1 <= len(words) <= 3 or len(words[0]) > MAX_NAME:
        raise UsageError("dues_base")
    node = ctx.need_node()
    if len(words) == 1:

        async def show(uow: UnitOfWork) -> dict[str, Any]:
            member = await named_member(uow, node.region_id, words[0], node.branch_id)
            ctx.need_manager_of(member, dues=True)
            bases = await uow.dues.bases_of(member.id)
            return {"name": member.name, "base": base_in(bases, month)}

        shown = await ctx.read(show)
        b = shown["base"]
        return [ctx.reply("dues.base_shown", name=shown["name"], b=b, band=b and band_of(b.category, b.base_cents))]
    base_cents = parse_yuan(words[1])
    if base_cents is None:
        raise UsageError("dues_base", "dues.bad_amount", text=words[1][:20])
    category = CATEGORY_WORDS.get(words[2].lower()) if len(words) == 3 else "working"
    if category is None:
        raise UsageError("dues_base", "dues.bad_category", text=words[2][:20])
    amount = amount_of(category, base_cents)

    async def work(uow: UnitOfWork) -> str:
        member = await named_member(uow, node.region_id, words[0], node.branch_id)
        actor = ctx.need_manager_of(member, dues=True)
        if member.role in NOT_MEMBERS:
            raise AppError("dues.not_a_member", name=member.name)
        await uow.dues.set_base(
            region_id=node.region_id, member_id=member.id, from_month=month, category=category,
            base_cents=base_cents, amount_cents=amount, by=actor.id, now=uow.now,
        )  # fmt: skip
        await ctx.audit(uow, actor.id, "dues.base", member=member.id, month=month)  # never the base itself
        return member.name

    name = await ctx.unit(work)
    band = band_of(category, base_cents)
    return [ctx.reply("dues.base_set", name=name, base=base_cents, band=band, amount=amount, month=month)]


@dataclass
class Paid:
    name: str
    months: list[str]
    amount: int | None
    receipt: str | None


def _paid_args(args: str, today: date) -> Paid:
    """姓名 [月份…] [金额] [票据号]: months as 12月 / 2026-12 / 本月; an amount as 90 or 90元; any
    other word the receipt's number."""
    words = [w for w in _SEPARATORS.split(args.strip()) if w]
    if not words or len(words[0]) > MAX_NAME:
        raise UsageError("dues_paid")
    said = Paid(words[0].lstrip("@"), [], None, None)
    for word in words[1:]:
        month = parse_month(word, today)
        cents = parse_yuan(word) if month is None else None
        if month is not None:
            said.months.append(month)
        elif cents is not None and said.amount is None:
            said.amount = cents
        elif said.receipt is None and len(word) <= MAX_RECEIPT:
            said.receipt = word.removeprefix("票据号").removeprefix("票据").lstrip("：:") or None
        else:
            raise UsageError("dues_paid", "dues.bad_word", text=word[:20])
    said.months = sorted(set(said.months)) or [month_key(today)]
    if said.amount is not None and len(said.months) > 1:
        raise UsageError("dues_paid", "dues.amount_of_one")
    if any(m > month_key(today) for m in said.months):
        raise UsageError("dues_paid", "dues.future_month")
    return said


async def record_paid(ctx: Context, args: str) -> list[Reply]:
    """党费已交 姓名 [月份…] [金额] [票据号] — the branch records a member's dues (this month unless
    said; several months at their own amounts)."""
    today = ctx.local(ctx.now).date()
    said = _paid_args(args, today)
    node = ctx.need_node()

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        member = await named_member(uow, node.region_id, said.name, node.branch_id)
        actor = ctx.need_manager_of(member, own=True, dues=True)
        if member.role in NOT_MEMBERS:
            raise AppError("dues.not_a_member", name=member.name)
        bases = await uow.dues.bases_of(member.id)
        recorded: list[tuple[str, int]] = []
        again: list[tuple[str, int]] = []
        for month in said.months:
            base = base_in(bases, month)
            cents = said.amount if said.amount is not None else base.amount_cents if base else None
            if cents is None:
                raise AppError("dues.no_base", name=member.name, month=month)
            done = await uow.dues.pay(
                region_id=node.region_id, branch_id=member.branch_id, member_id=member.id, month=month,
                amount_cents=cents, receipt_no=said.receipt, paid_on=today, by=actor.id, now=uow.now,
            )  # fmt: skip
            (recorded if done else again).append((month, cents))
        if recorded:
            await ctx.audit(uow, actor.id, "dues.paid", member=member.id, months=[m for m, _ in recorded],
                            receipt=said.receipt or "")  # fmt: skip
        return {"name": member.name, "recorded": recorded, "again": [m for m, _ in again], "receipt": said.receipt}

    return [ctx.reply("dues.paid", **await ctx.unit(work))]


@dataclass(frozen=True)
class BranchMonth:
    """A branch's dues for a month: who paid what (public) and how many have not."""

    branch_id: int
    branch: str
    month: str
    paid: list[PaymentRec]
    expected: int  # members with a base that holds this month
    unpaid: list[MemberRec]  # never shown in a group: counted there

    @property
    def total(self) -> int:
        return sum(p.amount_cents for p in self.paid)


async def branch_months(uow: UnitOfWork, region_id: int, month: str, branch_id: int | None = None) -> list[BranchMonth]:
    """Each branch of the region (or one): the month's payments and who with a base has not paid."""
    bases = await uow.dues.bases(region_id)
    paid = await uow.dues.payments(region_id, month, month)
    members = await uow.org.members_of(region_id, branch_id)
    found = []
    first_day = date(int(month[:4]), int(month[5:]), 1)
    for b in await uow.org.branches(region_id):
        if branch_id not in (None, b.id) or not b.open_on(first_day):
            continue
        due = [m for m in members if m.branch_id == b.id and base_in(bases.get(m.id, []), month) is not None]
        theirs = [p for p in paid if p.branch_id == b.id]
        payers = {p.member_id for p in paid}
        found.append(BranchMonth(b.id, b.name, month, theirs, len(due), [m for m in due if m.id not in payers]))
    return found


async def listing(ctx: Context, args: str) -> list[Reply]:
    """党费 [月份] — the month's 公示: in a branch's chat who paid what (and how many have not); in
    the region's chat each branch's count and sum. Never a base, never who has not paid."""
    today = ctx.local(ctx.now).date()
    word = args.strip()
    if word.startswith("已交"):  # 党费 已交 姓名 …: recording, as the branch's secretary may
        return await record_paid(ctx, word.removeprefix("已交"))
    month = parse_month(word, today) if word else month_key(today)
    if month is None:
        raise UsageError("dues", "dues.bad_month", text=word[:20])
    node = ctx.need_node()
    found = await ctx.read(lambda uow: branch_months(uow, node.region_id, month, node.branch_id))
    if node.branch_id is not None:
        return [ctx.reply("dues.branch", m=found[0])]
    return [ctx.reply("dues.region", items=found, month=month)]


async def arrears(ctx: Context, args: str) -> list[Reply]:
    """党费欠缴 — privately, to a branch's secretary (a region officer: every branch): each member's
    months unpaid up to last month, with what they owe."""
    _private(ctx, "党费欠缴")
    if args.strip():
        raise UsageError("dues_arrears")
    node = ctx.need_node()
    ctx.need_manager(node.region_id, node.branch_id, Level.DUES)
    today = ctx.local(ctx.now).date()
    last = month_key(today.replace(day=1) - timedelta(days=1))

    async def read(uow: UnitOfWork) -> list[dict[str, Any]]:
        bases = await uow.dues.bases(node.region_id)
        members = await uow.org.members_of(node.region_id, node.branch_id)
        paid: dict[int, set[str]] = {}
        for p in await uow.dues.payments(node.region_id, "0000-00", last, [m.id for m in members]):
            paid.setdefault(p.member_id, set()).add(p.month)
        names = {b.id: b.name for b in await uow.org.branches(node.region_id)}
        rows = []
        for m in members:
            months = owed(bases.get(m.id, []), paid.get(m.id, set()), last)
            if months:
                rows.append({"name": m.name, "branch": names.get(m.branch_id, "?"), "months": months,
                             "total": sum(c for _, c in months)})  # fmt: skip
        return rows

    rows = await ctx.read(read)
    return [ctx.reply("dues.arrears", rows=rows, last=last, region=node.branch_id is None)]


async def mine(ctx: Context, args: str) -> list[Reply]:
    """我的党费 — privately: the member's base, band and monthly amount, this year's payments and
    what is unpaid."""
    _private(ctx, "我的党费")
    member = ctx.need_member()
    today = ctx.local(ctx.now).date()
    month = month_key(today)
    last = month_key(today.replace(day=1) - timedelta(days=1))

    async def read(uow: UnitOfWork) -> dict[str, Any]:
        bases = await uow.dues.bases_of(member.id)
        paid = await uow.dues.payments(member.region_id, "0000-00", month, [member.id])
        base = base_in(bases, month)
        return {
            "b": base,
            "band": base and band_of(base.category, base.base_cents),
            "year": [p for p in paid if p.month.startswith(f"{today.year}-")],
            "owed": owed(bases, {p.month for p in paid}, last),
            "this_month": any(p.month == month for p in paid),
        }

    return [ctx.reply("dues.mine", name=member.name, month=month, **await ctx.read(read))]


# -- pushes ------------------------------------------------------------------------------------
class MonthPush(Payload):
    month: str  # YYYY-MM


async def _remind(ctx: PushContext[MonthPush]) -> Reply | None:
    """On the 25th, to a branch's chats: how many have not paid the month (never who)."""
    if ctx.chat.branch_id is None:
        return None
    (m,) = await branch_months(ctx.uow, ctx.chat.region_id, ctx.payload.month, ctx.chat.branch_id)
    return Reply(text=render("dues.push_remind", ctx.locale, m=m)) if m.unpaid else None


async def _notice(ctx: PushContext[MonthPush]) -> Reply | None:
    """On the 1st, to a branch's chats: the month before made public (name, month, amount)."""
    if ctx.chat.branch_id is None:
        return None
    (m,) = await branch_months(ctx.uow, ctx.chat.region_id, ctx.payload.month, ctx.chat.branch_id)
    return Reply(text=render("dues.push_notice", ctx.locale, m=m)) if m.paid else None


class OwedPush(Personal):
    member: int
    month: str  # YYYY-MM


async def _owed(ctx: PushContext[OwedPush]) -> Reply | None:
    """To one member, privately, on the 25th: the month's dues are not yet paid (nothing if they are
    by the time it goes)."""
    member = await ctx.uow.org.member(ctx.payload.member)
    if member is None or not member.active:
        return None
    bases = await ctx.uow.dues.bases_of(member.id)
    base = base_in(bases, ctx.payload.month)
    paid = await ctx.uow.dues.payments(member.region_id, ctx.payload.month, ctx.payload.month, [member.id])
    if base is None or paid:
        return None
    return Reply(text=render("dues.push_owed", ctx.locale, name=member.name, month=ctx.payload.month, b=base))


DUES_REMIND = PushKind(
    "dues_remind", MonthPush, _remind, lambda p: f"dues_remind:{p.month}", label=("党费交纳提醒", "dues reminder")
)
DUES_OWED = PushKind(
    "dues_owed", OwedPush, _owed, lambda p: f"dues_owed:{p.month}:{p.member}", label=("党费个人提醒", "dues owed")
)
DUES_NOTICE = PushKind(
    "dues_notice", MonthPush, _notice, lambda p: f"dues_notice:{p.month}", label=("党费收缴公示", "dues made public")
)


async def _owed_privately(uow: UnitOfWork, at: Moment) -> int:
    """Past this month's reminder time: a private reminder to each member with a base who has not
    paid the month, in each private chat they have had with the bot (keyed: once a month each)."""
    local = at.now.astimezone(at.tz)
    if local < datetime.combine(local.date().replace(day=REMIND_DAY), time(PUSH_HOUR), tzinfo=at.tz):
        return 0
    month = month_key(local.date())
    queued = 0
    for region in await uow.org.regions():
        for m in await branch_months(uow, region.id, month):
            for member in m.unpaid:
                for platform, chat_id in await uow.accounts.dm_chats(member.id):
                    payload = OwedPush(member=member.id, month=month, private=True)
                    queued += await queue(uow, DUES_OWED, platform, chat_id, due=at.now, payload=payload)
    return queued


def _next(day_of_month: int, now: datetime, tz: ZoneInfo) -> datetime:
    """The next `day_of_month` at PUSH_HOUR, local time."""
    local = now.astimezone(tz).date()
    at = datetime.combine(local.replace(day=day_of_month), time(PUSH_HOUR), tzinfo=tz)
    if at <= now:
        following = (local.replace(day=1) + timedelta(days=32)).replace(day=day_of_month)
        at = datetime.combine(following, time(PUSH_HOUR), tzinfo=tz)
    return at


async def _periodic(uow: UnitOfWork, at: Moment) -> int:
    """The month's reminder on the 25th, and the 公示 of the month before on the 1st; from the 25th at
    09:00 on, each member who has not paid the month is reminded privately, once."""
    remind = _next(REMIND_DAY, at.now, at.tz)
    notice = _next(1, at.now, at.tz)
    before = month_key(notice.date() - timedelta(days=1))
    queued = await _owed_privately(uow, at)
    return queued + await to_chats(
        uow,
        branch=[
            (DUES_REMIND, remind, MonthPush(month=month_key(remind.date()))),
            (DUES_NOTICE, notice, MonthPush(month=before)),
        ],
    )


D = Level.DUES
COMMANDS = [
    Command("dues", ("党费", "党费公示"), listing, "dues.usage_dues", "dues.help_dues"),
    Command("dues_paid", ("党费已交",), record_paid, "dues.usage_dues_paid", "dues.help_dues_paid", D),
    Command("my_dues", ("我的党费", "交党费"), mine, "dues.usage_my_dues", "dues.help_my_dues"),
    Command("dues_base", ("党费基数",), set_base, "dues.usage_dues_base", "dues.help_dues_base", D),
    Command("dues_arrears", ("党费欠缴",), arrears, "dues.usage_dues_arrears", "dues.help_dues_arrears", D),
]

PHRASES = [
    Phrase(SEE + r"(?:本月|这个月)?(?:的)?党费(?:收缴)?(?:情况|公示)", "党费"),
    Phrase(
        r"我(?:的)?党费(?:交了没?|交没交|有多少|是多少|多少|情况)?|(?:我)?(?:该|应该|应)?交多少党费",
        "我的党费",
        anyone=True,
    ),
]

FEATURE = Feature(
    "dues",
    topic="people",
    commands=COMMANDS,
    pushes=[DUES_REMIND, DUES_OWED, DUES_NOTICE],
    periodic=(_periodic,),
    phrases=PHRASES,
)
