"""Party groups (党小组) and self-organized groups (自主党小组).

A branch secretary sets up the branch's Party groups ("建立党小组 名称 组长 成员…", or the roster's
党小组 column); a member is in at most one of them. A member may apply for a self-organized group
("申请党小组 名称 目标"), which the branch secretary (or the region) approves with a button; members
join by button or 加入党小组, 3 to 15 of them (activists join as guests, not counted). Either kind
may elect its leader (选组长: a button per member, one vote each, until the deadline; the result
announced with the appointment text, 聘书), keeps a yearly plan whose items members claim (申领 #n)
and the leader marks done (points to the claimer), and a monthly report from the leader (小组汇报,
asked on the 1st). A group that has held nothing for 5 months is warned; after 6 months, or with
fewer than 3 members, its dissolution is proposed to the approver, who confirms with a button. A
党小组会 (or any event) published with 小组：名称 expects that group's members only.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.core.access import Level
from handlers.core.context import Context, Services
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.mentions import mention
from handlers.core.names import named_member
from handlers.core.outbox import Moment, Payload, PushContext, PushKind, queue
from handlers.core.ports import Button, Reply
from handlers.core.router import Command, Press
from handlers.core.timeparse import numbered
from handlers.monthly import reported_month
from storage import limits
from storage.records import MemberRec
from storage.repos.groups import GroupMemberRec, GroupRec, PlanItemRec
from storage.uow import UnitOfWork

MIN_SIZE, MAX_SIZE = 3, 15  # a self-organized group's members (guests not counted)
WARN_MONTHS, DISSOLVE_MONTHS = 5, 6
VOTE_DAYS = 3  # an election stays open this long unless told otherwise
VOTE_CLOSES_AT = time(18, 0)  # a vote closes at 18:00 on its last day, not at the minute it was opened
MAX_NAME, MAX_TEXT = 30, 500
STEP_HOUR = 9
_NAME = re.compile(rf"^[^\s#＃]{{1,{MAX_NAME}}}$")


def _check_name(name: str, usage: str) -> str:
    if not _NAME.match(name) or limits.unreadable(name):  # no zero-width twin of another group's name
        raise UsageError(usage)
    return name


async def _group(uow: UnitOfWork, region_id: int, name: str, *statuses: str) -> GroupRec:
    group = await uow.groups.named(region_id, name)
    if group is None or (statuses and group.status not in statuses):
        raise AppError("groups.no_group", name=name)
    return group


def _name_arg(args: str, usage: str) -> str:
    name = args.strip()
    if not name:
        raise UsageError(usage)
    return name


def _counted(members: list[GroupMemberRec]) -> int:
    return sum(1 for m in members if not m.guest)


# -- setting groups up -------------------------------------------------------------------------
async def create_group(ctx: Context, args: str) -> list[Reply]:
    """建立党小组 名称 组长 [成员…] — a branch's Party group (its secretary, in the branch chat)."""
    words = args.split()
    if len(words) < 2:
        raise UsageError("group_create")
    name = _check_name(words[0], "group_create")
    node = ctx.need_node()
    if node.branch_id is None:
        raise AppError("groups.branch_only")
    secretary = ctx.need_manager(node.region_id, node.branch_id)
    names = list(dict.fromkeys(words[1:]))
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> list[str]:
        if await uow.groups.named(node.region_id, name) is not None:
            raise AppError("groups.name_taken", name=name)
        people = [await named_member(uow, node.region_id, n, node.branch_id) for n in names]
        for person in people:
            if person.branch_id != node.branch_id:
                raise AppError("groups.other_branch", name=person.name)
            if await uow.groups.groups_of(person.id, "branch"):
                raise AppError("groups.in_another", name=person.name)
        values = {
            "region_id": node.region_id,
            "branch_id": node.branch_id,
            "name": name,
            "kind": "branch",
            "goal": "",
            "leader_id": people[0].id,
            "status": "active",
            "created_by": secretary.id,
            "decided_by": secretary.id,
            "decided_at": uow.now,
            "platform": inc.platform,
            "chat_id": inc.chat_id,
        }
        group_id = await uow.groups.add(values, uow.now)
        for person in people:
            await uow.groups.add_member(group_id, person.id, person.role == "activist", uow.now)
        await ctx.audit(uow, secretary.id, "group.create", group=group_id, members=len(people))
        return [p.name for p in people]

    members = await ctx.unit(work)
    return [ctx.reply("groups.created", name=name, leader=members[0], members="、".join(members))]


