"""The Party calendar in chat: recurring rules (例会设置), their list, edits, pauses, and moving
one occurrence (改期). Occurrences become ordinary events ahead of time (materialize)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.core.access import Level
from handlers.core.calendar_rules import HOLIDAY_POLICIES, ParsedRule, RuleError, occurrences, parse_rule
from handlers.core.context import Context, Services
from handlers.core.errors import AppError, UsageError
from handlers.core.event_ref import kind_of, parse_event_ref, visible_in
from handlers.core.feature import Feature
from handlers.core.intent import SEE, Phrase
from handlers.core.ports import Reply
from handlers.core.router import Command, Handler
from handlers.core.timeparse import WhenError, numbered, parse_time, parse_when
from handlers.events import (
    Change,
    EventDraft,
    _split_details,
    check_lengths,
    copies_follow,
    create_event,
    for_branch,
    joint_host,
    queue_pushes,
    tell_change,
    window_times,
)
from storage.records import RuleRec
from storage.uow import UnitOfWork

HORIZON_DAYS = 60
_OPTION = re.compile(r"(节假日|提醒|holiday|remind)\s*[:：]\s*(\S+)", re.I)
_AHEAD = re.compile(r"^([0-9]{1,4})\s*(天|小时|分钟|d|h|m)$", re.I | re.A)
_UNIT_MIN = {"天": 1440, "d": 1440, "小时": 60, "h": 60, "分钟": 1, "m": 1}


def parse_reminders(text: str) -> list[int]:
    """'1天,1小时' / '1d,2h,30m' -> [1440, 120, 30]; raises ValueError."""
    out = set()
    for part in re.split(r"[,，、]", text):
        m = _AHEAD.match(part.strip())
        if not m:
            raise ValueError(part)
        out.add(int(m.group(1)) * _UNIT_MIN[m.group(2).lower()])
    if not out or max(out) > 30 * 1440:
        raise ValueError(text)
    return sorted(out, reverse=True)


def _options(rest: str) -> tuple[str, dict[str, Any]]:
    """Take 节假日：顺延|跳过|照常 and 提醒：1天,1小时 out of the details."""
    found: dict[str, Any] = {}
    for label, value in _OPTION.findall(rest):
        if label in ("节假日", "holiday") or label.lower() == "holiday":
            if value.lower() not in HOLIDAY_POLICIES:
                raise UsageError("schedule_add", "calendar.bad_holiday", word=value)
            found["holiday_policy"] = HOLIDAY_POLICIES[value.lower()]
        else:
            try:
                found["reminders"] = parse_reminders(value)
            except ValueError:
                raise UsageError("schedule_add", "calendar.bad_reminders", word=value) from None
    return _OPTION.sub("", rest).strip(), found


@dataclass(frozen=True)
class RuleDraft:
    region_id: int
    branch_id: int | None
    kind: str
    rule: ParsedRule
    at: time
    place: str
    topic: str = ""
    lecturer: str | None = None
    holiday_policy: str = "move"
    reminders: list[int] | None = None  # None: the policy's


async def create_rule(
    uow: UnitOfWork, services: Services, d: RuleDraft, creator_id: int | None, platform: str
) -> tuple[RuleRec, int]:
    """Store a rule and expand it at once; returns (the rule, occurrences made)."""
    rule_id = await uow.rules.create(
        region_id=d.region_id,
        branch_id=d.branch_id,
        kind=d.kind,
        text=d.rule.text,
        spec=d.rule.spec,
        at_time=d.at.strftime("%H:%M"),
        place=d.place,
        topic=d.topic,
        lecturer=d.lecturer,
        holiday_policy=d.holiday_policy,
        reminders=list(services.policy.reminders_min) if d.reminders is None else d.reminders,
        status="active",
        created_by=creator_id,
        created_at=uow.now,
    )
    await uow.audit.record(
        actor=creator_id,
        platform=platform,
        action="rule.create",
        detail={"rule": rule_id, "text": d.rule.text},
        now=uow.now,
    )
    saved = await uow.rules.get(rule_id)
    assert saved is not None
    return saved, await expand(uow, services, saved)


async def add_rule(ctx: Context, args: str) -> list[Reply]:
    """例会设置 类型 规则 时间 地点 [主题] [讲师：…] [节假日：顺延|跳过|照常] [提醒：1天,1小时]"""
    binding = ctx.need_binding()
    kind_word, _, rest = args.strip().partition(" ")
    kind = kind_of(kind_word)
    if kind is None:
        raise UsageError("schedule_add", "events.bad_kind", word=kind_word)
    try:
        rule = parse_rule(rest, ctx.now.astimezone(ctx.tz).date())
    except RuleError as err:
        raise UsageError("schedule_add", f"calendar.{err.code}") from err
    try:
        at, after = parse_time(rule.rest)
    except WhenError as err:
        raise UsageError("schedule_add", f"events.{err.code}") from err
    details, options = _options(after)
    details, named, branch_name = await for_branch(ctx, details, "schedule_add")
    place, topic, lecturer = _split_details(details)
    if not place:
        raise UsageError("schedule_add", "events.no_place")
    check_lengths("schedule_add", place=place, topic=topic, lecturer=lecturer, rule=rule.text)
    if kind == "secretary_meeting" and named is not None:
        raise AppError("events.secretary_meeting_in_branch")
    branch_id = None if kind == "secretary_meeting" else (binding.branch_id if named is None else named)
    creator = ctx.need_manager(binding.region_id, branch_id)
    policy = ctx.services.policy

    draft = RuleDraft(
        binding.region_id,
        branch_id,
        kind,
        rule,
        at,
        place,
        topic,
        lecturer,
        options.get("holiday_policy", "move"),
        options.get("reminders", list(policy.reminders_min)),
    )

    async def work(uow: UnitOfWork) -> tuple[RuleRec, int, list[int]]:
        twins = [
            r.id
            for r in await uow.rules.of_region(binding.region_id)
            if (r.branch_id, r.kind, r.spec, r.at_time) == (branch_id, kind, rule.spec, at.strftime("%H:%M"))
        ]
        saved, made = await create_rule(uow, ctx.services, draft, creator.id, ctx.incoming.platform)
        return saved, made, twins

    saved, made, twins = await ctx.unit(work)
    ctx.services.directory.forget_events(binding.region_id)
    upcoming = await _next_of(ctx, saved.id)
    params: dict[str, Any] = {
        "made": made,
        "upcoming": upcoming,
        "days": HORIZON_DAYS,
        "twins": twins,
        "branch": branch_name,
    }
    return [ctx.reply("calendar.created", r=_view(saved), **params)]


async def list_rules(ctx: Context, args: str) -> list[Reply]:
    """日程 — the region's calendar rules with their next occurrence; `/schedule sub …` for changes."""
    word, _, rest = args.strip().partition(" ")
    sub = SUBCOMMANDS.get(word.lower())
    if sub is not None:
        return await sub(ctx, rest)
    if word:
        raise UsageError("schedule")
    binding = ctx.need_binding()
    rules = await ctx.read(lambda uow: uow.rules.of_region(binding.region_id))
    items = []
    for r in rules:
        if r.branch_id is None or binding.branch_id in (None, r.branch_id):
            items.append({"r": _view(r), "next": await _next_of(ctx, r.id)})
    return [ctx.reply("calendar.listing", items=items)]


