"""Sign-in (签到) with late marks, leave (请假), remote sign-in (远程签到), make-up (补签) and 考勤."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from markupsafe import Markup

from handlers.core.access import Level, Node, refusal
from handlers.core.context import Context, Duplicate
from handlers.core.errors import AppError, UsageError
from handlers.core.event_ref import parse_event_ref, visible_in
from handlers.core.expected import expected_filter
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.intent import SEE, Phrase
from handlers.core.mentions import mention
from handlers.core.names import named_member
from handlers.core.ports import Button, Reply
from handlers.core.router import Command, Press
from storage.records import ATTENDED, AttendanceRec, BindingRec, EventRec, MemberRec, rate_of
from storage.signin_write import ALREADY, DUPLICATE, RECORDED, SignInOutcome, SignInWrite
from storage.uow import UnitOfWork

MAX_REASON = 500
MAX_MAKEUP = 100  # names in one 补签


async def _events_here(ctx: Context) -> list[EventRec]:
    binding = ctx.need_binding()
    events = await ctx.services.directory.active_events(binding.region_id, binding.branch_id, ctx.now)
    return [e for e in events if visible_in(e, binding)]


def _may_attend(member: MemberRec, event: EventRec) -> bool:
    if member.region_id != event.region_id:
        return False
    return event.branch_id is None or member.branch_id in event.branches


def _scope(event: EventRec, chat_branch: int | None) -> int | None:
    """Whose members a chat names for an event: a branch chat its own (of the region's event, or
    of a joint event it takes part in), else the event's branch."""
    return chat_branch if event.branch_id is None or chat_branch in event.partners else event.branch_id


async def _open_events(ctx: Context, member: MemberRec, event_id: int | None = None) -> list[EventRec]:
    """The events of this chat whose sign-in window is open and the member may attend (or the one
    named by its number), nearest start first."""
    events = [e for e in await _events_here(ctx) if event_id is None or e.id == event_id]
    mine = [e for e in events if _may_attend(member, e)]
    open_now = [e for e in mine if e.window_open(ctx.now)]
    if open_now:
        return sorted(open_now, key=lambda e: abs((e.starts_at - ctx.now).total_seconds()))
    if events and not mine:
        raise AppError("signin.not_your_event")
    upcoming = [e for e in mine if e.opens_at > ctx.now]
    if upcoming:
        first = upcoming[0]
        raise AppError("signin.not_yet", kind=first.kind, opens=ctx.local(first.opens_at))
    raise AppError("signin.no_open_event")


def _choose(member: MemberRec, events: list[EventRec]) -> EventRec | None:
    """Of several open events, the one the member is expected at; None when that is not one."""
    if len(events) == 1:
        return events[0]
    expected = [e for e in events if member.role in expected_filter(e.kind)]
    return expected[0] if len(expected) == 1 else None


def _which(ctx: Context, events: list[EventRec], private: bool) -> Reply:
    """Several events are open and none is the member's own: ask which, with a button each."""
    buttons = tuple(Button(str(ctx.t("signin.button_for", kind=e.kind, id=e.id)), f"signin:{e.id}") for e in events)
    items = [{"e": e, "starts": ctx.local(e.starts_at)} for e in events]
    return ctx.reply("signin.which", buttons=buttons, private=private, items=items)


CLOSED_MEETINGS = ("secretary_meeting", "committee")  # meetings of office-holders: others sit in (列席)


def sits_in(member: MemberRec, event: EventRec) -> bool:
    """A member who comes to a meeting of office-holders without holding the office: listed as
    列席, earning no sign-in points."""
    return event.kind in CLOSED_MEETINGS and member.role not in expected_filter(event.kind)