async def apply_group(ctx: Context, args: str) -> list[Reply]:
    """申请党小组 名称 目标 — a self-organized group, waiting for the branch secretary's approval."""
    name, _, goal = args.strip().partition(" ")
    goal = goal.strip()
    if not name or not goal or len(goal) > MAX_TEXT:
        raise UsageError("group_apply")
    _check_name(name, "group_apply")
    node = ctx.need_node()
    member = ctx.need_member()
    if node.branch_id is None or member.branch_id != node.branch_id:
        raise AppError("groups.branch_only")
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> int:
        if await uow.groups.named(node.region_id, name) is not None:
            raise AppError("groups.name_taken", name=name)
        values = {
            "region_id": node.region_id,
            "branch_id": member.branch_id,
            "name": name,
            "kind": "self",
            "goal": goal,
            "leader_id": member.id,
            "status": "pending",
            "created_by": member.id,
            "platform": inc.platform,
            "chat_id": inc.chat_id,
        }
        group_id = await uow.groups.add(values, uow.now)
        await uow.groups.add_member(group_id, member.id, member.role == "activist", uow.now)
        await ctx.audit(uow, member.id, "group.apply", group=group_id, name=name)
        return group_id

    group_id = await ctx.unit(work)
    buttons = (
        Button(str(ctx.t("groups.approve")), f"group_ok:{group_id}"),
        Button(str(ctx.t("groups.reject")), f"group_no:{group_id}"),
    )
    return [ctx.reply("groups.applied", buttons=buttons, name=name, goal=goal, by=member.name)]


async def _settle(ctx: Context, group_id: int, status: str, was: str, action: str) -> GroupRec:
    """The approver (the group's branch secretary, or a region officer) moves a group on from
    `was` (approval, rejection, dissolution), once; audited."""

    async def work(uow: UnitOfWork) -> GroupRec:
        group = await uow.groups.get(group_id)
        if group is None:
            raise AppError("groups.no_group", name=f"#{group_id}")
        approver = ctx.need_manager(group.region_id, group.branch_id)
        if not await uow.groups.decide(group.id, status, approver.id, uow.now, was=was):
            raise AppError("groups.decided", name=group.name)
        await ctx.audit(uow, approver.id, action, group=group.id)
        return group

    return await ctx.unit(work)


async def _decide(ctx: Context, data: str, approve: bool) -> list[Reply]:
    if not data.isdigit():
        return []
    status, action = ("active", "group.approve") if approve else ("rejected", "group.reject")
    group = await _settle(ctx, int(data), status, "pending", action)
    if not approve:
        return [ctx.reply("groups.rejected", name=group.name)]
    buttons = (Button(str(ctx.t("groups.join_button", name=group.name)), f"group_join:{group.id}"),)
    return [
        ctx.reply("groups.approved", buttons=buttons, name=group.name, goal=group.goal, low=MIN_SIZE, high=MAX_SIZE)
    ]


async def press_approve(ctx: Context, data: str) -> list[Reply]:
    return await _decide(ctx, data, True)


async def press_reject(ctx: Context, data: str) -> list[Reply]:
    return await _decide(ctx, data, False)


# -- membership --------------------------------------------------------------------------------
async def _join(ctx: Context, uow: UnitOfWork, group: GroupRec, person: MemberRec, actor: MemberRec) -> dict[str, Any]:
    if group.status != "active":
        raise AppError("groups.no_group", name=group.name)
    if person.branch_id != group.branch_id:
        raise AppError("groups.other_branch", name=person.name)
    if group.kind == "branch" and any(g.id != group.id for g in await uow.groups.groups_of(person.id, "branch")):
        raise AppError("groups.in_another", name=person.name)
    members = await uow.groups.members(group.id)
    guest = person.role == "activist"
    if group.kind == "self" and not guest and _counted(members) >= MAX_SIZE:
        raise AppError("groups.full", name=group.name, high=MAX_SIZE)
    if not await uow.groups.add_member(group.id, person.id, guest, uow.now):
        raise AppError("groups.already_in", name=person.name, group=group.name)
    await ctx.audit(uow, actor.id, "group.join", group=group.id, member=person.id, guest=guest)
    return {"name": person.name, "group": group.name, "guest": guest, "count": _counted(members) + (not guest)}