def _rule_ref(args: str, usage: str) -> tuple[int, str]:
    number, rest = numbered(re.sub(r"^\s*[Rr](?=\s*[0-9０-９])", "", args))
    if number is None:
        raise UsageError(usage)
    return number, rest


async def _managed_rule(ctx: Context, uow: UnitOfWork, rule_id: int) -> RuleRec:
    binding = ctx.need_binding()
    rule = await uow.rules.get(rule_id)
    if rule is None or rule.region_id != binding.region_id or rule.status == "cancelled":
        raise AppError("calendar.not_found", id=rule_id)
    ctx.need_manager(rule.region_id, rule.branch_id)
    return rule


async def _detach(uow: UnitOfWork, rule_id: int) -> list[int]:
    """Cancel the rule's occurrences that have not started, with their pending pushes."""
    ids = await uow.events.detach_future(rule_id, uow.now)
    for event_id in ids:
        await uow.outbox.void_for_event(event_id)
    return ids


def _status_command(new_status: str, usage: str, done: str) -> Handler:
    async def handler(ctx: Context, args: str) -> list[Reply]:
        rule_id, _ = _rule_ref(args, usage)

        async def work(uow: UnitOfWork) -> tuple[RuleRec, int]:
            rule = await _managed_rule(ctx, uow, rule_id)
            if rule.status == new_status:
                raise AppError("calendar.unchanged", id=rule_id)
            cancelled = len(await _detach(uow, rule_id))
            await uow.rules.change(rule_id, status=new_status)
            await _audit(ctx, uow, f"rule.{new_status}", rule_id)
            made = 0
            if new_status == "active":
                fresh = await uow.rules.get(rule_id)
                assert fresh is not None
                made = await expand(uow, ctx.services, fresh)
            return rule, made if new_status == "active" else cancelled

        rule, count = await ctx.unit(work)
        ctx.services.directory.forget_events(rule.region_id)
        return [ctx.reply(done, id=rule_id, count=count)]

    return handler


