"""Who is who: binding a chat to a branch or region; members linking their chat accounts to the
roster only with proof (a shared contact whose phone the roster has, the userid the enterprise
issued on WeCom) or a manager's approval; managers seeing, undoing and stopping links."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from handlers.core import access
from handlers.core.access import PRIVILEGED_ROLES, Level, Node
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.intent import SEE, Phrase
from handlers.core.mentions import branch_secretaries
from handlers.core.names import named_member
from handlers.core.outbox import Payload, Personal, PushContext, PushKind, queue
from handlers.core.ports import Button, Reply
from handlers.core.router import Command, Handler, Press
from handlers.core.timeparse import numbered
from handlers.events import catch_up_chat
from storage.records import BindingRec, LinkRequestRec, MemberRec, RegionRec, normalize_phone
from storage.uow import UnitOfWork

MAX_NAME = 50
REQUEST_COOLDOWN = timedelta(minutes=10)  # an account's registration request stands this long before another
MAX_REQUESTS_PER_NAME = 3  # accounts waiting for one roster name at once (approval cards posted)
PLATFORMS = {"telegram": "telegram", "tg": "telegram", "wecom": "wecom", "企业微信": "wecom", "console": "console"}


def _name_arg(args: str, usage: str) -> str:
    name = args.strip().lstrip("@")
    if not name or len(name) > MAX_NAME or any(ch.isspace() for ch in name):
        raise UsageError(usage)
    return name


async def bind(ctx: Context, args: str) -> list[Reply]:
    """/bind 支部名 — a manager binds this chat to their branch (or to the whole region by its name,
    or to a 党总支 or 编组 they manage by its name); a chat bound elsewhere already is moved only
    once the manager confirms."""
    name = args.strip()
    if not name or len(name) > 100:
        raise UsageError("bind")

    async def by_name(uow: UnitOfWork, region: RegionRec) -> Spot:
        if name == region.name:
            return Spot(None, None)
        unit = await uow.units.named(region.id, name)
        if unit is not None:
            return Spot(None, unit.id)
        found = [b for b in await uow.org.branches(region.id) if b.name == name]
        if not found:
            raise AppError("org.no_such_branch", name=name, region=region.name)
        if not found[0].open_on(uow.now.astimezone(ctx.tz).date()):
            raise AppError("org.branch_closed", name=name, day=found[0].closed_on)
        return Spot(found[0].id, None)

    return await _bind(ctx, by_name, confirmed=False)


async def press_rebind(ctx: Context, arg: str) -> list[Reply]:
    """The 确认改绑 button: "r" for the region itself, "u<id>" for a unit, else the branch's id;
    "no" keeps the binding."""
    if arg == "no":
        return [ctx.reply("org.rebind_kept")]
    unit = arg.removeprefix("u")
    if arg != "r" and not unit.isdigit():
        return []

    async def by_id(uow: UnitOfWork, region: RegionRec) -> Spot:
        if arg == "r":
            return Spot(None, None)
        if arg.startswith("u"):
            if int(unit) not in {u.id for u in await uow.units.units(region.id)}:
                raise AppError("org.no_such_branch", name=arg, region=region.name)
            return Spot(None, int(unit))
        if int(arg) not in {b.id for b in await uow.org.branches(region.id)}:
            raise AppError("org.no_such_branch", name=arg, region=region.name)
        return Spot(int(arg), None)

    return await _bind(ctx, by_id, confirmed=True)


@dataclass(frozen=True)
class Spot:
    """Where a chat is bound in its region: a branch, a unit (党总支 / 编组), or (both None) the region."""

    branch_id: int | None
    unit_id: int | None

    @property
    def data(self) -> str:
        """As the 确认改绑 button carries it."""
        return (
            f"u{self.unit_id}" if self.unit_id is not None else "r" if self.branch_id is None else str(self.branch_id)
        )


Target = Callable[[UnitOfWork, RegionRec], Awaitable[Spot]]


async def _bind(ctx: Context, target: Target, *, confirmed: bool) -> list[Reply]:
    member = ctx.need_member()
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> Reply:
        region = await uow.org.region(member.region_id)
        spot = await target(uow, region)
        target_branch = spot.branch_id
        label = await _node_label(uow, region.id, target_branch, spot.unit_id)
        # the roster's role for that node: its branch secretary or a region officer (never the chat's
        # admin); a unit's chat: a region officer, or who manages every branch of the unit
        if spot.unit_id is None:
            access.check(member, Level.BRANCH, Node(region.id, target_branch))
        else:
            unit = next(u for u in await uow.units.units(region.id) if u.id == spot.unit_id)
            refused = access.unit_refusal(member, region.id, unit.branch_ids)
            if refused is not None:
                raise refused
        current = await uow.chats.binding(inc.platform, inc.chat_id)
        moving = current is not None and (current.region_id, current.branch_id, current.unit_id) != (
            member.region_id,
            target_branch,
            spot.unit_id,
        )
        if moving and current is not None and not confirmed:
            now_bound = await _node_label(uow, current.region_id, current.branch_id, current.unit_id)
            data = spot.data
            buttons = (
                Button(str(ctx.t("org.rebind_yes")), f"rebind:{data}"),
                Button(str(ctx.t("org.rebind_no")), "rebind:no"),
            )
            return ctx.reply("org.rebind_confirm", current=now_bound, target=label, buttons=buttons)
        await uow.chats.bind_chat(
            platform=inc.platform,
            chat_id=inc.chat_id,
            region_id=member.region_id,
            branch_id=target_branch,
            by=member.id,
            now=uow.now,
            unit_id=spot.unit_id,
        )
        await catch_up_chat(uow, ctx.services.policy, inc.platform, inc.chat_id)
        bound = await uow.chats.binding(inc.platform, inc.chat_id)
        assert bound is not None
        await _tell_binding(uow, bound, member.name)
        await uow.audit.record(
            actor=member.id,
            platform=inc.platform,
            action="bind",
            detail={
                "chat": inc.chat_id,
                "region": region.name,
                "unit" if spot.unit_id is not None else "branch": None if spot == Spot(None, None) else label,
            },
            now=uow.now,
        )
        kind = "unit" if spot.unit_id is not None else "region" if target_branch is None else "branch"
        return ctx.reply("org.bound", target=label, kind=kind, platform=ctx.incoming.platform)

    answer = await ctx.unit(work)
    ctx.services.directory.forget_binding(inc.platform, inc.chat_id)
    return [answer]


async def _tell_binding(uow: UnitOfWork, bound: BindingRec, by: str) -> None:
    """A chat newly bound to a node is told to that node's other chats and to the region's, with a
    解绑 button: nobody binds a group of their own to a branch unseen."""
    seen = {(bound.platform, bound.chat_id)}
    audience = await uow.chats.chats_for(bound.region_id, bound.branch_id, include_branch_chats=False)
    if bound.unit_id is not None:  # a unit's chat: its other chats and the region's
        audience += await uow.chats.unit_chats(bound.unit_id)
    elif bound.branch_id is not None:
        audience += await uow.chats.chats_for(bound.region_id, None, include_branch_chats=False)
    for chat in audience:
        if (chat.platform, chat.chat_id) not in seen:
            seen.add((chat.platform, chat.chat_id))
            payload = BindingPush(binding=bound.id, by=by, at=uow.now.isoformat())
            await queue(uow, BINDING_NEWS, chat.platform, chat.chat_id, due=uow.now, payload=payload)


async def chats(ctx: Context, args: str) -> list[Reply]:
    """群列表 — the chats bound to this node (a region: the region's and every branch's), each with
    its number, who bound it and when; 解绑群 #编号 takes one away."""
    node = ctx.need_node()
    ctx.need_manager(node.region_id, node.branch_id, reading=True)

    async def look(uow: UnitOfWork) -> list[dict[str, object]]:
        names = {b.id: b.name for b in await uow.org.branches(node.region_id)}
        units = {u.id: u.name for u in await uow.units.units(node.region_id)}
        region = await uow.org.region(node.region_id)

        def label(b: BindingRec) -> str:
            if b.unit_id is not None:
                return units.get(b.unit_id, "?")
            return region.name if b.branch_id is None else names.get(b.branch_id, "?")

        return [
            {"c": c, "node": label(c.binding),
             "at": ctx.local(c.bound_at), "here": (c.binding.platform, c.binding.chat_id) == (ctx.incoming.platform,
             ctx.incoming.chat_id)}
            for c in await uow.chats.bound_chats(node.region_id, node.branch_id)
        ]  # fmt: skip

    return [ctx.reply("org.chats", items=await ctx.read(look))]


