"""The hosting rotation (活动轮值), closed: which branch hosts the region's activity this month
(or quarter), the region told and the host asked on the 1st, the host's secretary reminded on the
10th and the region told on the 15th while nothing is published, and the turn counted as done
once the host branch has held an activity in it; 轮值记录 keeps who hosted each period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.intent import Phrase
from handlers.core.mentions import branch_secretaries
from handlers.core.outbox import Moment, Payload, PushContext, PushKind, queue
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.signin import build_summary
from storage.records import EventRec
from storage.repos.duty import RotationState
from storage.uow import UnitOfWork

HOSTING_KINDS = ("activity_day", "party_lesson", "other")  # what a host branch holds for the region
STEP_DAYS = {"hosting_open": 1, "hosting_remind": 10, "hosting_late": 15}
STEP_HOUR = 9
MONTHS = {"month": 1, "quarter": 3}
_CADENCE_WORDS = {
    "每月": "month", "按月": "month", "monthly": "month",
    "每季度": "quarter", "每季": "quarter", "按季度": "quarter", "quarterly": "quarter",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Turn:
    """One period of the rotation: a month, or a quarter; `key` is how it is stored (2026-12, or
    2026-10Q for the quarter starting in October), ordered as time goes."""

    start: date
    cadence: str

    @property
    def months(self) -> int:
        return MONTHS[self.cadence]

    @property
    def index(self) -> int:
        return self.start.year * 12 + self.start.month - 1

    @property
    def end(self) -> date:
        nxt = self.index + self.months
        return date(nxt // 12, nxt % 12 + 1, 1)

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m}" + ("Q" if self.cadence == "quarter" else "")

    @property
    def quarter(self) -> int:
        return (self.start.month - 1) // 3 + 1

    def next(self) -> Turn:
        return Turn(self.end, self.cadence)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        return (
            datetime(self.start.year, self.start.month, 1, tzinfo=tz),
            datetime(self.end.year, self.end.month, 1, tzinfo=tz),
        )

    def step_at(self, step: str, tz: ZoneInfo) -> datetime:
        return datetime(self.start.year, self.start.month, STEP_DAYS[step], STEP_HOUR, tzinfo=tz)

    @classmethod
    def of(cls, day: date, cadence: str) -> Turn:
        first = day.month if cadence == "month" else (day.month - 1) // 3 * 3 + 1
        return cls(date(day.year, first, 1), cadence)

    @classmethod
    def from_key(cls, key: str) -> Turn:
        cadence = "quarter" if key.endswith("Q") else "month"
        year, month = (int(p) for p in key.removesuffix("Q").split("-"))
        return cls(date(year, month, 1), cadence)


def host_of(state: RotationState, turn: Turn) -> tuple[int, str]:
    """The branch whose turn it is in a period, as the order stands."""
    year, month = (int(p) for p in state.start_month.split("-"))
    since = (turn.index - (year * 12 + month - 1)) // turn.months
    return state.order[(since + state.skipped) % len(state.order)]


@dataclass(frozen=True, slots=True)
class TurnView:
    """A period with its host and what the host did in it."""

    turn: Turn
    branch_id: int
    host: str
    published: list[EventRec]  # the host's activities of the period, not cancelled
    held: EventRec | None  # the first of them that was held: the turn is done
    present: int = 0
    expected: int = 0


async def current_host(uow: UnitOfWork, region_id: int, turn: Turn, state: RotationState) -> tuple[int, str]:
    """The host of a period: as recorded when it opened (or was changed), else as the order says."""
    for key, branch_id, name in await uow.rotation.records(region_id, limit=3):
        if key == turn.key:
            return branch_id, name
    return host_of(state, turn)


async def view_of(
    uow: UnitOfWork, region_id: int, turn: Turn, branch_id: int, host: str, tz: ZoneInfo, *, attendance: bool = False
) -> TurnView:
    start, end = turn.bounds(tz)
    published = [
        e
        for e in await uow.events.between(region_id, start, end)
        if e.branch_id == branch_id and e.kind in HOSTING_KINDS and e.status != "cancelled"
    ]
    held_ids = {h.id for h in await uow.compliance.held(region_id, start, min(end, uow.now))}
    held = next((e for e in published if e.id in held_ids), None)
    view = TurnView(turn, branch_id, host, published, held)
    if held is not None and attendance:
        summary = await build_summary(uow, held)
        return TurnView(turn, branch_id, host, published, held, summary.present, len(summary.expected))
    return view


def _event_params(ctx: Context, e: EventRec | None) -> dict[str, Any] | None:
    return None if e is None else {"kind": e.kind, "starts": ctx.local(e.starts_at), "topic": e.topic}


async def hosting(ctx: Context, args: str) -> list[Reply]:
    """本月轮值 — which branch hosts this period's activity, whether it is published or held, and
    who is next."""
    binding = ctx.need_binding()

    async def read(uow: UnitOfWork) -> tuple[RotationState, TurnView] | None:
        state = await uow.rotation.state(binding.region_id)
        if state is None or not state.order:
            return None
        turn = Turn.of(uow.now.astimezone(ctx.tz).date(), state.cadence)
        branch_id, host = await current_host(uow, binding.region_id, turn, state)
        return state, await view_of(uow, binding.region_id, turn, branch_id, host, ctx.tz)

    found = await ctx.read(read)
    if found is None:
        raise AppError("hosting.no_rotation")
    state, view = found
    return [
        ctx.reply(
            "hosting.hosting",
            turn=view.turn,
            host=view.host,
            next=host_of(state, view.turn.next())[1],
            order=[name for _, name in state.order],
            published=[_event_params(ctx, e) for e in view.published],
            held=view.held is not None,
        )
    ]


async def set_rotation(ctx: Context, args: str) -> list[Reply]:
    """轮值顺序 [每季度] 支部A 支部B … — the order of hosting, starting with this month (quarter)."""
    words = args.split()
    cadence = "month"
    if words and words[0].lower() in _CADENCE_WORDS:
        cadence = _CADENCE_WORDS[words.pop(0).lower()]
    if len(words) < 2 or len(set(words)) != len(words):
        raise UsageError("rotation")
    binding = ctx.need_binding()
    admin = ctx.need_manager(binding.region_id, None)
    turn = Turn.of(ctx.local(ctx.now).date(), cadence)

    async def work(uow: UnitOfWork) -> None:
        branches = {b.name: b.id for b in await uow.org.branches(binding.region_id)}
        missing = [n for n in words if n not in branches]
        if missing:
            region = await uow.org.region(binding.region_id)
            raise AppError("org.no_such_branch", name=missing[0], region=region.name)
        await uow.rotation.set_order(binding.region_id, [branches[n] for n in words], f"{turn.start:%Y-%m}", cadence)
        await uow.rotation.record(binding.region_id, turn.key, branches[words[0]], uow.now, replace=True)
        detail = {"order": words, "cadence": cadence}
        await ctx.audit(uow, admin.id, "rotation.set", **detail)

    await ctx.unit(work)
    return await hosting(ctx, "")


async def skip_turn(ctx: Context, args: str) -> list[Reply]:
    """轮值跳过 — this period's host passes; every later turn moves on by one (audited)."""
    return await _change_rotation(ctx, "skip", ())


