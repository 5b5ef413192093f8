"""Publishing, listing and cancelling events (meetings, Party lessons, activity days)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from handlers import pushes
from handlers.core.access import Level, Node, refusal
from handlers.core.context import Context, Policy
from handlers.core.errors import AppError, UsageError
from handlers.core.event_ref import kind_of, parse_event_ref, visible_in, visible_in_node
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.intent import DAY, KIND, Phrase
from handlers.core.names import named_side
from handlers.core.outbox import Payload, PushContext, PushKind, push_row, queue
from handlers.core.ports import Button, Reply
from handlers.core.router import Command
from handlers.core.timeparse import ParsedWhen, WhenError, parse_date, parse_when
from storage import limits
from storage.records import BindingRec, BranchRec, EventRec, partners_text
from storage.repos.units import Side
from storage.uow import UnitOfWork

RECORD_DAYS = 366  # a held meeting is recorded within a year (the yearly review's reach)
_LABEL = re.compile(r"(地点|主题|讲师|place|topic|lecturer)\s*[:：]\s*", re.I)


_BRANCH = re.compile(r"(?:^|\s)(?:支部|branch)\s*[:：]\s*(\S+)", re.I)


async def for_branch(ctx: Context, text: str, usage: str) -> tuple[str, int | None, str | None]:
    """Take "支部：名称" out of what was typed: in the region's chat a region manager publishes or
    schedules for that branch (in a branch's chat only that branch may be named). Returns the
    text without it and the branch (None: not named, the chat's own node)."""
    m = _BRANCH.search(text)
    if m is None:
        return text, None, None
    binding = ctx.need_binding()
    name = m.group(1)
    found = [b for b in await ctx.read(lambda uow: uow.org.find_branches(name)) if b.region_id == binding.region_id]
    if not found:
        raise UsageError(usage, "signin.no_such_branch", name=name)
    if binding.branch_id not in (None, found[0].id):
        raise AppError("events.branch_elsewhere", name=name)
    return (text[: m.start()] + " " + text[m.end() :]).strip(), found[0].id, name


_GROUP = re.compile(r"(?:^|\s)(?:党小组|小组|group)\s*[:：]\s*(\S+)", re.I)


async def for_group(ctx: Context, text: str) -> tuple[str, tuple[int, int, str] | None]:
    """Take "小组：名称" out of what was typed: the event is that Party group's (id, branch, name)."""
    m = _GROUP.search(text)
    if m is None:
        return text, None
    binding = ctx.need_binding()
    name = m.group(1)
    group = await ctx.read(lambda uow: uow.groups.named(binding.region_id, name))
    if group is None or group.status != "active":
        raise UsageError("event", "groups.no_group", name=name)
    return (text[: m.start()] + " " + text[m.end() :]).strip(), (group.id, group.branch_id, group.name)


_PARTNERS = re.compile(r"(?:^|\s)(?:联合|结对|with)\s*[:：]\s*(\S+)", re.I)
_UNIT = re.compile(r"(?:^|\s)(?:党总支|编组|unit)\s*[:：]\s*(\S+)", re.I)


@dataclass(frozen=True)
class Joint:
    """Who a branch's event is held with: this region's other branches, and branches of other
    regions paired with it (跨党委结对: each gets its own region's copy of the event)."""

    text: str  # what was typed, without 联合：… / 党总支：…
    partners: tuple[int, ...] = ()
    names: tuple[str, ...] = ()  # every side's name as the reply shows it
    abroad: tuple[tuple[int, int], ...] = ()  # (region, branch)


async def for_partners(ctx: Context, text: str, host: int | None, usage: str) -> Joint:
    """Take "联合：支部B[、支部C]" or "党总支：名称" out of what was typed for a branch's event: the
    other branches it is held with (a branch paired with the host, or one the sender manages; a
    unit's branches, when the sender manages each; another region's branch paired with the host)."""
    named, unit_name = _PARTNERS.search(text), _UNIT.search(text)
    if named is None and unit_name is None:
        return Joint(text)
    if host is None:
        raise UsageError(usage, "units.joint_needs_branch")
    node = ctx.need_node()
    today = ctx.local(ctx.now).date()
    actor = ctx.need_member()
    for m in sorted((x for x in (named, unit_name) if x is not None), key=lambda x: -x.start()):
        text = (text[: m.start()] + " " + text[m.end() :]).strip()

    async def read(uow: UnitOfWork) -> tuple[list[BranchRec], list[BranchRec], dict[tuple[int, int], str]]:
        partners: list[BranchRec] = []
        managed: list[BranchRec] = []  # brought in by the sender's rights: they must manage each
        abroad: dict[tuple[int, int], str] = {}
        if unit_name is not None:
            unit = await uow.units.named(node.region_id, unit_name.group(1))
            if unit is None:
                raise AppError("units.no_such_unit", name=unit_name.group(1))
            if host not in unit.branch_ids:
                raise AppError("units.host_not_in_unit", unit=unit.name)
            managed = [b for b in await uow.org.branches(node.region_id) if b.id in unit.branch_ids and b.id != host]
            partners += managed
        if named is not None:
            names = [n for n in re.split(r"[、，,]", named.group(1)) if n]
            paired = await uow.units.pairings(node.region_id, today)
            far: dict[str, Side] = {}  # another region's branches paired with the host, by name and 党委/支部
            for p in paired:
                if p.across and host in (p.a_branch_id, p.b_branch_id):
                    side = p.other_of(host)
                    far[side.branch] = far[f"{side.region}/{side.branch}"] = side
            for name in names:  # a branch, or a 党总支 / 编组 paired with the host: each of its branches
                if name in far:
                    side = far[name]
                    abroad[(side.region_id, side.branch_id)] = side.label
                    continue
                for b in (await named_side(uow, node.region_id, name, today))[1]:
                    if b.id == host:
                        continue
                    if not any(p.joins(host, b.id) for p in paired):
                        managed.append(b)  # not paired with the host: only its manager may bring it in
                    partners.append(b)
        return partners, managed, abroad

    partners, managed, abroad = await ctx.read(read)
    for b in managed:
        if refusal(actor, Level.BRANCH, Node(node.region_id, b.id)) is not None:
            raise AppError("units.not_partner", branch=b.name)
    ids = tuple(sorted({b.id for b in partners} - {host}))
    names = sorted({b.name for b in partners if b.id != host}) + sorted(abroad.values())
    return Joint(text, ids, tuple(names), tuple(sorted(abroad)))


def _split_details(rest: str) -> tuple[str, str, str | None]:
    """place, topic, lecturer from '党群服务中心 主题… 讲师：王五' or labelled fields."""
    fields: dict[str, str] = {}
    parts = _LABEL.split(rest)
    head = parts[0].strip()
    for label, value in zip(parts[1::2], parts[2::2], strict=False):
        key = {"地点": "place", "主题": "topic", "讲师": "lecturer"}.get(label, label.lower())
        fields[key] = value.strip()
    if head:
        first, _, more = head.partition(" ")
        fields.setdefault("place", first.strip())
        if more.strip():
            fields["topic"] = (more.strip() + " " + fields.get("topic", "")).strip()
    return fields.get("place", ""), fields.get("topic", ""), fields.get("lecturer") or None


def _kind_and_when(ctx: Context, args: str, usage: str, *, ahead: bool = False) -> tuple[str, ParsedWhen]:
    """'类型 日期 时间 …' -> the kind and the date and time (with what follows them), or the usage.
    `ahead`: a time alone is today's (an event to come)."""
    kind_word, _, rest = args.strip().partition(" ")
    kind = kind_of(kind_word)
    if not kind_word or kind is None:
        raise UsageError(usage, "events.bad_kind", word=kind_word)
    try:
        return kind, parse_when(rest, ctx.now, ctx.tz, date_optional=ahead)
    except WhenError as err:
        raise UsageError(usage, f"events.{err.code}") from err


async def publish(ctx: Context, args: str) -> list[Reply]:
    """发布 类型 日期 时间 地点 [主题] [讲师：姓名] — create an event with its sign-in window."""
    return await publish_event(ctx, args)


async def publish_event(
    ctx: Context, args: str, *, draft: int | None = None, fixed: tuple[str, str] | None = None
) -> list[Reply]:
    """发布 as typed, or as a plain-words announcement's draft that its 发布 button settles in
    the same unit (pressed twice, or after 取消: refused, nothing published); `fixed`: the draft's
    place and topic as its card showed them, not read again."""
    binding = ctx.need_binding()
    kind, when = _kind_and_when(ctx, args, "event", ahead=True)
    starts_at = when.at
    if starts_at <= ctx.now:
        # a month and day gone by weeks ago may have meant next year's: say how to write that
        next_year = starts_at.year + 1 if ctx.now - starts_at > timedelta(days=14) else None
        raise UsageError("event", "events.in_past_record", at=ctx.local(starts_at), next_year=next_year)
    details, named, branch_name = await for_branch(ctx, when.rest, "event")
    details, group = await for_group(ctx, details)
    branch_id = binding.branch_id if named is None else named
    joint = await for_partners(ctx, details, branch_id, "event")
    details, partners = joint.text, joint.partners
    place, topic, lecturer = _split_details(details) if fixed is None else (*fixed, None)
    if not place:
        raise UsageError("event", "events.no_place")
    check_lengths("event", place=place, topic=topic, lecturer=lecturer)
    if group is not None:  # a Party group's meeting or activity: in its branch, for its members
        if branch_id not in (None, group[1]) or partners or joint.abroad:
            raise AppError("groups.not_here", name=group[2])
        branch_id = group[1]
    if kind == "secretary_meeting" and branch_id is not None:
        # its audience is the branch secretaries in the region's chat: a board here would answer nobody
        raise AppError("events.secretary_meeting_in_branch")
    creator = ctx.need_manager(binding.region_id, branch_id)
    inc = ctx.incoming
    opens_at = starts_at - timedelta(minutes=ctx.services.policy.opens_before_min)
    open_now = opens_at <= ctx.now
    node = Node(binding.region_id, branch_id)
    board_here = open_now and visible_in_node(node, binding)  # not so for a branch's event told from the region
    skip = (inc.platform, inc.chat_id) if board_here else None

    event = EventDraft(
        binding.region_id,
        branch_id,
        kind,
        starts_at,
        place,
        topic,
        lecturer,
        group_id=group[0] if group else None,
        partners=partners,
        abroad=joint.abroad,
    )

    async def work(uow: UnitOfWork) -> tuple[int, list[EventRec]]:
        twins = await _twins(uow, binding.region_id, node, starts_at, place)
        event_id = await create_event(uow, ctx.services.policy, event, creator.id, inc.platform, skip_open_push=skip)
        if draft is not None and not await uow.events.settle_draft(draft, "published", event_id):
            raise AppError("announce.settled")
        return event_id, twins

    event_id, twins = await ctx.unit(work)
    ctx.services.directory.forget_events(binding.region_id)
    buttons = (Button(ctx.t("signin.button"), f"signin:{event_id}"),) if board_here else ()
    return [
        ctx.reply(
            "events.created",
            buttons=buttons,
            edit_key=f"board:{event_id}" if board_here else None,
            id=event_id,
            kind=kind,
            topic=topic,
            place=place,
            lecturer=lecturer,
            starts=ctx.local(starts_at),
            opens=ctx.local(opens_at),
            open_now=open_now,
            twins=twins,
            elsewhere=None if visible_in_node(node, binding) else branch_name,
            partners=joint.names,
        )
    ]


async def record_held(ctx: Context, args: str) -> list[Reply]:
    """补录 类型 日期 时间 地点 [主题] — record a meeting already held (for the ledger and the
    三会一课 count); its attendance is entered afterwards with 补签 #编号 姓名…."""
    binding = ctx.need_binding()
    kind, when = _kind_and_when(ctx, args, "held")
    if when.at > ctx.now:
        raise UsageError("held", "events.not_yet_held", at=ctx.local(when.at))
    if ctx.now - when.at > timedelta(days=RECORD_DAYS):
        raise UsageError("held", "events.too_old", days=RECORD_DAYS)
    place, topic, lecturer = _split_details(when.rest)
    if not place:
        raise UsageError("held", "events.no_place")
    check_lengths("record", place=place, topic=topic, lecturer=lecturer)
    if kind == "secretary_meeting" and binding.branch_id is not None:
        raise AppError("events.secretary_meeting_in_branch")
    creator = ctx.need_manager(binding.region_id, binding.branch_id)
    times = window_times(ctx.services.policy, when.at)

    async def work(uow: UnitOfWork) -> tuple[int, list[EventRec]]:
        twins = await _twins(uow, binding.region_id, Node(binding.region_id, binding.branch_id), when.at, place)
        event_id = await uow.events.create(
            region_id=binding.region_id,
            branch_id=binding.branch_id,
            kind=kind,
            topic=topic,
            place=place,
            lecturer=lecturer,
            **times,
            status="closed",  # held: no reminders, no sign-in window; attendance by 补签
            created_by=creator.id,
            created_at=uow.now,
        )
        detail = {"event": event_id, "kind": kind, "starts_at": when.at.isoformat(), "held": True}
        await uow.audit.record(
            actor=creator.id, platform=ctx.incoming.platform, action="event.record", detail=detail, now=uow.now
        )
        return event_id, twins

    event_id, twins = await ctx.unit(work)
    ctx.services.directory.forget_events(binding.region_id)
    starts = ctx.local(when.at)
    return [ctx.reply("events.recorded", id=event_id, kind=kind, place=place, topic=topic, starts=starts, twins=twins)]


async def _twins(uow: UnitOfWork, region_id: int, node: Node, at: datetime, place: str) -> list[EventRec]:
    """Events of the node at the same minute and place (a meeting published or recorded twice)."""
    return [
        e
        for e in await uow.events.between(region_id, at, at + timedelta(minutes=1))
        if e.status != "cancelled" and e.place == place and visible_in(e, node)
    ]


async def list_events(ctx: Context, args: str) -> list[Reply]:
    """活动列表 — upcoming events this chat sees."""
    binding = ctx.need_binding()
    events = await ctx.read(lambda uow: uow.events.upcoming_for_node(binding.region_id, binding.branch_id, uow.now, 20))
    shown = [e for e in events if visible_in(e, binding)]
    items = [{"e": e, "starts": ctx.local(e.starts_at)} for e in shown]
    return [ctx.reply("events.listing", items=items)]


@dataclass(frozen=True)
class EventDraft:
    """What is needed to create an event, however it was asked for (chat, CLI, calendar rule)."""

    region_id: int
    branch_id: int | None
    kind: str
    starts_at: datetime
    place: str
    topic: str = ""
    lecturer: str | None = None
    reminders_min: tuple[int, ...] | None = None  # None: the policy's
    rule_id: int | None = None
    occurs_on: date | None = None
    group_id: int | None = None  # a Party group's event (expects its members)
    partners: tuple[int, ...] = ()  # a joint event: the other branches it expects
    abroad: tuple[tuple[int, int], ...] = ()  # and other regions' branches: (region, branch), each a copy


def window_times(policy: Policy, starts_at: datetime) -> dict[str, datetime]:
    """The start and the sign-in window around it: opens before, late after grace, closes after."""
    return {
        "starts_at": starts_at,
        "opens_at": starts_at - timedelta(minutes=policy.opens_before_min),
        "late_after": starts_at + timedelta(minutes=policy.grace_min),
        "closes_at": starts_at + timedelta(minutes=policy.closes_after_min),
    }


async def create_event(
    uow: UnitOfWork,
    policy: Policy,
    draft: EventDraft,
    creator_id: int | None,
    platform: str,
    *,
    skip_open_push: tuple[str, str] | None = None,
) -> int:
    """Create an event and queue its sign-in message and summary for every chat of its audience."""
    event = await _insert(uow, policy, draft, creator_id)
    await queue_pushes(uow, policy, event, draft.reminders_min, skip_open_push)
    copies = []
    for region_id, branch_id in draft.abroad:  # other regions' copies: each its branch's event there
        where = replace(draft, region_id=region_id, branch_id=branch_id, rule_id=None, occurs_on=None, group_id=None)
        where = replace(where, partners=(), abroad=())
        copy = await _insert(uow, policy, where, creator_id, joint_of=event.id)
        await queue_pushes(uow, policy, copy, draft.reminders_min)
        await _tell_copy(uow, copy)
        copies.append(copy.id)
    await uow.audit.record(
        actor=creator_id,
        platform=platform,
        action="event.create",
        detail={"event": event.id, "kind": draft.kind, "starts_at": draft.starts_at.isoformat()}
        | ({"copies": copies} if copies else {}),
        now=uow.now,
    )
    return event.id


async def _insert(
    uow: UnitOfWork, policy: Policy, d: EventDraft, creator_id: int | None, *, joint_of: int | None = None
) -> EventRec:
    """The event's row, scheduled, with its sign-in window."""
    event_id = await uow.events.create(
        region_id=d.region_id,
        branch_id=d.branch_id,
        kind=d.kind,
        topic=d.topic,
        place=d.place,
        lecturer=d.lecturer,
        **window_times(policy, d.starts_at),
        status="scheduled",
        created_by=creator_id,
        created_at=uow.now,
        rule_id=d.rule_id,
        occurs_on=d.occurs_on,
        group_id=d.group_id,
        partners=partners_text(d.partners),
        joint_of=joint_of,
    )
    event = await uow.events.get(event_id)
    assert event is not None
    return event


async def _tell_copy(uow: UnitOfWork, copy: EventRec) -> None:
    """Another region's copy of a joint event (跨党委结对) expects its branch's members, who sign in
    to it from their chat, and counts in that region: the branch's chats hear of it now."""
    told = pushes.EventPush(event=copy.id, at=copy.starts_at.strftime("%Y%m%d%H%M"))
    for chat in await audience_chats(uow, copy):
        await queue(uow, pushes.JOINT, chat.platform, chat.chat_id, due=uow.now, payload=told, event_id=copy.id)


async def audience_chats(uow: UnitOfWork, event: EventRec) -> list[BindingRec]:
    """The chats an event's pushes go to: its branch's (a joint event's: each side's), or for a
    region-wide event the region's and (but for a secretary meeting) every branch chat."""
    if event.partners:
        return [
            c for b in event.branches for c in await uow.chats.chats_for(event.region_id, b, include_branch_chats=False)
        ]
    return await uow.chats.chats_for(
        event.region_id, event.branch_id, include_branch_chats=event.kind != "secretary_meeting"
    )


# -- an event's audience told of a change; a joint event's copies follow it ---------------------
class Change(Payload):
    field: str  # place, topic, lecturer, time (HH:MM), rule, holiday, starts (ISO)
    old: str
    new: str


class EventsChanged(Payload):
    """Upcoming events changed in place (a rule edited, one occurrence moved): their audience is
    told what changed and where the events now stand."""

    events: list[int]
    changes: list[Change]
    dropped: list[int]
    ref: str  # the edit: one notice per edit and chat


async def tell_change(
    uow: UnitOfWork, event_ids: Sequence[int], changes: list[Change], *, dropped: Sequence[int] = (), ref: str
) -> bool:
    """Queue the change notice for every chat of the events' audience (one rule or one event:
    one audience)."""
    events = await uow.events.get_many(event_ids)
    if not events:
        return False
    payload = EventsChanged(
        events=sorted(event_ids), changes=changes, dropped=list(dropped), ref=f"{ref}:{uow.now:%Y%m%d%H%M%S%f}"
    )
    first = min(events.values(), key=lambda e: e.id)
    for chat in await audience_chats(uow, first):
        await queue(uow, CHANGED, chat.platform, chat.chat_id, due=uow.now, payload=payload)
    return True


async def _changed(ctx: PushContext[EventsChanged]) -> Reply | None:
    events = await ctx.uow.events.get_many(ctx.payload.events)
    shown = [e for e in sorted(events.values(), key=lambda e: e.starts_at) if e.status == "scheduled"]
    dropped = set(ctx.payload.dropped)
    items = [{"e": e, "starts": e.starts_at.astimezone(ctx.tz)} for e in shown if e.id not in dropped]
    gone = [{"e": e, "starts": e.starts_at.astimezone(ctx.tz)} for e in events.values() if e.id in dropped]
    if not items and not gone:
        return None
    changes = [
        c.model_dump() | ({"old": _at(c.old, ctx.tz), "new": _at(c.new, ctx.tz)} if c.field == "starts" else {})
        for c in ctx.payload.changes
    ]
    kind = (shown or list(events.values()))[0].kind
    return Reply(text=render("calendar.changed", ctx.locale, kind=kind, changes=changes, items=items, gone=gone))


def _at(iso: str, tz: Any) -> datetime:
    return datetime.fromisoformat(iso).astimezone(tz)


CHANGED = PushKind(
    "event_changed",
    EventsChanged,
    _changed,
    lambda p: f"changed:{p.ref}",
    label=("活动变更通知", "event change notice"),
)
PUSHES = [CHANGED]


async def joint_host(uow: UnitOfWork, event: EventRec) -> None:
    """Another region's joint event is moved or cancelled by its host only, not from its copy."""
    if event.joint_of is not None:
        host = (await uow.events.joint_sides(event.region_id, event.id)).get(event.id) or [("?", "?")]
        raise AppError("events.joint_copy", id=event.id, host=" ".join(host[0]))


async def copies_follow(uow: UnitOfWork, policy: Policy, event: EventRec, change: Change | None = None) -> set[int]:
    """A joint event's copies in other regions follow it: cancelled with it (no `change`) or moved
    with it; their chats are told. Returns their regions."""
    regions = set()
    for copy in await uow.events.copies(event.id):
        if copy.status == "cancelled":
            continue
        if change is None:
            await uow.events.set_status(copy.id, "cancelled")
            await uow.outbox.void_for_event(copy.id)
            await tell_change(uow, [copy.id], [], dropped=[copy.id], ref=f"e{copy.id}")
        else:
            await uow.events.reschedule(copy.id, **window_times(policy, event.starts_at))
            moved = await uow.events.get(copy.id)
            assert moved is not None
            await queue_pushes(uow, policy, moved, replace=True)
            await tell_change(uow, [copy.id], [change], ref=f"e{copy.id}")
        regions.add(copy.region_id)
    return regions


async def queue_pushes(
    uow: UnitOfWork,
    policy: Policy,
    event: EventRec,
    reminders_min: tuple[int, ...] | None = None,
    skip_open_push: tuple[str, str] | None = None,
    *,
    replace: bool = False,
    only: BindingRec | None = None,
) -> None:
    """Queue an event's pushes for every chat of its audience (`only`: for that one chat, just
    bound): reminders, the sign-in opening, the nudge and the summary, in one statement. Keys carry
    the start time, so a moved event gets fresh rows. `replace`: the event changed (moved, other
    reminders): its pending pushes that are no longer wanted are voided, the wanted ones kept (or,
    voided before, pending again)."""
    chats = [only] if only is not None else await audience_chats(uow, event)
    reminders = policy.reminders_min if reminders_min is None else reminders_min
    stamp = event.starts_at.strftime("%Y%m%d%H%M")
    plain = pushes.EventPush(event=event.id, at=stamp)
    timed: list[tuple[PushKind[pushes.EventPush], datetime, pushes.EventPush]] = [
        (pushes.REMINDER, event.starts_at - timedelta(minutes=m), plain.model_copy(update={"minutes": m}))
        for m in reminders
        if event.starts_at - timedelta(minutes=m) >= uow.now  # a reminder whose time has passed is not sent
    ]
    if policy.nudge_after_min:
        timed.append((pushes.NUDGE, event.starts_at + timedelta(minutes=policy.nudge_after_min), plain))
    timed.append((pushes.SUMMARY, event.closes_at, plain))
    timed.append((pushes.OPENING, max(event.opens_at, uow.now), plain))
    rows = [
        # the chat that got the board in the publishing reply has it: recorded as sent, so a
        # later re-bind (which queues the pushes still to come) never posts it again
        push_row(
            kind,
            chat.platform,
            chat.chat_id,
            due=due,
            payload=payload,
            event_id=event.id,
            status="sent" if kind is pushes.OPENING and (chat.platform, chat.chat_id) == skip_open_push else "pending",
        )
        for chat in chats
        for kind, due, payload in timed
    ]
    await uow.outbox.enqueue_many(rows)
    if replace:
        await uow.outbox.void_for_event(event.id, keep=[row["dedupe_key"] for row in rows])


async def catch_up_chat(uow: UnitOfWork, policy: Policy, platform: str, chat_id: str) -> int:
    """A chat bound (or bound anew) after events were published gets their pushes still to come
    (for this chat alone); what it has already it gets not twice (the keys are the same)."""
    binding = await uow.chats.binding(platform, chat_id)
    if binding is None or not binding.active:
        return 0
    events = await uow.events.upcoming_for_node(binding.region_id, binding.branch_id, uow.now, 50)
    count = 0
    for event in events:
        if visible_in(event, binding):
            rule = await uow.rules.get(event.rule_id) if event.rule_id else None
            await queue_pushes(uow, policy, event, tuple(rule.reminders) if rule else None, only=binding)
            count += 1
    return count


def check_lengths(usage: str, **fields: str | None) -> None:
    """Every detail within what is stored for it (place, topic, lecturer, rule), or the usage line."""
    found = limits.over_limit(**fields)
    if found is not None:
        raise UsageError(usage, "common.too_long", limit=found[1], field=found[0])


async def cancel(ctx: Context, args: str) -> list[Reply]:
    """取消活动 #编号 — cancel an event; its pending reminders and sign-in messages are voided."""
    binding = ctx.need_binding()
    event_id, _reason = parse_event_ref(args)
    if event_id is None:
        raise UsageError("cancel")
    inc = ctx.incoming
    elsewhere: set[int] = set()  # other regions whose copies of a joint event were cancelled with it

    async def work(uow: UnitOfWork) -> EventRec:
        elsewhere.clear()
        event = await uow.events.get(event_id)
        if event is None or not visible_in(event, binding):
            raise AppError("events.not_found", id=event_id)
        ctx.need_manager(event.region_id, event.branch_id)
        if event.status == "cancelled":
            raise AppError("events.already_cancelled", id=event_id)
        await joint_host(uow, event)
        await uow.events.set_status(event_id, "cancelled")
        await uow.outbox.void_for_event(event_id)
        elsewhere.update(await copies_follow(uow, ctx.services.policy, event))
        await uow.audit.record(
            actor=ctx.member.id if ctx.member else None,
            platform=inc.platform,
            action="event.cancel",
            detail={"event": event_id},
            now=uow.now,
        )
        return event

    event = await ctx.unit(work)
    for region_id in {binding.region_id} | elsewhere:
        ctx.services.directory.forget_events(region_id)
    past = event.starts_at <= ctx.now  # held or recorded: there were no reminders left to stop
    return [ctx.reply("events.cancelled", id=event.id, kind=event.kind, starts=ctx.local(event.starts_at), past=past)]


COMMANDS = [
    Command("event", ("发布",), publish, "events.usage_event", "events.help_event", access=Level.BRANCH),
    Command(
        "events",
        ("活动列表",),
        list_events,
        "events.usage_events",
        "events.help_events",
        access=Level.MEMBER,
        reads=True,
    ),
    Command("held", ("补录",), record_held, "events.usage_held", "events.help_held", access=Level.BRANCH),
    Command("cancel", ("取消活动",), cancel, "events.usage_cancel", "events.help_cancel", access=Level.BRANCH),
]


_VAGUE_KINDS = {
    "例会": "secretary_meeting",
    "党课": "party_lesson",
    "主题党日": "activity_day",
    "党员大会": "general_meeting",
}


async def _the_event(ctx: Context, day_word: str, kind_word: str) -> EventRec | None:
    """The one upcoming event of this chat's node on that day (of that kind, unless the word is
    as vague as 会 or 活动); None when there is none or more than one."""
    try:
        day = parse_date(day_word, ctx.local(ctx.now).date())
    except WhenError:
        return None
    kind = kind_of(kind_word) or _VAGUE_KINDS.get(kind_word)
    if kind == "other" and kind_word == "活动":
        kind = None
    node = ctx.node
    if node is None:
        return None
    events = await ctx.read(lambda uow: uow.events.upcoming_for_node(node.region_id, node.branch_id, ctx.now, 50))
    found = [e for e in events if ctx.local(e.starts_at).date() == day and kind in (None, e.kind)]
    return found[0] if len(found) == 1 else None


async def _cancel_words(ctx: Context, m: re.Match[str]) -> str | None:
    event = await _the_event(ctx, m["day"], m["kind"])
    return f"取消活动 #{event.id}" if event is not None else "活动列表"


async def _move_words(ctx: Context, m: re.Match[str]) -> str | None:
    event = await _the_event(ctx, m["day"], m["kind"])
    if event is None:
        return "活动列表"
    to = m["to"].strip()
    try:
        parse_when(to, ctx.now, ctx.tz)
    except WhenError:  # a time alone: the same day
        day = ctx.local(event.starts_at)
        to = f"{day.month}月{day.day}日 {to}"
    return f"改期 #{event.id} {to}"


_ASKING_WHEN = r"(?:是)?(?:什么时候|哪天|几号|几点|啥时候)(?:开|举行|召开)?"
PHRASES: list[Any] = [
    Phrase(
        r"(?:最近|近期|接下来|后面|本周|这周|下周)?(?:有)?(?:什么|哪些|啥)(?:活动|会|会议)(?:安排)?"
        r"|活动(?:安排|计划)|近期活动|最近的?活动|下次(?:的)?(?:"
        + KIND
        + r"|开会)"
        + _ASKING_WHEN
        + r"|(?:什么时候|哪天|啥时候)(?:开会|开例会|上党课|开书记例会)",
        "活动列表",
    ),
    Phrase(r"取消(?P<day>" + DAY + r")的?(?P<kind>" + KIND + ")", "取消活动", confirm=True, resolve=_cancel_words),
    Phrase(
        r"(?P<day>"
        + DAY
        + r")的?(?P<kind>"
        + KIND
        + r")(?:改到|改在|改成|改为|推迟到|延到|延期到|提前到|挪到|调到|换到)"
        r"(?P<to>.+)",
        "改期",
        confirm=True,
        resolve=_move_words,
    ),
]

FEATURE = Feature("events", topic="events", commands=COMMANDS, pushes=PUSHES, phrases=PHRASES)