async def unbind_chat(ctx: Context, args: str) -> list[Reply]:
    """解绑群 #编号 — take a bound chat away from this node (from any chat of the node, or privately)."""
    number, rest = numbered(args)
    if number is None or rest.strip():
        raise UsageError("unbind")
    return await _unbind(ctx, number)


async def press_unbind(ctx: Context, arg: str) -> list[Reply]:
    """The 解绑 button under the news of a binding."""
    return await _unbind(ctx, int(arg)) if arg.isdigit() else []


async def _unbind(ctx: Context, binding_id: int) -> list[Reply]:
    member = ctx.need_member()
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> tuple[BindingRec, str]:
        found = await uow.chats.binding_by_id(binding_id)
        if found is None or found.region_id != member.region_id:
            raise AppError("org.no_chat", id=binding_id)
        ctx.need_manager(found.region_id, found.branch_id)  # that node's manager, from wherever
        label = await _node_label(uow, found.region_id, found.branch_id, found.unit_id)
        await uow.chats.unbind(found.id)
        detail = {"chat": found.chat_id, "on": found.platform, "branch": label}
        await uow.audit.record(actor=member.id, platform=inc.platform, action="chat.unbind", detail=detail, now=uow.now)
        return found, label

    found, label = await ctx.unit(work)
    ctx.services.directory.forget_binding(found.platform, found.chat_id)
    return [ctx.reply("org.unbound", id=binding_id, node=label)]


