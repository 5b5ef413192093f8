"""Duty shifts at the service center (值班): the week's rota, check-in and check-out with marks,
swaps agreed by the other member, missed shifts, the shift's log and its backup (AB岗)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from markupsafe import Markup

from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.intent import SEE, Phrase
from handlers.core.mentions import mention
from handlers.core.names import named_member
from handlers.core.outbox import Payload, PushContext, PushKind, queue
from handlers.core.ports import Button, Reply
from handlers.core.router import Command, Press
from handlers.core.timeparse import WhenError, parse_time, parse_when
from handlers.events import check_lengths
from storage import limits
from storage.records import MemberRec
from storage.repos.duty import ShiftSlot
from storage.uow import UnitOfWork

OPENS_BEFORE = timedelta(minutes=30)  # check-in accepted from 30 minutes before the start
NIGHT_ENDS = 6  # a shift said to start before 06:00 is asked back (凌晨 says it is meant)


def week_of(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    local = now.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    start = datetime.combine(monday, time(0), tzinfo=tz)
    return start, start + timedelta(days=7)


def arrival_of(slot: ShiftSlot, now: datetime, grace: timedelta) -> str:
    return "late" if now > slot.starts_at + grace else "on_time"


_WEEKS = {"": 0, "本周": 0, "这周": 0, "this week": 0, "下周": 1, "下星期": 1, "next week": 1}
_WEEKS |= {"上周": -1, "last week": -1}


async def rota(ctx: Context, args: str) -> list[Reply]:
    """值班表 [本周|下周|上周] — a week's shifts with who checked in, and missed ones, and each
    shift's backup (a branch chat sees the names of its own members; the others' places on the
    rota without names)."""
    word = args.strip().lower()
    if word not in _WEEKS:
        raise UsageError("duty")
    binding = ctx.need_binding()
    start, end = week_of(ctx.now + timedelta(weeks=_WEEKS[word]), ctx.tz)
    grace = timedelta(minutes=ctx.services.policy.grace_min)

    async def read(uow: UnitOfWork) -> tuple[list[ShiftSlot], dict[int, tuple[str, int]]]:
        slots = await uow.duty.between(binding.region_id, start, end)
        return slots, await uow.duty.backups({s.shift_id for s in slots})

    slots, backups = await ctx.read(read)
    rows = []
    for s in slots:
        backup = backups.get(s.shift_id)
        rows.append(
            {
                "s": s,
                "name": s.name if binding.branch_id in (None, s.branch_id) else None,
                "starts": ctx.local(s.starts_at),
                "ends": ctx.local(s.ends_at),
                "state": shift_state(s, ctx.now, grace),
                "backup": (backup[0] if binding.branch_id in (None, backup[1]) else "") if backup else None,
            }
        )
    return [ctx.reply("duty.rota", rows=rows, monday=start, week=_WEEKS[word])]


class Shiftlike(Protocol):
    """A member's place on a shift as any reader has it (a ShiftSlot, a ledger row)."""

    @property
    def ends_at(self) -> datetime: ...
    @property
    def checked_in_at(self) -> datetime | None: ...
    @property
    def checked_out_at(self) -> datetime | None: ...


def closed_unsigned(slot: Shiftlike, now: datetime, grace: timedelta) -> bool:
    """Checked in, never checked out, and the shift ended (plus grace): closed as 未签退."""
    return slot.checked_in_at is not None and slot.checked_out_at is None and now >= slot.ends_at + grace


def shift_state(slot: Shiftlike, now: datetime, grace: timedelta) -> str:
    """waiting, on (checked in), out (checked out), unsigned (never checked out) or missed."""
    if slot.checked_in_at is not None:
        if slot.checked_out_at is not None:
            return "out"
        return "unsigned" if closed_unsigned(slot, now, grace) else "on"
    return "missed" if slot.ends_at <= now else "waiting"