async def join_group(ctx: Context, args: str) -> list[Reply]:
    """加入党小组 名称 — join a group of one's branch (an activist joins as a guest)."""
    name = _name_arg(args, "group_join")
    member = ctx.need_member()

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        group = await _group(uow, member.region_id, name, "active")
        return await _join(ctx, uow, group, member, member)

    return [ctx.reply("groups.joined", **await ctx.unit(work))]


async def press_join(ctx: Context, data: str) -> list[Reply]:
    if not data.isdigit():
        return []
    member = ctx.need_member()

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        group = await uow.groups.get(int(data))
        if group is None or group.region_id != member.region_id:
            raise AppError("groups.no_group", name=f"#{data}")
        return await _join(ctx, uow, group, member, member)

    return [ctx.reply("groups.joined", **await ctx.unit(work))]


async def add_to_group(ctx: Context, args: str) -> list[Reply]:
    """党小组添加 名称 姓名… — the branch secretary adds members to a group of the branch."""
    words = args.split()
    if len(words) < 2:
        raise UsageError("group_add")
    node = ctx.need_node()

    async def work(uow: UnitOfWork) -> list[dict[str, Any]]:
        group = await _group(uow, node.region_id, words[0], "active")
        actor = ctx.need_manager(group.region_id, group.branch_id)
        out = []
        for n in dict.fromkeys(words[1:]):
            person = await named_member(uow, group.region_id, n, group.branch_id)
            out.append(await _join(ctx, uow, group, person, actor))
        return out

    return [ctx.reply("groups.joined", **joined) for joined in await ctx.unit(work)]


async def leave_group(ctx: Context, args: str) -> list[Reply]:
    """退出党小组 名称 — leave a group; a self-organized group falling under 3 members is warned."""
    name = _name_arg(args, "group_leave")
    member = ctx.need_member()

    async def work(uow: UnitOfWork) -> tuple[GroupRec, int]:
        group = await _group(uow, member.region_id, name, "active")
        if not await uow.groups.remove_member(group.id, member.id):
            raise AppError("groups.not_in", name=group.name)
        if group.leader_id == member.id:
            await uow.groups.set_leader(group.id, None)
        await ctx.audit(uow, member.id, "group.leave", group=group.id)
        return group, _counted(await uow.groups.members(group.id))

    group, left = await ctx.unit(work)
    small = group.kind == "self" and left < MIN_SIZE
    return [ctx.reply("groups.left", name=member.name, group=group.name, count=left, small=small, low=MIN_SIZE)]


# -- seeing groups -----------------------------------------------------------------------------
async def list_groups(ctx: Context, args: str) -> list[Reply]:
    """党小组列表 — the groups of this branch (in a region chat, of every branch)."""
    node = ctx.need_node()
    member = ctx.need_member()

    async def read(uow: UnitOfWork) -> list[dict[str, Any]]:
        groups = await uow.groups.of_node(node.region_id, node.branch_id, ("active", "pending"))
        last = await uow.groups.last_held([g.id for g in groups], uow.now)
        rows = []
        for g in groups:
            members = await uow.groups.members(g.id)
            leader = next((m.name for m in members if m.member_id == g.leader_id), None)
            rows.append({"g": g, "leader": leader, "count": _counted(members), "last": last.get(g.id)})
        return rows

    rows = await ctx.read(read)
    await ctx.unit(lambda uow: ctx.audit(uow, member.id, "group.list", branch=node.branch_id))
    return [ctx.reply("groups.list", rows=[{**r, "last": ctx.local(r["last"]) if r["last"] else None} for r in rows])]