async def _node_label(uow: UnitOfWork, region_id: int, branch_id: int | None, unit_id: int | None = None) -> str:
    if unit_id is not None:
        return next((u.name for u in await uow.units.units(region_id) if u.id == unit_id), "?")
    if branch_id is None:
        return (await uow.org.region(region_id)).name
    return (await uow.org.branch(branch_id)).name


# -- registration ------------------------------------------------------------------------------
def _issued_to(member: MemberRec, platform: str, user_id: str) -> bool:
    """The platform itself vouches that this account is this member: WeCom userids are issued by
    the enterprise, so one that equals the roster's wecom_userid is that person."""
    return platform == "wecom" and member.wecom_userid is not None and member.wecom_userid == user_id


def contact_buttons(ctx: Context) -> tuple[Button, ...]:
    """The platform's "share my own contact" button, where it can be shown in this chat."""
    if not ctx.incoming.can_share_contact:
        return ()
    return (Button(str(ctx.t("org.contact_button")), "contact", request_contact=True),)


async def _link(uow: UnitOfWork, ctx: Context, target: MemberRec, proof: str, by: int | None = None) -> str:
    """Link the sender's account to `target` (proof: how we know it is them); returns the branch name."""
    inc = ctx.incoming
    if inc.platform in await uow.accounts.accounts_of(target.id):
        raise AppError("org.name_taken", name=target.name)
    dm_chat = inc.chat_id if inc.is_private else None
    if not await uow.accounts.link_account(target.id, inc.platform, inc.user_id, uow.now, dm_chat):
        raise AppError("org.account_taken")
    await uow.accounts.withdraw_requests(inc.platform, inc.user_id)
    await uow.audit.record(
        actor=by if by is not None else target.id,
        platform=inc.platform,
        action="account.link",
        detail={"member": target.id, "user": inc.user_id, "proof": proof},
        now=uow.now,
    )
    return (await uow.org.branch(target.branch_id)).name


