"""Recurring shifts (值班规则): "值班规则 每周四 9:00-17:00 法律援助室 赵强" — weekly, monthly, or
the last days of each lunar month (农历每月最后4天) — expanded ahead into ordinary shifts, with
their reminders, backup call and missed-shift check, like the Party calendar's rules; an
occurrence on a public holiday is kept (the default), skipped or moved to the next working day."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

from handlers.core.access import Level
from handlers.core.calendar_rules import HOLIDAY_POLICIES, RuleError, occurrences, parse_rule
from handlers.core.context import Context, Services
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.names import named_member
from handlers.core.ports import Reply
from handlers.core.router import Command
from handlers.core.timeparse import WhenError, numbered, parse_time
from handlers.duty import BACKUP_LABEL, queue_shift_pushes
from handlers.events import check_lengths
from storage.repos.duty import DutyRuleRec
from storage.uow import UnitOfWork

HOLIDAY_REACH = timedelta(days=60)  # a moved shift lands at most this far from its date
HORIZON_DAYS = 21  # shifts are on the rota three weeks ahead
NEXT_REACH_DAYS = 366  # the answer names the next dates within a year, or says there are none
_HOLIDAY = re.compile(r"(?:^|\s)(?:节假日|holiday)\s*[:：]\s*(\S+)", re.I)
_HOURS = re.compile(r"^(\S+?)\s*[-–~至到]\s*(\S+)\s+(\S+)\s+(.+)$")


async def duty_rule(ctx: Context, args: str) -> list[Reply]:
    """值班规则 规则 开始-结束 地点 姓名 [姓名] [备岗：姓名] [节假日：跳过|顺延|照常] — a recurring
    shift; 值班规则 alone lists the region's."""
    binding = ctx.need_binding()
    admin = ctx.need_manager(binding.region_id, None)
    if not args.strip():

        async def listing(uow: UnitOfWork) -> tuple[list[DutyRuleRec], dict[int, str]]:
            rules = await uow.duty.rules(binding.region_id)
            return rules, await _names(uow, rules)

        rules, known = await ctx.read(listing)
        return [ctx.reply("duty_rules.list", rules=[_params(r, known) for r in rules])]
    rest, policy = args.strip(), "keep"
    if found := _HOLIDAY.search(rest):
        word = found.group(1).lower()
        if word not in HOLIDAY_POLICIES:
            raise UsageError("duty_rule", "calendar.bad_holiday", word=found.group(1))
        policy = HOLIDAY_POLICIES[word]
        rest = (rest[: found.start()] + " " + rest[found.end() :]).strip()
    backup_name = None
    if found := BACKUP_LABEL.search(rest):
        backup_name = found.group(1)
        rest = (rest[: found.start()] + " " + rest[found.end() :]).strip()
    try:
        parsed = parse_rule(rest, ctx.local(ctx.now).date())
    except RuleError as err:
        raise UsageError("duty_rule", f"calendar.{err.code}") from err
    m = _HOURS.match(parsed.rest)
    if not m:
        raise UsageError("duty_rule")
    try:
        starts, _ = parse_time(m.group(1))
        ends, _ = parse_time(m.group(2))
    except WhenError as err:
        raise UsageError("duty_rule", f"events.{err.code}") from err
    place, names = m.group(3), m.group(4).split()
    check_lengths("duty_rule", place=place, rule=parsed.text)
    if ends <= starts or len(names) > 2 or len(set(names)) != len(names):
        raise UsageError("duty_rule")

    async def work(uow: UnitOfWork) -> tuple[int, int]:
        ids = [(await named_member(uow, binding.region_id, n, binding.branch_id)).id for n in names]
        backup = (
            (await named_member(uow, binding.region_id, backup_name, binding.branch_id)).id if backup_name else None
        )
        if backup is not None and backup in ids:
            raise AppError("duty.backup_on_shift", name=backup_name)
        values = {
            "region_id": binding.region_id,
            "text": parsed.text,
            "spec": parsed.spec,
            "starts": f"{starts:%H:%M}",
            "ends": f"{ends:%H:%M}",
            "place": place,
            "member_ids": ids,
            "backup_id": backup,
            "holiday_policy": policy,
            "status": "active",
            "created_by": admin.id,
        }
        rule_id = await uow.duty.add_rule(values, uow.now)
        rule = await uow.duty.rule(rule_id)
        assert rule is not None
        made = await expand(uow, ctx.services, rule)
        await ctx.audit(uow, admin.id, "duty.rule", rule=rule_id, text=parsed.text, made=made)
        return rule_id, made

    rule_id, made = await ctx.unit(work)
    tz, now = ctx.tz, ctx.now
    ahead = occurrences(parsed.spec, starts, policy, tz, now, now + timedelta(days=NEXT_REACH_DAYS))
    upcoming = [begins for _, begins in ahead if begins > now][:3]
    return [
        ctx.reply(
            "duty_rules.added",
            id=rule_id,
            text=parsed.text,
            starts=f"{starts:%H:%M}",
            ends=f"{ends:%H:%M}",
            place=place,
            names="、".join(names),
            backup=backup_name,
            policy=policy,
            made=made,
            upcoming=[ctx.local(at) for at in upcoming],
        )
    ]


