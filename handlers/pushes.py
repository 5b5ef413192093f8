"""The pushes of an event (reminders, the sign-in opening, the nudge, the summary) and the report
of pushes missed during an outage; and the one way any due outbox row is rendered, through the
kind its feature registered (handlers/core/outbox.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from markupsafe import Markup

from handlers.core.context import Services
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.mentions import mention
from handlers.core.outbox import Known, Payload, PushContext, PushKind, queue, render_row
from handlers.core.ports import Reply
from handlers.signin import build_summary, far_sides, render_board
from storage.records import EventRec, OutboxRec
from storage.uow import UnitOfWork

MISSED_LISTED = 20  # items listed by name in a missed-push report


async def close_window(uow: UnitOfWork, event: EventRec, now: datetime) -> None:
    """At window close the expected members who neither came nor asked for leave are absent."""
    if event.status == "scheduled" and event.closes_at <= now:
        summary = await build_summary(uow, event)
        await uow.attendance.mark_absent(event.id, [m.id for m in summary.absent], now)
        await uow.events.set_status(event.id, "closed")


async def render_push(services: Services, row: OutboxRec, known: Known | None = None) -> Reply | None:
    """The message an outbox row stands for, or None when it must not be sent (an unknown kind,
    the event cancelled, the chat unbound, nobody left to nudge). `known`: what the delivery
    round read for all its rows at once (a rendering that writes reads afresh)."""
    kind = services.pushes.get(row.purpose)
    if kind is None:
        return None
    now, policy = services.clock.now(), services.policy
    known = None if kind.writes else known

    async def work(conn: Any) -> Reply | None:
        return await render_row(UnitOfWork(conn, now), kind, row, policy.locale, policy.tz, known)

    return await (services.db.unit(work) if kind.writes else services.db.read(work))


# -- an event's pushes ------------------------------------------------------------------------
class EventPush(Payload):
    event: int
    at: str  # the start time it was queued for (YYYYMMDDHHMM): a moved event gets fresh rows
    minutes: int = 0  # a reminder: this long before the start


class MissedItem(Payload):
    purpose: str
    label: tuple[str, str] | None = None  # the kind's name (zh-CN, en) when it was given up
    event_id: int | None = None
    kind: str | None = None
    due: datetime


class MissedReport(Payload):
    count: int
    items: list[MissedItem]
    region: int
    at: str


def _event_key(name: str) -> Any:
    def key(p: EventPush) -> str:
        return f"event:{p.event}:{p.at}:{name}"

    return key


def _starts(ctx: PushContext[Any]) -> datetime:
    assert ctx.event is not None
    return ctx.event.starts_at.astimezone(ctx.tz)


async def _opening(ctx: PushContext[EventPush]) -> Reply | None:
    assert ctx.event is not None
    return await render_board(ctx.uow, ctx.event, ctx.locale, ctx.tz, ctx.chat.branch_id)


async def _reminder(ctx: PushContext[EventPush]) -> Reply | None:
    minutes = ctx.payload.minutes
    return Reply(text=render("pushes.reminder", ctx.locale, e=ctx.event, starts=_starts(ctx), minutes=minutes))


async def _nudge(ctx: PushContext[EventPush]) -> Reply | None:
    event, binding = ctx.event, ctx.chat
    assert event is not None
    if not binding.nudges or event.status != "scheduled":
        return None
    summary = await build_summary(ctx.uow, event)
    missing = [m for m in summary.absent if binding.branch_id is None or m.branch_id == binding.branch_id]
    if not missing:
        return None
    names = Markup("、").join(mention(m.id, m.name) for m in missing)
    return Reply(text=render("pushes.nudge", ctx.locale, e=event, starts=_starts(ctx), names=names))


async def _summary(ctx: PushContext[EventPush]) -> Reply | None:
    assert ctx.event is not None
    await close_window(ctx.uow, ctx.event, ctx.now)
    summary = await build_summary(ctx.uow, ctx.event, ctx.chat.branch_id)
    far = await far_sides(ctx.uow, ctx.event)
    return Reply(text=render("signin.summary", ctx.locale, s=summary, starts=_starts(ctx), final=True, far=far))


async def _joint(ctx: PushContext[EventPush]) -> Reply | None:
    """To a branch's chats in another region: a joint event its paired branch published, now its own."""
    assert ctx.event is not None
    host = (await ctx.uow.events.joint_sides(ctx.event.region_id, ctx.event.id)).get(ctx.event.id)
    if not host:
        return None
    label = " ".join(host[0])
    return Reply(text=render("pushes.joint", ctx.locale, e=ctx.event, starts=_starts(ctx), host=label))


