"""The monthly report (月报): on the 1st each branch secretary is asked for last month's narrative
(本月工作情况), on the 4th a branch that has not sent it is reminded once, on the 5th the region's
report is compiled (the numbers, and each branch's narrative or 未报送) into the region chats."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.compliance import MonthPush, cell_params, matrix, started_on, unit_cells, unit_rows
from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.expected import BranchAttendance, branch_attendance
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.intent import Phrase
from handlers.core.mentions import branch_secretaries
from handlers.core.outbox import Moment, PushContext, PushKind, Step, to_chats
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.core.timeparse import Period, parse_period
from storage.records import BindingRec, rate_of
from storage.uow import UnitOfWork

ASK_HOUR = 9
LATE_AFTER_DAYS = 3  # the 4th
COMPILE_AFTER_DAYS = 4  # the 5th
MAX_REPORT = 2000


def _month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _previous(month: date) -> date:
    return _month_start(month - timedelta(days=1))


def reported_month(local_now: datetime) -> date:
    """The month a narrative sent now is for: last month until the region's report is compiled on
    the 5th at 09:00, this month after that."""
    first = _month_start(local_now.date())
    compiled = datetime(first.year, first.month, 1 + COMPILE_AFTER_DAYS, ASK_HOUR, tzinfo=local_now.tzinfo)
    return _previous(first) if local_now < compiled else first


def cycle(now: datetime, tz: ZoneInfo) -> tuple[date, dict[str, datetime]]:
    """The month being reported on in the current (or next) cycle and when its steps are due."""
    local = now.astimezone(tz)
    first = _month_start(local.date())
    at = datetime(first.year, first.month, 1, ASK_HOUR, tzinfo=tz)
    if now >= at + timedelta(days=COMPILE_AFTER_DAYS):
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        at = datetime(first.year, first.month, 1, ASK_HOUR, tzinfo=tz)
    steps = {
        "report_ask": at,
        "report_late": at + timedelta(days=LATE_AFTER_DAYS),
        "report_compiled": at + timedelta(days=COMPILE_AFTER_DAYS),
    }
    return _previous(first), steps


_NAMED = {"本月": 0, "这个月": 0, "上月": -1, "上个月": -1}


def named_month(word: str, today: date) -> date | None:
    """本月 / 上月 / 11月 / 2026年11月 / 2026-11 -> the first of that month (a month later in the
    year than today's is last year's); None when the word names no month."""
    word = word.removesuffix("份")
    if word in _NAMED:
        first = _month_start(today)
        return _previous(first) if _NAMED[word] else first
    found = parse_period(word, today)
    if found is None or found.kind != "month" or word in ("this month", "last month"):
        return None
    if found.start > today and "年" not in word and "-" not in word:
        return date(found.start.year - 1, found.start.month, 1)
    return found.start


async def send_report(ctx: Context, args: str) -> list[Reply]:
    """工作情况 [11月|本月|上月] 内容 — a branch's narrative of a month (without a month: last
    month until the 5th, this month after); `11月工作情况 …` says the same."""
    today = ctx.local(ctx.now).date()
    word, _, rest = args.strip().partition(" ")
    month = named_month(word, today)
    text = rest.strip() if month is not None else args.strip()
    if not text:
        raise UsageError("report")
    if len(text) > MAX_REPORT:
        raise UsageError("report", "common.too_long", limit=MAX_REPORT)
    if month is not None and month > today:
        raise UsageError("report", "monthly.not_yet", month=month)
    node = ctx.need_node()
    if node.branch_id is None:
        raise AppError("monthly.branch_only")
    member = ctx.need_manager(node.region_id, node.branch_id)
    due = reported_month(ctx.local(ctx.now))
    month = month or due
    branch_id = node.branch_id
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> tuple[bool, bool]:
        first = await uow.reports.put(node.region_id, branch_id, f"{month:%Y-%m}", text, by=member.id, now=uow.now)
        detail = {"month": f"{month:%Y-%m}", "chars": len(text)}
        await uow.audit.record(
            actor=member.id, platform=inc.platform, action="monthly_report", detail=detail, now=uow.now
        )
        missing = due != month and branch_id not in await uow.reports.of_month(node.region_id, f"{due:%Y-%m}")
        return first, missing

    first, due_missing = await ctx.unit(work)
    return [ctx.reply("monthly.received", month=month, replaced=not first, due=due if due_missing else None)]


async def report_status(ctx: Context, args: str) -> list[Reply]:
    """月报 [11月] — which branches have sent the month's narrative (by default the month being
    reported on now), and when; a branch sees its own."""
    today = ctx.local(ctx.now).date()
    month = named_month(args.strip(), today) if args.strip() else reported_month(ctx.local(ctx.now))
    if month is None or month > today:
        raise UsageError("report_status")
    node = ctx.need_node()
    ctx.need_manager(node.region_id, node.branch_id, reading=True)

    async def read(uow: UnitOfWork) -> list[dict[str, Any]]:
        sent = await uow.reports.of_month(node.region_id, f"{month:%Y-%m}")
        branches = [
            b for b in await uow.org.branches(node.region_id) if node.branch_id in (None, b.id) and b.open_on(month)
        ]
        return [{"name": b.name, "at": ctx.local(sent[b.id][1]) if b.id in sent else None} for b in branches]

    rows = await ctx.read(read)
    return [ctx.reply("monthly.status", month=month, rows=rows, due=_next_month(month).replace(day=5))]


def cycle_steps(now: datetime, tz: ZoneInfo) -> tuple[list[Step], list[Step]]:
    """This cycle's steps still to come, for branch chats (ask, remind) and for region chats
    (compile); a step whose time has passed is not sent late."""
    month, steps = cycle(now, tz)
    payload = MonthPush(month=month)

    def wanted(*purposes: str) -> list[Step]:
        return [(KINDS[p], steps[p], payload) for p in purposes if steps[p] >= now]

    return wanted("report_ask", "report_late"), wanted("report_compiled")


async def _step(ctx: PushContext[MonthPush]) -> Reply | None:
    """Asking a branch (and, late, reminding it) until it has sent; the region's report compiled."""
    binding, row = ctx.chat, ctx.row
    month = ctx.payload.month
    if _next_month(month) <= await started_on(ctx.uow, binding.region_id, ctx.tz):
        return None  # a month before the region's 启用日期: nothing to report on
    reports = await ctx.uow.reports.of_month(binding.region_id, f"{month:%Y-%m}")
    if row.purpose in ("report_ask", "report_late"):
        if binding.branch_id is None or binding.branch_id in reports:
            return None  # sent already: nobody is asked again
        names = await branch_secretaries(ctx.uow, binding.region_id, binding.branch_id)
        step = row.purpose.removeprefix("report_")
        return Reply(text=render(f"monthly.{step}", ctx.locale, month=month, names=names))
    if binding.branch_id is not None:
        return None
    params = await compiled_params(ctx.uow, binding, month, reports, ctx.tz)
    return Reply(text=render("monthly.compiled", ctx.locale, **params))