async def join(ctx: Context, args: str) -> list[Reply]:
    """/join 姓名 — link my account to my roster entry: at once where the platform proves who I
    am, else once my branch secretary (or a region officer) approves."""
    name = _name_arg(args, "join")
    inc = ctx.incoming
    if ctx.member is not None:
        if ctx.member.name == name:
            return [ctx.reply("org.already_joined", name=name)]
        raise AppError("org.joined_as_other", name=ctx.member.name)
    node = ctx.node

    async def work(uow: UnitOfWork) -> tuple[MemberRec, str] | None:
        target = await _quiet_match(uow, node, name)
        if target is not None and _issued_to(target, inc.platform, inc.user_id):
            return target, await _link(uow, ctx, target, "issued_id")  # the platform proves it is them
        earlier = await uow.accounts.open_request(inc.platform, inc.user_id)
        if earlier is not None and uow.now - earlier.created_at < REQUEST_COOLDOWN:
            return None  # one request at a time: a flood of names posts one card
        if target is not None and (
            inc.platform in await uow.accounts.accounts_of(target.id)
            or await uow.accounts.open_requests_for(target.id) >= MAX_REQUESTS_PER_NAME
        ):
            target = None  # taken, or asked for enough already: kept silently, like a name not in the roster
        request_id = await uow.accounts.request_link(
            member_id=target.id if target else None,
            name=name,
            platform=inc.platform,
            user_id=inc.user_id,
            display=inc.user_display or inc.user_id,
            chat_id=inc.chat_id,
            private=inc.is_private,
            now=uow.now,
        )
        if target is not None:
            await _ask_approvers(uow, request_id, target)
        detail = {"member": target.id if target else None, "name": name, "user": inc.user_id, "request": request_id}
        await uow.audit.record(actor=None, platform=inc.platform, action="account.request", detail=detail, now=uow.now)
        return None

    linked = await ctx.unit(work)
    if linked is not None:
        ctx.services.directory.forget_account(inc.platform, inc.user_id)
        return [ctx.reply("org.joined", name=linked[0].name, branch=linked[1])]
    # the same words whether the roster has the name or not: a stranger learns nothing from them
    return [
        ctx.reply(
            "org.request_received",
            buttons=contact_buttons(ctx),
            name=name,
            contact_here=ctx.incoming.can_share_contact,
            platform=inc.platform,
        )
    ]


async def _quiet_match(uow: UnitOfWork, node: Node | None, name: str) -> MemberRec | None:
    """The one active member a registration names (in this chat's node, or anywhere from a private
    or unbound chat); None when none or several: the asker is not told which."""
    if node is not None:
        found = await uow.org.members_named(node.region_id, name, node.branch_id)
    else:
        found = await uow.org.members_named_anywhere(name)
    found = [m for m in found if m.active]
    return found[0] if len(found) == 1 else None


async def _ask_approvers(uow: UnitOfWork, request_id: int, target: MemberRec) -> None:
    """Queue the 同意 / 拒绝 card for the region's own chats and, unless the member holds a
    privileged role (which only region officers decide), for the member's branch chats."""
    chats = await uow.chats.chats_for(target.region_id, None, include_branch_chats=False)
    if target.role not in PRIVILEGED_ROLES:
        chats += await uow.chats.chats_for(target.region_id, target.branch_id, include_branch_chats=False)
    for chat in chats:
        await queue(uow, LINK_REQUEST, chat.platform, chat.chat_id, due=uow.now, payload=LinkPush(request=request_id))


async def verify_contact(ctx: Context, phone: str) -> list[Reply]:
    """A contact the sender shared: their account becomes the roster member with that phone."""
    if not phone:
        raise AppError("org.contact_not_own")
    number = normalize_phone(phone)
    if ctx.member is not None:
        if number is not None and ctx.member.phone == number:
            return [ctx.reply("org.already_joined", name=ctx.member.name)]
        raise AppError("org.joined_as_other", name=ctx.member.name)

    async def work(uow: UnitOfWork) -> tuple[MemberRec, str]:
        found = await uow.org.members_by_phone(number) if number else []
        if not found:
            raise AppError("org.phone_unknown")
        if len(found) > 1:
            raise AppError("org.phone_ambiguous")
        return found[0], await _link(uow, ctx, found[0], "contact")

    target, branch = await ctx.unit(work)
    ctx.services.directory.forget_account(ctx.incoming.platform, ctx.incoming.user_id)
    return [ctx.reply("org.joined", name=target.name, branch=branch)]


async def ask_contact(ctx: Context, args: str) -> list[Reply]:
    """验证手机号 — offer the platform's share-contact button (or say where it can be done)."""
    return [
        ctx.reply(
            "org.contact_how",
            buttons=contact_buttons(ctx),
            contact_here=ctx.incoming.can_share_contact,
            platform=ctx.incoming.platform,
        )
    ]


