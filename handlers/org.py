"""Binding a chat to a branch or region, and members registering themselves against the roster."""

from __future__ import annotations

from handlers.context import Context
from handlers.errors import AppError, NotAllowed, NotRegistered, UsageError
from handlers.events import catch_up_chat
from handlers.i18n import render
from handlers.ports import Reply
from handlers.router import Command
from storage.records import MemberRec
from storage.repositories import UnitOfWork

MAX_NAME = 50


async def named_member(uow: UnitOfWork, region_id: int, name: str, branch_id: int | None = None) -> MemberRec:
    """The one member of that name in the region (or branch); a clear answer if none or several."""
    name = name.lstrip("@")
    found = await uow.org.members_named(region_id, name, branch_id)
    if not found:
        raise AppError("org.not_in_roster", name=name)
    if len(found) > 1:
        raise AppError("org.name_ambiguous", name=name)
    return found[0]


async def bind(ctx: Context, args: str) -> list[Reply]:
    """/bind 支部名 — an admin binds this chat to a branch (or to the whole region by its name)."""
    name = args.strip()
    if not name or len(name) > 100:
        raise UsageError("bind")
    member = ctx.member
    if member is None:
        raise NotRegistered()
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> tuple[str, str]:
        region = await uow.org.region(member.region_id)
        if name == region.name:
            target_branch = None
            label = region.name
        else:
            found = [b for b in await uow.org.branches(member.region_id) if b.name == name]
            if not found:
                raise AppError("org.no_such_branch", name=name, region=region.name)
            target_branch = found[0].id
            label = found[0].name
        if not ctx.can_manage(member.region_id, target_branch):
            raise NotAllowed()
        await uow.org.bind_chat(
            platform=inc.platform,
            chat_id=inc.chat_id,
            region_id=member.region_id,
            branch_id=target_branch,
            by=member.id,
            now=uow.now,
        )
        await catch_up_chat(uow, ctx.services.policy, inc.platform, inc.chat_id)
        await uow.ops.audit(
            actor=member.id,
            platform=inc.platform,
            action="bind",
            detail={"chat": inc.chat_id, "region": region.name, "branch": None if target_branch is None else label},
            now=uow.now,
        )
        return label, ("region" if target_branch is None else "branch")

    label, kind = await ctx.unit(work)
    ctx.services.directory.forget_binding(inc.platform, inc.chat_id)
    return [ctx.reply("org.bound", target=label, kind=kind)]


async def join(ctx: Context, args: str) -> list[Reply]:
    """/join 姓名 — link my chat account to my name in the roster of this chat's branch or region."""
    name = args.strip()
    if not name or len(name) > MAX_NAME or any(ch.isspace() for ch in name):
        raise UsageError("join")
    binding = ctx.binding if ctx.binding is not None and ctx.binding.active else None
    inc = ctx.incoming
    if ctx.member is not None:
        if ctx.member.name == name:
            return [ctx.reply("org.already_joined", name=name)]
        raise AppError("org.joined_as_other", name=ctx.member.name)

    async def work(uow: UnitOfWork) -> str:
        if binding is not None:
            candidates = await uow.org.members_named(binding.region_id, name, binding.branch_id)
        else:  # a private or not yet bound chat: look in every region's roster
            candidates = [m for r in await uow.org.regions() for m in await uow.org.members_named(r.id, name)]
        if not candidates:
            raise AppError("org.not_in_roster", name=name)
        free = [m for m in candidates if inc.platform not in await uow.org.accounts_of(m.id)]
        if not free:
            raise AppError("org.name_taken", name=name)
        if len(free) > 1:
            raise AppError("org.name_ambiguous", name=name)
        if not await uow.org.link_account(free[0].id, inc.platform, inc.user_id, uow.now):
            raise AppError("org.account_taken")
        branch = await uow.org.branch(free[0].branch_id)
        return branch.name

    branch_name = await ctx.unit(work)
    ctx.services.directory.forget_account(inc.platform, inc.user_id)
    return [ctx.reply("org.joined", name=name, branch=branch_name)]


async def whoami(ctx: Context, args: str) -> list[Reply]:
    """/whoami 我是谁 — show how this account is registered and what this chat is bound to."""
    member = ctx.member
    binding = ctx.binding

    async def look(uow: UnitOfWork) -> tuple[str | None, str | None]:
        where = None
        if binding is not None:
            region = await uow.org.region(binding.region_id)
            where = region.name if binding.branch_id is None else (await uow.org.branch(binding.branch_id)).name
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
        await uow.org.set_binding_options(inc.platform, inc.chat_id, **{option: value})
        await uow.ops.audit(
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


COMMANDS = [
    Command("bind", ("绑定",), bind, "org.usage_bind", "org.help_bind", admin=True),
    Command("join", ("登记",), join, "org.usage_join", "org.help_join"),
    Command("whoami", ("我是谁",), whoami, "org.usage_whoami", "org.help_whoami"),
    Command("lang", ("语言",), language, "org.usage_lang", "org.help_lang", admin=True),
    Command("nudges", ("催签",), nudges, "org.usage_nudges", "org.help_nudges", admin=True),
]
