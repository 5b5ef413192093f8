"""The ledger (导出台账) and charts (图表) in the chat: an XLSX file or a PNG sent where asked."""

from __future__ import annotations

import asyncio
import contextlib
import math
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.core import charts
from handlers.core.access import Level, Node, Refused
from handlers.core.context import Context, Duplicate
from handlers.core.errors import AppError, UsageError
from handlers.core.expected import Expected, party_groups
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.intent import PERIOD, SEE, Phrase
from handlers.core.periods import period_label, split_words
from handlers.core.ports import Attachment, Reply
from handlers.core.router import Command
from handlers.core.timeparse import Period, parse_period
from handlers.core.workbook import LedgerStats, labels
from handlers.ledger_book import seconds_to_write, write_ledger
from storage.records import ATTENDED, rate_of
from storage.repos.ledger import Scope
from storage.uow import UnitOfWork

CHART_WORDS = {
    "出勤": "attendance", "出勤率": "attendance", "考勤": "attendance", "attendance": "attendance",
    "积分": "points", "points": "points",
    "金点子": "ideas", "ideas": "ideas",
}  # fmt: skip


@dataclass(frozen=True)
class Target:
    """What an export or chart is about: a node, over a period, with the names to show."""

    scope: Scope
    period: Period
    region: str
    branch: str | None
    period_name: str

    @property
    def scope_name(self) -> str:
        return self.branch or self.region


async def resolve_target(
    uow: UnitOfWork, node: Node, words: list[str], today: Any, tz: ZoneInfo, locale: str, command: str
) -> Target:
    """[period] [branch name] from the words, in any order, within the node; a branch node may
    only name itself."""
    period: Period | None = None
    branch_id = node.branch_id
    branches = {b.name: b.id for b in await uow.org.branches(node.region_id)}
    for word in words:
        found = parse_period(word, today)
        if found is not None and period is None:
            period = found
        elif word in branches and node.branch_id in (None, branches[word]):
            branch_id = branches[word]
        elif word in branches:
            raise Refused("access.needs_region")
        elif found is not None or _looks_like_period(word):
            raise UsageError(command, "ledger.bad_period", text=word)
        else:
            raise AppError("ledger.no_branch", name=word)
    period = period or parse_period("", today)
    assert period is not None
    return await target_for(uow, Node(node.region_id, branch_id), period, tz, locale)


async def target_for(uow: UnitOfWork, node: Node, period: Period, tz: ZoneInfo, locale: str) -> Target:
    start, end = period.bounds(tz)
    region = await uow.org.region(node.region_id)
    branch = (await uow.org.branch(node.branch_id)).name if node.branch_id else None
    scope = await uow.ledger.scope(node.region_id, node.branch_id, start, end)
    return Target(scope, period, region.name, branch, period_label(period, locale))


def _looks_like_period(word: str) -> bool:
    return any(ch.isdigit() for ch in word) or word[-1:] in "月季年" or word.lower().startswith(("this", "last"))


SAY_WORKING_AFTER_S = 3.0  # an export expected to take longer is announced first, with its time


async def export(ctx: Context, args: str) -> list[Reply]:
    """导出台账 [本月|上月|本季|本年|2026年|2026-11] [支部名] — the ledger as an XLSX file here."""
    node = ctx.need_node()
    target = await ctx.read(
        lambda uow: resolve_target(
            uow, node, split_words(args), ctx.local(ctx.now).date(), ctx.tz, ctx.locale, "export"
        )
    )
    member = ctx.need_manager(node.region_id, target.scope.branch_id, reading=True)
    inc = ctx.incoming

    async def audit(uow: UnitOfWork) -> None:
        detail = {"branch": target.branch or "", "period": target.period_name}
        await uow.audit.record(
            actor=member.id, platform=inc.platform, action="export_ledger", detail=detail, now=uow.now
        )

    with contextlib.suppress(Duplicate):  # a redelivery: the file is made again, nothing else changes
        await ctx.unit(audit)
    ctx.rederivable = True  # the answer carries a file: it is made again rather than stored
    rows = await ctx.read(lambda uow: uow.ledger.size(target.scope))
    seconds = seconds_to_write(target.scope, rows)
    if seconds > SAY_WORKING_AFTER_S:  # a region's year: say so rather than fall silent for a minute
        about = 5 * math.ceil(seconds / 5)
        await ctx.say_meanwhile(
            ctx.reply("ledger.working", scope=target.scope_name, period=target.period_name, seconds=about)
        )
    data, stats = await build_ledger(ctx, target, rows)
    limit = inc.file_max
    if limit is not None and len(data) > limit:  # more than the platform takes: in parts
        return await _in_parts(ctx, target, len(data), limit)
    return [_ledger_reply(ctx, target, data, stats)]


SPLIT_MAX_BRANCHES = 30  # a region's ledger too large to send goes a file per branch up to this many branches


