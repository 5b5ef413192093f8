"""The yearly evaluation (年评): each branch scored on the five dimensions the seeds use, from data
with documented weights and, where the committee set one, its own score; stars and the four tiers
(示范 / 巩固 / 提高 / 预警) from the total.

Only what is due is scored: the part of the year since the region's 启用日期 (start date) up to
now. A branch is scored once at least one period of its norms has ended since the start; before
that it reads 未评 (not yet scored) with no stars and no tier. Data scores, 0–100:
- 组织凝聚力 (cohesion): the attendance rate at held events the branch's members were expected at
  (0 when none was held);
- 队伍战斗力 (effectiveness): the share of the branch's norm periods that ended and were met;
- 发展推动力 (development): 20 per idea adopted and 40 per idea implemented, at most 100;
- 文化支撑力 (culture): the share of duty shifts kept among those that have begun (— with none);
- 区域影响力 (influence): the share of supervision findings rectified by their deadline, among those
  whose deadline has passed or that were rectified (a finding without a deadline is due 30 days
  after it was raised; — with none due).
A committee score for a dimension (评分 支部 维度 分数 说明) counts 30 %, the data 70 %. The total is the
mean of the dimensions scored (— leaves one out); stars: 90+ ★★★★★, 80+ ★★★★, 70+ ★★★, 60+ ★★, else ★;
tiers: 85+ 示范, 70+ 巩固, 55+ 提高, else 预警.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.compliance import (
    NOW_INCLUDED,
    Matrix,
    cell_params,
    matrix,
    period_argument,
    started_on,
    unit_cells,
    unit_rows,
)
from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.expected import BranchAttendance, branch_attendance
from handlers.core.feature import Feature
from handlers.core.intent import SEE, Phrase
from handlers.core.periods import period_label
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.core.timeparse import Period, ascii_digits, parse_period
from handlers.points import PIONEER_WEIGHTS, pioneers
from storage.repos.units import UnitRec
from storage.uow import UnitOfWork

DIMENSIONS = ("cohesion", "effectiveness", "development", "culture", "influence")
DIMENSION_WORDS = {
    "组织凝聚力": "cohesion", "凝聚力": "cohesion", "cohesion": "cohesion",
    "队伍战斗力": "effectiveness", "战斗力": "effectiveness", "effectiveness": "effectiveness",
    "发展推动力": "development", "推动力": "development", "development": "development",
    "文化支撑力": "culture", "支撑力": "culture", "culture": "culture",
    "区域影响力": "influence", "影响力": "influence", "influence": "influence",
}  # fmt: skip
MANUAL_WEIGHT = 0.3
STARS = ((90, 5), (80, 4), (70, 3), (60, 2))
TIERS = ((85, "model"), (70, "steady"), (55, "improving"))
PIONEERS_SHOWN = 10  # the 先锋指数 list under the ranking: the highest


@dataclass(frozen=True)
class BranchScore:
    branch_id: int
    name: str
    scores: dict[str, float | None]  # dimension -> 0..100 (the committee's share included), None: nothing due
    total: float | None  # None: not scored yet (nothing was due)

    @property
    def stars(self) -> int:
        if self.total is None:
            return 0
        return next((s for low, s in STARS if self.total >= low), 1)

    @property
    def tier(self) -> str | None:
        if self.total is None:
            return None
        return next((t for low, t in TIERS if self.total >= low), "warning")


FINDING_TERM = timedelta(days=30)  # a finding raised without a deadline is due this long after


def _share(done: int, due: int) -> float | None:
    return 100.0 * done / due if due else None


async def evaluate(uow: UnitOfWork, region_id: int, year: int, tz: ZoneInfo) -> list[BranchScore]:
    """Every branch of the region scored for a year, best first (a handful of grouped queries)."""
    period = Period(date(year, 1, 1), date(year + 1, 1, 1), "year")
    norms = await matrix(uow, region_id, None, period, tz)
    lo, hi = Period(max(period.start, norms.started), period.end, "range").bounds(tz)
    hi = min(hi, uow.now + NOW_INCLUDED)  # what has begun: a shift or meeting to come is not missed
    repo = uow.evaluations
    held = await uow.compliance.held(region_id, lo, hi) if lo < hi else []
    duty = await repo.duty(region_id, lo, hi) if lo < hi else {}
    ideas = await repo.idea_steps(region_id, lo, hi) if lo < hi else {}
    findings = await repo.findings(region_id, lo, hi) if lo < hi else []
    manual = await repo.manual(region_id, year)
    attendance = await branch_attendance(uow, region_id, held)
    today = uow.now.astimezone(tz).date()
    out = []
    for branch_id, name, cells in norms.branches:
        due = [w for c in cells for w in c.due]
        if not due:
            out.append(BranchScore(branch_id, name, dict.fromkeys(DIMENSIONS), None))
            continue
        came = attendance.get(branch_id, BranchAttendance())
        owed = []  # (deadline, rectified at) of the findings due
        for b, deadline, fixed, raised in findings:
            if b != branch_id:
                continue
            deadline = deadline or (raised.astimezone(tz) + FINDING_TERM).date()
            if fixed is not None or deadline < today:
                owed.append((deadline, fixed))
        kept = sum(1 for deadline, fixed in owed if fixed and fixed.astimezone(tz).date() <= deadline)
        data: dict[str, float | None] = {
            "cohesion": 100.0 * came.present / came.expected if came.expected else 0.0,
            "effectiveness": _share(sum(w.held >= w.required for w in due), len(due)),
            "development": min(
                100.0, 20.0 * ideas.get((branch_id, "adopted"), 0) + 40.0 * ideas.get((branch_id, "implemented"), 0)
            ),
            "culture": _share(*duty.get(branch_id, (0, 0))),
            "influence": _share(kept, len(owed)),
        }
        scores: dict[str, float | None] = {}
        for d, v in data.items():
            committee = manual.get((branch_id, d))
            if committee is None:
                scores[d] = v
            else:
                scores[d] = committee[0] if v is None else (1 - MANUAL_WEIGHT) * v + MANUAL_WEIGHT * committee[0]
        counted = [v for v in scores.values() if v is not None]
        out.append(BranchScore(branch_id, name, scores, sum(counted) / len(counted)))
    return sorted(out, key=lambda s: (s.total is None, -(s.total or 0), s.name))


def score_params(scores: list[BranchScore], appraised: dict[int, int] | None = None) -> list[dict[str, Any]]:
    """Each branch's line of the ranking; `appraised`: its 述职评议 of the year (双述双评), shown beside."""
    appraised = appraised or {}
    return [
        {"name": s.name, "total": None if s.total is None else round(s.total), "stars": s.stars, "tier": s.tier,
         "scores": {d: None if v is None else round(v) for d, v in s.scores.items()},
         "appraisal": appraised.get(s.branch_id)}
        for s in scores
    ]  # fmt: skip


