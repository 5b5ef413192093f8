"""What the operator does from the command line with their own hand, outside any chat: vouch for a
member's account, attach a WeCom group robot's key, issue a console login link, put a member into
the lecturer pool. Everything a chat command can do goes through the router instead (`bot/cli/act.py`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.settings import Settings
from handlers.core.ports import SystemClock
from handlers.lessons import put_lecturer
from storage import limits
from storage.db import Database
from storage.records import MemberRec
from storage.uow import UnitOfWork

T = TypeVar("T")


def check_fields(*, required: tuple[str, ...] = (), **fields: str | None) -> None:
    """The same rules as in a chat (storage/limits.py): no field longer than it is stored, no
    required one blank, no name with an invisible character; else a plain sentence."""
    for name in required:
        value = fields.get(name)
        if value is None or limits.unreadable(value):
            raise ValueError(
                f"--{name} 不能为空或含不可见字符 / --{name} must not be blank or hold invisible characters"
            )
    found = limits.over_limit(**fields)
    if found is not None:
        raise ValueError(f"--{found[0]} 太长了（最多 {found[1]} 字）/ --{found[0]} is too long (at most {found[1]})")


async def _region_and_branch(uow: UnitOfWork, region: str, branch: str | None) -> tuple[int, int | None]:
    reg = await uow.org.region_by_name(region)
    if reg is None:
        raise ValueError(f"没有这个联合党委 / no such region: {region}")
    if not branch:
        return reg.id, None
    found = [b for b in await uow.org.branches(reg.id) if b.name == branch]
    if not found:
        raise ValueError(f"没有这个支部 / no such branch: {branch}")
    return reg.id, found[0].id


async def set_webhook(settings: Settings, *, chat: str, key: str | None, region: str | None, branch: str | None) -> str:
    """Attach a group robot webhook key to a WeCom group, binding the group first if it is new."""
    check_fields(required=("chat",), chat=chat)
    now = SystemClock().now()
    db = await Database.open(settings.database_url)
    try:

        async def work(conn: AsyncConnection) -> str:
            uow = UnitOfWork(conn, now)
            if await uow.chats.binding("wecom", chat) is None:
                if region is None:
                    raise ValueError(
                        f"群 {chat} 还没有绑定，请加 --region [--branch] / bind the new group with --region"
                    )
                region_id, branch_id = await _region_and_branch(uow, region, branch)
                await uow.chats.bind_chat(
                    platform="wecom", chat_id=chat, region_id=region_id, branch_id=branch_id, by=None, now=now
                )
            await uow.chats.set_push_key("wecom", chat, key)
            await uow.audit.record(
                actor=None, platform="cli", action="wecom.webhook", detail={"chat": chat, "set": bool(key)}, now=now
            )
            return f"已设置 / set: 群 {chat} 的推送{'走群机器人 webhook' if key else '改回 AI 机器人长连接'}"

        return await db.unit(work)
    finally:
        await db.close()


# -- who is who, from the command line (the operator's own hand: no chat role is needed) -------
async def _in_db(settings: Settings, work: Callable[[UnitOfWork], Awaitable[T]], *, write: bool) -> T:
    """Run one unit of work (or a read) on the configured database, then close it."""
    now = SystemClock().now()
    db = await Database.open(settings.database_url)
    try:
        if write:
            return await db.unit(lambda conn: work(UnitOfWork(conn, now)))
        return await db.read(lambda conn: work(UnitOfWork(conn, now)))
    finally:
        await db.close()


async def _one_member(uow: UnitOfWork, region: str, name: str, branch: str | None) -> MemberRec:
    region_id, branch_id = await _region_and_branch(uow, region, branch)
    found = [
        m
        for m in await uow.org.members_in_region(region_id, active_only=False)
        if m.name == name and branch_id in (None, m.branch_id)
    ]
    if not found:
        raise ValueError(f"花名册中没有 / not in the roster: {name}")
    if len(found) > 1:
        raise ValueError(f"有多位 {name}，请加 --branch / several members named {name}: add --branch")
    return found[0]


async def link_member(
    settings: Settings, *, region: str, member: str, branch: str | None, platform: str, user_id: str
) -> str:
    """`dangjian org link`: link an account to a member (the operator vouches for it)."""

    async def work(uow: UnitOfWork) -> str:
        target = await _one_member(uow, region, member, branch)
        holder = await uow.accounts.account_member(platform, user_id)
        if holder is not None and holder.id != target.id:
            raise ValueError(f"{platform} 账号 {user_id} 已属于 {holder.name} / belongs to {holder.name}: unlink first")
        if holder is None:
            if platform in await uow.accounts.accounts_of(target.id):
                raise ValueError(f"{member} 已有 {platform} 账号，请先 unlink / {member} has one: unlink it first")
            await uow.accounts.link_account(target.id, platform, user_id, uow.now)
            await uow.accounts.withdraw_requests(platform, user_id)
            await uow.audit.record(
                actor=None,
                platform="cli",
                action="account.link",
                detail={"member": target.id, "user": user_id, "on": platform, "proof": "cli"},
                now=uow.now,
            )
        return f"已关联 / linked: {target.name} ← {platform} {user_id}"

    return await _in_db(settings, work, write=True)


async def web_link(settings: Settings, *, region: str, member: str, branch: str | None) -> str:
    """A one-time web console link for a manager (branch secretary, regional secretary, admin)."""
    from bot.app import policy_from
    from handlers.core.access import Level, private_node, refusal
    from handlers.weblink import issue_link

    async def work(uow: UnitOfWork) -> str:
        target = await _one_member(uow, region, member, branch)
        if refusal(target, Level.BRANCH, private_node(target)) is not None:
            raise ValueError(f"{target.name} 不是书记或管理员，不能登录后台 / is not a manager: no console access")
        return await issue_link(uow, policy_from(settings), target.id)

    return await _in_db(settings, work, write=True)


async def add_lecturer(settings: Settings, *, name: str, topics: list[str], regions: list[str]) -> str:
    """`dangjian lecturer add`: see handlers.lessons.put_lecturer."""
    db = await Database.open(settings.database_url)
    try:
        return await db.unit(lambda conn: put_lecturer(UnitOfWork(conn, SystemClock().now()), name, topics, regions))
    finally:
        await db.close()