async def _in_parts(ctx: Context, target: Target, size: int, limit: int) -> list[Reply]:
    """A ledger larger than the platform takes (WeCom: 20 MB). A region's is sent as its summary
    (per branch and per member, the region's own events) and then one file per branch; with more
    branches than SPLIT_MAX_BRANCHES, the summary and how to ask for a branch's. A branch's own,
    or a part still too large, is answered with the way to a shorter period."""
    if target.branch is not None:
        raise AppError("ledger.too_big", scope=target.scope_name, size=_mb(size), limit=_mb(limit))
    region_id = target.scope.region_id
    branches = await ctx.read(lambda uow: uow.org.branches(region_id))
    split = len(branches) <= SPLIT_MAX_BRANCHES
    await ctx.say_meanwhile(
        ctx.reply("ledger.in_parts", split=split, branches=len(branches), size=_mb(size), limit=_mb(limit))
    )
    replies = []
    parts = [target] + [await _of_branch(ctx, target, b.id) for b in branches if split]
    for part in parts:  # the region's as its summaries, then each branch's as usual
        data, stats = await build_ledger(ctx, part, summarize=True if part is target else None)
        fits = len(data) <= limit
        replies.append(
            _ledger_reply(ctx, part, data, stats)
            if fits
            else ctx.reply("ledger.too_big", scope=part.scope_name, size=_mb(len(data)), limit=_mb(limit))
        )
    return replies


async def _of_branch(ctx: Context, target: Target, branch_id: int) -> Target:
    node = Node(target.scope.region_id, branch_id)
    return await ctx.read(lambda uow: target_for(uow, node, target.period, ctx.tz, ctx.locale))


def _mb(size: int) -> int:
    return math.ceil(size / 2**20)


def _ledger_reply(ctx: Context, target: Target, data: bytes, stats: LedgerStats) -> Reply:
    """The workbook as a file, with its line: what it covers."""
    name = Markup(ctx.t("ledger.file_name", scope=target.scope_name, period=target.period_name)).unescape()
    caption = ctx.t(
        "ledger.exported",
        scope=target.scope_name,
        period=target.period_name,
        events=stats.events,
        members=stats.members,
        summarized=stats.summarized,
    )
    return Reply(text=caption, file=Attachment(name, data))


async def build_ledger(
    ctx: Context, target: Target, rows: int | None = None, *, summarize: bool | None = None
) -> tuple[bytes, LedgerStats]:
    """The workbook, written beside the chat (its own thread and connection) into a temp file."""
    now, tz, locale, media = ctx.now, ctx.tz, ctx.locale, ctx.services.media
    grace = ctx.services.policy.grace_min
    title = ledger_title(target, locale)
    with tempfile.TemporaryDirectory(prefix="dangjian-ledger-") as tmp:
        out = Path(tmp) / "ledger.xlsx"

        async def write(conn: AsyncConnection) -> LedgerStats:
            uow = UnitOfWork(conn, now)
            return await write_ledger(
                uow,
                target.scope,
                out,
                tz=tz,
                locale=locale,
                title=title,
                media=media,
                grace_min=grace,
                size=rows,
                summarize=summarize,
            )

        stats = await ctx.services.db.read_apart(write)
        return await asyncio.to_thread(out.read_bytes), stats


def ledger_title(target: Target, locale: str) -> str:
    return labels(locale)["title"].format(
        region=target.region, branch=f" {target.branch}" if target.branch else "", period=target.period_name
    )


# -- charts -----------------------------------------------------------------------------------
async def attendance_rates(
    uow: UnitOfWork, scope: Scope, tz: ZoneInfo, now: datetime
) -> dict[str, tuple[int, int, int]]:
    """(expected, present, on leave) per branch over the scope's held events, or per month for one branch."""
    repo = uow.ledger
    branches = await repo.branches(scope)
    events = {e.id: e for e in await repo.events(scope) if e.status != "cancelled" and e.starts_at <= now}
    expect = Expected(await repo.people(scope), scope.start, scope.end, await party_groups(uow, events.values()))
    marks: dict[tuple[int, int], str] = {}
    async for r in repo.attendance(scope, by_member=False):
        if r.event_id in events:
            marks[(r.event_id, r.member_id)] = r.status
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for event in events.values():
        month = f"{event.starts_at.astimezone(tz):%Y-%m}"
        for p in expect.of(event):
            key = month if scope.branch_id is not None else branches.get(p.branch_id, "?")
            mark = marks.get((event.id, p.id))
            out[key][0] += 1
            out[key][1] += mark in ATTENDED
            out[key][2] += mark == "leave"
    return {k: (v[0], v[1], v[2]) for k, v in sorted(out.items())}


