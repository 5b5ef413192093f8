"""发展党员: the way from 入党申请人 to 正式党员, as 001 asks ("规范入党积极分子培养考察") and 002
hopes ("优先考虑发展入党或列为入党积极分子").

A branch records each stage when it is reached (发展 姓名 阶段 日期): 入党申请人, 入党积极分子
(with two 培养联系人 from the branch's members), 发展对象 (not before a year as activist), 预备党员,
正式党员 (not before a year's 预备期). Its chats are reminded when an activist's year is up, a
month before a 预备期 ends and on the day; in the quarter's last month, on the 15th, of who has not
yet handed in the quarter's 思想汇报 (recorded with 思想汇报 姓名). 发展党员 lists the branch's
pipeline (in the region's chat: the count per stage of each branch). Recording a stage changes no
one's rights or roster role: the answer says when the roster should follow.
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
from handlers.core.timeparse import WhenError, parse_date
from handlers.org import MAX_NAME
from storage.repos.recruits import STAGES, RecruitRec
from storage.uow import UnitOfWork

STAGE_WORDS = {
    "申请": "applicant", "入党申请": "applicant", "入党申请人": "applicant", "applicant": "applicant",
    "积极分子": "activist", "入党积极分子": "activist", "activist": "activist",
    "发展对象": "candidate", "candidate": "candidate",
    "预备党员": "probationary", "接收预备党员": "probationary", "probationary": "probationary",
    "正式党员": "full", "转正": "full", "full": "full",
}  # fmt: skip
CONTACT_WORDS = frozenset({"联系人", "培养联系人", "contacts"})
CONTACTS = 2  # 培养联系人 for each activist
MIN_YEAR = 365  # an activist a year before 发展对象; a year's 预备期 before 正式党员
PROBATION_NOTICE_DAYS = 30
REPORT_DAY = 15  # in a quarter's last month, the branch hears who owes the quarter's 思想汇报
PUSH_HOUR = 9
REPORTING = ("activist", "candidate", "probationary")  # who hands in a 思想汇报 each quarter
_SEPARATORS = re.compile(r"[\s、，,]+")
_QUARTER = re.compile(r"^(?:(?P<y>[0-9]{4})\s*年?\s*)?(?:第?(?P<q>[1-4一二三四])季度?|Q(?P<q2>[1-4]))$", re.I)


def one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def parse_quarter(word: str, today: date) -> str | None:
    m = _QUARTER.match(word.strip())
    if not m:
        return None
    q = m.group("q") or m.group("q2")
    n = "一二三四".index(q) + 1 if q in "一二三四" else int(q)
    return f"{int(m.group('y')) if m.group('y') else today.year}-Q{n}"


@dataclass
class Step:
    branch: str | None = None
    name: str | None = None
    stage: str | None = None
    day: date | None = None
    contacts: list[str] | None = None


def _parse(args: str, branches: set[str], today: date) -> Step:
    """[支部名] 姓名 阶段 日期 [联系人 甲 乙]."""
    said = Step()
    for word in (w for w in _SEPARATORS.split(args.strip()) if w):
        if said.contacts is not None:
            said.contacts.append(word.lstrip("@"))
        elif word in CONTACT_WORDS:
            said.contacts = []
        elif word in STAGE_WORDS and said.stage is None:
            said.stage = STAGE_WORDS[word]
        elif word in branches and said.branch is None and said.name is None:
            said.branch = word
        elif said.name is None:
            if len(word) > MAX_NAME:
                raise UsageError("recruit", "recruits.too_long", limit=MAX_NAME)
            said.name = word.lstrip("@")
        elif said.day is None:
            try:
                said.day = parse_date(word, today, past=True)
            except WhenError as exc:
                raise UsageError("recruit", "recruits.bad_word", text=word[:20]) from exc
        else:
            raise UsageError("recruit", "recruits.bad_word", text=word[:20])
    return said


async def record_step(ctx: Context, args: str) -> list[Reply]:
    """发展 [支部名] 姓名 阶段 日期 [联系人 甲 乙] — a stage reached on the way to membership."""
    node = ctx.need_node()
    today = ctx.local(ctx.now).date()
    branches = await ctx.read(lambda uow: uow.org.branches(node.region_id))
    said = _parse(args, {b.name for b in branches}, today)
    if said.name is None or said.stage is None or said.day is None:
        raise UsageError("recruit")
    if said.day > today:
        raise UsageError("recruit", "recruits.future", day=said.day)
    if said.branch is not None:
        branch = next(b for b in branches if b.name == said.branch)
        if node.branch_id not in (None, branch.id):
            raise Refused("access.needs_region")
    elif node.branch_id is not None:
        branch = next(b for b in branches if b.id == node.branch_id)
    else:
        raise UsageError("recruit", "recruits.name_branch")
    actor = ctx.need_manager(node.region_id, branch.id)
    name, stage, day = said.name, said.stage, said.day
    contacts = list(dict.fromkeys(said.contacts)) if said.contacts is not None else None
    tz = ctx.tz

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        roster = {m.name: m for m in await uow.org.members_of(node.region_id, branch.id)}
        if contacts is not None:
            if len(contacts) != CONTACTS:
                raise AppError("recruits.two_contacts")
            unfit = [n for n in contacts if n not in roster or roster[n].role == "activist" or n == name]
            if unfit:
                raise AppError("recruits.bad_contacts", names=unfit, branch=branch.name)
        found = await uow.recruits.named(branch.id, name)
        if found is None:
            if stage == "activist" and contacts is None:
                raise AppError("recruits.two_contacts")
            member = roster.get(name)
            recruit_id = await uow.recruits.add(
                region_id=node.region_id, branch_id=branch.id, member_id=member.id if member else None, name=name,
                stage=stage, day=day, contacts=contacts or [], now=uow.now,
            )  # fmt: skip
        else:
            _check_order(found, stage, day)
            if stage == "activist" and contacts is None and not found.contacts:
                raise AppError("recruits.two_contacts")
            await uow.recruits.advance(found.id, stage, day, contacts, uow.now)
            recruit_id = found.id
        recruit = await uow.recruits.by_id(recruit_id)
        assert recruit is not None
        await _queue_milestones(uow, recruit, tz)
        await ctx.audit(uow, actor.id, "recruit.stage", name=name, stage=stage, date=day.isoformat())
        on_roster = roster.get(name)
        return {"r": recruit, "roster_role": on_roster.role if on_roster else None}

    said_back = await ctx.unit(work)
    return [ctx.reply("recruits.recorded", **said_back, next_step=next_step(said_back["r"], today))]


def _check_order(found: RecruitRec, stage: str, day: date) -> None:
    """A later stage than the recruit's, on a day not before it, and the year each rule asks for."""
    if STAGES.index(stage) <= STAGES.index(found.stage):
        raise AppError("recruits.not_later", name=found.name, stage=found.stage)
    before = found.day(found.stage)
    if before is not None and day < before:
        raise AppError("recruits.before_last", name=found.name, stage=found.stage, day=before)
    if stage in ("candidate", "probationary") and found.activist_on is not None:
        earliest = one_year_after(found.activist_on)
        if day < earliest:
            raise AppError(
                "recruits.too_soon", name=found.name, since=found.activist_on, earliest=earliest, rule="activist"
            )
    if stage == "full" and found.admitted_on is not None:
        earliest = one_year_after(found.admitted_on)
        if day < earliest:
            raise AppError(
                "recruits.too_soon", name=found.name, since=found.admitted_on, earliest=earliest, rule="probation"
            )