async def show_group(ctx: Context, args: str) -> list[Reply]:
    """党小组 名称 — members, leader, last activity, this year's plan."""
    name = _name_arg(args, "group_show")
    node = ctx.need_node()
    member = ctx.need_member()
    year = ctx.local(ctx.now).year

    async def read(uow: UnitOfWork) -> dict[str, Any]:
        group = await _group(uow, node.region_id, name, "active", "pending")
        if node.branch_id not in (None, group.branch_id):
            raise AppError("groups.no_group", name=name)
        members = await uow.groups.members(group.id)
        last = (await uow.groups.last_held([group.id], uow.now)).get(group.id)
        return {"g": group, "members": members, "last": last, "items": await uow.groups.items(group.id, year)}

    found = await ctx.read(read)
    await ctx.unit(lambda uow: ctx.audit(uow, member.id, "group.show", group=found["g"].id))
    leader = next((m.name for m in found["members"] if m.member_id == found["g"].leader_id), None)
    last = ctx.local(found["last"]) if found["last"] else None
    return [ctx.reply("groups.detail", **found | {"last": last}, leader=leader, year=year)]


# -- the leader's election ---------------------------------------------------------------------
async def start_vote(ctx: Context, args: str) -> list[Reply]:
    """选组长 名称 [天数] — the members elect their leader: a button per member, one vote each."""
    words = args.split()
    if not words or len(words) > 2 or (len(words) == 2 and not words[1].rstrip("天").isdigit()):
        raise UsageError("group_vote")
    days = int(words[1].rstrip("天")) if len(words) == 2 else VOTE_DAYS
    if not 1 <= days <= 30:
        raise UsageError("group_vote")
    node = ctx.need_node()
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> tuple[GroupRec, int, list[GroupMemberRec], datetime]:
        group = await _group(uow, node.region_id, words[0], "active")
        actor = ctx.need_manager(group.region_id, group.branch_id)
        if await uow.groups.open_vote_of(group.id) is not None:
            raise AppError("groups.vote_open", name=group.name)
        candidates = [m for m in await uow.groups.members(group.id) if not m.guest]
        if len(candidates) < 2:
            raise AppError("groups.too_few_to_vote", name=group.name)
        last_day = ctx.local(uow.now).date() + timedelta(days=days)  # until the evening of the last day
        deadline = datetime.combine(last_day, VOTE_CLOSES_AT, tzinfo=ctx.tz)
        vote_id = await uow.groups.open_vote(group.id, deadline, inc.platform, inc.chat_id, uow.now)
        await queue(uow, VOTE_CLOSE, inc.platform, inc.chat_id, due=deadline, payload=VotePush(vote=vote_id))
        await ctx.audit(uow, actor.id, "group.vote", group=group.id, vote=vote_id)
        return group, vote_id, candidates, deadline

    group, vote_id, candidates, deadline = await ctx.unit(work)
    buttons = tuple(
        Button(str(ctx.t("groups.ballot", name=m.name)), f"group_ballot:{vote_id}:{m.member_id}") for m in candidates
    )
    return [ctx.reply("groups.vote_started", buttons=buttons, name=group.name, deadline=ctx.local(deadline))]


async def press_ballot(ctx: Context, data: str) -> list[Reply]:
    vote_id, _, candidate = data.partition(":")
    if not vote_id.isdigit() or not candidate.isdigit():
        return []
    member = ctx.need_member()

    async def work(uow: UnitOfWork) -> tuple[str, str]:
        vote = await uow.groups.vote(int(vote_id))
        if vote is None:
            return "vote_closed", ""
        group_id, deadline, status, _ = vote
        if status != "open" or uow.now >= deadline:
            return "vote_closed", ""
        voters = {m.member_id: m for m in await uow.groups.members(group_id) if not m.guest}
        if member.id not in voters:
            raise AppError("groups.only_members")
        if int(candidate) not in voters:
            return "vote_closed", ""
        before = await uow.groups.ballot_of(int(vote_id), member.id)
        if before is not None:
            return "voted_before", voters[before].name if before in voters else ""
        await uow.groups.cast(int(vote_id), member.id, int(candidate), uow.now)
        await ctx.audit(uow, member.id, "group.ballot", vote=int(vote_id))
        return "voted", voters[int(candidate)].name

    outcome, name = await ctx.unit(work)
    return [ctx.reply(f"groups.{outcome}", private=True, name=name)]