async def _write(
    ctx: Context, event: EventRec, member: MemberRec, status: str, *, part: str | None = None, **extra: Any
) -> SignInOutcome:
    """Record one member's status; `part` names this write among several of one message (each
    is then a redelivery of its own: nothing twice, the same answer)."""
    inc = ctx.incoming
    update_key = f"{inc.update_id}#{part}" if part and inc.update_id else inc.update_id
    points = await ctx.points_for(f"signin_{status}", event.region_id) if status in ATTENDED else 0
    if sits_in(member, event):
        points = 0
    cap = ctx.services.policy.point_caps.get(event.kind)
    if points and cap is not None:  # e.g. Party lessons earn at most 12 points a year
        year = ctx.local(ctx.now).replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        used = await ctx.read(lambda uow: uow.points.earned_for(member.id, f"signin:%:{event.kind}", year))
        points = max(0, min(points, cap - used))
    outcome = await ctx.services.db.batch(
        SignInWrite(
            inc.platform,
            update_key,
            event.id,
            member.id,
            status,
            ctx.now,
            points=points,
            kind=event.kind,
            expected=tuple(expected_filter(event.kind)),
            count_branch=_chat_branch(ctx, event),
            **extra,
        )
    )
    ctx.claimed = ctx.rederivable = True
    if outcome.outcome == DUPLICATE:
        # the same update came again (a webhook retried, a callback redelivered): nothing changes,
        # and the answer is what the first delivery recorded
        stored = await ctx.read(lambda uow: uow.attendance.status_of(event.id, member.id))
        if stored is None:
            raise Duplicate()
        return SignInOutcome(RECORDED, stored)
    return outcome


def board_key(event_id: int) -> str:
    """The edit key of an event's sign-in board (the window-opening message, kept up to date)."""
    return f"board:{event_id}"


def _chat_branch(ctx: Context, event: EventRec) -> int | None:
    """The branch whose members this chat expects at a region-wide event (its branch's group)."""
    if event.branch_id is not None or event.group_id is not None or ctx.binding is None:
        return None
    return ctx.binding.branch_id


async def _completes(ctx: Context, event: EventRec, outcome: SignInOutcome) -> bool:
    """Whether this sign-in gave the last member expected in this chat a record (of a region-wide
    event in a branch's group, the last of that branch): nobody else is coming here, so the chat's
    confirmations may go out before those of chats still filling up."""
    expected = await ctx.services.directory.expected(event, expected_filter(event.kind), _chat_branch(ctx, event))
    return bool(outcome.recorded) and outcome.recorded >= expected


def _answer(
    ctx: Context,
    outcome: SignInOutcome,
    member: MemberRec,
    event: EventRec,
    private: bool,
    completes: bool = False,
    named: bool = False,
) -> Reply:
    """The confirmation; `named`: several events are open here, so it says which one."""
    which = {"kind": event.kind, "id": event.id} if named else None
    if outcome.outcome == ALREADY:
        return ctx.reply(
            "signin.already", private=private, coalesce=True, name=member.name, status=outcome.status, which=which
        )
    return ctx.reply(
        "signin.ok",
        private=private,
        coalesce=True,
        settles=completes,
        refresh=board_key(event.id),
        name=mention(member.id, member.name),
        status=outcome.status,
        kind=event.kind,
        guest=sits_in(member, event),
        which=which,
    )


async def _sign(
    ctx: Context, member: MemberRec, status_of: Callable[[EventRec], str], event_id: int | None, private: bool
) -> list[Reply]:
    """Sign the member in to the open event (the numbered one; of several, the one they are
    expected at, else they are asked which)."""
    events = await _open_events(ctx, member, event_id)
    several = len(events) > 1
    if several:  # of several, not one already signed in to (nor asked about again)

        async def unsigned(uow: UnitOfWork) -> list[EventRec]:
            return [e for e in events if await uow.attendance.status_of(e.id, member.id) is None]

        events = await ctx.read(unsigned) or events
    event = _choose(member, events)
    if event is None:
        return [_which(ctx, events, private)]
    if (
        event_id is None
        and sits_in(member, event)
        and await ctx.read(lambda uow: uow.attendance.status_of(event.id, member.id)) is None
    ):  # not theirs: 列席 only when they say so
        button = Button(str(ctx.t("signin.sit_in_button")), f"signin:{event.id}")
        return [ctx.reply("signin.sit_in_ask", buttons=(button,), private=True, kind=event.kind, id=event.id)]
    outcome = await _write(ctx, event, member, status_of(event))
    named = len(await _open_events(ctx, member)) > 1 if event_id is not None else several
    return [_answer(ctx, outcome, member, event, private, await _completes(ctx, event, outcome), named)]


