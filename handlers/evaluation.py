"""The yearly evaluation (年评): each branch scored on the five dimensions the seeds use, from data
with documented weights and, where the committee set one, its own score; stars and the four tiers
(示范 / 巩固 / 提高 / 预警) from the total.

Data scores, 0–100:
- 组织凝聚力 (cohesion): the attendance rate at held events the branch's members were expected at
  (0 when none was held);
- 队伍战斗力 (effectiveness): the share of the branch's norms met over the year;
- 发展推动力 (development): 20 per idea adopted and 40 per idea implemented, at most 100;
- 文化支撑力 (culture): the share of duty shifts kept (100 with none due);
- 区域影响力 (influence): the share of supervision findings rectified by their deadline (100 with none).
A committee score for a dimension (评分 支部 维度 分数 说明) counts 30 %, the data 70 %. The total is the
mean of the five; stars: 90+ ★★★★★, 80+ ★★★★, 70+ ★★★, 60+ ★★, else ★; tiers: 85+ 示范, 70+ 巩固,
55+ 提高, else 预警.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from handlers.access import Level
from handlers.compliance import expected_by_branch, matrix
from handlers.context import Context
from handlers.errors import AppError, UsageError
from handlers.ports import Reply
from handlers.router import Command
from handlers.timeparse import Period, ascii_digits
from storage.compliance import ComplianceRepo, EvaluationRepo
from storage.repositories import UnitOfWork

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


@dataclass(frozen=True)
class BranchScore:
    branch_id: int
    name: str
    scores: dict[str, float]  # dimension -> 0..100, the committee's share included
    total: float

    @property
    def stars(self) -> int:
        return next((s for low, s in STARS if self.total >= low), 1)

    @property
    def tier(self) -> str:
        return next((t for low, t in TIERS if self.total >= low), "warning")


def _share(done: int, due: int, *, none_due: float = 100.0) -> float:
    return 100.0 * done / due if due else none_due


async def evaluate(uow: UnitOfWork, region_id: int, year: int, tz: ZoneInfo) -> list[BranchScore]:
    """Every branch of the region scored for a year, best first (a handful of grouped queries)."""
    period = Period(date(year, 1, 1), date(year + 1, 1, 1), "year")
    start, end = period.bounds(tz)
    repo = EvaluationRepo(uow.conn)
    norms = await matrix(uow, region_id, None, period, tz)
    held = await ComplianceRepo(uow.conn).held(region_id, start, end)
    roles = await repo.roles(region_id)
    present = await repo.present(region_id, start, end)
    duty = await repo.duty(region_id, start, end)
    ideas = await repo.idea_steps(region_id, start, end)
    findings = await repo.findings(region_id, start, end)
    manual = await repo.manual(region_id, year)
    expected_all = expected_by_branch(held, roles)
    out = []
    for branch_id, name, cells in norms.branches:
        expected = expected_all[branch_id]
        on_time = [f for f in findings if f[0] == branch_id]
        kept = sum(
            1
            for _b, deadline, fixed in on_time
            if fixed and (deadline is None or fixed.astimezone(tz).date() <= deadline)
        )
        data = {
            "cohesion": min(100.0, _share(present.get(branch_id, 0), expected, none_due=0.0)),  # nothing held: 0
            "effectiveness": _share(sum(c.met for c in cells), len(cells)),
            "development": min(
                100.0, 20.0 * ideas.get((branch_id, "adopted"), 0) + 40.0 * ideas.get((branch_id, "implemented"), 0)
            ),
            "culture": _share(*duty.get(branch_id, (0, 0))),
            "influence": _share(kept, len(on_time)),
        }
        scores = {
            d: (1 - MANUAL_WEIGHT) * v + MANUAL_WEIGHT * manual[(branch_id, d)][0] if (branch_id, d) in manual else v
            for d, v in data.items()
        }
        out.append(BranchScore(branch_id, name, scores, sum(scores.values()) / len(scores)))
    return sorted(out, key=lambda s: (-s.total, s.name))


def score_params(scores: list[BranchScore]) -> list[dict[str, Any]]:
    return [
        {"name": s.name, "total": round(s.total), "stars": s.stars, "tier": s.tier,
         "scores": {d: round(v) for d, v in s.scores.items()}}
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
    found = await ctx.read(lambda uow: evaluate(uow, node.region_id, year, ctx.tz))
    return [ctx.reply("evaluation.ranking", year=year, rows=score_params(found))]


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
        await EvaluationRepo(uow.conn).set_manual(
            node.region_id, branch.id, year, dimension, int(value), note, by=member.id, now=uow.now
        )
        detail = {"branch": name, "year": year, "dimension": dimension, "score": int(value)}
        await uow.ops.audit(actor=member.id, platform=inc.platform, action="score", detail=detail, now=uow.now)

    await ctx.unit(work)
    return [ctx.reply("evaluation.scored", branch=name, year=year, dimension=dimension, score=int(value))]


R = Level.REGION
COMMANDS = [
    Command("evaluation", ("年度考评",), yearly, "evaluation.usage_evaluation", "evaluation.help_evaluation", access=R),
    Command("score", ("评分",), manual_score, "evaluation.usage_score", access=R),
]