_LABELS = {
    "report_ask": ("月报催报", "monthly report request"),
    "report_late": ("月报逾期提醒", "monthly report overdue"),
    "report_compiled": ("月报汇总", "monthly report compiled"),
}


def _kind(name: str) -> PushKind[MonthPush]:
    return PushKind(name, MonthPush, _step, lambda p: f"{name}:{p.month:%Y-%m}", label=_LABELS[name])


PUSHES = [_kind("report_ask"), _kind("report_late"), _kind("report_compiled")]
KINDS = {k.name: k for k in PUSHES}


async def compiled_params(
    uow: UnitOfWork, binding: BindingRec, month: date, reports: dict[int, tuple[str, datetime]], tz: ZoneInfo
) -> dict[str, Any]:
    """The region's report of a month: the events held, attendance, duty and ideas, and for each
    branch its attendance, its norms held / required and its narrative (None: not sent); a fixed
    number of grouped queries whatever the number of branches."""
    period = Period(month, _next_month(month), "month")
    start, end = period.bounds(tz)
    region_id = binding.region_id
    figures = uow.evaluations
    held = await uow.compliance.held(region_id, start, end)
    attendance = await branch_attendance(uow, region_id, held)  # as 简报, 年评 and the web count it
    duty = await figures.duty(region_id, start, end)
    norms = await matrix(uow, region_id, None, period, tz)
    branches = []
    for branch_id, name, cells in norms.branches:
        rate = attendance.get(branch_id, BranchAttendance()).rate
        text = reports.get(branch_id, (None, None))[0]
        branches.append({"name": name, "rate": rate, "cells": cell_params(cells), "text": text})
    numbers = {
        "held": len(held),
        "rate": rate_of(*(sum(getattr(a, f) for a in attendance.values()) for f in ("expected", "present", "leave"))),
        "duties": (sum(k for k, _ in duty.values()), sum(n for _, n in duty.values())),
        "ideas": await uow.ideas.counts(region_id, None, start, end),
    }
    every = await uow.units.units(region_id)  # each 党总支's and 编组's line, with its own norms
    units = unit_rows(every, norms.branches, await unit_cells(uow, region_id, every, period, tz))
    return {"month": month, "numbers": numbers, "branches": branches, "units": units}


COMMANDS = [
    Command("report", ("工作情况",), send_report, "monthly.usage_report", "monthly.help_report", access=Level.BRANCH),
    Command(
        "report_status", ("月报",), report_status, "monthly.usage_report_status", None, access=Level.BRANCH, reads=True
    ),
]


async def _periodic(uow: UnitOfWork, at: Moment) -> int:
    """The monthly report's steps still to come: asking and reminding branches, compiling for the region."""
    branch, region = cycle_steps(at.now, at.tz)
    return await to_chats(uow, branch=branch, region=region)


PHRASES = [
    Phrase(
        r"(?P<m>本月|上月|上个月|\d{1,2}月份?)?的?月报(?:情况|报送情况)?|(?:谁|哪些支部)(?:还)?(?:没|没有)(?:交|报|报送)月报",
        "月报",
        "{m}",
    ),
    Phrase(
        r"(?P<m>本月|这个月|上月|上个月|\d{4}年\d{1,2}月份?|\d{4}-\d{1,2}|\d{1,2}月份?)的?(?:工作情况|月报)"
        r"[\s,:，：]*(?P<text>.+)",
        "工作情况",
        "{m} {text}",
    ),
]

FEATURE = Feature("monthly", topic="life", commands=COMMANDS, pushes=PUSHES, periodic=(_periodic,), phrases=PHRASES)
