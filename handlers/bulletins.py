"""Region-wide pushes that are not tied to one event: ad-hoc notices (通知 全体), the monthly
digest (月度简报) and the dormancy warning (防瘫预警)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.compliance import started_on
from handlers.core.access import Level, Node
from handlers.core.context import Context
from handlers.core.errors import UsageError
from handlers.core.expected import branch_attendance
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.outbox import Moment, Payload, PushContext, PushKind, queue, to_chats
from handlers.core.periods import next_monday
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.evaluation import dormancy_details, tiers
from handlers.ledger import digest_chart
from storage.records import BindingRec, rate_of
from storage.uow import UnitOfWork

MAX_NOTICE = 2000
DIGEST_HOUR = 9  # the monthly digest: on the 1st at 09:00


async def notice(ctx: Context, args: str) -> list[Reply]:
    """通知 全体 内容 — an admin's notice to every group of the region."""
    scope, _, text = args.strip().partition(" ")
    text = text.strip()
    if scope not in ("全体", "all") or not text:
        raise UsageError("notice")
    if len(text) > MAX_NOTICE:
        raise UsageError("notice", "common.too_long", limit=MAX_NOTICE)
    binding = ctx.need_binding()
    sender = ctx.need_manager(binding.region_id, None)
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> int:
        chats = await uow.chats.chats_for(binding.region_id, None, include_branch_chats=True)
        ref = inc.update_id or f"{inc.chat_id}:{inc.message_id}:{uow.now.isoformat()}"
        payload = NoticePush(text=text, by=sender.name, ref=f"{inc.platform}:{ref}")
        for chat in chats:
            await queue(uow, NOTICE, chat.platform, chat.chat_id, due=uow.now, payload=payload)
        await uow.audit.record(
            actor=sender.id, platform=inc.platform, action="notice", detail={"chats": len(chats)}, now=uow.now
        )
        return len(chats)

    count = await ctx.unit(work)
    return [ctx.reply("bulletins.notice_queued", count=count, private=True)]


# -- periodic pushes -------------------------------------------------------------------------
def next_digest(now: datetime, tz: ZoneInfo) -> datetime:
    """The next 1st of a month at 09:00 (local) at or after now."""
    local = now.astimezone(tz)
    at = datetime(local.year, local.month, 1, DIGEST_HOUR, tzinfo=tz)
    if at < now:
        at = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, DIGEST_HOUR, tzinfo=tz)
    return at


def previous_month(start: datetime) -> tuple[datetime, datetime]:
    """[first day, first day of the next month) at 00:00 of the month before `start`'s month."""
    end = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (end - timedelta(days=1)).replace(day=1), end


async def _periodic(uow: UnitOfWork, at: Moment) -> int:
    """The monthly digest (every chat, the 1st) and the dormancy warning (region chats, Mondays)."""
    digest_at, warn_at = next_digest(at.now, at.tz), next_monday(at.now, at.tz)
    return await to_chats(
        uow,
        every=[(DIGEST, digest_at, DigestPush(month=f"{digest_at:%Y-%m}"))],
        region=[(DORMANCY, warn_at, DormancyPush(weeks=at.dormancy_weeks, week=f"{warn_at:%G-W%V}"))],
    )


@dataclass
class BranchMonth:
    name: str
    held: int
    expected: int
    present: int
    tier: str | None = None
    leave: int = 0

    @property
    def rate(self) -> int | None:
        return rate_of(self.expected, self.present, self.leave)