async def _missed(ctx: PushContext[MissedReport]) -> Reply | None:
    items = ctx.payload.items[:MISSED_LISTED]
    en = ctx.locale == "en"
    shown = [
        it.model_dump() | {"due": it.due.astimezone(ctx.tz), "label": it.label[en] if it.label else None}
        for it in items
    ]
    return Reply(text=render("pushes.missed", ctx.locale, count=ctx.payload.count, items=shown))


async def _close_missed(uow: UnitOfWork, event: EventRec | None, now: datetime) -> None:
    if event is not None:
        await close_window(uow, event, now)  # the record is kept even if the post is not


async def report_missed(
    uow: UnitOfWork, missed: Sequence[OutboxRec], now: datetime, kinds: Mapping[str, PushKind[Any]]
) -> None:
    """Pushes given up past the grace window: each kind does what must still happen, and one
    report per region lists them in the region's chats."""
    by_region: defaultdict[int, list[OutboxRec]] = defaultdict(list)
    events: dict[int, EventRec] = {}
    for row in missed:
        kind = kinds.get(row.purpose)
        event = await uow.events.get(row.event_id) if row.event_id is not None else None
        if event is not None:
            events[event.id] = event
        if kind is not None and kind.on_missed is not None:
            await kind.on_missed(uow, event, now)
        binding = await uow.chats.binding(row.platform, row.chat_id)
        if binding is not None and (kind is None or kind.reported):
            by_region[binding.region_id].append(row)
    for region_id, rows in by_region.items():
        items = [
            MissedItem(
                purpose=r.purpose,
                label=kinds[r.purpose].label if r.purpose in kinds else None,
                event_id=r.event_id,
                kind=events[r.event_id].kind if r.event_id in events else None,
                due=r.due_at,
            )
            for r in sorted(rows, key=lambda r: r.due_at)
        ]
        payload = MissedReport(count=len(rows), items=items[:MISSED_LISTED], region=region_id, at=now.isoformat())
        for chat in await uow.chats.chats_for(region_id, None, include_branch_chats=False):
            await queue(uow, MISSED, chat.platform, chat.chat_id, due=now, payload=payload)


E = EventPush
REMINDER = PushKind(
    "reminder",
    E,
    _reminder,
    lambda p: f"event:{p.event}:{p.at}:reminder{p.minutes}",
    event=True,
    label=("活动提醒", "event reminder"),
)
OPENING = PushKind(
    "signin_open", E, _opening, _event_key("signin_open"), event=True, label=("签到开放通知", "sign-in opening")
)
NUDGE = PushKind("nudge", E, _nudge, _event_key("nudge"), event=True, label=("催签提醒", "sign-in nudge"))
SUMMARY = PushKind(
    "signin_summary",
    E,
    _summary,
    _event_key("signin_summary"),
    event=True,
    writes=True,
    label=("考勤统计", "attendance summary"),
    on_missed=_close_missed,
)
JOINT = PushKind("joint_event", E, _joint, _event_key("joint"), event=True, label=("联合活动通知", "joint event"))
MISSED = PushKind(
    "missed_report",
    MissedReport,
    _missed,
    lambda p: f"missed:{p.region}:{p.at}",
    label=("漏发报告", "missed-push report"),
    reported=False,
)
PUSHES: list[PushKind[Any]] = [REMINDER, OPENING, NUDGE, SUMMARY, JOINT, MISSED]


FEATURE = Feature("pushes", pushes=PUSHES, on_missed=report_missed)
