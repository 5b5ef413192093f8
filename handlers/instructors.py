"""党建指导员: the cadres a region places with its enterprises' branches to visit, guide and
comment (the seeds: 217 appointed in one district, 123 in the park enterprises of another).

An instructor is a roster member of role 党建指导员 (not expected at the branches' events). A
region officer assigns the branches each guides (`指导员 姓名 支部…`, from today; the earlier
assignments are kept); `指导员` lists each instructor's branches and last visit; the instructor
records a visit or guidance (`指导记录 支部名 内容`, in any chat of the region or privately; as the
caption of a photo, the photo is kept with it), which
the branch's chat hears and the ledger's 指导员台账 keeps. On Mondays an instructor is told
privately what among their branches needs a visit: those the dormancy warning (防瘫预警) names,
findings past their deadline, and last month's 月报 not sent.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.compliance import started_on
from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.names import named_member
from handlers.core.outbox import Moment, Payload, Personal, PushContext, PushKind, queue
from handlers.core.periods import next_monday
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.evaluation import dormancy_details
from handlers.monthly import LATE_AFTER_DAYS
from handlers.records import receive_photo
from storage.records import INSTRUCTOR
from storage.repos.instructors import GuidedRec, VisitRec
from storage.uow import UnitOfWork

MAX_VISIT = 1000  # characters of one guidance record
NONE_WORDS = ("无", "取消", "none")


async def assign(ctx: Context, args: str) -> list[Reply]:
    """指导员 [姓名 支部… | 姓名 无] — region officers: the branches an instructor guides from today (a
    党总支 or 编组 named: its branches now); without words, every instructor's branches and last visit."""
    node = ctx.need_node()
    actor = ctx.need_manager(node.region_id, None, Level.REGION)
    words = args.split()
    if not words:
        by_instructor: dict[str, list[GuidedRec]] = {}
        for g in await ctx.read(lambda uow: uow.instructors.guided(node.region_id)):
            by_instructor.setdefault(g.instructor, []).append(g)
        return [ctx.reply("instructors.listing", rows=by_instructor)]
    if len(words) < 2:
        raise UsageError("instructor")
    name, named = words[0], words[1:]
    if len(named) == 1 and named[0].lower() in NONE_WORDS:
        named = []
    today = ctx.local(ctx.now).date()

    async def work(uow: UnitOfWork) -> tuple[str, list[str], list[str], list[str]]:
        member = await named_member(uow, node.region_id, name)
        if member.role != INSTRUCTOR:
            raise AppError("instructors.not_instructor", name=member.name)
        branches = {b.name: b for b in await uow.org.branches(node.region_id) if b.open_on(today)}
        units = {u.name: u for u in await uow.units.units(node.region_id)}
        wanted: list[str] = []
        for n in named:  # a 党总支 or 编组 named: its branches
            listed = [b for _, b in units[n].branches if b in branches] if n not in branches and n in units else [n]
            wanted += [b for b in listed if b not in wanted]
        missing = [n for n in wanted if n not in branches]
        if missing:
            region = await uow.org.region(node.region_id)
            raise AppError("org.no_such_branch", name=missing[0], region=region.name)
        ids = {branches[n].id for n in wanted}
        added, ended = await uow.instructors.attach(node.region_id, member.id, ids, today, actor.id)
        names = {b.id: b.name for b in await uow.org.branches(node.region_id)}  # one ended may be closed since
        now_guided = sorted(names[b] for b in ids)
        await ctx.audit(uow, actor.id, "instructor.assign", member=member.id, branches="、".join(now_guided) or "—")
        return member.name, now_guided, sorted(names[b] for b in added), sorted(names[b] for b in ended)

    who, guided, added, ended = await ctx.unit(work)
    ctx.services.directory.forget_guides(node.region_id)
    return [ctx.reply("instructors.assigned", name=who, guided=guided, added=added, ended=ended)]