@dataclass(frozen=True)
class NextStep:
    """What comes next for a recruit: the step's key and from when (None: now, or nothing dated)."""

    key: str  # activist / candidate / probationary / full / done
    from_day: date | None


def next_step(r: RecruitRec, today: date) -> NextStep:
    if r.stage == "applicant":
        return NextStep("activist", None)
    if r.stage == "activist":
        return NextStep("candidate", one_year_after(r.activist_on) if r.activist_on else None)
    if r.stage == "candidate":
        return NextStep("probationary", None)
    if r.stage == "probationary":
        return NextStep("full", one_year_after(r.admitted_on) if r.admitted_on else None)
    return NextStep("done", None)


async def record_report(ctx: Context, args: str) -> list[Reply]:
    """思想汇报 姓名 [季度] — the branch received a recruit's 思想汇报 (this quarter unless said)."""
    words = [w for w in _SEPARATORS.split(args.strip()) if w]
    if not 1 <= len(words) <= 2:
        raise UsageError("thought_report")
    today = ctx.local(ctx.now).date()
    quarter = parse_quarter(words[1], today) if len(words) == 2 else quarter_of(today)
    if quarter is None:
        raise UsageError("thought_report", "recruits.bad_quarter", text=words[1][:20])
    if quarter > quarter_of(today):
        raise UsageError("thought_report", "recruits.future_quarter")
    node = ctx.need_node()
    if node.branch_id is None:
        raise AppError("recruits.in_branch_chat")
    branch_id = node.branch_id
    actor = ctx.need_manager(node.region_id, branch_id)

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        found = await uow.recruits.named(branch_id, words[0])
        if found is None or found.stage not in REPORTING:
            raise AppError("recruits.not_reporting", name=words[0])
        new = await uow.recruits.report(found.id, quarter, today, actor.id, uow.now)
        if new:
            await ctx.audit(uow, actor.id, "recruit.report", name=found.name, quarter=quarter)
        return {"name": found.name, "quarter": quarter, "new": new, "count": found.reports + new}

    return [ctx.reply("recruits.report", **await ctx.unit(work))]


