"""双述双评: at the year's end each branch secretary reports the branch's year to the region
committee (述职), the committee's officers score it and the branch's members appraise it, one
vote each, anonymously (the seeds' 003: secretaries report and are appraised, with the 编组
contest and the 通报表彰). The appraisal stands beside the 年度考评 of the branch.

  述职 [2026年] 内容            the secretary, in the branch's chat (a later one replaces it)
  述职测评 满意|基本满意|不满意   a member of the branch, once a year (answered privately)
  述职评分 支部名 分数            a region officer, 0–100 (a later score replaces their earlier one)
  述职情况 [年份]                 region officers: who reported, the scores, the combined appraisal
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.outbox import Moment, Payload, PushContext, PushKind, to_chats
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.core.timeparse import ascii_digits
from storage.repos.appraisals import AppraisalTally
from storage.uow import UnitOfWork

MAX_REPORT = 4000  # characters of one 述职 (one message: Telegram takes 4,096)
VOTERS = ("member", "committee_member", "organizer")  # the branch's members; its secretary is the one appraised
VOTES = {"满意": 100, "基本满意": 60, "不满意": 0, "satisfied": 100, "fair": 60, "unsatisfied": 0}


def report_year(today: date) -> int:
    """The year a 述职 sent today is for: this year from December, else (January to November:
    the report of the year just ended is still being heard) last year."""
    return today.year if today.month == 12 else today.year - 1


def _said_year(text: str, today: date, command: str) -> tuple[int, str]:
    """A leading 2026 / 2026年 names the year (the rest of the text follows it, as typed); else
    the year a 述职 sent today is for."""
    parts = text.strip().split(maxsplit=1)
    if parts:
        first = ascii_digits(parts[0]).removesuffix("年")
        if first.isdigit() and len(first) == 4:
            year = int(first)
            if not 2000 <= year <= today.year:
                raise UsageError(command)
            return year, parts[1] if len(parts) > 1 else ""
    return report_year(today), text.strip()


async def report(ctx: Context, args: str) -> list[Reply]:
    """述职 [年份] 内容 — the branch secretary's report of the year, in the branch's chat."""
    node = ctx.need_node()
    if node.branch_id is None:
        raise AppError("appraisals.branch_only")
    today = ctx.local(ctx.now).date()
    year, text = _said_year(args, today, "annual_report")
    if not text:
        raise UsageError("annual_report")
    if len(text) > MAX_REPORT:
        raise UsageError("annual_report", "common.too_long", limit=MAX_REPORT)
    actor = ctx.need_manager(node.region_id, node.branch_id)
    branch_id = node.branch_id

    async def work(uow: UnitOfWork) -> bool:
        first = await uow.appraisals.report(node.region_id, branch_id, year, text, actor.id, uow.now)
        await ctx.audit(uow, actor.id, "appraisal.report", year=year, chars=len(text))
        return first

    first = await ctx.unit(work)
    return [ctx.reply("appraisals.reported", year=year, first=first, chars=len(text))]


async def appraise(ctx: Context, args: str) -> list[Reply]:
    """述职测评 满意|基本满意|不满意 — a member appraises their branch secretary's 述职, once a year."""
    score = VOTES.get(args.strip().lower())
    if score is None:
        raise UsageError("appraise")
    member = ctx.need_member()
    if member.role not in VOTERS:
        raise AppError("appraisals.not_for_you")
    year = report_year(ctx.local(ctx.now).date())

    async def work(uow: UnitOfWork) -> bool:
        if not await uow.appraisals.reported(member.branch_id, year):
            raise AppError("appraisals.no_report", year=year)
        return await uow.appraisals.appraise(
            member.region_id, member.branch_id, year, member.id, "member", score, uow.now
        )

    counted = await ctx.unit(work)
    return [ctx.reply("appraisals.voted" if counted else "appraisals.voted_before", private=True, year=year)]