def _year(ctx: Context, args: str, command: str) -> int:
    text = ascii_digits(args.strip()).rstrip("年")
    if not text:
        return ctx.local(ctx.now).year
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise UsageError(command)
    return int(text)


async def yearly(ctx: Context, args: str) -> list[Reply]:
    """年度考评 [2026] — every branch scored, ranked, with stars and tiers (region officers)."""
    year = _year(ctx, args, "evaluation")
    node = ctx.need_node()
    ctx.need_manager(node.region_id, None)

    async def both(uow: UnitOfWork) -> tuple[list[BranchScore], date, dict[int, int], list[Any], list[UnitRec]]:
        tallies = await uow.appraisals.tallies(node.region_id, year)
        appraised = {b: t.combined for b, t in tallies.items() if t.combined is not None}
        names = {b.id: b.name for b in await uow.org.branches(node.region_id)}
        best = [r for r in await pioneers(uow, node.region_id, year, ctx.tz) if r.p.index][:PIONEERS_SHOWN]
        return (
            await evaluate(uow, node.region_id, year, ctx.tz),
            await started_on(uow, node.region_id, ctx.tz),
            appraised,
            [{"name": r.name, "branch": names.get(r.branch_id, "?"), "index": r.p.index} for r in best],
            await uow.units.units(node.region_id),
        )

    found, started, appraised, best, units = await ctx.read(both)
    rows = score_params(found, appraised)
    return [
        ctx.reply(
            "evaluation.ranking",
            year=year,
            rows=rows,
            started=started,
            pioneers=best,
            weights=PIONEER_WEIGHTS,
            units=unit_totals(units, found),
        )
    ]