async def points_by(uow: UnitOfWork, scope: Scope, tz: ZoneInfo) -> dict[str, int]:
    """Points issued (not spent) per branch, or per month for one branch."""
    repo = uow.ledger
    branches = await repo.branches(scope)
    out: Counter[str] = Counter()
    async for at, _name, branch_id, amount, _reason, source, _op in repo.points(scope):
        if amount > 0 and source != "store":
            out[f"{at.astimezone(tz):%Y-%m}" if scope.branch_id is not None else branches.get(branch_id, "?")] += amount
    return dict(sorted(out.items()))


async def ideas_by_status(uow: UnitOfWork, scope: Scope, locale: str) -> dict[str, int]:
    out: Counter[str] = Counter()
    for idea in await uow.ledger.ideas(scope):
        out[Markup(render("ideas.statusname", locale, s=idea[7])).unescape()] += 1
    return dict(out)


async def draw(uow: UnitOfWork, what: str, target: Target, tz: ZoneInfo, locale: str, now: datetime) -> bytes | None:
    """The chart as PNG, or None when there is nothing to draw."""
    title = Markup(
        render("ledger.chart_title", locale, what=what, scope=target.scope_name, period=target.period_name)
    ).unescape()
    if what == "attendance":
        rates = await attendance_rates(uow, target.scope, tz, now)
        if not rates:
            return None
        values = [rate_of(*r) for r in rates.values()]
        shown = [None if v is None else v / 100 for v in values]
        none = Markup(render("ledger.all_on_leave", locale)).unescape()
        return await asyncio.to_thread(charts.bars, title, list(rates), shown, percent=True, none_label=none)
    if what == "points":
        points = await points_by(uow, target.scope, tz)
        if not points:
            return None
        return await asyncio.to_thread(charts.bars, title, list(points), list(points.values()), percent=False)
    ideas = await ideas_by_status(uow, target.scope, locale)
    return await asyncio.to_thread(charts.pie, title, list(ideas), list(ideas.values())) if ideas else None


async def digest_chart(uow: UnitOfWork, node: Node, month: date, tz: ZoneInfo, locale: str) -> Attachment | None:
    """The monthly digest's picture: last month's attendance rate of the chat's node."""
    period = Period.between(month, date(month.year + month.month // 12, month.month % 12 + 1, 1))
    target = await target_for(uow, node, period, tz, locale)
    png = await draw(uow, "attendance", target, tz, locale, uow.now)
    return (
        Attachment(Markup(render("ledger.chart_file", locale, what="attendance")).unescape(), png, image=True)
        if png
        else None
    )


async def chart(ctx: Context, args: str) -> list[Reply]:
    """图表 [出勤|积分|金点子] [本月|本季|本年] — a chart of this chat's node as a picture."""
    words = split_words(args)
    what = "attendance"
    if words and words[0].lower() in CHART_WORDS:
        what = CHART_WORDS[words.pop(0).lower()]
    if len(words) > 1:
        raise UsageError("chart")
    node = ctx.need_node()
    today = ctx.local(ctx.now).date()
    if words and parse_period(words[0], today) is None:
        raise UsageError("chart", "ledger.bad_period", text=words[0])
    target = await ctx.read(lambda uow: resolve_target(uow, node, words, today, ctx.tz, ctx.locale, "chart"))
    now, tz, locale = ctx.now, ctx.tz, ctx.locale
    png = await ctx.services.db.read_apart(lambda conn: draw(UnitOfWork(conn, now), what, target, tz, locale, now))
    if png is None:
        return [ctx.reply("ledger.chart_empty", period=target.period_name)]
    caption = ctx.t("ledger.chart_caption", what=what, scope=target.scope_name, period=target.period_name)
    name = Markup(ctx.t("ledger.chart_file", what=what)).unescape()
    return [Reply(text=caption, file=Attachment(name, png, image=True))]


COMMANDS = [
    Command(
        "export", ("导出台账",), export, "ledger.usage_export", "ledger.help_export", access=Level.BRANCH, reads=True
    ),
    Command("chart", ("图表",), chart, "ledger.usage_chart", "ledger.help_chart", access=Level.MEMBER, reads=True),
]


PHRASES = [
    Phrase(
        r"(?:导出|下载|要|拿|生成|出|做)?(?:一下|一份|个)?(?P<p>"
        + PERIOD
        + r")?的?(?:党建)?台账(?P<q>"
        + PERIOD
        + r")?"
        r"|(?:导出|下载|生成)(?P<r>" + PERIOD + r")?的?(?:党建)?台账",
        "导出台账",
        "{p}{q}{r}",
    ),
    Phrase(SEE + r"(?P<p>" + PERIOD + r")?的?出勤(?:率)?(?:图|图表|柱状图)", "图表", "出勤 {p}"),
    Phrase(SEE + r"(?P<p>" + PERIOD + r")?的?积分(?:图|图表|柱状图)", "图表", "积分 {p}"),
]

FEATURE = Feature("ledger", topic="ledger", commands=COMMANDS, phrases=PHRASES)
