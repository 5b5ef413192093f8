"""Norms of organizational life (三会一课 and the region's own meetings) and whether each branch keeps
them: 组织生活规范, 设置规范, 组织生活; the reminder before a period ends; the honest dormancy test.

An event counts when it was held: not cancelled, and at least one member present or its meeting
record written. A branch's norms count only its own events; region-wide events count for the
region's norms (书记例会, 专题党课) only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import UsageError
from handlers.core.event_ref import kind_of
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.mentions import branch_secretaries
from handlers.core.outbox import Moment, Payload, PushContext, PushKind, to_chats
from handlers.core.periods import split_words
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.core.timeparse import Period, WhenError, ascii_digits, parse_date, parse_period
from storage.repos.compliance import NormRec
from storage.repos.units import UnitRec
from storage.uow import UnitOfWork

DEFAULT_NORMS = (
    NormRec("general_meeting", "branch", "quarter", 1),
    NormRec("committee", "branch", "month", 1),
    NormRec("group_meeting", "branch", "month", 1),
    NormRec("party_lesson", "branch", "quarter", 1),
    NormRec("activity_day", "branch", "month", 1),
    NormRec("secretary_meeting", "region", "month", 1),
    NormRec("party_lesson", "region", "quarter", 1),
)
PER_MONTHS = {"month": 1, "quarter": 3, "year": 12}
PER_WORDS = {"每月": "month", "每季度": "quarter", "每季": "quarter", "每年": "year",
             "monthly": "month", "quarterly": "quarter", "yearly": "year"}  # fmt: skip
REGION_WORDS = ("书记例会", "例会", "专题党课", "secretary")  # norms the region keeps itself
REMIND_DAYS = 14  # a branch is reminded this many days before a period ends
REMIND_HOUR = 9
MAX_NORM = 31
NOW_INCLUDED = timedelta(microseconds=1)  # a period "until now" includes what happens at this very moment
_NORM = re.compile(
    r"^(?P<kind>\S+)\s+(?P<per>每月|每季度|每季|每年|monthly|quarterly|yearly)\s*(?P<count>\d+)\s*次?$", re.I
)


def parse_norm(text: str) -> NormRec | None:
    """'支委会 每月1次' / '专题党课 每季度 1' / 'committee monthly 2' -> the norm; None if not one."""
    m = _NORM.match(ascii_digits(text.strip()))
    if m is None:
        return None
    word, count = m.group("kind"), int(m.group("count"))
    kind = kind_of(word)
    if kind is None or count > MAX_NORM:
        return None
    scope = "region" if word in REGION_WORDS or kind == "secretary_meeting" else "branch"
    return NormRec(kind, scope, PER_WORDS[m.group("per").lower()], count)


async def norms_of(uow: UnitOfWork, region_id: int) -> list[NormRec]:
    """The region's norms: what it set, else the defaults (a count of 0 switches one off)."""
    stored = {(n.kind, n.scope): n for n in await uow.compliance.norms(region_id)}
    merged = [stored.pop((n.kind, n.scope), n) for n in DEFAULT_NORMS]
    return merged + sorted(stored.values(), key=lambda n: (n.scope, n.kind))