pause_rule = _status_command("paused", "schedule_pause", "calendar.paused")
resume_rule = _status_command("active", "schedule_resume", "calendar.resumed")
cancel_rule = _status_command("cancelled", "schedule_cancel", "calendar.deleted")


async def edit_rule(ctx: Context, args: str) -> list[Reply]:
    """修改日程 编号 时间 15:00 | 地点 … | 主题 … | 节假日 跳过 | 提醒 1天,2小时 | 规则 每月第二个周二"""
    rule_id, rest = _rule_ref(args, "schedule_edit")
    field, _, value = rest.partition(" ")
    value = value.strip()
    if not value:
        raise UsageError("schedule_edit")
    changes: dict[str, Any] = {}
    if field in ("时间", "time"):
        try:
            at, _ = parse_time(value)
        except WhenError as err:
            raise UsageError("schedule_edit", f"events.{err.code}") from err
        changes["at_time"] = at.strftime("%H:%M")
    elif field in ("地点", "place", "主题", "topic", "讲师", "lecturer"):
        name = {"地点": "place", "主题": "topic", "讲师": "lecturer"}.get(field, field)
        check_lengths("schedule_edit", **{name: value})
        changes[name] = value
    elif field in ("节假日", "holiday"):
        if value.lower() not in HOLIDAY_POLICIES:
            raise UsageError("schedule_edit", "calendar.bad_holiday", word=value)
        changes["holiday_policy"] = HOLIDAY_POLICIES[value.lower()]
    elif field in ("提醒", "remind"):
        try:
            changes["reminders"] = parse_reminders(value)
        except ValueError:
            raise UsageError("schedule_edit", "calendar.bad_reminders", word=value) from None
    elif field in ("规则", "rule"):
        try:
            parsed = parse_rule(value, ctx.now.astimezone(ctx.tz).date())
        except RuleError as err:
            raise UsageError("schedule_edit", f"calendar.{err.code}") from err
        check_lengths("schedule_edit", rule=parsed.text)
        changes.update(spec=parsed.spec, text=parsed.text)
    else:
        raise UsageError("schedule_edit")

    async def work(uow: UnitOfWork) -> tuple[RuleRec, Reshaped]:
        before = await _managed_rule(ctx, uow, rule_id)
        await uow.rules.change(rule_id, **changes)
        await _audit(ctx, uow, "rule.edit", rule_id, **{k: str(v) for k, v in changes.items()})
        fresh = await uow.rules.get(rule_id)
        assert fresh is not None
        done = await reshape(uow, ctx.services, fresh, reminders="reminders" in changes)
        done.made = await expand(uow, ctx.services, fresh)
        news = [c for c in _rule_changes(before, fresh) if c.field in TOLD]
        if news and (done.changed or done.dropped):
            done.told = await tell_change(
                uow, done.changed + done.dropped, news, dropped=done.dropped, ref=f"r{rule_id}"
            )
        return fresh, done

    rule, done = await ctx.unit(work)
    ctx.services.directory.forget_events(rule.region_id)
    return [
        ctx.reply(
            "calendar.edited",
            r=_view(rule),
            kept=len(done.changed),
            made=done.made,
            dropped=len(done.dropped),
            told=done.told,
        )
    ]


@dataclass
class Reshaped:
    changed: list[int]  # upcoming occurrences changed in place (numbers, sign-ins and leave kept)
    dropped: list[int]  # upcoming occurrences the rule no longer has: cancelled
    made: int = 0  # occurrences created anew
    told: bool = False  # their audience was told