async def add_shift(ctx: Context, args: str) -> list[Reply]:
    """添加值班 日期 开始-结束 地点 姓名 [姓名] — an admin adds one shift with one or two members."""
    try:
        when = parse_when(args, ctx.now, ctx.tz)
    except WhenError as err:
        raise UsageError("duty_add", f"events.{err.code}") from err
    rest, backup_name = when.rest, None
    if found := BACKUP_LABEL.search(rest):
        rest, backup_name = (rest[: found.start()] + " " + rest[found.end() :]).strip(), found.group(1)
    m = re.match(r"^\s*[-–~至到]\s*(\S+)\s+(\S+)\s+(.+)$", rest)
    if not m:
        raise UsageError("duty_add")
    try:
        end_time, _ = parse_time(m.group(1))
    except WhenError as err:
        raise UsageError("duty_add", f"events.{err.code}") from err
    place, names = m.group(2), m.group(3).split()
    check_lengths("duty_add", place=place)
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        raise UsageError("duty_add", "duty.name_twice", name=twice)
    ends = datetime.combine(when.at.date(), end_time, tzinfo=ctx.tz)
    if ends <= when.at or len(names) > 2:
        raise UsageError("duty_add")
    if ends <= ctx.now:
        raise UsageError("duty_add", "events.in_past", at=ctx.local(ends))
    hour = ctx.local(when.at).hour
    if hour < NIGHT_ENDS and not re.search(rf"凌晨|半夜|夜里|早上|清晨|(?<!\d)0{hour}[:：]", args):
        raise UsageError("duty_add", "events.ambiguous_time")  # 3:00: at night, or 15:00? (03:00 is clear)
    binding = ctx.need_binding()
    admin = ctx.need_manager(binding.region_id, None)
    begun = int((ctx.now - when.at).total_seconds() // 60) if when.at < ctx.now else 0

    async def work(uow: UnitOfWork) -> int:
        ids = [(await named_member(uow, binding.region_id, n, binding.branch_id)).id for n in names]
        backup = (
            (await named_member(uow, binding.region_id, backup_name, binding.branch_id)).id if backup_name else None
        )
        if backup is not None and backup in ids:
            raise AppError("duty.backup_on_shift", name=backup_name)
        same = await uow.duty.same_shift(binding.region_id, place, when.at, ids)
        if same is not None:  # the same shift typed twice: one on the rota, never a copy reported as missed
            raise AppError("duty.duplicate", id=same, starts=ctx.local(when.at), place=place)
        shift_id = await uow.duty.add_shift(binding.region_id, place, when.at, ends, ids, uow.now, backup_id=backup)
        await queue_shift_pushes(uow, ctx.services.policy.grace_min, shift_id)
        await uow.audit.record(
            actor=admin.id, platform=ctx.incoming.platform, action="duty.add", detail={"shift": shift_id}, now=uow.now
        )
        return shift_id

    await ctx.unit(work)
    return [
        ctx.reply(
            "duty.added",
            starts=ctx.local(when.at),
            ends=ctx.local(ends),
            place=place,
            names="、".join(names),
            backup=backup_name,
            begun=begun,
        )
    ]


DUTY_REMIND = timedelta(hours=1)  # the reminder before a shift
BACKUP_LABEL = re.compile(r"(?:^|\s)(?:备岗|backup)\s*[:：]\s*(\S+)", re.I)


async def queue_shift_pushes(uow: UnitOfWork, grace_min: int, shift_id: int) -> None:
    """A reminder to each assigned member's branch group an hour before (the region's chats if
    the branch has none), and the missed-shift check for the region chats at the end + grace."""
    slots = await uow.duty.of_shift(shift_id)
    if not slots:
        return
    region_id = slots[0].region_id
    chats: dict[tuple[str, str], None] = {}
    for s in slots:
        member = await uow.org.member(s.member_id)
        found = await uow.chats.chats_for(region_id, member.branch_id if member else None, include_branch_chats=False)
        for c in found or await uow.chats.chats_for(region_id, None, include_branch_chats=False):
            chats[(c.platform, c.chat_id)] = None
    plans = [(REMINDER, slots[0].starts_at - DUTY_REMIND, list(chats))]
    backup_id = await uow.duty.backup_of(shift_id)
    backup = await uow.org.member(backup_id) if backup_id is not None else None
    if backup is not None:  # AB岗: called at the start + grace if nobody came (its group, else the region's)
        found = await uow.chats.chats_for(region_id, backup.branch_id, include_branch_chats=False)
        calls = found or await uow.chats.chats_for(region_id, None, include_branch_chats=False)
        plans.append(
            (BACKUP, slots[0].starts_at + timedelta(minutes=grace_min), [(c.platform, c.chat_id) for c in calls])
        )
    admins = await uow.chats.chats_for(region_id, None, include_branch_chats=False)
    plans.append((MISSED, slots[0].ends_at + timedelta(minutes=grace_min), [(c.platform, c.chat_id) for c in admins]))
    for kind, due, targets in plans:
        if due <= uow.now:
            continue
        for platform, chat_id in targets:
            await queue(uow, kind, platform, chat_id, due=due, payload=ShiftPush(shift=shift_id))


async def check_in(ctx: Context, args: str) -> list[Reply]:
    """上岗 / 值班打卡 — the assigned member starts their shift (from 30 minutes before)."""
    member = ctx.need_member()
    grace = timedelta(minutes=ctx.services.policy.grace_min)
    points = await ctx.points_for("duty", member.region_id)

    async def work(uow: UnitOfWork) -> tuple[ShiftSlot, str, str | None]:
        mine = await uow.duty.of_member(member.id, uow.now - timedelta(hours=24), uow.now + timedelta(hours=24))
        current = [s for s in mine if s.starts_at - OPENS_BEFORE <= uow.now < s.ends_at]
        instead = None
        if current:
            slot = current[0]
        else:
            taken = await take_over(uow, member, grace, ctx.tz)
            if taken is None:
                if not mine:
                    raise AppError("duty.no_shift")
                upcoming = [s for s in mine if s.starts_at - OPENS_BEFORE > uow.now]
                if upcoming:
                    raise AppError("duty.too_early", starts=ctx.local(upcoming[0].starts_at), place=upcoming[0].place)
                raise AppError("duty.over", ends=ctx.local(mine[-1].ends_at))
            slot, instead = taken
        if slot.checked_in_at is not None:
            raise AppError("duty.already_in", at=ctx.local(slot.checked_in_at))
        arrival = "on_time" if instead else arrival_of(slot, uow.now, grace)
        await uow.duty.check_in(slot.assignment_id, uow.now, arrival)
        if points > 0:
            await uow.points.credit(
                member.id,
                points,
                reason="duty:",
                source="duty",
                ref=f"duty:{slot.assignment_id}",
                operator=None,
                now=uow.now,
            )
        return slot, arrival, instead

    slot, arrival, instead = await ctx.unit(work)
    return [
        ctx.reply(
            "duty.checked_in",
            name=mention(member.id, member.name),
            place=slot.place,
            ends=ctx.local(slot.ends_at),
            late=arrival == "late",
            instead=instead,
        )
    ]


async def take_over(uow: UnitOfWork, member: MemberRec, grace: timedelta, tz: ZoneInfo) -> tuple[ShiftSlot, str] | None:
    """AB岗: a shift this member backs up, that nobody has checked in to by its start + grace and
    that has not ended, becomes theirs (a place of one who did not come, recorded as a swap).
    Returns their slot and whom they stand in for; None when there is no such shift (a backup
    asking too early is told from when they may take over)."""
    for shift_id in await uow.duty.backed_by(member.id, uow.now - timedelta(hours=24), uow.now + timedelta(hours=24)):
        slots = await uow.duty.of_shift(shift_id)
        if not slots or any(s.checked_in_at is not None for s in slots) or uow.now >= slots[0].ends_at:
            continue
        if any(s.member_id == member.id for s in slots):
            continue
        first = slots[0]
        if uow.now < first.starts_at + grace:
            raise AppError("duty.backup_wait", place=first.place, at=(first.starts_at + grace).astimezone(tz))
        if await uow.duty.take_over(first.assignment_id, member.id, uow.now):
            return replace(first, member_id=member.id, name=member.name), first.name
    return None


async def check_out(ctx: Context, args: str) -> list[Reply]:
    """下岗 — the member ends the shift they checked in to; before the end is marked early."""
    member = ctx.need_member()
    grace = timedelta(minutes=ctx.services.policy.grace_min)

    async def work(uow: UnitOfWork) -> tuple[ShiftSlot, str]:
        mine = await uow.duty.of_member(member.id, uow.now - timedelta(hours=24), uow.now + timedelta(hours=1))
        on = [s for s in mine if s.checked_in_at is not None and s.checked_out_at is None]
        if on and all(closed_unsigned(s, uow.now, grace) for s in on):
            raise AppError("duty.closed_unsigned", ends=ctx.local(on[-1].ends_at), place=on[-1].place)
        on = [s for s in on if not closed_unsigned(s, uow.now, grace)]
        if not on:
            raise AppError("duty.not_on")
        slot = on[-1]
        departure = "early" if uow.now < slot.ends_at - grace else "on_time"
        await uow.duty.check_out(slot.assignment_id, uow.now, departure)
        return slot, departure

    slot, departure = await ctx.unit(work)
    return [
        ctx.reply(
            "duty.checked_out", name=mention(member.id, member.name), place=slot.place, early=departure == "early"
        )
    ]


LOG_HOURS = 24  # 值班日志 goes to the member's shift checked in to within this many hours


async def duty_log(ctx: Context, args: str) -> list[Reply]:
    """值班日志 内容 — note what the shift saw (visitors, services given, issues) on one's latest
    shift; 值班日志 alone — this week's logs this chat may see (a branch chat: its members')."""
    text = args.strip()
    if not text:
        binding = ctx.need_binding()
        start, end = week_of(ctx.now, ctx.tz)
        slots = await ctx.read(lambda uow: uow.duty.between(binding.region_id, start, end))
        rows = [
            {"s": s, "starts": ctx.local(s.starts_at), "lines": (s.log or "").splitlines()}
            for s in slots
            if s.log and binding.branch_id in (None, s.branch_id)
        ]
        return [ctx.reply("duty.logs", rows=rows, monday=start)]
    if len(text) > limits.DUTY_LOG:
        raise UsageError("duty_log", "common.too_long", limit=limits.DUTY_LOG)
    member = ctx.need_member()

    async def work(uow: UnitOfWork) -> tuple[ShiftSlot, str]:
        mine = await uow.duty.of_member(member.id, uow.now - timedelta(hours=LOG_HOURS), uow.now + timedelta(hours=1))
        worked = [s for s in mine if s.checked_in_at is not None]
        if not worked:
            raise AppError("duty.no_recent_shift", hours=LOG_HOURS)
        slot = worked[-1]
        log = await uow.duty.add_log(slot.assignment_id, text, uow.now)
        await uow.audit.record(
            actor=member.id,
            platform=ctx.incoming.platform,
            action="duty.log",
            detail={"assignment": slot.assignment_id},
            now=uow.now,
        )
        return slot, log

    slot, log = await ctx.unit(work)
    return [ctx.reply("duty.logged", place=slot.place, starts=ctx.local(slot.starts_at), lines=log.splitlines())]


async def ask_swap(ctx: Context, args: str) -> list[Reply]:
    """换班 @某人 12月5日 — ask another member to take my shift that day; they accept or decline."""
    parts = args.split(maxsplit=1)
    if len(parts) != 2:
        raise UsageError("swap")
    name, day_text = parts[0].lstrip("@"), parts[1]
    try:
        day = parse_when(day_text + " 0:00", ctx.now, ctx.tz).at.date()
    except WhenError as err:
        raise UsageError("swap", f"events.{err.code}") from err
    binding = ctx.need_binding()
    member = ctx.need_member()

    async def work(uow: UnitOfWork) -> tuple[int, MemberRec, ShiftSlot]:
        other = await named_member(uow, binding.region_id, name)
        if other.id == member.id:
            raise AppError("duty.swap_self")
        start = datetime.combine(day, time(0), tzinfo=ctx.tz)
        mine = [
            s for s in await uow.duty.of_member(member.id, start, start + timedelta(days=1)) if s.starts_at > uow.now
        ]
        if not mine:
            raise AppError("duty.no_shift_on", day=day)
        pending = await uow.duty.pending_swap(mine[0].assignment_id)
        if pending is not None:
            raise AppError("duty.swap_pending", name=pending[1], starts=ctx.local(mine[0].starts_at))
        swap_id = await uow.duty.ask_swap(mine[0].assignment_id, member.id, other.id, uow.now)
        # the asked member hears of it in their own branch's group too (where they are)
        here = (ctx.incoming.platform, ctx.incoming.chat_id)
        for chat in await uow.chats.chats_for(binding.region_id, other.branch_id, include_branch_chats=False):
            if (chat.platform, chat.chat_id) != here:
                await queue(uow, SWAP_ASKED, chat.platform, chat.chat_id, due=uow.now, payload=SwapPush(swap=swap_id))
        return swap_id, other, mine[0]

    swap_id, other, slot = await ctx.unit(work)
    return [
        ctx.reply(
            "duty.swap_asked",
            buttons=swap_buttons(ctx.locale, swap_id),
            asker=member.name,
            other=mention(other.id, other.name),
            starts=ctx.local(slot.starts_at),
            place=slot.place,
        )
    ]


def swap_buttons(locale: str, swap_id: int) -> tuple[Button, ...]:
    return (
        Button(str(render("duty.accept", locale)), f"swap_yes:{swap_id}"),
        Button(str(render("duty.decline", locale)), f"swap_no:{swap_id}"),
    )


async def _answer_swap(ctx: Context, data: str, accept: bool) -> list[Reply]:
    if not data.isdigit():
        return []
    member = ctx.need_member()

    async def work(uow: UnitOfWork) -> tuple[bool, Any]:
        swap = await uow.duty.swap(int(data))
        if swap is None:
            return False, None
        if swap[2] != member.id:
            raise AppError("duty.not_your_swap")
        if swap[3] != "pending":
            raise AppError("duty.swap_done")
        done = await uow.duty.decide_swap(int(data), accept, uow.now)
        if accept and done:
            taken = await uow.duty.slot(swap[0])
            assert taken is not None
            # the reminder goes to the new member's branch group too (the old one's names only its own)
            await queue_shift_pushes(uow, ctx.services.policy.grace_min, taken.shift_id)
            await uow.audit.record(
                actor=member.id,
                platform=ctx.incoming.platform,
                action="duty.swap",
                detail={"swap": int(data), "assignment": swap[0], "from": swap[1], "to": swap[2]},
                now=uow.now,
            )
        return done, await uow.duty.slot(swap[0])

    done, slot = await ctx.unit(work)
    if slot is None:
        return []
    if accept and not done:
        raise AppError("duty.swap_done")
    key = "duty.swap_accepted" if accept else "duty.swap_declined"
    return [ctx.reply(key, name=member.name, starts=ctx.local(slot.starts_at), place=slot.place)]


async def press_swap_yes(ctx: Context, data: str) -> list[Reply]:
    return await _answer_swap(ctx, data, True)


async def press_swap_no(ctx: Context, data: str) -> list[Reply]:
    return await _answer_swap(ctx, data, False)


async def swap_history(ctx: Context, args: str) -> list[Reply]:
    """换班记录 — the latest swap requests and how they ended, for admins (in a branch chat,
    those between that branch's members)."""
    binding = ctx.need_binding()
    ctx.need_manager(binding.region_id, None)
    rows = await ctx.read(lambda uow: uow.duty.swaps(binding.region_id, binding.branch_id))
    items = [
        {"asker": a, "asked": b, "starts": ctx.local(s), "place": p, "status": st, "at": ctx.local(at)}
        for a, b, s, p, st, at in rows
    ]
    return [ctx.reply("duty.swap_history", items=items)]


def missed_params(slots: list[ShiftSlot], tz: ZoneInfo) -> list[dict[str, Any]]:
    return [{"name": s.name, "place": s.place, "starts": s.starts_at.astimezone(tz)} for s in slots]


M, R = Level.MEMBER, Level.REGION


class ShiftPush(Payload):
    shift: int


class SwapPush(Payload):
    swap: int


async def _duty_push(ctx: PushContext[ShiftPush]) -> Reply | None:
    """A shift's reminder (its members of this chat's branch mentioned, all of them in a region
    chat) or, at its end + grace, who missed it and who never checked out (nothing if nobody)."""
    slots = await ctx.uow.duty.of_shift(ctx.payload.shift)
    if not slots:
        return None
    first, tz = slots[0], ctx.tz
    if ctx.row.purpose == "duty_reminder":
        here = [s for s in slots if ctx.chat.branch_id in (None, s.branch_id)]
        if not here:
            return None  # the shift changed hands to another branch's member
        names = Markup("、").join(mention(s.member_id, s.name) for s in here)
        starts, ends = first.starts_at.astimezone(tz), first.ends_at.astimezone(tz)
        return Reply(text=render("duty.reminder", ctx.locale, starts=starts, ends=ends, place=first.place, names=names))
    if ctx.row.purpose == "duty_backup":
        backup_id = await ctx.uow.duty.backup_of(ctx.payload.shift)
        backup = await ctx.uow.org.member(backup_id) if backup_id is not None else None
        if backup is None or any(s.checked_in_at is not None for s in slots) or ctx.now >= first.ends_at:
            return None  # someone came (or it is over): no call
        absent = "、".join(s.name for s in slots)
        starts, ends = first.starts_at.astimezone(tz), first.ends_at.astimezone(tz)
        text = render(
            "duty.backup_call",
            ctx.locale,
            starts=starts,
            ends=ends,
            place=first.place,
            names=absent,
            backup=mention(backup.id, backup.name),
        )
        return Reply(text=text)
    missed = [s for s in slots if s.checked_in_at is None and s.ends_at <= ctx.now]
    # due at the end + grace: whoever is still on is closed as 未签退
    unsigned = [s for s in slots if s.checked_in_at is not None and s.checked_out_at is None]
    if not missed and not unsigned:
        return None
    items, open_ = missed_params(missed, tz), missed_params(unsigned, tz)
    return Reply(text=render("duty.missed", ctx.locale, items=items, unsigned=open_))


async def _swap_push(ctx: PushContext[SwapPush]) -> Reply | None:
    """A swap request, in the asked member's branch group, with the buttons (while it is open)."""
    swap = await ctx.uow.duty.swap(ctx.payload.swap)
    if swap is None or swap[3] != "pending":
        return None
    slot = await ctx.uow.duty.slot(swap[0])
    asker, other = await ctx.uow.org.member(swap[1]), await ctx.uow.org.member(swap[2])
    if slot is None or asker is None or other is None:
        return None
    text = render(
        "duty.swap_asked",
        ctx.locale,
        asker=asker.name,
        other=mention(other.id, other.name),
        starts=slot.starts_at.astimezone(ctx.tz),
        place=slot.place,
    )
    return Reply(text=text, buttons=swap_buttons(ctx.locale, ctx.payload.swap))


REMINDER = PushKind(
    "duty_reminder",
    ShiftPush,
    _duty_push,
    lambda p: f"duty:{p.shift}:duty_reminder",
    label=("值班提醒", "duty reminder"),
)
MISSED = PushKind(
    "duty_missed",
    ShiftPush,
    _duty_push,
    lambda p: f"duty:{p.shift}:duty_missed",
    label=("漏岗提醒", "missed shift notice"),
)
BACKUP = PushKind(
    "duty_backup", ShiftPush, _duty_push, lambda p: f"duty:{p.shift}:duty_backup", label=("备岗通知", "backup call")
)
SWAP_ASKED = PushKind(
    "swap_asked", SwapPush, _swap_push, lambda p: f"swap:{p.swap}", label=("换班请求", "shift swap request")
)
PUSHES: list[PushKind[Any]] = [REMINDER, MISSED, BACKUP, SWAP_ASKED]

COMMANDS = [
    Command("duty", ("值班表",), rota, "duty.usage_duty", "duty.help_duty", access=M, reads=True),
    Command("duty_log", ("值班日志",), duty_log, "duty.usage_duty_log", "duty.help_duty_log", access=M),
    Command("checkin", ("上岗", "值班打卡"), check_in, "duty.usage_checkin", "duty.help_checkin", access=M),
    Command("checkout", ("下岗",), check_out, "duty.usage_checkout", None, access=M),
    Command("swap", ("换班",), ask_swap, "duty.usage_swap", "duty.help_swap", access=M),
    Command("duty_add", ("添加值班",), add_shift, "duty.usage_duty_add", None, access=R),
    Command("swaps", ("换班记录",), swap_history, "duty.usage_swaps", None, access=R),
]
BUTTONS = [Press("swap_yes", press_swap_yes, M), Press("swap_no", press_swap_no, M)]


PHRASES = [
    Phrase(
        r"(?:今天|明天|这周|本周)?谁(?:在)?(?:值班|在岗|值守)|"
        + SEE
        + r"(?:今天|明天|本周|这周)?的?(?:值班|排班)(?:表|安排|情况)?"
        r"|值班(?:安排|情况)|排班表?",
        "值班表",
    ),
    Phrase(
        r"(?:下周|下星期)谁?(?:值班|排班)(?:表|安排)?|" + SEE + r"下周的?(?:值班|排班)(?:表|安排)?", "值班表", "下周"
    ),
    Phrase(r"我?(?:到岗了?|上岗了?|值班打卡|打卡上岗|来值班了?|开始值班)", "上岗", anyone=True),
    Phrase(r"我?(?:下班了?|下岗了?|值班结束了?|签退|打卡下班)", "下岗", anyone=True),
]

FEATURE = Feature("duty", topic="duty", commands=COMMANDS, buttons=BUTTONS, pushes=PUSHES, phrases=PHRASES)
