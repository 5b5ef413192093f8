"""换届: each branch committee's term, as 003 asks ("274个未按期换届两新党组织逐个分析研判…限时完成整改").

A branch records its election when held (换届 日期 书记 姓名 [委员 姓名 …] [任期 N年]; three
years by default); its chats are reminded 90 and 30 days before the term ends, and on the first of
each month the region's chats hear which branches are overdue or due within 90 days. 换届提醒
lists them: in the region's chat every branch (overdue first, then due soon, then those with no
election recorded), in a branch's chat its committee and the earlier ones. The roster stays the
only source of rights: recording an election names the secretary, it does not make one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.core.access import Level, Refused
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.intent import SEE, Phrase
from handlers.core.mentions import branch_secretaries
from handlers.core.outbox import Moment, Payload, PushContext, PushKind, queue, to_chats
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.core.timeparse import WhenError, parse_date, whole_number
from storage import limits
from storage.repos.terms import TermRec
from storage.uow import UnitOfWork

DEFAULT_YEARS = 3  # 党支部委员会每届任期三年
MAX_YEARS = 5
MAX_COMMITTEE = 10  # besides the secretary
REMIND_DAYS = (90, 30)  # the branch is reminded this many days before its term ends
REMIND_HOUR = 9
SOON_DAYS = REMIND_DAYS[0]  # "due soon" in the listings
SECRETARY_WORDS = frozenset({"书记", "secretary"})
COMMITTEE_WORDS = frozenset({"委员", "committee"})
TERM_WORDS = frozenset({"任期", "term"})
_TERM_JOINED = re.compile(r"^(?:任期)?(?P<n>[0-9０-９]+)年$")
_SEPARATORS = re.compile(r"[\s、，,：:；;]+")


def ends(elected_on: date, years: int) -> date:
    """The day a term elected on `elected_on` ends (29 February: the 28th when the year has none)."""
    try:
        return elected_on.replace(year=elected_on.year + years)
    except ValueError:
        return elected_on.replace(year=elected_on.year + years, day=28)


@dataclass(frozen=True)
class Standing:
    """Where a branch's term stands on a day: state is ok / soon / overdue / none (no election recorded)."""

    branch_id: int
    branch: str
    term: TermRec | None
    state: str
    days: int  # days left (soon, ok) or overdue by (overdue); 0 for none


def standing(branch_id: int, branch: str, term: TermRec | None, today: date) -> Standing:
    if term is None:
        return Standing(branch_id, branch, None, "none", 0)
    left = (term.ends_on - today).days
    if left < 0:
        return Standing(branch_id, branch, term, "overdue", -left)
    return Standing(branch_id, branch, term, "soon" if left <= SOON_DAYS else "ok", left)


async def standings(uow: UnitOfWork, region_id: int, today: date, branch_id: int | None = None) -> list[Standing]:
    """Every branch of the region (or one), most urgent first: overdue (longest first), due soon
    (nearest first), none recorded, then the rest by their end."""
    current = await uow.terms.current(region_id, branch_id)
    found = [
        standing(b.id, b.name, current.get(b.id), today)
        for b in await uow.org.branches(region_id)
        if branch_id in (None, b.id) and b.open_on(today)
    ]
    order = {"overdue": 0, "soon": 1, "none": 2, "ok": 3}
    return sorted(found, key=lambda s: (order[s.state], -s.days if s.state == "overdue" else s.days, s.branch_id))


@dataclass
class Election:
    branch: str | None = None
    elected_on: date | None = None
    secretary: str | None = None
    committee: list[str] | None = None
    years: int = DEFAULT_YEARS