async def _decide(ctx: Context, data: str, approve: bool) -> list[Reply]:
    if not data.isdigit():
        return []
    actor = ctx.need_member()
    request_id = int(data)

    async def work(uow: UnitOfWork) -> tuple[LinkRequestRec, MemberRec]:
        request = await uow.accounts.link_request(request_id)
        target = await uow.org.member(request.member_id) if request and request.member_id else None
        if request is None or target is None:
            raise AppError("org.no_request", id=request_id)
        ctx.need_manager_of(target, identity=True)
        if request.status != "pending":
            raise AppError("org.request_done", id=request_id, status=request.status)
        if approve and not (
            target.active
            and request.platform not in await uow.accounts.accounts_of(target.id)
            and await uow.accounts.link_account(target.id, request.platform, request.user_id, uow.now)
        ):
            raise AppError("org.cannot_link", name=target.name)
        await uow.accounts.decide_request(request_id, "approved" if approve else "rejected", actor.id, uow.now)
        await uow.audit.record(
            actor=actor.id,
            platform=ctx.incoming.platform,
            action="account.approve" if approve else "account.reject",
            detail={"member": target.id, "user": request.user_id, "request": request_id, "on": request.platform},
            now=uow.now,
        )
        if (request.platform, request.chat_id) != (ctx.incoming.platform, ctx.incoming.chat_id):
            payload = LinkPush(request=request_id, private=request.private)
            # the requester hears the answer where they asked
            await queue(uow, LINK_DECIDED, request.platform, request.chat_id, due=uow.now, payload=payload)
        return request, target

    request, target = await ctx.unit(work)
    ctx.services.directory.forget_account(request.platform, request.user_id)
    return [ctx.reply("org.request_decided", approved=approve, name=target.name, display=request.display)]


async def press_approve(ctx: Context, data: str) -> list[Reply]:
    return await _decide(ctx, data, True)


async def press_reject(ctx: Context, data: str) -> list[Reply]:
    return await _decide(ctx, data, False)


def request_buttons(locale: str, request_id: int) -> tuple[Button, ...]:
    return (
        Button(str(render("org.approve_button", locale)), f"link_ok:{request_id}"),
        Button(str(render("org.reject_button", locale)), f"link_no:{request_id}"),
    )


async def request_card(uow: UnitOfWork, request: LinkRequestRec, locale: str) -> Reply | None:
    """The approval card of a pending request (None once it is decided, or for a name the roster
    does not have: nobody is asked about that)."""
    target = await uow.org.member(request.member_id) if request.member_id else None
    if target is None or request.status != "pending":
        return None
    others = sorted(p for p in await uow.accounts.accounts_of(target.id) if p != request.platform)
    branch = (await uow.org.branch(target.branch_id)).name
    return Reply(
        text=render("org.request_card", locale, r=request, m=target, branch=branch, others=others),
        buttons=request_buttons(locale, request.id),
    )


async def pending(ctx: Context, args: str) -> list[Reply]:
    """登记申请 — the registrations waiting for this manager, each with 同意 / 拒绝."""
    node = ctx.need_node()
    ctx.need_manager(node.region_id, node.branch_id)

    async def look(uow: UnitOfWork) -> list[Reply]:
        cards = []
        for request in await uow.accounts.pending_requests(node.region_id, node.branch_id):
            card = await request_card(uow, request, ctx.locale)
            if card is not None:
                cards.append(card)
        return cards

    cards = await ctx.read(look)
    return cards or [ctx.reply("org.no_pending")]


async def accounts(ctx: Context, args: str) -> list[Reply]:
    """账号列表 — who of this chat's branch (or region) is linked to which platforms."""
    node = ctx.need_node()
    ctx.need_manager(node.region_id, node.branch_id)

    async def look(uow: UnitOfWork) -> tuple[list[dict[str, object]], int]:
        branches = {b.id: b.name for b in await uow.org.branches(node.region_id)}
        rows = [
            {"m": m, "branch": branches.get(m.branch_id, ""), "platforms": sorted(links)}
            for m, links in await uow.accounts.accounts_in(node.region_id, node.branch_id)
        ]
        return rows, len(await uow.accounts.pending_requests(node.region_id, node.branch_id))

    rows, waiting = await ctx.read(look)
    return [ctx.reply("org.accounts", rows=rows, waiting=waiting, region=node.branch_id is None)]


async def _target(ctx: Context, uow: UnitOfWork, name: str) -> MemberRec:
    node = ctx.need_node()
    target = await named_member(uow, node.region_id, name, node.branch_id)
    ctx.need_manager_of(target, identity=True)
    return target