async def sign_in(ctx: Context, args: str, *, event_id: int | None = None, private: bool = False) -> list[Reply]:
    """签到 [#编号] — sign in to the event open in this chat; after start + grace it counts as late."""
    member = ctx.need_member()
    if event_id is None and args:
        event_id, _ = parse_event_ref(args)
    return await _sign(ctx, member, lambda e: "late" if ctx.now > e.late_after else "on_time", event_id, private)


async def press_signin(ctx: Context, arg: str) -> list[Reply]:
    """The sign-in button under a sign-in message: answered privately (a toast where possible)."""
    try:
        event_id = int(arg)
    except ValueError:
        return []
    return await sign_in(ctx, "", event_id=event_id, private=True)


async def remote(ctx: Context, args: str) -> list[Reply]:
    """远程签到 [#编号] — a mobile member (流动党员) signs in from elsewhere."""
    member = ctx.need_member()
    if not member.is_mobile:
        raise AppError("signin.not_mobile")
    event_id, _ = parse_event_ref(args)
    return await _sign(ctx, member, lambda e: "remote", event_id, False)


async def leave(ctx: Context, args: str) -> list[Reply]:
    """请假 原因 — ask for leave from the next event before it starts."""
    member = ctx.need_member()
    event_id, reason = parse_event_ref(args)
    if not reason:
        raise UsageError("leave", "signin.leave_needs_reason")
    if len(reason) > MAX_REASON:
        raise UsageError("leave", "common.too_long", limit=MAX_REASON)
    events = await _attendable(ctx, member, event_id)
    upcoming = [e for e in events if e.starts_at > ctx.now]
    if not upcoming:
        if events:
            raise AppError("signin.leave_too_late")
        raise AppError("signin.no_upcoming_event")
    event = _nearest_expected(member, upcoming)
    outcome = await _write(ctx, event, member, "leave", reason=reason)
    if outcome.outcome == ALREADY and outcome.status != "leave":
        return [ctx.reply("signin.already", name=member.name, status=outcome.status)]
    return [
        ctx.reply(
            "signin.leave_ok",
            coalesce=True,
            refresh=board_key(event.id),
            name=member.name,
            kind=event.kind,
            starts=ctx.local(event.starts_at),
            reason=reason,
            again=outcome.outcome == ALREADY,
        )
    ]


async def _attendable(ctx: Context, member: MemberRec, event_id: int | None) -> list[EventRec]:
    """This chat's events the member may attend (the one numbered, if a number was given)."""
    return [e for e in await _events_here(ctx) if _may_attend(member, e) and event_id in (None, e.id)]


def _nearest_expected(member: MemberRec, events: list[EventRec]) -> EventRec:
    """The soonest of the events the member is expected at (the one just reminded), else the soonest."""
    return min(events, key=lambda e: (member.role not in expected_filter(e.kind), e.starts_at))


async def cancel_leave(ctx: Context, args: str) -> list[Reply]:
    """取消请假 [#编号] / 销假 — withdraw one's leave from an event that has not started."""
    member = ctx.need_member()
    event_id, _ = parse_event_ref(args)
    events = [e for e in await _attendable(ctx, member, event_id) if e.starts_at > ctx.now]
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> EventRec | None:
        for event in sorted(events, key=lambda e: e.starts_at):
            if await uow.attendance.status_of(event.id, member.id) == "leave":
                await uow.attendance.remove(event.id, member.id, absent_at=None)
                detail = {"event": event.id, "member": member.id}
                await uow.audit.record(
                    actor=member.id, platform=inc.platform, action="leave.withdraw", detail=detail, now=uow.now
                )
                return event
        return None

    event = await ctx.unit(work)
    if event is None:
        raise AppError("signin.no_leave")
    starts = ctx.local(event.starts_at)
    return [
        ctx.reply(
            "signin.leave_withdrawn",
            coalesce=True,
            refresh=board_key(event.id),
            name=member.name,
            kind=event.kind,
            starts=starts,
        )
    ]