# -- the yearly plan ---------------------------------------------------------------------------
async def _plan_item(uow: UnitOfWork, region_id: int, year: int, number: int) -> tuple[PlanItemRec, GroupRec]:
    """Item #n of this year's plans in the region, with its group."""
    item = await uow.groups.item(region_id, year, number)
    if item is None:
        raise AppError("groups.no_item", number=number)
    group = await uow.groups.get(item.group_id)
    assert group is not None
    return item, group


def _lead(ctx: Context, group: GroupRec) -> MemberRec:
    """The group's leader, or a manager of its branch."""
    member = ctx.need_member()
    if member.id == group.leader_id:
        return member
    return ctx.need_manager(group.region_id, group.branch_id)


async def add_plan(ctx: Context, args: str) -> list[Reply]:
    """小组计划 名称 内容 — add an item to the group's plan of this year (its leader, or the secretary)."""
    name, _, text = args.strip().partition(" ")
    text = text.strip()
    if not name or not text or len(text) > MAX_TEXT:
        raise UsageError("group_plan")
    member = ctx.need_member()
    year = ctx.local(ctx.now).year

    async def work(uow: UnitOfWork) -> int:
        group = await _group(uow, member.region_id, name, "active")
        actor = _lead(ctx, group)
        number = await uow.groups.add_item(group.region_id, group.id, year, text, uow.now)
        await ctx.audit(uow, actor.id, "group.plan", group=group.id, number=number)
        return number

    number = await ctx.unit(work)
    return [ctx.reply("groups.planned", number=number, group=name, text=text)]


async def claim_item(ctx: Context, args: str) -> list[Reply]:
    """申领 #n — a member of the group takes on an item of its plan."""
    number, rest = numbered(args)
    if number is None or rest:
        raise UsageError("plan_claim")
    member = ctx.need_member()
    year = ctx.local(ctx.now).year

    async def work(uow: UnitOfWork) -> tuple[str, str]:
        item, group = await _plan_item(uow, member.region_id, year, number)
        if member.id not in {m.member_id for m in await uow.groups.members(group.id)}:
            raise AppError("groups.not_in", name=group.name)
        if not await uow.groups.claim(item.id, member.id, uow.now):
            raise AppError("groups.claimed", number=number, name=item.claimer or "")
        await ctx.audit(uow, member.id, "group.claim", item=item.id)
        return item.text, group.name

    text, group = await ctx.unit(work)
    return [ctx.reply("groups.claimed_ok", number=number, text=text, name=member.name, group=group)]


async def complete_item(ctx: Context, args: str) -> list[Reply]:
    """计划完成 #n — the leader marks a claimed item done: its claimer earns the points."""
    number, rest = numbered(args)
    if number is None or rest:
        raise UsageError("plan_done")
    member = ctx.need_member()
    year = ctx.local(ctx.now).year
    award = await ctx.points_for("group_item", member.region_id)

    async def work(uow: UnitOfWork) -> str:
        item, group = await _plan_item(uow, member.region_id, year, number)
        actor = _lead(ctx, group)
        if item.claimed_by is None:
            raise AppError("groups.unclaimed", number=number)
        if not await uow.groups.complete(item.id, uow.now):
            raise AppError("groups.done_before", number=number)
        if award > 0:
            await uow.points.credit(
                item.claimed_by,
                award,
                reason=f"group:{number}",
                source="group",
                ref=f"group_item:{item.id}",
                operator=actor.id,
                now=uow.now,
            )
        await ctx.audit(uow, actor.id, "group.item_done", item=item.id, claimer=item.claimed_by)
        return item.claimer or ""

    claimer = await ctx.unit(work)
    return [ctx.reply("groups.item_done", number=number, name=claimer, points=award)]


# -- monthly reports ---------------------------------------------------------------------------
async def send_report(ctx: Context, args: str) -> list[Reply]:
    """小组汇报 名称 内容 — the leader's report of the month (last month's until the 5th)."""
    name, _, text = args.strip().partition(" ")
    text = text.strip()
    if not name or not text or len(text) > MAX_TEXT * 4:
        raise UsageError("group_report")
    member = ctx.need_member()
    month = reported_month(ctx.local(ctx.now))

    async def work(uow: UnitOfWork) -> bool:
        group = await _group(uow, member.region_id, name, "active")
        actor = _lead(ctx, group)
        first = await uow.groups.put_report(group.id, f"{month:%Y-%m}", text, actor.id, uow.now)
        await ctx.audit(uow, actor.id, "group.report", group=group.id, month=f"{month:%Y-%m}")
        return first

    first = await ctx.unit(work)
    return [ctx.reply("groups.reported", group=name, month=month, replaced=not first)]