async def cancel_duty_rule(ctx: Context, args: str) -> list[Reply]:
    """删除值班规则 #n — stop a recurring shift; its shifts to come that nobody checked in to go."""
    number, rest = numbered(args)
    if number is None or rest:
        raise UsageError("duty_rule_cancel")
    binding = ctx.need_binding()
    admin = ctx.need_manager(binding.region_id, None)

    async def work(uow: UnitOfWork) -> tuple[str, int]:
        rule = await uow.duty.rule(number)
        if rule is None or rule.region_id != binding.region_id or rule.status != "active":
            raise AppError("duty_rules.no_rule", id=number)
        dropped = await uow.duty.stop_rule(rule.id, uow.now)
        for shift_id in dropped:
            await uow.outbox.drop_pending(f"duty:{shift_id}:")
        await ctx.audit(uow, admin.id, "duty.rule_cancel", rule=rule.id, dropped=len(dropped))
        return rule.text, len(dropped)

    text, dropped = await ctx.unit(work)
    return [ctx.reply("duty_rules.cancelled", id=number, text=text, dropped=dropped)]


async def expand(uow: UnitOfWork, services: Services, rule: DutyRuleRec, horizon_days: int = HORIZON_DAYS) -> int:
    """Create the rule's shifts of the coming weeks that do not exist yet (one per rule and
    nominal date, so running it again makes nothing twice); returns how many were made."""
    if rule.status != "active":
        return 0
    tz = services.policy.tz
    starts, ends = (time.fromisoformat(t) for t in (rule.starts, rule.ends))
    have = await uow.duty.rule_dates(rule.id)
    days = {at.astimezone(tz).date() for at in await uow.duty.rule_starts(rule.id, uow.now - HOLIDAY_REACH)}
    made = 0
    horizon = uow.now + timedelta(days=horizon_days)
    for nominal, begins in occurrences(rule.spec, starts, rule.holiday_policy, tz, uow.now, horizon, days):
        if nominal in have or begins <= uow.now:
            continue
        finish = datetime.combine(begins.date(), ends, tzinfo=tz)
        if await uow.duty.same_shift(rule.region_id, rule.place, begins, list(rule.member_ids)) is not None:
            continue  # someone added this very shift by hand: it is not put on the rota twice
        shift_id = await uow.duty.add_shift(
            rule.region_id,
            rule.place,
            begins,
            finish,
            list(rule.member_ids),
            uow.now,
            backup_id=rule.backup_id,
            rule=(rule.id, nominal),
        )
        await queue_shift_pushes(uow, services.policy.grace_min, shift_id)
        made += 1
    return made


async def materialize(services: Services) -> int:
    """Expand every active duty rule (the calendar job, hourly, and at start); one unit per rule."""
    now = services.clock.now()
    rules = await services.db.read(lambda c: UnitOfWork(c, now).duty.rules())
    made = 0
    for rule in rules:

        async def one(conn: Any, rule: DutyRuleRec = rule) -> int:
            return await expand(UnitOfWork(conn, now), services, rule)

        made += await services.db.unit(one)
    return made


async def _names(uow: UnitOfWork, rules: list[DutyRuleRec]) -> dict[int, str]:
    ids = {i for r in rules for i in [*r.member_ids, *([r.backup_id] if r.backup_id else [])]}
    found = {}
    for member_id in ids:
        member = await uow.org.member(member_id)
        if member is not None:
            found[member_id] = member.name
    return found


def _params(rule: DutyRuleRec, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": rule.id,
        "text": rule.text,
        "starts": rule.starts,
        "ends": rule.ends,
        "place": rule.place,
        "names": "、".join(names.get(i, "?") for i in rule.member_ids),
        "backup": names.get(rule.backup_id) if rule.backup_id else None,
        "policy": rule.holiday_policy,
    }


R = Level.REGION
COMMANDS = [
    Command("duty_rule", ("值班规则",), duty_rule, "duty_rules.usage_duty_rule", "duty_rules.help_duty_rule", access=R),
    Command(
        "duty_rule_cancel", ("删除值班规则",), cancel_duty_rule, "duty_rules.usage_duty_rule_cancel", None, access=R
    ),
]


FEATURE = Feature("duty_rules", topic="duty", commands=COMMANDS)