async def score(ctx: Context, args: str) -> list[Reply]:
    """述职评分 支部名 分数 — a region officer's score (0–100) of a branch's 述职 of the year."""
    words = args.split()
    value = ascii_digits(words[-1]) if len(words) == 2 else ""
    if not value.isdigit() or not 0 <= int(value) <= 100:
        raise UsageError("appraisal_score")
    node = ctx.need_node()
    actor = ctx.need_manager(node.region_id, None, Level.REGION)
    year = report_year(ctx.local(ctx.now).date())

    async def work(uow: UnitOfWork) -> None:
        branch = next((b for b in await uow.org.branches(node.region_id) if b.name == words[0]), None)
        if branch is None:
            region = await uow.org.region(node.region_id)
            raise AppError("org.no_such_branch", name=words[0], region=region.name)
        if not await uow.appraisals.reported(branch.id, year):
            raise AppError("appraisals.no_report_of", branch=branch.name, year=year)
        await uow.appraisals.appraise(node.region_id, branch.id, year, actor.id, "committee", int(value), uow.now)
        await ctx.audit(uow, actor.id, "appraisal.score", branch=branch.name, year=year, score=int(value))

    await ctx.unit(work)
    return [ctx.reply("appraisals.scored", branch=words[0], year=year, score=int(value))]


async def listing(ctx: Context, args: str) -> list[Reply]:
    """述职情况 [年份] — each branch: its 述职 (or none yet), the committee's and the members' appraisal."""
    today = ctx.local(ctx.now).date()
    year, rest = _said_year(args, today, "appraisals")
    if rest:
        raise UsageError("appraisals")
    node = ctx.need_node()
    ctx.need_manager(node.region_id, None, Level.REGION)

    async def read(uow: UnitOfWork) -> list[tuple[str, AppraisalTally | None]]:
        tallies = await uow.appraisals.tallies(node.region_id, year)
        return [(b.name, tallies.get(b.id)) for b in await uow.org.branches(node.region_id) if b.open_on(today)]

    rows = await ctx.read(read)
    return [ctx.reply("appraisals.listing", year=year, rows=rows, tz=ctx.tz)]  # one line a branch


ASK_DAY, ASK_HOUR = 15, 9  # the branch chats are asked for the 述职 on 15 December at 09:00


class AskPush(Payload):
    year: int


def next_ask(now: datetime, tz: ZoneInfo) -> datetime:
    """The next 15 December 09:00 (local) at or after now."""
    year = now.astimezone(tz).year
    at = datetime(year, 12, ASK_DAY, ASK_HOUR, tzinfo=tz)
    return at if at >= now else datetime(year + 1, 12, ASK_DAY, ASK_HOUR, tzinfo=tz)


async def _periodic(uow: UnitOfWork, at: Moment) -> int:
    """Each branch chat is asked for its secretary's 述职 in mid-December."""
    due = next_ask(at.now, at.tz)
    return await to_chats(uow, branch=[(ASK, due, AskPush(year=due.year))])


async def _ask(ctx: PushContext[AskPush]) -> Reply | None:
    """Asking the branch for its 述职, unless it is in already."""
    branch_id = ctx.chat.branch_id
    if branch_id is None or await ctx.uow.appraisals.reported(branch_id, ctx.payload.year):
        return None
    return Reply(text=render("appraisals.ask", ctx.locale, year=ctx.payload.year))


ASK = PushKind(
    "appraisal_ask", AskPush, _ask, lambda p: f"appraisal_ask:{p.year}", label=("述职征集", "report request")
)

COMMANDS = [
    Command("annual_report", ("述职",), report, "appraisals.usage_report", "appraisals.help_report", Level.BRANCH),
    Command("appraise", ("述职测评",), appraise, "appraisals.usage_appraise", "appraisals.help_appraise", Level.MEMBER),
    Command("appraisal_score", ("述职评分",), score, "appraisals.usage_score", "appraisals.help_score", Level.REGION),
    Command(
        "appraisals", ("述职情况",), listing, "appraisals.usage_list", "appraisals.help_list", Level.REGION, reads=True
    ),
]

FEATURE = Feature("appraisals", topic="life", commands=COMMANDS, pushes=[ASK], periodic=[_periodic])
