"""Quarterly supervision (季督): a supervisor records what is wrong in a branch (督查), the branch
rectifies it (整改完成) and the supervisor confirms (确认整改); the branch is told and reminded
before the deadline, and the region chats hear weekly of what is overdue."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from handlers.compliance import period_argument
from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.intent import SEE, Phrase
from handlers.core.outbox import Moment, Payload, PushContext, PushKind, queue, to_chats
from handlers.core.periods import next_monday
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.core.timeparse import WhenError, numbered, parse_date
from handlers.records import receive_photo
from storage import limits
from storage.repos.compliance import FindingRec
from storage.uow import UnitOfWork

REMIND_DAYS_BEFORE = 3  # the branch is reminded this many days before a deadline, at 09:00
REMIND_HOUR = 9
MAX_TEXT = 1000
_DEADLINE = re.compile(r"\s*(?:期限|截止|deadline)\s*[:：]\s*(?P<when>\S+)\s*$", re.I)


def _params(f: FindingRec) -> dict[str, Any]:
    return {
        "number": f.number,
        "branch": f.branch,
        "text": f.text,
        "deadline": f.deadline,
        "status": f.status,
        "note": f.fix_note,
        "photos": f.photos,
    }


async def _notify(uow: UnitOfWork, f: FindingRec, purpose: str, *, region_chats: bool, due: datetime) -> None:
    chats = await uow.chats.chats_for(f.region_id, None if region_chats else f.branch_id, include_branch_chats=False)
    payload = FindingPush(finding=f.id, day=f"{due:%Y%m%d}")
    for chat in chats:
        await queue(uow, KINDS[purpose], chat.platform, chat.chat_id, due=due, payload=payload)


async def record_finding(ctx: Context, args: str) -> list[Reply]:
    """督查 支部名 问题描述 [期限：12月31日] — a supervisor records a finding for a branch."""
    name, _, rest = args.strip().partition(" ")
    text, deadline = rest.strip(), None
    if m := _DEADLINE.search(text):
        try:
            deadline = parse_date(m.group("when"), ctx.local(ctx.now).date())
        except WhenError as exc:
            raise UsageError("finding", "supervision.bad_deadline", text=m.group("when")) from exc
        text = text[: m.start()].strip()
    if not name or not text:
        raise UsageError("finding")
    if len(text) > MAX_TEXT:
        raise UsageError("finding", "common.too_long", limit=MAX_TEXT)
    if deadline is not None and deadline < ctx.local(ctx.now).date():
        raise UsageError("finding", "supervision.past_deadline", deadline=deadline)
    node = ctx.need_node()
    supervisor = ctx.need_manager(node.region_id, None)
    tz = ctx.tz
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> FindingRec:
        branch = next((b for b in await uow.org.branches(node.region_id) if b.name == name), None)
        if branch is None:
            raise AppError("ledger.no_branch", name=name[: limits.BRANCH_NAME])
        number = await uow.findings.create(
            region_id=node.region_id,
            branch_id=branch.id,
            text=text,
            deadline=deadline,
            created_by=supervisor.id,
            created_at=uow.now,
        )
        found = await uow.findings.by_number(node.region_id, number)
        assert found is not None
        await _notify(uow, found, "finding_new", region_chats=False, due=uow.now)
        if deadline is not None:
            at = datetime(deadline.year, deadline.month, deadline.day, REMIND_HOUR, tzinfo=tz)
            await _notify(uow, found, "finding_due", region_chats=False, due=at - timedelta(days=REMIND_DAYS_BEFORE))
        detail = {"finding": number, "branch": branch.name, "deadline": str(deadline or "")}
        await uow.audit.record(actor=supervisor.id, platform=inc.platform, action="finding", detail=detail, now=uow.now)
        return found

    found = await ctx.unit(work)
    return [ctx.reply("supervision.recorded", f=_params(found))]


async def _finding(ctx: Context, args: str, command: str) -> tuple[FindingRec, str]:
    number, rest = numbered(args, hash_required=False)
    if number is None:
        raise UsageError(command)
    node = ctx.need_node()
    found = await ctx.read(lambda uow: uow.findings.by_number(node.region_id, number))
    if found is None or node.branch_id not in (None, found.branch_id):
        raise AppError("supervision.not_found", number=number)
    return found, rest.strip()


async def mark_fixed(ctx: Context, args: str) -> list[Reply]:
    """整改完成 #n 说明 — the branch says a finding is rectified; the supervisor is told. Sent as the
    caption of a photo, the photo is kept as evidence; a further photo so captioned joins it until
    the supervisor confirms."""
    found, note = await _finding(ctx, args, "finding_fixed")
    if len(note) > MAX_TEXT:
        raise UsageError("finding_fixed", "common.too_long", limit=MAX_TEXT)
    member = ctx.need_manager(found.region_id, found.branch_id)
    more = found.status == "fixed" and ctx.incoming.file is not None  # more evidence for a reported rectification
    if found.status != "open" and not more:
        raise AppError("supervision.not_open", number=found.number, status=found.status)
    if not note and not more:
        raise UsageError("finding_fixed")
    photo = await receive_photo(ctx) if ctx.incoming.file is not None else None

    async def keep(uow: UnitOfWork) -> bool:
        if photo is None:
            return False
        added = await uow.findings.add_photo(
            found.id, photo.sha256, photo.kind, photo.size, by=member.id, platform=ctx.incoming.platform, now=uow.now
        )
        if added:
            detail = {"finding": found.number, "sha256": photo.sha256[:16], "bytes": photo.size}
            await uow.audit.record(actor=member.id, platform=ctx.incoming.platform, action="finding_photo",
                                detail=detail, now=uow.now)  # fmt: skip
        return added

    if more:
        added = await ctx.unit(keep)
        return [ctx.reply("supervision.photo_added" if added else "supervision.photo_again", f=_params(found),
                          count=found.photos + added)]  # fmt: skip
    values = {"fix_note": note, "fixed_by": member.id}
    await _move(ctx, found, member.id, "open", "fixed", values, region_chats=True, also=keep)
    photos = found.photos + (photo is not None)
    return [ctx.reply("supervision.fixed", f=_params(found) | {"note": note, "photos": photos})]


async def confirm(ctx: Context, args: str) -> list[Reply]:
    """确认整改 #n — the supervisor confirms a rectification; the branch is told."""
    found, _ = await _finding(ctx, args, "finding_confirm")
    member = ctx.need_manager(found.region_id, None)
    await _move(ctx, found, member.id, "fixed", "confirmed", {"confirmed_by": member.id}, region_chats=False)
    return [ctx.reply("supervision.confirmed", f=_params(found))]