async def visit(ctx: Context, args: str) -> list[Reply]:
    """指导记录 支部名 内容 — an instructor records a visit to (or guidance of) a branch they guide, today."""
    parts = args.strip().split(maxsplit=1)  # the branch, then the words as typed (any space or a new line)
    name, content = (parts[0], parts[1].strip()) if len(parts) == 2 else ("", "")
    if not content:
        raise UsageError("guidance")
    if len(content) > MAX_VISIT:
        raise UsageError("guidance", "common.too_long", limit=MAX_VISIT)
    node = ctx.need_node()
    actor = ctx.need_manager(node.region_id, None, Level.GUIDE)
    today = ctx.local(ctx.now).date()
    photo = await receive_photo(ctx) if ctx.incoming.file is not None else None  # sent captioned 指导记录 …

    async def work(uow: UnitOfWork) -> VisitRec:
        branch = next((b for b in await uow.org.branches(node.region_id) if b.name == name), None)
        if branch is None:
            region = await uow.org.region(node.region_id)
            raise AppError("org.no_such_branch", name=name, region=region.name)
        if branch.id not in await uow.instructors.guides(actor.id):
            raise AppError("instructors.not_yours", branch=branch.name)
        sha = photo.sha256 if photo is not None else None
        vid = await uow.instructors.record_visit(node.region_id, branch.id, actor.id, today, content, uow.now, sha)
        for chat in await uow.chats.chats_for(node.region_id, branch.id, include_branch_chats=False):
            await queue(uow, GUIDED, chat.platform, chat.chat_id, due=uow.now, payload=GuidedPush(visit=vid))
        await ctx.audit(uow, actor.id, "instructor.visit", branch=branch.name, text=content, photo=bool(sha))
        found = await uow.instructors.visit(vid)
        assert found is not None
        return found

    return [ctx.reply("instructors.recorded", v=await ctx.unit(work))]


class GuidedPush(Payload):
    visit: int


async def _guided(ctx: PushContext[GuidedPush]) -> Reply | None:
    """To the branch's chats: the instructor's record of the visit."""
    v = await ctx.uow.instructors.visit(ctx.payload.visit)
    if v is None or v.branch_id != ctx.chat.branch_id:
        return None
    return Reply(text=render("instructors.push", ctx.locale, v=v))


GUIDED = PushKind(
    "guided", GuidedPush, _guided, lambda p: f"guided:{p.visit}", label=("指导记录通知", "guidance record")
)


class GuideWarningPush(Personal):
    member: int  # the instructor
    weeks: int
    week: str  # ISO week, YYYY-Www


async def _periodic(uow: UnitOfWork, at: Moment) -> int:
    """Next Monday's warning to each instructor who guides a branch, in their private chats."""
    warn_at = next_monday(at.now, at.tz)
    queued = 0
    for region in await uow.org.regions():
        for member in sorted(await uow.instructors.guides_by_member(region.id)):
            payload = GuideWarningPush(member=member, weeks=at.dormancy_weeks, week=f"{warn_at:%G-W%V}", private=True)
            for platform, chat_id in await uow.accounts.dm_chats(member):
                queued += await queue(uow, GUIDE_WARNING, platform, chat_id, due=warn_at, payload=payload)
    return queued


async def _guide_warning(ctx: PushContext[GuideWarningPush]) -> Reply | None:
    """What needs an instructor's visit among the branches they guide now: those the dormancy
    warning names, their findings past the deadline, and (from the 4th, when the region's report
    reminds the late ones) last month's 月报 not sent. Nothing of it: nothing is sent."""
    uow, p = ctx.uow, ctx.payload
    member = await uow.org.member(p.member)
    if member is None or not member.active or member.role != INSTRUCTOR:
        return None
    region = member.region_id
    guides = await uow.instructors.guides(p.member)
    names = {b.id: b.name for b in await uow.org.branches(region) if b.id in guides}
    dormant = [b for b in await dormancy_details(uow, region, p.weeks, ctx.now, ctx.tz) if b["name"] in names.values()]
    today = ctx.now.astimezone(ctx.tz).date()
    overdue = [
        f
        for f in await uow.findings.listing(region, None)
        if f.branch_id in names and f.status == "open" and f.deadline is not None and f.deadline < today
    ]
    late: list[str] = []
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    if today.day > LATE_AFTER_DAYS and today.replace(day=1) > await started_on(uow, region, ctx.tz):
        sent = await uow.reports.of_month(region, f"{last_month:%Y-%m}")
        late = sorted(n for b, n in names.items() if b not in sent)
    if not (dormant or overdue or late):
        return None
    said = render(
        "instructors.warning", ctx.locale, weeks=p.weeks, branches=dormant, overdue=overdue, late=late, month=last_month
    )
    return Reply(text=said)


GUIDE_WARNING = PushKind(
    "guide_warning",
    GuideWarningPush,
    _guide_warning,
    lambda p: f"guide-warning:{p.member}:{p.week}",
    label=("指导员每周提醒", "instructor's weekly reminder"),
)

COMMANDS = [
    Command("instructor", ("指导员",), assign, "instructors.usage_assign", "instructors.help_assign", Level.REGION),
    Command(
        "guidance", ("指导记录",), visit, "instructors.usage_visit", "instructors.help_visit", Level.GUIDE, files=True
    ),
]

FEATURE = Feature("instructors", topic="life", commands=COMMANDS, pushes=[GUIDED, GUIDE_WARNING], periodic=[_periodic])