def windows(per: str, start: date, end: date) -> list[tuple[date, date]]:
    """The norm's periods (months, quarters or years) that overlap [start, end)."""
    months = PER_MONTHS[per]
    index = start.year * 12 + (start.month - 1) // months * months
    out: list[tuple[date, date]] = []
    while True:
        first = date(index // 12, index % 12 + 1, 1)
        if first >= end:
            return out
        index += months
        out.append((first, date(index // 12, index % 12 + 1, 1)))


async def started_on(uow: UnitOfWork, region_id: int, tz: ZoneInfo) -> date:
    """The region's 启用日期 (storage/records.py RegionRec.start)."""
    return (await uow.org.region(region_id)).start(tz)


def required_in(count: int, first: date, end: date, started: date) -> int:
    """What a norm asks of one period given the start: all of it when the period began on or after
    the start, nothing before it, and in the period the start falls in its share of the days left,
    rounded half up (a monthly meeting is asked of a month started on the 16th of 31, not the 17th)."""
    if first >= started:
        return count
    if end <= started:
        return 0
    share = count * (end - started).days / (end - first).days
    return int(share + 0.5)


@dataclass(frozen=True)
class Window:
    """One period of a norm: what it asks (after the start), what was held, and whether it is over."""

    first: date
    end: date
    required: int
    held: int
    closed: bool
    before_start: bool = False

    @property
    def short(self) -> bool:
        return self.closed and self.held < self.required


@dataclass(frozen=True)
class Cell:
    norm: NormRec
    windows: tuple[Window, ...]

    @property
    def held(self) -> int:
        return sum(w.held for w in self.windows)

    @property
    def required(self) -> int:
        return sum(w.required for w in self.windows)

    @property
    def state(self) -> str:
        """not_started (every period before the 启用日期), none (nothing asked), met, unmet (a period
        ended short) or open (not met yet, with time left)."""
        if self.windows and all(w.before_start for w in self.windows):
            return "not_started"
        if self.required == 0:
            return "none"
        if self.held >= self.required:
            return "met"
        return "unmet" if any(w.short for w in self.windows) else "open"

    @property
    def met(self) -> bool:
        return self.state == "met"

    @property
    def due(self) -> list[Window]:
        """The periods that are over and asked something: what the yearly evaluation scores."""
        return [w for w in self.windows if w.closed and w.required > 0]


@dataclass(frozen=True)
class Matrix:
    period: Period
    branches: list[tuple[int, str, list[Cell]]]
    region: list[Cell]
    started: date


def _window(n: NormRec, held_days: list[date], first: date, end: date, started: date, today: date) -> Window:
    return Window(
        first,
        end,
        required_in(n.count, first, end, started),
        sum(1 for d in held_days if max(first, started) <= d < end),
        end <= today,
        end <= started,
    )


def _reach(
    spans: list[list[tuple[date, date]]], period: Period, started: date, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    """The instants the norms' periods cover (from the start date on)."""
    firsts = [w[0][0] for w in spans if w] or [period.start]
    lasts = [w[-1][1] for w in spans if w] or [period.end]
    return Period(max(min(firsts), started), max(lasts), "range").bounds(tz)


async def matrix(uow: UnitOfWork, region_id: int, branch_id: int | None, period: Period, tz: ZoneInfo) -> Matrix:
    """Held / required of every norm, per branch (one branch if given) and for the region; the
    events come from one query whatever the number of branches. Only what is due counts: periods
    before the region's 启用日期 ask nothing, an event counts once it has started, and a period
    still running is not failed."""
    norms = [n for n in await norms_of(uow, region_id) if n.count > 0]
    started = await started_on(uow, region_id, tz)
    today = uow.now.astimezone(tz).date()
    spans = {n: windows(n.per, period.start, period.end) for n in norms}
    lo, hi = _reach(list(spans.values()), period, started, tz)
    days: dict[tuple[int | None, str], list[date]] = defaultdict(list)  # (branch, kind) -> local days held
    if lo < hi:
        for e in await uow.compliance.held(region_id, lo, min(hi, uow.now + NOW_INCLUDED)):
            for owner in e.branches or (None,):  # a joint event counts for each of its branches
                days[(owner, e.kind)].append(e.starts_at.astimezone(tz).date())
    branches = [b for b in await uow.org.branches(region_id) if branch_id in (None, b.id) and b.open_on(period.start)]

    def cells(scope: str, owner: int | None) -> list[Cell]:
        return [
            Cell(n, tuple(_window(n, days.get((owner, n.kind), []), a, b, started, today) for a, b in spans[n]))
            for n in norms
            if n.scope == scope
        ]

    rows = [(b.id, b.name, cells("branch", b.id)) for b in sorted(branches, key=lambda b: b.name)]
    return Matrix(period, rows, cells("region", None) if branch_id is None else [], started)


async def unit_cells(
    uow: UnitOfWork, region_id: int, units: list[UnitRec], period: Period, tz: ZoneInfo
) -> dict[int, list[Cell]]:
    """Each 党总支's or 编组's own norms, held / required: an event counts for a unit when it was
    held and expected every one of its branches (发布 … 党总支：名称), whoever hosted it."""
    owing = [u for u in units if u.norms and u.branch_ids]
    if not owing:
        return {}
    started = await started_on(uow, region_id, tz)
    today = uow.now.astimezone(tz).date()
    spans = {(u.id, n): windows(n.per, period.start, period.end) for u in owing for n in u.norms}
    lo, hi = _reach(list(spans.values()), period, started, tz)
    held = await uow.compliance.held(region_id, lo, min(hi, uow.now + NOW_INCLUDED)) if lo < hi else []
    found: dict[int, list[Cell]] = {}
    for u in owing:
        mine = [e for e in held if u.branch_ids <= set(e.branches)]
        for n in u.norms:
            days = [e.starts_at.astimezone(tz).date() for e in mine if e.kind == n.kind]
            spanned = tuple(_window(n, days, a, b, started, today) for a, b in spans[(u.id, n)])
            found.setdefault(u.id, []).append(Cell(n, spanned))
    return found


def cell_params(cells: list[Cell]) -> list[dict[str, Any]]:
    return [
        {"kind": c.norm.kind, "scope": c.norm.scope, "held": c.held, "required": c.required, "met": c.met,
         "state": c.state}
        for c in cells
    ]  # fmt: skip


def unit_rows(
    units: list[UnitRec], branches: list[tuple[int, str, list[Cell]]], own: dict[int, list[Cell]] | None = None
) -> list[dict[str, Any]]:
    """Each 党总支's or 编组's line of 组织生活: per norm, how many of its branches that owe it met it;
    then its own norms (unit_cells), held / required."""
    rows = []
    for u in units:
        mine = [cells for b, _, cells in branches if b in u.branch_ids]
        if not mine:
            continue
        met = []
        for i, c in enumerate(mine[0]):
            asked = [cells[i] for cells in mine if cells[i].state not in ("none", "not_started")]
            if asked:  # a norm none of its branches owes this period is left out
                met.append((c.norm.kind, c.norm.scope, sum(x.met for x in asked), len(asked)))
        own_cells = cell_params((own or {}).get(u.id, []))
        rows.append({"name": u.name, "kind": u.kind, "n": len(mine), "met": met, "own": own_cells})
    return rows


# -- chat --------------------------------------------------------------------------------------
def period_argument(ctx: Context, args: str, command: str, default: str = "本季") -> Period:
    """The one optional argument of a report: a period (this quarter if none); else its usage."""
    words = split_words(args)
    today = ctx.local(ctx.now).date()
    period = parse_period(words[0] if words else default, today)
    if period is None or len(words) > 1:
        raise UsageError(command)
    return period


async def show_norms(ctx: Context, args: str) -> list[Reply]:
    """组织生活规范 — the norms this region keeps."""
    node = ctx.need_node()
    norms = await ctx.read(lambda uow: norms_of(uow, node.region_id))
    return [ctx.reply("compliance.norms", norms=norms)]


async def set_norm(ctx: Context, args: str) -> list[Reply]:
    """设置规范 支委会 每月1次 — change one norm (0 switches it off); region officers only."""
    norm = parse_norm(args)
    if norm is None:
        raise UsageError("norm_set")
    kind, scope, count = norm.kind, norm.scope, norm.count
    node = ctx.need_node()
    member = ctx.need_manager(node.region_id, None)
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> None:
        await uow.compliance.set_norm(node.region_id, norm, by=member.id, now=uow.now)
        detail = {"kind": kind, "scope": scope, "per": norm.per, "count": count}
        await uow.audit.record(actor=member.id, platform=inc.platform, action="norm_set", detail=detail, now=uow.now)

    await ctx.unit(work)
    return [ctx.reply("compliance.norm_set", kind=kind, scope=scope, per=norm.per, count=count)]


START_FUTURE_DAYS = 366  # a start date may be planned up to a year ahead


def check_start(day: date, today: date) -> None:
    """A start date is a real day, not far ahead (the answer names the range)."""
    if day > today + timedelta(days=START_FUTURE_DAYS):
        raise UsageError("start_date", "compliance.start_too_far")


async def set_start(uow: UnitOfWork, region_id: int, day: date, *, actor: int | None, platform: str) -> None:
    """启用日期: set and audited (chat and CLI alike)."""
    await uow.org.set_start(region_id, day)
    await uow.audit.record(
        actor=actor, platform=platform, action="region.start", detail={"date": day.isoformat()}, now=uow.now
    )


async def start_date(ctx: Context, args: str) -> list[Reply]:
    """启用日期 [日期] — the day this region's figures count from; a region officer may change it."""
    node = ctx.need_node()
    text = args.strip()
    if not text:
        day = await ctx.read(lambda uow: started_on(uow, node.region_id, ctx.tz))
        return [ctx.reply("compliance.start_is", day=day)]
    today = ctx.local(ctx.now).date()
    try:
        day = parse_date(text, today)
    except WhenError as err:
        raise UsageError("start_date", f"events.{err.code}") from err
    check_start(day, today)
    member = ctx.need_manager(node.region_id, None)
    inc = ctx.incoming
    await ctx.unit(lambda uow: set_start(uow, node.region_id, day, actor=member.id, platform=inc.platform))
    return [ctx.reply("compliance.start_set", day=day)]


# -- pushes ------------------------------------------------------------------------------------
def reminder_due(now: datetime, tz: ZoneInfo) -> tuple[datetime, date]:
    """When this month's reminder is due (two weeks before its last day ends, 09:00), and the
    month's first day; next month's once this month's time has passed."""
    local = now.astimezone(tz)
    month = date(local.year, local.month, 1)
    for _ in range(2):
        nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        due = datetime(nxt.year, nxt.month, nxt.day, REMIND_HOUR, tzinfo=tz) - timedelta(days=REMIND_DAYS)
        if due >= now:
            return due, month
        month = nxt
    return due, month


async def unmet_ending(uow: UnitOfWork, region_id: int, branch_id: int, month: date, tz: ZoneInfo) -> list[Cell]:
    """The branch's norms whose period ends with this month and that are not met yet."""
    nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    found = await matrix(uow, region_id, branch_id, Period(month, nxt, "month"), tz)
    cells = found.branches[0][2] if found.branches else []
    return [c for c in cells if c.state in ("open", "unmet") and windows(c.norm.per, month, nxt)[-1][1] == nxt]


M = Level.MEMBER
COMMANDS = [
    Command(
        "norms", ("组织生活规范",), show_norms, "compliance.usage_norms", "compliance.help_norms", access=M, reads=True,
        unit_chat=True,
    ),
    Command("norm_set", ("设置规范",), set_norm, "compliance.usage_norm_set", access=Level.REGION),
    Command("start_date", ("启用日期",), start_date, "compliance.usage_start", "compliance.help_start", access=M),
]  # fmt: skip


class MonthPush(Payload):
    month: date  # the first day of the month it is about


async def _norm_reminder(ctx: PushContext[MonthPush]) -> Reply | None:
    """Two weeks before a month ends: the branch's norms ending with it not met yet, its secretary
    mentioned; nothing when all are met."""
    binding = ctx.chat
    if binding.branch_id is None:
        return None
    month = ctx.payload.month
    unmet = await unmet_ending(ctx.uow, binding.region_id, binding.branch_id, month, ctx.tz)
    if not unmet:
        return None
    names = await branch_secretaries(ctx.uow, binding.region_id, binding.branch_id)
    return Reply(text=render("compliance.reminder", ctx.locale, names=names, items=cell_params(unmet), ends=month))


NORM_REMINDER = PushKind(
    "norm_reminder",
    MonthPush,
    _norm_reminder,
    lambda p: f"norms:{p.month:%Y-%m}",
    label=("组织生活规范提醒", "norms reminder"),
)
PUSHES = [NORM_REMINDER]


async def _periodic(uow: UnitOfWork, at: Moment) -> int:
    """This month's norm reminder, to branch chats."""
    due, month = reminder_due(at.now, at.tz)
    return await to_chats(uow, branch=[(NORM_REMINDER, due, MonthPush(month=month))])


FEATURE = Feature("compliance", topic="life", commands=COMMANDS, pushes=PUSHES, periodic=(_periodic,))
