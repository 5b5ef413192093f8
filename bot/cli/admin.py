"""Event and calendar administration from the command line, through the same use cases as the chat."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import policy_from
from bot.settings import Settings
from handlers.calendar import RuleDraft, create_rule, parse_reminders
from handlers.core.calendar_rules import HOLIDAY_POLICIES, RuleError, parse_rule
from handlers.core.context import Services
from handlers.core.event_ref import kind_of
from handlers.core.i18n import normalize_locale, render
from handlers.core.media import MediaStore
from handlers.core.periods import period_label
from handlers.core.ports import SystemClock
from handlers.core.timeparse import Period, WhenError, parse_time, parse_when
from handlers.core.vocabulary import term
from handlers.core.workbook import LedgerStats, labels
from handlers.events import EventDraft
from handlers.events import create_event as create_event_uc
from handlers.ledger import Target, ledger_title
from handlers.ledger_book import write_ledger
from handlers.lessons import put_lecturer
from storage import limits
from storage.db import Database
from storage.directory import Directory
from storage.records import MemberRec
from storage.repos.ledger import Scope
from storage.uow import UnitOfWork

T = TypeVar("T")


def _parse_at(text: str, settings: Settings, now: datetime) -> datetime:
    try:
        at = datetime.fromisoformat(text)
        return at if at.tzinfo else at.replace(tzinfo=settings.tz)
    except ValueError:
        pass
    try:
        return parse_when(text, now, settings.tz).at
    except WhenError as err:
        raise ValueError(f"看不懂时间 / cannot read the time: {text!r}") from err


async def create_event(
    settings: Settings,
    *,
    region: str,
    branch: str | None,
    kind: str,
    at: str,
    place: str,
    topic: str,
    lecturer: str | None,
) -> str:
    now = SystemClock().now()
    kind_code = kind_of(kind)
    if kind_code is None:
        raise ValueError(f"不认识的活动类型 / unknown kind: {kind}")
    check_fields(required=("place",), place=place, topic=topic, lecturer=lecturer)
    starts_at = _parse_at(at, settings, now)
    if starts_at <= now:
        raise ValueError("这个时间已经过去了 / that time has passed")
    policy = policy_from(settings)
    db = await Database.open(settings.database_url)
    try:

        async def work(conn: object) -> int:
            uow = UnitOfWork(conn, now)  # type: ignore[arg-type]
            region_id, branch_id = await _region_and_branch(uow, region, branch)
            draft = EventDraft(region_id, branch_id, kind_code, starts_at, place, topic, lecturer)
            return await create_event_uc(uow, policy, draft, None, "cli")

        event_id = await db.unit(work)
    finally:
        await db.close()
    kind_name = render("common.kind", "zh-CN", k=kind_code)
    return f"已发布 / published #{event_id} {kind_name} {starts_at.astimezone(settings.tz):%Y-%m-%d %H:%M}"


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


async def add_rule(
    settings: Settings,
    *,
    region: str,
    branch: str | None,
    kind: str,
    rule: str,
    at: str,
    place: str,
    topic: str,
    lecturer: str | None,
    holiday: str,
    remind: str | None,
) -> str:
    """The CLI form of 例会设置: the same parsing and the same use case as the chat."""
    now = SystemClock().now()
    kind_code = kind_of(kind)
    if kind_code is None:
        raise ValueError(f"不认识的活动类型 / unknown kind: {kind}")
    check_fields(required=("place",), place=place, topic=topic, lecturer=lecturer, rule=rule)
    try:
        parsed = parse_rule(rule, now.astimezone(settings.tz).date())
        start, rest = parse_time(at)
    except (RuleError, WhenError) as err:
        raise ValueError(f"看不懂规则或时间 / cannot read the rule or time: {rule!r} {at!r}") from err
    if parsed.rest or rest:
        raise ValueError(f"规则或时间后面有多余内容 / extra text after the rule or time: {parsed.rest or rest!r}")
    policy_word = HOLIDAY_POLICIES.get(holiday.lower())
    if policy_word is None:
        raise ValueError(f"节假日处理只能是 顺延/跳过/照常 / holiday must be move, skip or keep: {holiday}")
    try:
        reminders = parse_reminders(remind) if remind else None
    except ValueError as err:
        raise ValueError(f"看不懂提醒时间 / cannot read the reminders: {remind}") from err
    policy = policy_from(settings)
    db = await Database.open(settings.database_url)
    try:

        async def work(conn: AsyncConnection) -> tuple[int, int]:
            uow = UnitOfWork(conn, now)
            region_id, branch_id = await _region_and_branch(uow, region, branch)
            if kind_code == "secretary_meeting":
                branch_id = None
            draft = RuleDraft(
                region_id, branch_id, kind_code, parsed, start, place, topic, lecturer, policy_word, reminders
            )
            services = Services(db=db, directory=Directory(db), clock=SystemClock(), policy=policy)
            rule, made = await create_rule(uow, services, draft, None, "cli")
            return rule.id, made

        rule_id, made = await db.unit(work)
    finally:
        await db.close()
    return f"已设置 / scheduled: 日程{rule_id} {parsed.text} {start:%H:%M}，排出 {made} 次 / {made} occurrence(s)"


async def list_rules(settings: Settings, region: str) -> list[str]:
    db = await Database.open(settings.database_url)
    try:

        async def work(conn: AsyncConnection) -> list[str]:
            uow = UnitOfWork(conn, SystemClock().now())
            region_id, _ = await _region_and_branch(uow, region, None)
            return [
                f"日程{r.id} {term('kind', r.kind)} {r.text} {r.at_time} {r.place} "
                f"[{term('rule_status', r.status)}，节假日{term('holiday', r.holiday_policy)}，"
                f"提前 {','.join(str(m) for m in r.reminders)} 分钟提醒]"
                for r in await uow.rules.of_region(region_id)
            ]

        return await db.read(work)
    finally:
        await db.close()


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


async def list_events(settings: Settings, region: str) -> list[str]:
    now = SystemClock().now()
    db = await Database.open(settings.database_url)
    try:

        async def work(conn: object) -> list[str]:
            uow = UnitOfWork(conn, now)  # type: ignore[arg-type]
            reg = await uow.org.region_by_name(region)
            if reg is None:
                raise ValueError(f"没有这个联合党委 / no such region: {region}")
            events = await uow.events.active_in_region(reg.id, now)
            return [
                f"#{e.id} {e.starts_at.astimezone(settings.tz):%Y-%m-%d %H:%M} "
                f"{render('common.kind', 'zh-CN', k=e.kind)} {e.place} {e.topic}".rstrip()
                for e in events
            ]

        return await db.read(work)
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


async def unlink_member(
    settings: Settings, *, region: str, member: str, branch: str | None, platform: str | None
) -> str:
    async def work(uow: UnitOfWork) -> str:
        target = await _one_member(uow, region, member, branch)
        removed = await uow.accounts.unlink(target.id, platform)
        if removed:
            await uow.audit.record(
                actor=None,
                platform="cli",
                action="account.unlink",
                detail={"member": target.id, "removed": [f"{p}:{u}" for p, u in removed]},
                now=uow.now,
            )
        gone = ", ".join(f"{p} {u}" for p, u in removed) or "无 / none"
        return f"已解除 / unlinked: {target.name}: {gone}"

    return await _in_db(settings, work, write=True)


async def set_member_active(settings: Settings, *, region: str, member: str, branch: str | None, active: bool) -> str:
    async def work(uow: UnitOfWork) -> str:
        target = await _one_member(uow, region, member, branch)
        if await uow.org.set_member_active(target.id, active):
            await uow.audit.record(
                actor=None,
                platform="cli",
                action="member.activate" if active else "member.deactivate",
                detail={"member": target.id},
                now=uow.now,
            )
        return f"{'已启用 / active' if active else '已停用 / deactivated'}: {target.name}"

    return await _in_db(settings, work, write=True)


async def member_lines(settings: Settings, region: str) -> list[str]:
    """`dangjian org members`: every member of a region with role, state and linked accounts."""

    async def work(uow: UnitOfWork) -> list[str]:
        region_id, _ = await _region_and_branch(uow, region, None)
        branches = {b.id: b.name for b in await uow.org.branches(region_id)}
        lines = []
        for m, links in await uow.accounts.accounts_in(region_id, None):
            accounts = " ".join(f"{term('platform', p)}:{u}" for p, u in sorted(links.items())) or "未登记 / none"
            role = term("role", m.role)
            state = "" if m.active else " [停用 / inactive]"
            lines.append(f"{branches.get(m.branch_id, '?')}\t{m.name}\t{role}\t{m.phone or '-'}\t{accounts}{state}")
        return lines

    return await _in_db(settings, work, write=False)


# -- the ledger ---------------------------------------------------------------------------------
async def export_ledger(
    settings: Settings, *, region: str, branch: str | None, start: date, end: date, out: Path, lang: str | None
) -> list[str]:
    """Write the ledger of a region (or one of its branches) from `start` to `end` (inclusive)."""
    if end < start:
        raise ValueError("--to 早于 --from / --to is before --from")
    locale = normalize_locale(lang or settings.locale)
    period = Period.between(start, end + timedelta(days=1))
    first, stop = period.bounds(settings.tz)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.part")

    async def work(uow: UnitOfWork) -> tuple[Target, LedgerStats]:
        region_id, branch_id = await _region_and_branch(uow, region, branch)
        target = Target(Scope(region_id, branch_id, first, stop), period, region, branch, period_label(period, locale))
        stats = await write_ledger(
            uow,
            target.scope,
            partial,
            tz=settings.tz,
            locale=locale,
            title=ledger_title(target, locale),
            media=MediaStore(Path(settings.media_dir)),
            grace_min=settings.signin_grace_min,
        )
        return target, stats

    async def audit(uow: UnitOfWork) -> None:
        detail = {"region": region, "branch": branch or "", "from": str(start), "to": str(end), "out": str(out)}
        await uow.audit.record(actor=None, platform="cli", action="export_ledger", detail=detail, now=uow.now)

    now = SystemClock().now()
    db = await Database.open(settings.database_url)
    try:  # a reader beside a running bot: it never holds up the bot's writes
        target, stats = await db.read_apart(lambda conn: work(UnitOfWork(conn, now)))
        partial.replace(out)
        await db.unit(lambda conn: audit(UnitOfWork(conn, now)))
    finally:
        partial.unlink(missing_ok=True)
        await db.close()
    rows = "，".join(f"{labels(locale)['sheet.' + k]} {n}" for k, n in stats.rows.items())
    return [f"已导出台账 / ledger written: {out}", f"{target.scope_name} {target.period_name}: {rows}"]


# -- bound chats ---------------------------------------------------------------------------------
async def chat_lines(settings: Settings, region: str) -> list[str]:
    """`dangjian org chats`: every chat bound in a region, with its number, node, who bound it and when."""

    async def work(uow: UnitOfWork) -> list[str]:
        region_id, _ = await _region_and_branch(uow, region, None)
        names = {b.id: b.name for b in await uow.org.branches(region_id)}
        lines = []
        for c in await uow.chats.bound_chats(region_id, None):
            b = c.binding
            node = region if b.branch_id is None else names.get(b.branch_id, "?")
            state = "" if b.active else " [机器人已不在群里 / the bot left]"
            by = c.bound_by or "命令行 / cli"
            at = c.bound_at.astimezone(settings.tz)
            lines.append(
                f"#{b.id}\t{term('platform', b.platform)}\t{b.chat_id}\t{node}\t{by}\t{at:%Y-%m-%d %H:%M}{state}"
            )
        return lines or ["没有已绑定的群 / no chat is bound"]

    return await _in_db(settings, work, write=False)


async def unbind_chat(settings: Settings, *, region: str, chat: int) -> str:
    """`dangjian org unbind`: take one bound chat away (the operator's hand: audited without an actor)."""

    async def work(uow: UnitOfWork) -> str:
        region_id, _ = await _region_and_branch(uow, region, None)
        found = await uow.chats.binding_by_id(chat)
        if found is None or found.region_id != region_id:
            raise ValueError(f"没有编号为 #{chat} 的已绑定群 / no bound chat #{chat} (see: dangjian org chats)")
        await uow.chats.unbind(found.id)
        detail = {"chat": found.chat_id, "on": found.platform}
        await uow.audit.record(actor=None, platform="cli", action="chat.unbind", detail=detail, now=uow.now)
        return f"已解绑 / unbound: #{found.id} {term('platform', found.platform)} {found.chat_id}"

    return await _in_db(settings, work, write=True)


# -- the region's start date (启用日期) ---------------------------------------------------------------
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


async def list_lecturers(settings: Settings, region: str) -> list[str]:
    db = await Database.open(settings.database_url)
    try:

        async def work(conn: AsyncConnection) -> list[str]:
            uow = UnitOfWork(conn, SystemClock().now())
            reg = await uow.org.region_by_name(region)
            if reg is None:
                raise ValueError(f"没有这个联合党委 / no such region: {region}")
            return [f"{x.name}\t{'、'.join(x.topics)}" for x in await uow.lessons.pool(reg.id)]

        return await db.read(work)
    finally:
        await db.close()