async def makeup(ctx: Context, args: str) -> list[Reply]:
    """补签 [#编号] 姓名… — an admin records members' attendance afterwards, with who did it
    (several names at once: a meeting recorded with 补录 gets its attendance this way)."""
    binding = ctx.need_binding()
    event_id, text = parse_event_ref(args)
    names = list(dict.fromkeys(n.lstrip("@") for n in re.split(r"[\s、，,]+", text) if n.lstrip("@")))
    if not names or len(names) > MAX_MAKEUP or any(len(n) > 50 for n in names):
        raise UsageError("makeup")
    admin = ctx.need_member()
    event = await _recent_event(ctx, event_id)
    scope = _scope(event, binding.branch_id)  # a branch chat names its own members
    ctx.need_manager(event.region_id, scope)
    if event.status == "cancelled":
        raise AppError("signin.makeup_cancelled", id=event.id)
    if ctx.now < event.starts_at:  # nobody can have come to what has not begun
        raise AppError("signin.makeup_too_early", id=event.id, kind=event.kind, starts=ctx.local(event.starts_at))
    if len(names) == 1:
        target = await ctx.read(lambda uow: named_member(uow, event.region_id, names[0], scope))
        ctx.need_manager_of(target, own=True)
        outcome = await _write(ctx, event, target, "makeup", recorded_by=admin.id)
        if outcome.outcome == ALREADY:
            return [ctx.reply("signin.already", name=target.name, status=outcome.status)]
        return [
            ctx.reply(
                "signin.makeup_ok",
                refresh=board_key(event.id),
                name=mention(target.id, target.name),
                by=admin.name,
                kind=event.kind,
                own=target.id == admin.id,
            )
        ]
    done: list[str] = []
    already: list[str] = []
    refused: list[Markup] = []
    for name in names:

        async def find(uow: UnitOfWork, name: str = name) -> MemberRec:
            return await named_member(uow, event.region_id, name, scope)

        try:
            target = await ctx.read(find)
            ctx.need_manager_of(target, own=True)
        except AppError as err:
            refused.append(ctx.t(err.template, **err.params))
            continue
        outcome = await _write(ctx, event, target, "makeup", recorded_by=admin.id, part=str(target.id))
        (already if outcome.outcome == ALREADY else done).append(target.name)
    return [
        ctx.reply(
            "signin.makeup_many",
            refresh=board_key(event.id),
            id=event.id,
            kind=event.kind,
            by=admin.name,
            done=done,
            already=already,
            refused=refused,
        )
    ]


async def undo_makeup(ctx: Context, args: str) -> list[Reply]:
    """撤销补签 [#编号] 姓名 — take back a make-up sign-in; its points are reversed with it."""
    binding = ctx.need_binding()
    event_id, name = parse_event_ref(args)
    if not name or len(name) > 50:
        raise UsageError("undo_makeup")
    admin = ctx.need_member()
    event = await _recent_event(ctx, event_id)
    scope = _scope(event, binding.branch_id)
    ctx.need_manager(event.region_id, scope)

    async def work(uow: UnitOfWork) -> tuple[MemberRec, int]:
        target = await named_member(uow, event.region_id, name, scope)
        ctx.need_manager_of(target, own=True)
        if await uow.attendance.status_of(event.id, target.id) != "makeup":
            raise AppError("signin.no_makeup", name=name)
        closed = event.status == "closed" or event.closes_at <= uow.now
        await uow.attendance.remove(event.id, target.id, absent_at=uow.now if closed else None)
        reversed_points = await uow.points.reverse(
            f"signin:{event.id}:{target.id}", reason="signin:undone", operator=admin.id, now=uow.now
        )
        await uow.audit.record(
            actor=admin.id,
            platform=ctx.incoming.platform,
            action="signin.undo_makeup",
            detail={"event": event.id, "member": target.id, "points": reversed_points},
            now=uow.now,
        )
        return target, reversed_points

    target, points = await ctx.unit(work)
    return [
        ctx.reply(
            "signin.makeup_undone",
            refresh=board_key(event.id),
            name=mention(target.id, target.name),
            kind=event.kind,
            points=points,
        )
    ]