async def _move(
    ctx: Context,
    found: FindingRec,
    actor: int,
    old: str,
    new: str,
    values: dict[str, Any],
    *,
    region_chats: bool,
    also: Callable[[UnitOfWork], Awaitable[Any]] | None = None,
) -> None:
    """One step of a finding, taken once: from the status it must be in, told to the other side
    (the region's chats for a rectification, the branch's for a confirmation), audited."""
    refusal = "supervision.not_open" if old == "open" else "supervision.not_fixed"
    if found.status != old:
        raise AppError(refusal, number=found.number, status=found.status)
    purpose = {"fixed": "finding_fixed", "confirmed": "finding_confirmed"}[new]
    action = {"fixed": "finding_fixed", "confirmed": "finding_confirm"}[new]
    stamp = {"fixed": "fixed_at", "confirmed": "confirmed_at"}[new]
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> bool:
        if not await uow.findings.set_status(found.id, old=old, new=new, **values, **{stamp: uow.now}):
            return False
        if also is not None:
            await also(uow)
        await _notify(uow, found, purpose, region_chats=region_chats, due=uow.now)
        detail = {"finding": found.number}
        await uow.audit.record(actor=actor, platform=inc.platform, action=action, detail=detail, now=uow.now)
        return True

    if not await ctx.unit(work):  # taken meanwhile by another message
        raise AppError(refusal, number=found.number, status=new)