async def digest_params(uow: UnitOfWork, binding: BindingRec, month: str, tz: ZoneInfo) -> dict[str, Any]:
    """Last month for a chat's node: events held and attendance, per branch in a region chat."""
    year, mon = (int(p) for p in month.split("-"))
    first, end = previous_month(datetime(year, mon, 1, tzinfo=tz))
    # held as the 月报, 组织生活 and the ledger count it: someone came or its record was written
    held = {h.id for h in await uow.compliance.held(binding.region_id, first, end)}
    events = [
        e
        for e in await uow.events.between(binding.region_id, first, end)
        if (binding.branch_id is None or e.branch_id is None or binding.branch_id in e.branches)
        and e.id in held
        and e.starts_at <= uow.now
    ]
    branches = {b.id: b.name for b in await uow.org.branches(binding.region_id)}
    tier = await tiers(uow, binding.region_id, first.year, tz)  # the year so far, as 年度考评 shows it
    counted = await branch_attendance(uow, binding.region_id, events)  # as the 月报, 年评 and the web count it
    rows = {
        b: BranchMonth(branches.get(b, "?"), a.events, a.expected, a.present, tier.get(b), leave=a.leave)
        for b, a in counted.items()
        if binding.branch_id in (None, b)
    }
    total = BranchMonth("", 0, sum(r.expected for r in rows.values()), sum(r.present for r in rows.values()),
                        leave=sum(r.leave for r in rows.values()))  # fmt: skip
    kept, due = await uow.duty.kept(binding.region_id, binding.branch_id, first, end)
    submitted, adopted = await uow.ideas.counts(binding.region_id, binding.branch_id, first, end)
    top = await uow.points.ranking(binding.region_id, binding.branch_id, first, 3, until=end)
    return {
        "duties": (kept, due),
        "ideas": (submitted, adopted),
        "top": top,
        "month": first,
        "held": len(events),
        "rate": total.rate,
        "branches": sorted(rows.values(), key=lambda r: r.name) if binding.branch_id is None else [],
        "tier": tier.get(binding.branch_id) if binding.branch_id is not None else None,
    }


class NoticePush(Payload):
    text: str  # as the sender typed it
    by: str
    ref: str  # the message it came from: one notice per message


class DigestPush(Payload):
    month: str  # YYYY-MM


class DormancyPush(Payload):
    weeks: int
    week: str  # ISO week, YYYY-Www


async def _notice(ctx: PushContext[NoticePush]) -> Reply | None:
    return Reply(text=render("bulletins.notice", ctx.locale, text=ctx.payload.text, by=ctx.payload.by))


async def _digest(ctx: PushContext[DigestPush]) -> Reply | None:
    binding = ctx.chat
    year, month = (int(p) for p in ctx.payload.month.split("-"))
    if date(year, month, 1) <= await started_on(ctx.uow, binding.region_id, ctx.tz):
        return None  # the month it would sum up was before the region's 启用日期
    params = await digest_params(ctx.uow, binding, ctx.payload.month, ctx.tz)
    node = Node(binding.region_id, binding.branch_id)
    chart = await digest_chart(ctx.uow, node, params["month"], ctx.tz, ctx.locale)
    return Reply(text=render("bulletins.digest", ctx.locale, **params), file=chart)


async def _dormancy(ctx: PushContext[DormancyPush]) -> Reply | None:
    weeks = ctx.payload.weeks
    branches = await dormancy_details(ctx.uow, ctx.chat.region_id, weeks, ctx.now, ctx.tz)
    # nothing to warn about: nothing is sent
    return Reply(text=render("bulletins.dormancy", ctx.locale, weeks=weeks, branches=branches)) if branches else None


NOTICE = PushKind("notice", NoticePush, _notice, lambda p: f"notice:{p.ref}", label=("通知", "notice"))
DIGEST = PushKind("digest", DigestPush, _digest, lambda p: f"digest:{p.month}", label=("月度简报", "monthly digest"))
DORMANCY = PushKind(
    "dormancy", DormancyPush, _dormancy, lambda p: f"dormancy:{p.week}", label=("防瘫预警", "dormancy warning")
)
PUSHES: list[PushKind[Any]] = [NOTICE, DIGEST, DORMANCY]

COMMANDS = [
    Command("notice", ("通知",), notice, "bulletins.usage_notice", "bulletins.help_notice", access=Level.REGION),
]


FEATURE = Feature("bulletins", topic="life", commands=COMMANDS, pushes=PUSHES, periodic=(_periodic,))