async def manual_score(ctx: Context, args: str) -> list[Reply]:
    """评分 支部 维度 分数 说明 — the committee's own score of a branch on one dimension (this year)."""
    parts = args.split(maxsplit=3)
    if len(parts) < 3:
        raise UsageError("score")
    name, word, value = parts[0], parts[1], ascii_digits(parts[2])
    note = parts[3].strip() if len(parts) > 3 else ""
    dimension = DIMENSION_WORDS.get(word.lower())
    if dimension is None or not value.isdigit() or not 0 <= int(value) <= 100 or len(note) > 500:
        raise UsageError("score")
    node = ctx.need_node()
    member = ctx.need_manager(node.region_id, None)
    year = ctx.local(ctx.now).year
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> None:
        branch = next((b for b in await uow.org.branches(node.region_id) if b.name == name), None)
        if branch is None:
            raise AppError("ledger.no_branch", name=name)
        await uow.evaluations.set_manual(
            node.region_id, branch.id, year, dimension, int(value), note, by=member.id, now=uow.now
        )
        detail = {"branch": name, "year": year, "dimension": dimension, "score": int(value)}
        await uow.audit.record(actor=member.id, platform=inc.platform, action="score", detail=detail, now=uow.now)

    await ctx.unit(work)
    return [ctx.reply("evaluation.scored", branch=name, year=year, dimension=dimension, score=int(value))]


R = Level.REGION


# -- the norms matrix with each branch's tier (组织生活), and the dormancy warning's details --------------
async def compliance(ctx: Context, args: str) -> list[Reply]:
    """组织生活 [本月|本季|本年] — each branch's norms as held / required (a branch chat: its own)."""
    node = ctx.need_node()
    period = period_argument(ctx, args, "compliance")
    found, tier = await ctx.read(lambda uow: _with_tiers(uow, node.region_id, node.branch_id, period, ctx.tz))
    mobile = await ctx.read(lambda uow: _mobile(uow, node.region_id, node.branch_id, period, ctx.tz))
    units = [] if node.branch_id is not None else await ctx.read(lambda uow: uow.units.units(node.region_id))
    if ctx.unit_chat is not None:  # a unit's own chat: its branches and its line
        units = [u for u in units if u.id == ctx.unit_chat]
        mine = units[0].branch_ids if units else frozenset()
        found = replace(found, branches=[b for b in found.branches if b[0] in mine], region=[])
    rows = [
        {"name": name, "tier": tier.get(b), "cells": cell_params(cells), "mobile": mobile.get(b)}
        for b, name, cells in found.branches
    ]
    own = await ctx.read(lambda uow: unit_cells(uow, node.region_id, units, period, ctx.tz))  # their own norms
    return [
        ctx.reply(
            "compliance.matrix",
            period=period_label(period, ctx.locale),
            rows=rows,
            region=cell_params(found.region),
            started=found.started,
            units=unit_rows(units, found.branches, own),
        )
    ]