# -- dissolution -------------------------------------------------------------------------------
async def press_dissolve(ctx: Context, data: str) -> list[Reply]:
    if not data.isdigit():
        return []
    group = await _settle(ctx, int(data), "dissolved", "active", "group.dissolve")
    return [ctx.reply("groups.dissolved", name=group.name)]


# -- timed pushes ------------------------------------------------------------------------------
class VotePush(Payload):
    vote: int


class MonthPush(Payload):
    month: str  # YYYY-MM: the month whose 1st this is


async def _vote_close(ctx: PushContext[VotePush]) -> Reply | None:
    """At the deadline: the votes counted, the leader recorded and announced with the 聘书 text."""
    uow = ctx.uow
    vote = await uow.groups.vote(ctx.payload.vote)
    if vote is None or vote[2] != "open":
        return None
    group = await uow.groups.get(vote[0])
    if group is None:
        return None
    tally = await uow.groups.tally(ctx.payload.vote)
    members = {m.member_id: m.name for m in await uow.groups.members(group.id)}
    counted = sorted(((n, members.get(c, "?"), c) for c, n in tally.items()), reverse=True)
    top = [c for c in counted if c[0] == counted[0][0]] if counted else []
    winner = top[0][2] if len(top) == 1 else None
    await uow.groups.close_vote(ctx.payload.vote, winner)
    if winner is not None:
        await uow.groups.set_leader(group.id, winner)
    await uow.audit.record(
        actor=None,
        platform=ctx.row.platform,
        action="group.leader",
        detail={"group": group.id, "winner": winner},
        now=uow.now,
    )
    region = await uow.org.region(group.region_id)
    local = uow.now.astimezone(ctx.tz)
    return Reply(
        text=render(
            "groups.vote_result",
            ctx.locale,
            name=group.name,
            results=[{"name": name, "votes": n} for n, name, _ in counted],
            winner=mention(winner, members[winner]) if winner is not None else None,
            winner_name=members.get(winner or 0),
            region=region.name,
            day=local.date(),
        )
    )


async def _month_step(ctx: PushContext[MonthPush]) -> Reply | None:
    """On the 1st, in a branch chat: the groups whose report of last month is missing (leaders
    mentioned), those quiet for 5 months warned, and dissolution proposed for those quiet 6 months
    or under 3 members, with a button each for the approver."""
    uow, chat = ctx.uow, ctx.chat
    if chat.branch_id is None:
        return None
    groups = await uow.groups.of_node(chat.region_id, chat.branch_id, ("active",))
    if not groups:
        return None
    year, mon = (int(p) for p in ctx.payload.month.split("-"))
    first = datetime(year, mon, 1, tzinfo=ctx.tz)
    last_month = f"{(first - timedelta(days=1)):%Y-%m}"
    reported = await uow.groups.reported([g.id for g in groups], last_month)
    held = await uow.groups.last_held([g.id for g in groups], uow.now)
    missing, warned, proposed = [], [], []
    for g in groups:
        members = await uow.groups.members(g.id)
        leader = next((m for m in members if m.member_id == g.leader_id), None)
        if g.id not in reported and leader is not None:
            missing.append({"name": g.name, "leader": mention(leader.member_id, leader.name)})
        since = held.get(g.id) or g.decided_at or g.created_at
        quiet = _months_between(since.astimezone(ctx.tz).date(), first.date())
        small = g.kind == "self" and _counted(members) < MIN_SIZE
        if quiet >= DISSOLVE_MONTHS or small:
            proposed.append({"id": g.id, "name": g.name, "months": quiet, "small": small, "count": _counted(members)})
        elif quiet >= WARN_MONTHS:
            warned.append({"name": g.name, "months": quiet})
    if not (missing or warned or proposed):
        return None
    buttons = tuple(
        Button(str(render("groups.dissolve_button", ctx.locale, name=p["name"])), f"group_dissolve:{p['id']}")
        for p in proposed
    )
    text = render(
        "groups.monthly",
        ctx.locale,
        month=date(year, mon, 1) - timedelta(days=1),
        missing=missing,
        warned=warned,
        proposed=proposed,
    )
    return Reply(text=text, buttons=buttons)