async def listing(ctx: Context, args: str) -> list[Reply]:
    """发展党员 — the branch's pipeline, stage by stage with what comes next; in the region's chat
    each branch's count per stage."""
    if args.strip():
        raise UsageError("recruits")
    node = ctx.need_node()
    today = ctx.local(ctx.now).date()
    found = await ctx.read(lambda uow: uow.recruits.of_region(node.region_id, node.branch_id))
    if node.branch_id is None:
        names = await ctx.read(lambda uow: uow.org.branches(node.region_id))
        counts = [(b.name, [sum(r.stage == s and r.branch_id == b.id for r in found) for s in STAGES]) for b in names]
        totals = [sum(r.stage == s for r in found) for s in STAGES]
        return [ctx.reply("recruits.region", counts=[c for c in counts if any(c[1])], totals=totals)]
    rows = [{"r": r, "next": next_step(r, today)} for r in found if r.stage != "full"]
    done = [r for r in found if r.stage == "full"]
    return [ctx.reply("recruits.branch", rows=rows, done=done, quarter=quarter_of(today), today=today)]


# -- pushes ------------------------------------------------------------------------------------
class MilestonePush(Payload):
    recruit: int
    step: str  # activist_year / probation_soon / probation_due
    day: str  # YYYY-MM-DD: the day it is about


class QuarterPush(Payload):
    quarter: str  # YYYY-Qn


def _at(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(PUSH_HOUR), tzinfo=tz)


def milestones(r: RecruitRec) -> list[tuple[str, date, date]]:
    """(step, when to tell, the day it is about) for the recruit's present stage."""
    if r.stage == "activist" and r.activist_on is not None:
        year = one_year_after(r.activist_on)
        return [("activist_year", year, year)]
    if r.stage == "probationary" and r.admitted_on is not None:
        end = one_year_after(r.admitted_on)
        return [("probation_soon", end - timedelta(days=PROBATION_NOTICE_DAYS), end), ("probation_due", end, end)]
    return []