async def unlink(ctx: Context, args: str) -> list[Reply]:
    """解绑 姓名 [telegram|wecom] — remove a member's account link (a wrong or lost account)."""
    parts = args.split()
    if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in PLATFORMS):
        raise UsageError("unlink")
    name = _name_arg(parts[0], "unlink")
    platform = PLATFORMS[parts[1].lower()] if len(parts) == 2 else None
    actor = ctx.need_member()

    async def work(uow: UnitOfWork) -> tuple[MemberRec, list[tuple[str, str]]]:
        target = await _target(ctx, uow, name)
        removed = await uow.accounts.unlink(target.id, platform)
        if not removed:
            raise AppError("org.nothing_linked", name=target.name)
        await uow.audit.record(
            actor=actor.id,
            platform=ctx.incoming.platform,
            action="account.unlink",
            detail={"member": target.id, "removed": [f"{p}:{u}" for p, u in removed]},
            now=uow.now,
        )
        return target, removed

    target, removed = await ctx.unit(work)
    for p, u in removed:
        ctx.services.directory.forget_account(p, u)
    return [ctx.reply("org.unlinked", name=target.name, platforms=sorted({p for p, _ in removed}))]


def _set_active(active: bool) -> Handler:
    async def handler(ctx: Context, args: str) -> list[Reply]:
        name = _name_arg(args, "deactivate" if not active else "activate")
        actor = ctx.need_member()
        node = ctx.need_node()

        async def work(uow: UnitOfWork) -> MemberRec:
            target = await named_member(uow, node.region_id, name, node.branch_id, active_only=False)
            ctx.need_manager_of(target, identity=True)
            if not await uow.org.set_member_active(target.id, active):
                raise AppError("org.already_active" if active else "org.already_inactive", name=name)
            await uow.audit.record(
                actor=actor.id,
                platform=ctx.incoming.platform,
                action="member.activate" if active else "member.deactivate",
                detail={"member": target.id},
                now=uow.now,
            )
            return target

        target = await ctx.unit(work)
        ctx.services.directory.clear()  # accounts and expected members both change
        return [ctx.reply("org.activated" if active else "org.deactivated", name=target.name)]

    return handler


async def whoami(ctx: Context, args: str) -> list[Reply]:
    """/whoami 我是谁 — show how this account is registered and what this chat is bound to."""
    member = ctx.member
    binding = ctx.binding

    async def look(uow: UnitOfWork) -> tuple[str | None, str | None]:
        where = None
        if binding is not None:
            where = await _node_label(uow, binding.region_id, binding.branch_id, binding.unit_id)
        branch = (await uow.org.branch(member.branch_id)).name if member else None
        return where, branch

    where, branch = await ctx.read(look)
    return [ctx.reply("org.whoami", member=member, branch=branch, where=where, private=True)]


async def _set_option(ctx: Context, option: str, value: object) -> None:
    """A manager changes one of this chat's settings; audited, and the cached binding dropped."""
    binding = ctx.need_binding()
    member = ctx.need_manager(binding.region_id, binding.branch_id)
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> None:
        await uow.chats.set_binding_options(inc.platform, inc.chat_id, **{option: value})
        await uow.audit.record(
            actor=member.id,
            platform=inc.platform,
            action=f"chat.{option}",
            detail={"chat": inc.chat_id, option: value},
            now=uow.now,
        )

    await ctx.unit(work)
    ctx.services.directory.forget_binding(inc.platform, inc.chat_id)


async def nudges(ctx: Context, args: str) -> list[Reply]:
    """催签 开|关 — whether the bot names who has not signed in 10 minutes after a start here."""
    choice = {"开": True, "开启": True, "on": True, "关": False, "关闭": False, "off": False}.get(args.strip().lower())
    if choice is None:
        raise UsageError("nudges")
    await _set_option(ctx, "nudges", choice)
    return [ctx.reply("org.nudges_set", on=choice, minutes=ctx.services.policy.nudge_after_min)]


async def language(ctx: Context, args: str) -> list[Reply]:
    """语言 en|zh — a manager switches this chat's replies between Chinese and English."""
    word = args.strip().lower()
    choice = {"zh": "zh-CN", "zh-cn": "zh-CN", "中文": "zh-CN", "en": "en", "english": "en", "英文": "en"}.get(word)
    if choice is None:
        raise UsageError("lang")
    await _set_option(ctx, "locale", choice)
    return [Reply(text=render("org.language_set", choice))]


A, B = Level.ANYONE, Level.BRANCH


class LinkPush(Personal):
    request: int


async def _request_push(ctx: PushContext[LinkPush]) -> Reply | None:
    request = await ctx.uow.accounts.link_request(ctx.payload.request)
    return await request_card(ctx.uow, request, ctx.locale) if request else None