def _parse(args: str, branches: set[str], today: date) -> Election:
    """[支部名] 日期 书记 姓名 [委员 姓名 …] [任期 N年], in any order; 、，: separate as spaces do."""
    said = Election()
    mode: str | None = None
    for word in (w for w in _SEPARATORS.split(args) if w):
        low = word.lower()
        if low in SECRETARY_WORDS | COMMITTEE_WORDS | TERM_WORDS:
            mode = "secretary" if low in SECRETARY_WORDS else "committee" if low in COMMITTEE_WORDS else "term"
            said.committee = [] if mode == "committee" and said.committee is None else said.committee
            continue
        joined = _TERM_JOINED.match(word)
        if mode == "term" or joined:
            years = whole_number((joined.group("n") if joined else word).removesuffix("年"), 1, MAX_YEARS)
            if years is None:
                raise UsageError("election", "terms.bad_years", text=word, limit=MAX_YEARS)
            said.years, mode = years, None
        elif mode == "secretary":
            if said.secretary is not None:
                raise UsageError("election", "terms.one_secretary")
            said.secretary, mode = word.lstrip("@"), None
        elif mode == "committee":
            assert said.committee is not None
            said.committee.append(word.lstrip("@"))
        elif word in branches and said.branch is None:
            said.branch = word
        elif said.elected_on is None:
            try:
                said.elected_on = parse_date(word, today, past=True)
            except WhenError as exc:
                raise UsageError("election", "terms.bad_word", text=word[: limits.BRANCH_NAME]) from exc
        else:
            raise UsageError("election", "terms.bad_word", text=word[: limits.BRANCH_NAME])
    return said


async def record_election(ctx: Context, args: str) -> list[Reply]:
    """换届 [支部名] 日期 书记 姓名 [委员 姓名 …] [任期 N年] — the election a branch held."""
    node = ctx.need_node()
    today = ctx.local(ctx.now).date()
    branches = await ctx.read(lambda uow: uow.org.branches(node.region_id))
    by_name = {b.name: b for b in branches}
    said = _parse(args, set(by_name), today)
    if said.elected_on is None or said.secretary is None:
        raise UsageError("election")
    if said.elected_on > today:
        raise UsageError("election", "terms.future", day=said.elected_on)
    if said.branch is not None:
        branch = by_name[said.branch]
        if node.branch_id not in (None, branch.id):
            raise Refused("access.needs_region")
    elif node.branch_id is not None:
        branch = next(b for b in branches if b.id == node.branch_id)
    else:
        raise UsageError("election", "terms.name_branch")
    committee = list(dict.fromkeys(n for n in said.committee or [] if n != said.secretary))
    if len(committee) > MAX_COMMITTEE:
        raise UsageError("election", "terms.too_many", limit=MAX_COMMITTEE)
    actor = ctx.need_manager(node.region_id, branch.id)
    elected_on, years = said.elected_on, said.years
    until = ends(elected_on, years)
    tz = ctx.tz

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        roster = {m.name: m for m in await uow.org.members_of(node.region_id, branch.id)}
        missing = [n for n in [said.secretary, *committee] if n not in roster]
        if missing:
            raise AppError("terms.not_members", names=missing, branch=branch.name)
        secretary = roster[said.secretary or ""]
        current = (await uow.terms.current(node.region_id, branch.id)).get(branch.id)
        if current is not None and current.elected_on >= elected_on:
            raise AppError("terms.not_newer", branch=branch.name, term=current)
        term_id = await uow.terms.record(
            region_id=node.region_id, branch_id=branch.id, elected_on=elected_on, years=years, ends_on=until,
            secretary_id=secretary.id, committee=committee, by=actor.id, now=uow.now,
        )  # fmt: skip
        term = await uow.terms.by_id(term_id)
        assert term is not None
        await _queue_reminders(uow, term, tz)
        detail = {"branch": branch.name, "elected_on": str(elected_on), "years": years, "secretary": secretary.name}
        await ctx.audit(uow, actor.id, "branch.election", **detail)
        return {"term": term, "left": (until - today).days, "roster_role": secretary.role}

    said_back = await ctx.unit(work)
    return [ctx.reply("terms.recorded", **said_back)]


async def listing(ctx: Context, args: str) -> list[Reply]:
    """换届提醒 — in the region's chat every branch's term, most urgent first; in a branch's chat
    its committee and the earlier ones."""
    if args.strip():
        raise UsageError("terms")
    node = ctx.need_node()
    today = ctx.local(ctx.now).date()
    if node.branch_id is None:
        found = await ctx.read(lambda uow: standings(uow, node.region_id, today))
        return [ctx.reply("terms.region", items=found, today=today)]
    branch_id = node.branch_id

    async def read(uow: UnitOfWork) -> tuple[Standing, list[TermRec]]:
        (now,) = await standings(uow, node.region_id, today, branch_id)
        return now, await uow.terms.of_region(node.region_id, branch_id)

    now, history = await ctx.read(read)
    return [ctx.reply("terms.branch", s=now, earlier=history[1:], today=today)]