def unit_totals(units: list[UnitRec], scores: list[BranchScore]) -> list[dict[str, Any]]:
    """Each 党总支's or 编组's mean total of the year over its branches that were scored (of the
    totals as the ranking shows them, so a reader can check it)."""
    rows = []
    for u in units:
        totals = [round(s.total) for s in scores if s.branch_id in u.branch_ids and s.total is not None]
        if totals:
            rows.append({"name": u.name, "kind": u.kind, "n": len(totals), "mean": round(sum(totals) / len(totals), 1)})
    return sorted(rows, key=lambda r: -r["mean"])


async def _mobile(
    uow: UnitOfWork, region_id: int, branch_id: int | None, period: Period, tz: ZoneInfo
) -> dict[int, tuple[int, int]]:
    """Each branch's mobile members (流动党员), listed apart: how many, and their remote sign-ins in the period."""
    away = [m for m in await uow.org.members_of(region_id, branch_id) if m.is_mobile]
    start, end = period.bounds(tz)
    remote = await uow.attendance.remote_counts([m.id for m in away], start, end)
    found: dict[int, tuple[int, int]] = {}
    for m in away:
        count, signed = found.get(m.branch_id, (0, 0))
        found[m.branch_id] = (count + 1, signed + remote.get(m.id, 0))
    return found


async def _with_tiers(
    uow: UnitOfWork, region_id: int, branch_id: int | None, period: Period, tz: ZoneInfo
) -> tuple[Matrix, dict[int, str]]:
    """The matrix, and each branch's tier (示范 / 巩固 / 提高 / 预警) from this year's evaluation."""
    return await matrix(uow, region_id, branch_id, period, tz), await tiers(uow, region_id, period.start.year, tz)


async def tiers(uow: UnitOfWork, region_id: int, year: int, tz: ZoneInfo) -> dict[int, str]:
    return {s.branch_id: s.tier for s in await evaluate(uow, region_id, year, tz) if s.tier is not None}


async def dormancy_details(
    uow: UnitOfWork, region_id: int, weeks: int, now: datetime, tz: ZoneInfo
) -> list[dict[str, Any]]:
    """Branches none of whose own events was held for `weeks` weeks: when the last one was, and
    which of this quarter's norms are not met so far."""
    last = await uow.compliance.last_held(region_id, now)
    since = now - timedelta(weeks=weeks)
    today = now.astimezone(tz).date()
    quarter = parse_period("本季", today)
    assert quarter is not None
    found = await matrix(uow, region_id, None, quarter, tz)
    if datetime.combine(found.started, time(0), tzinfo=tz) > since:
        return []  # the region has not been counted for `weeks` weeks yet: nobody can be idle that long
    tier = await tiers(uow, region_id, today.year, tz)
    out = []
    for branch_id, name, cells in found.branches:
        held = last.get(branch_id)
        if held is not None and held >= since:
            continue
        idle = (now - held).days // 7 if held is not None else None
        missing = [c for c in cells if c.state in ("open", "unmet")]
        out.append({"name": name, "weeks": idle, "last": held.astimezone(tz) if held else None,
                    "missing": cell_params(missing), "tier": tier.get(branch_id)})  # fmt: skip
    return out


COMMANDS = [
    Command(
        "compliance",
        ("组织生活",),
        compliance,
        "compliance.usage_compliance",
        "compliance.help_compliance",
        access=Level.MEMBER,
        reads=True,
        unit_chat=True,
    ),
    Command("evaluation", ("年度考评",), yearly, "evaluation.usage_evaluation", "evaluation.help_evaluation", access=R),
    Command("score", ("评分",), manual_score, "evaluation.usage_score", access=R),
]


PHRASES = [
    Phrase(
        SEE
        + r"(?:三会一课|组织生活)(?:开展)?(?:情况|落实情况|完成情况|统计)?|"
        + SEE
        + r"(?:各支部)?(?:三会一课|组织生活)(?:怎么样|如何)",
        "组织生活",
    ),
    Phrase(SEE + r"(?:年度)?(?:考评|考核)(?:情况|结果|排名)?", "年度考评"),
]

FEATURE = Feature("evaluation", topic="life", commands=COMMANDS, phrases=PHRASES)