async def _queue_milestones(uow: UnitOfWork, r: RecruitRec, tz: ZoneInfo) -> None:
    for step, tell, about in milestones(r):
        due = _at(tell, tz)
        if due <= uow.now:
            continue
        payload = MilestonePush(recruit=r.id, step=step, day=about.isoformat())
        for chat in await uow.chats.chats_for(r.region_id, r.branch_id, include_branch_chats=False):
            await queue(uow, MILESTONE, chat.platform, chat.chat_id, due=due, payload=payload)


async def _milestone(ctx: PushContext[MilestonePush]) -> Reply | None:
    """A recruit's year as activist is up, or a 预备期 ends soon or today; nothing once they moved on."""
    r = await ctx.uow.recruits.by_id(ctx.payload.recruit)
    stage = "activist" if ctx.payload.step == "activist_year" else "probationary"
    if r is None or r.region_id != ctx.chat.region_id or r.stage != stage:
        return None
    names = await branch_secretaries(ctx.uow, r.region_id, r.branch_id)
    about = date.fromisoformat(ctx.payload.day)
    return Reply(text=render(f"recruits.push_{ctx.payload.step}", ctx.locale, r=r, day=about, names=names))


async def _reports_due(ctx: PushContext[QuarterPush]) -> Reply | None:
    """In a quarter's last month: the branch's recruits whose 思想汇报 of the quarter has not come."""
    if ctx.chat.branch_id is None:
        return None
    found = await ctx.uow.recruits.of_region(ctx.chat.region_id, ctx.chat.branch_id)
    came = await ctx.uow.recruits.reported(ctx.chat.region_id, ctx.payload.quarter)
    owing = [r for r in found if r.stage in REPORTING and r.id not in came]
    return (
        Reply(text=render("recruits.push_reports", ctx.locale, rows=owing, quarter=ctx.payload.quarter))
        if owing
        else None
    )


MILESTONE = PushKind(
    "recruit_milestone", MilestonePush, _milestone, lambda p: f"recruit:{p.recruit}:{p.step}:{p.day}",
    label=("发展党员节点提醒", "recruitment milestone"),
)  # fmt: skip
REPORTS_DUE = PushKind(
    "thought_reports_due", QuarterPush, _reports_due, lambda p: f"thought_reports:{p.quarter}",
    label=("思想汇报提醒", "thought reports due"),
)  # fmt: skip


async def _periodic(uow: UnitOfWork, at: Moment) -> int:
    """The quarter's 思想汇报 reminder on the 15th of its last month, at 09:00."""
    local = at.now.astimezone(at.tz).date()
    last_month = ((local.month - 1) // 3 + 1) * 3
    due = _at(date(local.year, last_month, REPORT_DAY), at.tz)
    if due <= at.now:
        nxt = date(local.year + (last_month == 12), last_month % 12 + 3, REPORT_DAY)
        due = _at(nxt, at.tz)
    return await to_chats(uow, branch=[(REPORTS_DUE, due, QuarterPush(quarter=quarter_of(due.date())))])


B = Level.BRANCH
COMMANDS = [
    Command("recruits", ("发展党员",), listing, "recruits.usage_recruits", "recruits.help_recruits", reads=True),
    Command("recruit", ("发展",), record_step, "recruits.usage_recruit", "recruits.help_recruit", B),
    Command("thought_report", ("思想汇报",), record_report, "recruits.usage_report", "recruits.help_report", B),
]

PHRASES = [
    Phrase(SEE + r"(?:本支部的?)?(?:发展党员|入党积极分子|发展对象)(?:情况|名单|进度)?", "发展党员"),
]

FEATURE = Feature(
    "recruits",
    topic="people",
    commands=COMMANDS,
    pushes=[MILESTONE, REPORTS_DUE],
    periodic=(_periodic,),
    phrases=PHRASES,
)