def _sees_branches(ctx: Context, binding: BindingRec) -> bool:
    """In its region's own chat, a region manager sees every branch's events too."""
    node = Node(binding.region_id, None)
    return binding.branch_id is None and refusal(ctx.member, Level.REGION, node) is None


async def _recent_event(ctx: Context, event_id: int | None, branch_name: str = "") -> EventRec:
    """The event named by number, else the open one, else the latest one that has started (of the
    named branch, asked in the region's chat by a region manager)."""
    binding = ctx.need_binding()
    if event_id is not None:
        event = await ctx.read(lambda uow: uow.events.get(event_id))
        seen = event is not None and (
            visible_in(event, binding) or (event.region_id == binding.region_id and _sees_branches(ctx, binding))
        )
        if event is None or not seen or event.status == "cancelled":
            raise AppError("events.not_found", id=event_id)
        return event
    branch_id, named = binding.branch_id, False
    if branch_name and _sees_branches(ctx, binding):
        found = [
            b
            for b in await ctx.read(lambda uow: uow.org.find_branches(branch_name))
            if b.region_id == binding.region_id
        ]
        if not found:
            raise AppError("signin.no_such_branch", name=branch_name)
        branch_id, named = found[0].id, True
    recent = await ctx.read(lambda uow: uow.events.recent_for_node(binding.region_id, branch_id, 10))
    if named:  # that branch's own meeting, not the region's
        candidates = [e for e in recent if e.branch_id == branch_id]
    else:
        candidates = [
            e for e in recent if visible_in(e, binding) or (branch_id is not None and e.branch_id == branch_id)
        ]
    started = [e for e in candidates if e.opens_at <= ctx.now]
    if started:
        return started[0]
    raise AppError("signin.no_event_yet")


@dataclass(frozen=True)
class Summary:
    event: EventRec
    expected: list[MemberRec]
    on_time: list[AttendanceRec]
    late: list[AttendanceRec]
    remote: list[AttendanceRec]
    makeup: list[AttendanceRec]
    leave: list[AttendanceRec]
    absent: list[MemberRec]
    guests: list[AttendanceRec]  # attended but not expected, e.g. activists (列席)
    whole: tuple[int, int] | None = None  # (expected, present) of the region, when this is one branch's view

    @property
    def present(self) -> int:
        """Expected members who came (those not expected are guests, listed apart)."""
        return len(self.on_time) + len(self.late) + len(self.remote) + len(self.makeup)

    @property
    def rate(self) -> int | None:
        """出席率 in percent; None when nobody was expected, or all expected were on leave."""
        return rate_of(len(self.expected), self.present, len(self.leave))