async def reshape(uow: UnitOfWork, services: Services, rule: RuleRec, *, reminders: bool = False) -> Reshaped:
    """Bring a rule's upcoming occurrences in line with the rule, in place: an occurrence keeps its
    number (and its leave requests and sign-ins) and takes the rule's details and the time of the
    date it now stands for, its own date first, else the next date the rule has that no
    occurrence holds. Occurrences left over are cancelled; dates left over are made by `expand`.
    `reminders`: the rule's reminders changed, so every occurrence's pushes are queued afresh."""
    now, tz = uow.now, services.policy.tz
    have = await uow.events.occurrences(rule.id)
    upcoming = {d: e for d, e in have.items() if e.status == "scheduled" and e.starts_at > now}
    held = set(have) - set(upcoming)
    hour, minute = (int(p) for p in rule.at_time.split(":"))
    dates = [
        (nominal, starts)
        for nominal, starts in occurrences(
            rule.spec, time(hour, minute), rule.holiday_policy, tz, now, now + timedelta(days=HORIZON_DAYS)
        )
        if starts > now and nominal not in held
    ]
    pairs = [(upcoming[d], d, starts) for d, starts in dates if d in upcoming]
    taken = {d for _, d, _ in pairs}
    spare = [(d, starts) for d, starts in dates if d not in upcoming]
    left = sorted((e for d, e in upcoming.items() if d not in taken), key=lambda e: e.starts_at)
    pairs += [(e, d, starts) for e, (d, starts) in zip(left, spare, strict=False)]
    dropped = [e.id for e in left[len(spare) :]]
    if rule.status != "active":
        pairs, dropped = [], []
    for event_id in dropped:
        await uow.events.change(event_id, status="cancelled", occurs_on=None)
        await uow.outbox.void_for_event(event_id)
    changed = []
    for event, nominal, starts in sorted(pairs, key=lambda p: p[2]):
        details = {"place": rule.place, "topic": rule.topic, "lecturer": rule.lecturer}
        values: dict[str, Any] = {k: v for k, v in details.items() if getattr(event, k) != v}
        moved = starts != event.starts_at
        if moved:
            values.update(window_times(services.policy, starts))
        if have.get(nominal) is not event:
            values["occurs_on"] = nominal
        if not values and not reminders:
            continue
        if values:
            await uow.events.change(event.id, **values)
        if moved or reminders:
            fresh = await uow.events.get(event.id)
            assert fresh is not None
            await queue_pushes(uow, services.policy, fresh, tuple(rule.reminders), replace=True)
        if set(values) - {"occurs_on"}:
            changed.append(event.id)
    return Reshaped(changed, dropped)


TOLD = ("place", "topic", "lecturer", "time", "rule", "holiday")  # what an event's audience is told of


def _rule_changes(before: RuleRec, after: RuleRec) -> list[Change]:
    pairs = {
        "place": (before.place, after.place),
        "topic": (before.topic, after.topic),
        "lecturer": (before.lecturer or "", after.lecturer or ""),
        "time": (before.at_time, after.at_time),
        "rule": (before.text, after.text),
        "holiday": (before.holiday_policy, after.holiday_policy),
        "reminders": (",".join(map(str, before.reminders)), ",".join(map(str, after.reminders))),
    }
    return [Change(field=f, old=old, new=new) for f, (old, new) in pairs.items() if old != new]


async def move_event(ctx: Context, args: str) -> list[Reply]:
    """改期 #编号 日期 时间 — move one event (one occurrence of a rule); its pushes follow it and
    its audience is told."""
    binding = ctx.need_binding()
    event_id, rest = parse_event_ref(args)
    if event_id is None:
        raise UsageError("move")
    try:
        when = parse_when(rest, ctx.now, ctx.tz)
    except WhenError as err:
        raise UsageError("move", f"events.{err.code}") from err
    if when.at <= ctx.now:
        raise UsageError("move", "events.in_past", at=ctx.local(when.at))

    async def work(uow: UnitOfWork) -> tuple[Any, datetime]:
        event = await uow.events.get(event_id)
        elsewhere.clear()
        if event is None or not visible_in(event, binding) or event.status != "scheduled":
            raise AppError("events.not_found", id=event_id)
        ctx.need_manager(event.region_id, event.branch_id)
        if event.starts_at <= uow.now:
            raise AppError("calendar.already_started", id=event_id)
        if event.starts_at == when.at:  # nothing moves: nobody is told of a change that is none
            raise AppError("calendar.same_time", id=event_id, at=ctx.local(when.at))
        await joint_host(uow, event)
        await uow.events.reschedule(event_id, **window_times(ctx.services.policy, when.at))
        moved = await uow.events.get(event_id)
        assert moved is not None
        rule = await uow.rules.get(event.rule_id) if event.rule_id else None
        await queue_pushes(uow, ctx.services.policy, moved, tuple(rule.reminders) if rule else None, replace=True)
        await _audit(ctx, uow, "event.move", None, event=event_id, to=when.at.isoformat())
        change = Change(field="starts", old=event.starts_at.isoformat(), new=when.at.isoformat())
        await tell_change(uow, [event_id], [change], ref=f"e{event_id}")
        elsewhere.update(await copies_follow(uow, ctx.services.policy, moved, change))
        return event, event.starts_at

    elsewhere: set[int] = set()  # other regions whose copies of a joint event moved with it
    event, old = await ctx.unit(work)
    for region_id in {binding.region_id} | elsewhere:
        ctx.services.directory.forget_events(region_id)
    return [ctx.reply("calendar.moved", id=event_id, kind=event.kind, old=ctx.local(old), new=ctx.local(when.at))]


