"""Event administration from the command line, through the same use cases as the chat."""

from __future__ import annotations

from datetime import datetime

from bot.app import policy_from
from bot.settings import Settings
from handlers.events import EventDraft, kind_of
from handlers.events import create_event as create_event_uc
from handlers.i18n import render
from handlers.ports import SystemClock
from handlers.timeparse import WhenError, parse_when
from storage.db import Database
from storage.repositories import UnitOfWork


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
    starts_at = _parse_at(at, settings, now)
    if starts_at <= now:
        raise ValueError("这个时间已经过去了 / that time has passed")
    policy = policy_from(settings)
    db = await Database.open(settings.database_url)
    try:

        async def work(conn: object) -> int:
            uow = UnitOfWork(conn, now)  # type: ignore[arg-type]
            reg = await uow.org.region_by_name(region)
            if reg is None:
                raise ValueError(f"没有这个联合党委 / no such region: {region}")
            branch_id = None
            if branch:
                found = [b for b in await uow.org.branches(reg.id) if b.name == branch]
                if not found:
                    raise ValueError(f"没有这个支部 / no such branch: {branch}")
                branch_id = found[0].id
            draft = EventDraft(reg.id, branch_id, kind_code, starts_at, place, topic, lecturer)
            return await create_event_uc(uow, policy, draft, None, "cli")

        event_id = await db.unit(work)
    finally:
        await db.close()
    kind_name = render("common.kind", "zh-CN", k=kind_code)
    return f"已发布 / published #{event_id} {kind_name} {starts_at.astimezone(settings.tz):%Y-%m-%d %H:%M}"


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