async def _decided_push(ctx: PushContext[LinkPush]) -> Reply | None:
    request = await ctx.uow.accounts.link_request(ctx.payload.request)
    member = await ctx.uow.org.member(request.member_id) if request and request.member_id else None
    if request is None or member is None:
        return None
    return Reply(text=render("org.link_decided", ctx.locale, approved=request.status == "approved", name=member.name))


class BindingPush(Payload):
    binding: int
    by: str
    at: str  # when it was bound (a chat bound again later is news again)


async def _binding_news(ctx: PushContext[BindingPush]) -> Reply | None:
    """A chat was bound to this node (or one of the region's branches): where, by whom, when."""
    bound = await ctx.uow.chats.binding_by_id(ctx.payload.binding)
    if bound is None:
        return None  # unbound meanwhile
    node = await _node_label(ctx.uow, bound.region_id, bound.branch_id, bound.unit_id)
    names = await branch_secretaries(ctx.uow, bound.region_id, bound.branch_id) if bound.branch_id else ""
    buttons = (Button(str(render("org.unbind_button", ctx.locale)), f"unbind:{bound.id}"),)
    at = datetime.fromisoformat(ctx.payload.at).astimezone(ctx.tz)
    text = render("org.binding_news", ctx.locale, id=bound.id, platform=bound.platform, node=node,
                  by=ctx.payload.by, at=at, names=names)  # fmt: skip
    return Reply(text=text, buttons=buttons)


BINDING_NEWS = PushKind(
    "binding_news",
    BindingPush,
    _binding_news,
    lambda p: f"bound:{p.binding}:{p.at}",
    label=("绑定通知", "chat binding notice"),
)
LINK_REQUEST = PushKind(
    "link_request", LinkPush, _request_push, lambda p: f"link:{p.request}", label=("登记申请", "registration request")
)
LINK_DECIDED = PushKind(
    "link_decided",
    LinkPush,
    _decided_push,
    lambda p: f"link:{p.request}:decided",
    label=("登记结果", "registration decision"),
)
PUSHES: list[PushKind[Any]] = [LINK_REQUEST, LINK_DECIDED, BINDING_NEWS]

COMMANDS = [
    Command("bind", ("绑定",), bind, "org.usage_bind", "org.help_bind", access=B, unit_chat=True),
    Command("join", ("登记",), join, "org.usage_join", "org.help_join", access=A),
    Command("verify", ("验证手机号",), ask_contact, "org.usage_verify", "org.help_verify", access=A),
    Command("whoami", ("我是谁",), whoami, "org.usage_whoami", "org.help_whoami", access=A, unit_chat=True),
    Command("accounts", ("账号列表",), accounts, "org.usage_accounts", "org.help_accounts", access=B),
    Command("requests", ("登记申请",), pending, "org.usage_requests", "org.help_requests", access=B),
    Command("unlink", ("解绑",), unlink, "org.usage_unlink", "org.help_unlink", access=B),
    Command("deactivate", ("停用",), _set_active(False), "org.usage_deactivate", "org.help_deactivate", access=B),
    Command("activate", ("启用",), _set_active(True), "org.usage_activate", None, access=B),
    Command("lang", ("语言",), language, "org.usage_lang", "org.help_lang", access=B, unit_chat=True),
    Command("nudges", ("催签",), nudges, "org.usage_nudges", "org.help_nudges", access=B),
    Command("chats", ("群列表",), chats, "org.usage_chats", "org.help_chats", access=B, reads=True),
    Command("unbind", ("解绑群",), unbind_chat, "org.usage_unbind", "org.help_unbind", access=B),
]
BUTTONS = [
    Press("link_ok", press_approve, B),
    Press("link_no", press_reject, B),
    Press("rebind", press_rebind, B, unit_chat=True),
    Press("unbind", press_unbind, Level.MEMBER),  # pressed in a chat of the node or the region; checked inside
]


PHRASES = [
    Phrase(r"谁(?:还)?(?:没|没有)(?:登记|注册|绑定)|" + SEE + r"(?:登记|注册)(?:情况|名单)", "账号列表"),
    Phrase(r"(?:这个群|本群)(?:绑定了?|是)(?:哪个|什么)(?:支部)?|我(?:的)?(?:登记)?信息", "我是谁"),
]

FEATURE = Feature(
    "org",
    topic="settings",
    commands=COMMANDS,
    buttons=BUTTONS,
    pushes=PUSHES,
    on_contact=verify_contact,
    phrases=PHRASES,
)