async def exchange_turns(ctx: Context, args: str) -> list[Reply]:
    """轮值交换 支部A 支部B — two branches trade places in the order (audited)."""
    names = tuple(args.split())
    if len(names) != 2 or names[0] == names[1]:
        raise UsageError("rotation_swap")
    return await _change_rotation(ctx, "exchange", names)


async def _change_rotation(ctx: Context, how: str, names: tuple[str, ...]) -> list[Reply]:
    binding = ctx.need_binding()
    admin = ctx.need_manager(binding.region_id, None)

    async def work(uow: UnitOfWork) -> None:
        state = await uow.rotation.state(binding.region_id)
        if state is None:
            raise AppError("hosting.no_rotation")
        ids = {name: b for b, name in state.order}
        if how == "skip":
            await uow.rotation.skip(binding.region_id)
        else:
            missing = [n for n in names if n not in ids]
            if missing:
                raise AppError("hosting.not_in_rotation", name=missing[0])
            await uow.rotation.exchange(binding.region_id, ids[names[0]], ids[names[1]])
        changed = await uow.rotation.state(binding.region_id)
        assert changed is not None
        turn = Turn.of(uow.now.astimezone(ctx.tz).date(), changed.cadence)
        await uow.rotation.record(binding.region_id, turn.key, host_of(changed, turn)[0], uow.now, replace=True)
        await ctx.audit(uow, admin.id, f"rotation.{how}", branches=list(names))

    await ctx.unit(work)
    return await hosting(ctx, "")


async def history(uow: UnitOfWork, region_id: int, tz: ZoneInfo, limit: int = 12) -> list[TurnView]:
    """The recorded periods, newest first, each with the activity that made it done and its
    attendance (the current one as it stands)."""
    views = []
    for key, branch_id, name in await uow.rotation.records(region_id, limit):
        turn = Turn.from_key(key)
        if turn.start > uow.now.astimezone(tz).date():
            continue
        views.append(await view_of(uow, region_id, turn, branch_id, name, tz, attendance=True))
    return views


async def rotation_log(ctx: Context, args: str) -> list[Reply]:
    """轮值记录 — who hosted each period, the activity held and its attendance."""
    binding = ctx.need_binding()
    today = ctx.local(ctx.now).date()
    views = await ctx.read(lambda uow: history(uow, binding.region_id, ctx.tz))
    items = [
        {
            "turn": v.turn,
            "host": v.host,
            "held": _event_params(ctx, v.held),
            "published": len(v.published),
            "present": v.present,
            "expected": v.expected,
            "current": v.turn.start <= today < v.turn.end,
        }
        for v in views
    ]
    return [ctx.reply("hosting.log", items=items)]