async def build_summary(
    uow: UnitOfWork, event: EventRec, branch_id: int | None = None, *, with_whole: bool = True
) -> Summary:
    """应到 / 实到 / 迟到 / 请假 / 缺席 for an event, from the roster and attendance rows. Seen from
    a chat of one branch (`branch_id`), a region-wide event shows that branch's members by name
    and the region only as counts (unless `with_whole` is False: a page that shows them already):
    a group sees only the names its members may see. Members
    transferred since the event began count where they were then (as the ledger counts them)."""
    roles = expected_filter(event.kind)
    view = branch_id if event.branch_id is None else None
    then = await uow.transfers.moved_since(event.region_id, event.starts_at)
    if view is not None:  # one branch's members of a region-wide event: their rows only
        members, rows = await uow.attendance.of_branch(event.id, event.region_id, view)
        if then:
            back = await _there_then(uow, then, view)
            members = _as_then(members, then, back)
            rows = [r for r in rows if r.member_id not in then] + await uow.attendance.rows_of(event.id, back)
            rows.sort(key=lambda r: r.recorded_at)
    else:
        members = []
        for branch_id in event.branches or (None,):  # a joint event: each side's members
            found = await uow.org.members_of(event.region_id, branch_id)
            if then:
                found = _as_then(found, then, await _there_then(uow, then, branch_id))
            members += found
        rows = await uow.attendance.for_event(event.id, {m.id: m for m in members})
    expected = [m for m in members if m.role in roles]
    if event.group_id is not None:  # a Party group's meeting: its members only (guests are guests)
        in_group = {g.member_id for g in await uow.groups.members(event.group_id) if not g.guest}
        expected = [m for m in expected if m.id in in_group]
    whole = None
    if view is not None and with_whole:
        whole = await uow.attendance.totals(event.id, event.region_id, roles)
        for m, status in await _movers_marks(uow, event, then, roles):
            if (then[m.id] is None) == m.active:  # the region's roll then: who came in since out, who left since in
                sign = -1 if m.active else 1
                whole = (whole[0] + sign, whole[1] + sign * (status in ATTENDED))
    return _summary(event, expected, rows, whole)


async def _there_then(uow: UnitOfWork, then: dict[int, int | None], branch_id: int | None) -> list[MemberRec]:
    """The members transferred since who were then in this branch (None: in any branch of the
    region), as they were then: of that branch, members (one transferred out of the region since
    is no longer active now)."""
    ids = [m for m, b in then.items() if b is not None and branch_id in (None, b)]
    return [replace(m, branch_id=then[m.id] or 0, active=True) for m in await uow.org.members_by_ids(ids)]


async def _movers_marks(
    uow: UnitOfWork, event: EventRec, then: dict[int, int | None], roles: Sequence[str]
) -> list[tuple[MemberRec, str | None]]:
    """The members transferred since the event began, of the roles it expects, each with their
    mark there (None: none)."""
    if not then:
        return []
    movers = [m for m in await uow.org.members_by_ids(list(then)) if m.role in roles]
    marks = {r.member_id: r.status for r in await uow.attendance.rows_of(event.id, movers)}
    return [(m, marks.get(m.id)) for m in movers]


def _as_then(members: list[MemberRec], then: dict[int, int | None], back: list[MemberRec]) -> list[MemberRec]:
    """A roll read now, as it stood then: those who moved since leave it, those who were there come back."""
    return sorted([m for m in members if m.id not in then] + back, key=lambda m: m.id)


def _summary(
    event: EventRec, expected: list[MemberRec], rows: list[AttendanceRec], whole: tuple[int, int] | None = None
) -> Summary:
    by_status: dict[str, list[AttendanceRec]] = {}
    expected_ids = {m.id for m in expected}
    guests = []
    for a in rows:
        if a.member_id not in expected_ids and a.status in ATTENDED:
            guests.append(a)
            continue
        by_status.setdefault(a.status, []).append(a)
    seen = {a.member_id for a in rows if a.status != "absent"}
    absent = [m for m in expected if m.id not in seen]
    return Summary(
        event,
        expected,
        by_status.get("on_time", []),
        by_status.get("late", []),
        by_status.get("remote", []),
        by_status.get("makeup", []),
        by_status.get("leave", []),
        absent,
        guests,
        whole,
    )


FOLD_OVER = 300  # a region-wide event expecting more than this is shown branch by branch, names folded
BRANCHES_PER_PAGE = 25


@dataclass(frozen=True, slots=True)
class BranchLine:
    """One branch's counts at a region-wide event."""

    branch_id: int
    name: str
    expected: int
    present: int
    late: int
    leave: int
    absent: int  # expected and neither signed in nor on leave

    @property
    def rate(self) -> int | None:
        return rate_of(self.expected, self.present, self.leave)