async def listing(ctx: Context, args: str) -> list[Reply]:
    """督查清单 [本季|本年] — open findings, and those closed in the period; a branch its own."""
    node = ctx.need_node()
    today = ctx.local(ctx.now).date()
    since, _ = period_argument(ctx, args, "findings").bounds(ctx.tz)
    found = await ctx.read(lambda uow: uow.findings.listing(node.region_id, node.branch_id, since))
    return [ctx.reply("supervision.listing", items=[_params(f) for f in found], today=today)]


# -- pushes ------------------------------------------------------------------------------------
class FindingPush(Payload):
    finding: int
    day: str  # YYYYMMDD: the day it is about (a deadline reminder, a report)


class WeekPush(Payload):
    week: str  # ISO week, YYYY-Www


async def _overdue(ctx: PushContext[WeekPush]) -> Reply | None:
    """The weekly list of findings past their deadline; nothing when none is."""
    today = ctx.now.astimezone(ctx.tz).date()
    overdue = [
        _params(f)
        for f in await ctx.uow.findings.listing(ctx.chat.region_id, None)
        if f.status == "open" and f.deadline is not None and f.deadline < today
    ]
    return Reply(text=render("supervision.overdue", ctx.locale, items=overdue)) if overdue else None


async def _news(ctx: PushContext[FindingPush]) -> Reply | None:
    """A finding's news for a chat; a deadline reminder only while it is still open."""
    found = await ctx.uow.findings.get(ctx.payload.finding)
    if found is None or found.region_id != ctx.chat.region_id:
        return None
    if ctx.row.purpose == "finding_due" and found.status != "open":
        return None
    step = ctx.row.purpose.removeprefix("finding_")
    return Reply(text=render(f"supervision.push_{step}", ctx.locale, f=_params(found)))


_LABELS = {
    "finding_new": ("问题通报", "finding raised"),
    "finding_due": ("整改到期提醒", "finding due"),
    "finding_fixed": ("整改完成", "finding fixed"),
    "finding_confirmed": ("整改确认", "finding confirmed"),
}


def _finding_kind(name: str) -> PushKind[FindingPush]:
    return PushKind(name, FindingPush, _news, lambda p: f"{name}:{p.finding}:{p.day}", label=_LABELS[name])


PUSHES: list[PushKind[Any]] = [
    *(_finding_kind(n) for n in ("finding_new", "finding_due", "finding_fixed", "finding_confirmed")),
    PushKind(
        "findings_overdue",
        WeekPush,
        _overdue,
        lambda p: f"findings_overdue:{p.week}",
        label=("整改逾期汇总", "overdue findings"),
    ),
]
KINDS = {k.name: k for k in PUSHES}


R = Level.REGION
COMMANDS = [
    Command("finding", ("督查",), record_finding, "supervision.usage_finding", "supervision.help_finding", access=R),
    Command("finding_fixed", ("整改完成",), mark_fixed, "supervision.usage_fixed", access=Level.BRANCH, files=True),
    Command("finding_confirm", ("确认整改",), confirm, "supervision.usage_confirm", access=R),
    Command("findings", ("督查清单",), listing, "supervision.usage_findings", "supervision.help_findings", reads=True),
]


async def _periodic(uow: UnitOfWork, at: Moment) -> int:
    """The week's overdue findings, to region chats (Mondays)."""
    due = next_monday(at.now, at.tz)
    return await to_chats(uow, region=[(KINDS["findings_overdue"], due, WeekPush(week=f"{due:%G-W%V}"))])


PHRASES = [
    Phrase(SEE + r"(?:督查|整改)(?:情况|清单|问题|进度)", "督查清单"),
]

FEATURE = Feature("supervision", topic="life", commands=COMMANDS, pushes=PUSHES, periodic=(_periodic,), phrases=PHRASES)