# -- pushes ------------------------------------------------------------------------------------
class TermPush(Payload):
    term: int
    days: int  # how many days before the end this reminder is


class MonthPush(Payload):
    month: str  # YYYY-MM


def _at(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(REMIND_HOUR), tzinfo=tz)


async def _queue_reminders(uow: UnitOfWork, term: TermRec, tz: ZoneInfo, within: timedelta | None = None) -> int:
    """The term's reminders still ahead (those within `within` of now, if given) to its branch's chats."""
    queued = 0
    for days in REMIND_DAYS:
        due = _at(term.ends_on - timedelta(days=days), tz)
        if due <= uow.now or (within is not None and due > uow.now + within):
            continue
        for chat in await uow.chats.chats_for(term.region_id, term.branch_id, include_branch_chats=False):
            payload = TermPush(term=term.id, days=days)
            queued += await queue(uow, TERM_DUE, chat.platform, chat.chat_id, due=due, payload=payload)
    return queued


async def _due(ctx: PushContext[TermPush]) -> Reply | None:
    """A branch's term ends in 90 or 30 days; nothing once a newer election is recorded."""
    term = await ctx.uow.terms.by_id(ctx.payload.term)
    if term is None or term.region_id != ctx.chat.region_id:
        return None
    current = (await ctx.uow.terms.current(term.region_id, term.branch_id)).get(term.branch_id)
    if current is None or current.id != term.id:
        return None
    names = await branch_secretaries(ctx.uow, term.region_id, term.branch_id)
    left = (term.ends_on - ctx.now.astimezone(ctx.tz).date()).days
    return Reply(text=render("terms.push_due", ctx.locale, term=term, left=left, names=names))


async def _month(ctx: PushContext[MonthPush]) -> Reply | None:
    """To the region's chats on the first of the month: the branches overdue or due within 90 days."""
    today = ctx.now.astimezone(ctx.tz).date()
    found = [s for s in await standings(ctx.uow, ctx.chat.region_id, today) if s.state in ("overdue", "soon")]
    return Reply(text=render("terms.push_month", ctx.locale, items=found)) if found else None


TERM_DUE = PushKind(
    "term_due", TermPush, _due, lambda p: f"term_due:{p.term}:{p.days}", label=("换届到期提醒", "term ending")
)
TERMS_MONTH = PushKind(
    "terms_month", MonthPush, _month, lambda p: f"terms_month:{p.month}", label=("换届情况月报", "terms of the month")
)


async def _periodic(uow: UnitOfWork, at: Moment) -> int:
    """The region's monthly list on the first at 09:00, and the reminders of the weeks ahead (for a
    chat bound after the election was recorded)."""
    local = at.now.astimezone(at.tz)
    first = local.date().replace(day=1)
    if _at(first, at.tz) <= at.now:
        first = (first + timedelta(days=32)).replace(day=1)
    queued = await to_chats(uow, region=[(TERMS_MONTH, _at(first, at.tz), MonthPush(month=f"{first:%Y-%m}"))])
    for region in await uow.org.regions():
        for term in (await uow.terms.current(region.id)).values():
            queued += await _queue_reminders(uow, term, at.tz, within=timedelta(days=7))
    return queued


B = Level.BRANCH
COMMANDS = [
    Command("election", ("换届",), record_election, "terms.usage_election", "terms.help_election", B),
    Command("terms", ("换届提醒", "换届情况"), listing, "terms.usage_terms", "terms.help_terms", reads=True),
]

PHRASES = [
    Phrase(SEE + r"(?:各支部的?)?换届(?:情况|提醒|进度)", "换届提醒"),
    Phrase(r"(?:哪些|哪个)支部(?:该|要|需要|还没有?|没有?按期)换届(?:了)?", "换届提醒"),
]

FEATURE = Feature(
    "terms", topic="people", commands=COMMANDS, pushes=[TERM_DUE, TERMS_MONTH], periodic=(_periodic,), phrases=PHRASES
)