@dataclass(frozen=True, slots=True)
class Breakdown:
    """A region-wide event branch by branch: every branch's counts, a page of them shown, and the
    names of the one branch opened."""

    whole: BranchLine
    lines: list[BranchLine]  # this page's
    page: int
    pages: int
    opened: Summary | None  # the opened branch's members, by name
    opened_id: int | None


BranchCounts = dict[int, tuple[str, int, int, int, int, int]]  # branch -> name, expected, present, late, leave, seen


async def branch_counts(uow: UnitOfWork, event: EventRec) -> BranchCounts:
    """A region-wide event's counts per branch, in one grouped query whatever the region's size;
    the members transferred since it began counted in the branch they were in then."""
    roles = expected_filter(event.kind)
    counts = await uow.attendance.counts_by_branch(event.id, event.region_id, roles)
    then = await uow.transfers.moved_since(event.region_id, event.starts_at)
    if not then:
        return counts
    names = {b.id: b.name for b in await uow.org.branches(event.region_id)}
    out: dict[int, list[int]] = {b: list(c[1:]) for b, c in counts.items()}
    for m, status in await _movers_marks(uow, event, then, roles):
        one = (1, status in ATTENDED, status == "late", status == "leave", status not in (None, "absent"))
        for branch, sign in ((m.branch_id if m.active else None, -1), (then[m.id], 1)):
            if branch is not None:
                line = out.setdefault(branch, [0] * 5)
                for i, n in enumerate(one):
                    line[i] += sign * n
    return {b: (names.get(b, "?"), c[0], c[1], c[2], c[3], c[4]) for b, c in sorted(out.items()) if c[0] > 0}