# -- the reminder chain ------------------------------------------------------------------------
class TurnPush(Payload):
    period: str  # the turn's key


async def queue_turns(uow: UnitOfWork, tz: ZoneInfo) -> int:
    """Open the current period of every region's rotation (record its host) and queue the steps of
    this period and the next that are still to come: the 1st to the region chats and the host's
    group, the 10th to the host's group, the 15th to the region chats. Idempotent."""
    queued = 0
    today = uow.now.astimezone(tz).date()
    for region_id in await uow.rotation.regions():
        state = await uow.rotation.state(region_id)
        if state is None or not state.order:
            continue
        turn = Turn.of(today, state.cadence)
        await uow.rotation.record(region_id, turn.key, host_of(state, turn)[0], uow.now, replace=False)
        region_chats = await uow.chats.chats_for(region_id, None, include_branch_chats=False)
        for period in (turn, turn.next()):
            host_id = (await current_host(uow, region_id, period, state))[0]
            host_chats = await uow.chats.chats_for(region_id, host_id, include_branch_chats=False)
            for step in STEP_DAYS:
                due = period.step_at(step, tz)
                if due < uow.now:
                    continue
                chats = (region_chats if step != "hosting_remind" else []) + (
                    host_chats if step != "hosting_late" else []
                )
                for chat in chats:
                    kind = KINDS[step]
                    queued += await queue(
                        uow, kind, chat.platform, chat.chat_id, due=due, payload=TurnPush(period=period.key)
                    )
    return queued


async def _step(ctx: PushContext[TurnPush]) -> Reply | None:
    """One step of a period's chain, said only while it still applies: the host asked and
    reminded until it has published an activity; the region told late only if it has not."""
    chat, step = ctx.chat, ctx.row.purpose
    state = await ctx.uow.rotation.state(chat.region_id)
    if state is None or not state.order:
        return None
    turn = Turn.from_key(ctx.payload.period)
    if turn.cadence != state.cadence:
        return None  # the rotation was set up anew since
    branch_id, host = await current_host(ctx.uow, chat.region_id, turn, state)
    view = await view_of(ctx.uow, chat.region_id, turn, branch_id, host, ctx.tz)
    at_region = chat.branch_id is None
    if not at_region and chat.branch_id != branch_id:
        return None  # the turn moved to another branch
    if step != "hosting_open" and view.published:
        return None
    names = None if at_region else await branch_secretaries(ctx.uow, chat.region_id, branch_id)
    if step == "hosting_open" and not at_region and view.published:
        return None  # published ahead: nothing to ask
    return Reply(
        text=render(
            f"hosting.{step.removeprefix('hosting_')}",
            ctx.locale,
            turn=turn,
            host=host,
            region=at_region,
            names=names,
            next=host_of(state, turn.next())[1],
            published=[
                {"kind": e.kind, "starts": e.starts_at.astimezone(ctx.tz), "topic": e.topic} for e in view.published
            ],
        )
    )


_LABELS = {
    "hosting_open": ("活动轮值开始", "hosting turn start"),
    "hosting_remind": ("活动轮值提醒", "hosting turn reminder"),
    "hosting_late": ("活动轮值逾期", "hosting turn overdue"),
}


def _kind(name: str) -> PushKind[TurnPush]:
    return PushKind(name, TurnPush, _step, lambda p: f"{name}:{p.period}", label=_LABELS[name])


PUSHES = [_kind(step) for step in STEP_DAYS]
KINDS = {k.name: k for k in PUSHES}

M, R = Level.MEMBER, Level.REGION
COMMANDS = [
    Command("hosting", ("本月轮值",), hosting, "hosting.usage_hosting", "hosting.help_hosting", access=M, reads=True),
    Command("rotation_log", ("轮值记录",), rotation_log, "hosting.usage_rotation_log", None, access=M, reads=True),
    Command("rotation", ("轮值顺序",), set_rotation, "hosting.usage_rotation", None, access=R),
    Command("rotation_skip", ("轮值跳过",), skip_turn, "hosting.usage_rotation_skip", None, access=R),
    Command("rotation_swap", ("轮值交换",), exchange_turns, "hosting.usage_rotation_swap", None, access=R),
]


async def _periodic(uow: UnitOfWork, at: Moment) -> int:
    return await queue_turns(uow, at.tz)


PHRASES = [
    Phrase(
        r"(?:这个月|本月)?(?:轮到)?(?:谁|哪个支部)(?:承办|轮值|主办)|(?:这个月|本月)轮到谁|轮值(?:情况|安排)?",
        "本月轮值",
    ),
]

FEATURE = Feature("hosting", topic="life", commands=COMMANDS, pushes=PUSHES, periodic=(_periodic,), phrases=PHRASES)