def _months_between(since: date, until: date) -> int:
    """Whole months from one day to another (5 months: 1 July to 1 December)."""
    months = (until.year - since.year) * 12 + until.month - since.month
    return months - (until.day < since.day)


async def queue_monthly(uow: UnitOfWork, tz: ZoneInfo) -> int:
    """Queue the next 1st's step for every branch chat whose branch has an active group."""
    local = uow.now.astimezone(tz)
    nxt = date(local.year + local.month // 12, local.month % 12 + 1, 1)
    this = datetime(local.year, local.month, 1, STEP_HOUR, tzinfo=tz)
    due = this if uow.now <= this else datetime(nxt.year, nxt.month, 1, STEP_HOUR, tzinfo=tz)
    payload = MonthPush(month=f"{due:%Y-%m}")
    queued = 0
    branches = {(g.region_id, g.branch_id) for g in await uow.groups.all_active()}
    for region_id, branch_id in sorted(branches):
        for chat in await uow.chats.chats_for(region_id, branch_id, include_branch_chats=False):
            if chat.branch_id == branch_id:
                queued += await queue(uow, MONTHLY, chat.platform, chat.chat_id, due=due, payload=payload)
    return queued


async def run_monthly(services: Services) -> int:
    """Queue the groups' monthly step (the hourly periodic job, and tests)."""
    now = services.clock.now()
    return await services.db.unit(lambda c: queue_monthly(UnitOfWork(c, now), services.policy.tz))


VOTE_CLOSE = PushKind(
    "group_vote_close",
    VotePush,
    _vote_close,
    lambda p: f"group_vote:{p.vote}",
    writes=True,
    label=("党小组投票结束", "Party group vote close"),
)
MONTHLY = PushKind(
    "group_monthly",
    MonthPush,
    _month_step,
    lambda p: f"group_monthly:{p.month}",
    label=("党小组月度提醒", "Party group monthly reminder"),
)
PUSHES: list[PushKind[Any]] = [VOTE_CLOSE, MONTHLY]

M, B = Level.MEMBER, Level.BRANCH
COMMANDS = [
    Command("groups", ("党小组列表",), list_groups, "groups.usage_groups", "groups.help_groups", access=M, reads=True),
    Command("group_show", ("党小组",), show_group, "groups.usage_group_show", None, access=M, reads=True),
    Command("group_create", ("建立党小组",), create_group, "groups.usage_group_create", None, access=B),
    Command("group_add", ("党小组添加",), add_to_group, "groups.usage_group_add", None, access=B),
    Command(
        "group_apply", ("申请党小组",), apply_group, "groups.usage_group_apply", "groups.help_group_apply", access=M
    ),
    Command("group_join", ("加入党小组",), join_group, "groups.usage_group_join", None, access=M),
    Command("group_leave", ("退出党小组",), leave_group, "groups.usage_group_leave", None, access=M),
    Command("group_vote", ("选组长",), start_vote, "groups.usage_group_vote", None, access=B),
    Command("group_plan", ("小组计划",), add_plan, "groups.usage_group_plan", None, access=M),
    Command("plan_claim", ("申领",), claim_item, "groups.usage_plan_claim", None, access=M),
    Command("plan_done", ("计划完成",), complete_item, "groups.usage_plan_done", None, access=M),
    Command("group_report", ("小组汇报",), send_report, "groups.usage_group_report", None, access=M),
]
BUTTONS = [
    Press("group_ok", press_approve, B),
    Press("group_no", press_reject, B),
    Press("group_join", press_join, M),
    Press("group_ballot", press_ballot, M),
    Press("group_dissolve", press_dissolve, B),
]


async def _periodic(uow: UnitOfWork, at: Moment) -> int:
    return await queue_monthly(uow, at.tz)


FEATURE = Feature("groups", topic="groups", commands=COMMANDS, buttons=BUTTONS, pushes=PUSHES, periodic=(_periodic,))