async def _audit(ctx: Context, uow: UnitOfWork, action: str, rule_id: int | None, **detail: Any) -> None:
    await uow.audit.record(
        actor=ctx.member.id if ctx.member else None,
        platform=ctx.incoming.platform,
        action=action,
        detail={"rule": rule_id, **detail} if rule_id is not None else detail,
        now=uow.now,
    )


async def _next_of(ctx: Context, rule_id: int) -> datetime | None:
    def first(events: Any) -> datetime | None:
        future = sorted(e.starts_at for e in events.values() if e.status == "scheduled" and e.starts_at > ctx.now)
        return ctx.local(future[0]) if future else None

    return first(await ctx.read(lambda uow: uow.events.occurrences(rule_id)))


def _view(rule: RuleRec) -> dict[str, Any]:
    return {
        "id": rule.id,
        "kind": rule.kind,
        "text": rule.text,
        "at": rule.at_time,
        "place": rule.place,
        "topic": rule.topic,
        "holiday": rule.holiday_policy,
        "reminders": rule.reminders,
        "status": rule.status,
    }


async def expand(uow: UnitOfWork, services: Services, rule: RuleRec, horizon_days: int = HORIZON_DAYS) -> int:
    """Create the rule's occurrences of the next `horizon_days` that do not exist yet; returns how
    many were made. Running it again makes nothing twice (one event per rule and nominal date)."""
    if rule.status != "active":
        return 0
    tz = services.policy.tz
    now = uow.now
    hour, minute = (int(p) for p in rule.at_time.split(":"))
    have = await uow.events.occurrences(rule.id)
    made = 0
    for nominal, starts in occurrences(
        rule.spec, time(hour, minute), rule.holiday_policy, tz, now, now + timedelta(days=horizon_days)
    ):
        if nominal in have or starts <= now:
            continue
        draft = EventDraft(
            rule.region_id,
            rule.branch_id,
            rule.kind,
            starts,
            rule.place,
            rule.topic,
            rule.lecturer,
            reminders_min=tuple(rule.reminders),
            rule_id=rule.id,
            occurs_on=nominal,
        )
        await create_event(uow, services.policy, draft, None, "calendar")
        made += 1
    return made


async def materialize(services: Services, horizon_days: int = HORIZON_DAYS) -> int:
    """Expand every active rule (the daily calendar job, and at start); one transaction per rule."""
    now = services.clock.now()
    rules = await services.db.read(lambda c: UnitOfWork(c, now).rules.active())
    made = 0
    for rule in rules:

        async def one(conn: AsyncConnection, rule: RuleRec = rule) -> int:
            return await expand(UnitOfWork(conn, now), services, rule, horizon_days)

        made += await services.db.unit(one)
        services.directory.forget_events(rule.region_id)
    return made


SUBCOMMANDS: dict[str, Handler] = {
    "add": add_rule,
    "pause": pause_rule,
    "resume": resume_rule,
    "cancel": cancel_rule,
    "delete": cancel_rule,
    "edit": edit_rule,
}

M, B = Level.MEMBER, Level.BRANCH
COMMANDS = [
    Command(
        "schedule",
        ("日程", "例会列表"),
        list_rules,
        "calendar.usage_schedule",
        "calendar.help_schedule",
        access=M,
        reads=True,
    ),
    Command("schedule_add", ("例会设置", "日程设置"), add_rule, "calendar.usage_schedule_add", None, access=B),
    Command("schedule_edit", ("修改日程",), edit_rule, "calendar.usage_schedule_edit", None, access=B),
    Command("schedule_pause", ("暂停日程",), pause_rule, "calendar.usage_schedule_pause", None, access=B),
    Command("schedule_resume", ("恢复日程",), resume_rule, "calendar.usage_schedule_resume", None, access=B),
    Command("schedule_cancel", ("删除日程",), cancel_rule, "calendar.usage_schedule_cancel", None, access=B),
    Command("move", ("改期",), move_event, "calendar.usage_move", "calendar.help_move", access=B),
]


PHRASES = [
    Phrase(SEE + r"(?:例会|例行|每月|全年)?(?:安排|日程|计划)(?:表)?|例行安排|日程安排|" + SEE + r"日程", "日程"),
]

FEATURE = Feature("calendar", topic="events", commands=COMMANDS, phrases=PHRASES)