async def branch_breakdown(
    uow: UnitOfWork, event: EventRec, counts: BranchCounts, page: int = 1, opened: int | None = None,
    per_page: int = BRANCHES_PER_PAGE,
) -> Breakdown:  # fmt: skip
    """Every branch's line from its counts; names read only for the branch opened, whose page is shown."""
    lines = [
        BranchLine(branch_id, name, n, present, late, leave, n - seen)
        for branch_id, (name, n, present, late, leave, seen) in counts.items()
    ]
    whole = BranchLine(
        0, "", *(sum(getattr(line, f) for line in lines) for f in ("expected", "present", "late", "leave", "absent"))
    )
    at = next((i for i, line in enumerate(lines) if line.branch_id == opened), None)
    pages = max(1, -(-len(lines) // per_page))
    page = at // per_page + 1 if at is not None else min(max(page, 1), pages)
    summary = None
    if at is not None and opened is not None:
        summary = await build_summary(uow, event, opened, with_whole=False)
    shown = lines[(page - 1) * per_page : page * per_page]
    return Breakdown(whole, shown, page, pages, summary, opened if at is not None else None)


def summary_params(ctx_local: Any, s: Summary) -> dict[str, Any]:
    return {"s": s, "starts": ctx_local(s.event.starts_at)}


@dataclass(frozen=True)
class FarSide:
    """The other side of a joint event held with another region's branch, as counts (its names
    are that region's): its copy's, or its host's."""

    label: str  # 城西联合党委 西郊党支部
    expected: int
    present: int


async def far_sides(uow: UnitOfWork, event: EventRec) -> list[FarSide]:
    """A joint event across regions: how the other side stands (each region counts its own)."""
    if event.branch_id is None:
        return []
    others = [await uow.events.get(event.joint_of)] if event.joint_of is not None else await uow.events.copies(event.id)
    found = []
    for other in others:
        if other is None or other.branch_id is None or other.status == "cancelled":
            continue
        summary = await build_summary(uow, other, with_whole=False)
        region, branch = await uow.org.region(other.region_id), await uow.org.branch(other.branch_id)
        found.append(FarSide(f"{region.name} {branch.name}", len(summary.expected), summary.present))
    return found


async def attendance(ctx: Context, args: str) -> list[Reply]:
    """考勤 — the attendance summary of the open or latest event in this chat."""
    event_id, rest = parse_event_ref(args)
    event = await _recent_event(ctx, event_id, rest.strip())
    branch_id = ctx.need_binding().branch_id

    async def read(uow: UnitOfWork) -> tuple[Summary, list[FarSide]]:
        return await build_summary(uow, event, branch_id), await far_sides(uow, event)

    summary, far = await ctx.read(read)
    upcoming = ctx.now < event.starts_at  # nobody is absent yet: who has not signed in is listed as such
    return [ctx.reply("signin.summary", upcoming=upcoming, far=far, **summary_params(ctx.local, summary))]


def signin_buttons(locale: str, event_id: int) -> tuple[Button, ...]:
    return (Button(str(render("signin.button", locale)), f"signin:{event_id}"),)


async def render_board(uow: UnitOfWork, event: EventRec, locale: str, tz: Any, branch_id: int | None = None) -> Reply:
    """The sign-in board: the event, its window, and who has signed in so far, with the button
    (in a chat of one branch: that branch's names)."""
    summary = await build_summary(uow, event, branch_id)
    return Reply(
        text=render(
            "signin.open",
            locale,
            e=event,
            starts=event.starts_at.astimezone(tz),
            closes=event.closes_at.astimezone(tz),
            late=event.late_after.astimezone(tz),
            s=summary,
        ),
        buttons=signin_buttons(locale, event.id) if event.status == "scheduled" else (),
        edit_key=board_key(event.id),
    )


async def board_edit(uow: UnitOfWork, ref: str, binding: BindingRec | None, locale: str, tz: Any) -> Reply | None:
    """The board an edit key "board:<event>" stands for, as it should read now in that chat."""
    event = await uow.events.get(int(ref)) if ref.isdigit() else None
    if event is None:
        return None
    return await render_board(uow, event, locale, tz, binding.branch_id if binding else None)


M, B = Level.MEMBER, Level.BRANCH
EDITS = {"board": board_edit}  # messages kept up to date in place, by edit key prefix
COMMANDS = [
    Command("signin", ("签到",), sign_in, "signin.usage_signin", "signin.help_signin", access=M),
    Command("remote", ("远程签到",), remote, "signin.usage_remote", "signin.help_remote", access=M),
    Command("leave", ("请假",), leave, "signin.usage_leave", "signin.help_leave", access=M, topic="leave"),
    Command(
        "cancel_leave",
        ("取消请假", "销假"),
        cancel_leave,
        "signin.usage_cancel_leave",
        "signin.help_cancel_leave",
        access=M,
        topic="leave",
    ),
    Command(
        "attendance", ("考勤",), attendance, "signin.usage_attendance", "signin.help_attendance", access=M, reads=True
    ),
    Command("makeup", ("补签",), makeup, "signin.usage_makeup", "signin.help_makeup", access=B),
    Command("undo_makeup", ("撤销补签",), undo_makeup, "signin.usage_undo_makeup", None, access=B),
]
BUTTONS = [Press("signin", press_signin, M)]


PHRASES = [
    Phrase(
        r"(?:谁|哪些人|有谁|哪几个人?)(?:还)?(?:没|没有|未)(?:来|到|签到|签)(?:的人)?|签到(?:情况|统计|结果|名单)"
        r"|" + SEE + r"(?:考勤|签到|出勤)(?:情况|统计|结果|表|率)?|到会(?:情况|人数)|(?:来了|到了)(?:多少|几个)人?",
        "考勤",
    ),
    Phrase(r"我?(?:签个到|签到|要签到|来签到|签一下到)", "签到", anyone=True),
    Phrase(r"我?(?:要|想)?(?:请个假|请假)(?:[\s,:，：]+(?P<text>.+))?", "请假", "{text}", anyone=True),
    Phrase(r"我?(?:销假|取消请假|不请假了)", "销假", anyone=True),
]

FEATURE = Feature("signin", topic="events", commands=COMMANDS, buttons=BUTTONS, edits=EDITS, phrases=PHRASES)
