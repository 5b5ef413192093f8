"""`dangjian console`: read lines from the terminal and play them into the router.

A newcomer is never left at a dead end: on a database with no organization the console offers
the sample region (one keypress, or `--sample`), whose members are verified in the console, and
names who can be played and three steps to try; on a real database it says what it holds."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.app import App, build_app
from bot.cli.roster import import_roster
from bot.console.demo import REGION, SAMPLE_ROSTER
from bot.console.transport import PLATFORM, ConsoleChat, ConsoleTransport, label
from bot.runtime import Runtime
from bot.settings import Settings
from handlers.core.ports import TravelClock
from handlers.core.timeparse import WhenError, parse_when
from storage.uow import UnitOfWork

SAMPLE_CHAT = "城东联合党委书记群"
SAMPLE_USER = "李红"  # the sample region's admin: the one who binds and publishes
VISITOR = "访客"


@dataclass(frozen=True)
class Holding:
    """What one region in the database holds, for the banner."""

    name: str
    branches: int
    members: int
    chats: int


@dataclass
class SampleBranch:
    name: str
    people: list[Any] = field(default_factory=list)


async def holdings(app: App) -> list[Holding]:
    async def read(conn: Any) -> list[Holding]:
        uow = UnitOfWork(conn, app.services.clock.now())
        out = []
        for region in await uow.org.regions():
            branches = await uow.org.branches(region.id)
            members = await uow.org.members_in_region(region.id)
            chats = await uow.chats.chats_for(region.id, None, include_branch_chats=True)
            out.append(Holding(region.name, len(branches), len(members), len(chats)))
        return out

    return await app.db.read(read)


SAMPLE_LECTURER, SAMPLE_TOPICS = "孙丽", ("党史", "基层党建")


async def load_sample(app: App) -> list[SampleBranch]:
    """Import the sample roster and link every sample member's console account (their name): in
    the console, whoever types at the terminal owns the database and plays everyone."""
    now = app.services.clock.now()
    await import_roster(app.db, SAMPLE_ROSTER, REGION, now)

    async def link(conn: Any) -> list[SampleBranch]:
        uow = UnitOfWork(conn, now)
        region = await uow.org.region_by_name(REGION)
        assert region is not None
        branches = {b.id: SampleBranch(b.name) for b in await uow.org.branches(region.id)}
        for member in await uow.org.members_in_region(region.id):
            branches[member.branch_id].people.append(member)
            taken = await uow.accounts.account_member(PLATFORM, member.name)
            if taken is None and PLATFORM not in await uow.accounts.accounts_of(member.id):
                await uow.accounts.link_account(member.id, PLATFORM, member.name, now)
        for lecturer in await uow.org.members_named(region.id, SAMPLE_LECTURER):  # so 点单 has someone to ask
            await uow.lessons.join_pool(lecturer.id, list(SAMPLE_TOPICS), region.id, now)
        await uow.audit.record(
            actor=None, platform=PLATFORM, action="console.sample", detail={"region": REGION}, now=now
        )
        return [b for b in branches.values() if b.people]

    return await app.db.unit(link)


def first_meeting_time(now: datetime) -> str:
    """A start 20 minutes ahead (on a 5-minute mark), as the sample's 发布 step writes it: its
    sign-in window is open at once."""
    at = now + timedelta(minutes=20)
    at = at.replace(second=0, microsecond=0) + timedelta(minutes=-at.minute % 5)
    return f"{at.month}月{at.day}日 {at:%H:%M}"


async def opening(
    app: App, chat: ConsoleChat, *, sample: bool, ask: Callable[[str], str], out: Callable[[str], None]
) -> None:
    """The banner, after the sample is offered (and loaded) where the database is empty."""
    locale = app.services.policy.locale
    out(label("directives", locale))
    held = await holdings(app)
    if not held and not sample:
        try:
            answer = await asyncio.to_thread(ask, label("offer", locale))
        except EOFError:
            answer = "n"
        sample = answer.strip().lower() not in ("n", "no", "否", "不")
    if sample:
        branches = await load_sample(app)
        if chat.user == VISITOR:
            chat.user = SAMPLE_USER
        at = first_meeting_time(app.services.clock.now().astimezone(app.services.policy.tz))
        members = sum(len(b.people) for b in branches)
        out(label("sample", locale, region=REGION, branches=branches, members=members, at=at))
    elif held:
        out(label("holds", locale, regions=held))
    else:
        out(label("empty", locale))


async def run_console(
    settings: Settings,
    chat_id: str | None,
    user: str | None,
    *,
    sample: bool = False,
    ask: Callable[[str], str] = input,
    out: Callable[[str], None] = print,
) -> None:
    clock = TravelClock()
    app = await build_app(settings, clock)
    stamp = lambda: clock.now().astimezone(settings.tz).strftime("%m-%d %H:%M" if clock.offset else "%H:%M")  # noqa: E731
    transport = ConsoleTransport(app, out, stamp=stamp)
    chat = ConsoleChat(transport, chat_id=chat_id or SAMPLE_CHAT, user=user or VISITOR)
    runtime = Runtime(app, {"console": transport})
    runtime.start()  # pushes on time, the calendar's occurrences made ahead, as `dangjian run` does
    try:
        await opening(app, chat, sample=sample, ask=ask, out=out)
        while True:
            try:
                line = await asyncio.to_thread(ask, f"{chat.user}@{chat.chat_id}> ")
            except EOFError:
                break
            if line.strip() in ("/quit", "/exit"):
                break
            if line.strip().startswith("/clock"):
                await travel(runtime, clock, line.strip().removeprefix("/clock").strip(), out)
                continue
            await chat.say(line)
            await runtime.deliver()  # what the line set off (an approval card, a notice) at once
    finally:
        await runtime.stop()
        await transport.close()
        await app.close()


_SPAN = re.compile(r"^\+\s*(\d{1,4})\s*(d|h|m|w|天|小时|分钟|周)$", re.I)
_UNITS = {
    "d": "days",
    "天": "days",
    "h": "hours",
    "小时": "hours",
    "m": "minutes",
    "分钟": "minutes",
    "w": "weeks",
    "周": "weeks",
}


async def travel(runtime: Runtime, clock: TravelClock, arg: str, out: Callable[[str], None]) -> None:
    """/clock: say the time; /clock +1d, +3h, +30m, +2w, a date and time, or next (the next queued
    push): move time on, every timed job and push due on the way run in order."""
    app = runtime.app
    tz, locale = app.settings.tz, app.services.policy.locale
    now = clock.now()
    if not arg:
        out(label("clock_now", locale, at=now.astimezone(tz), moved=bool(clock.offset)))
        return
    target: datetime | None = None
    if m := _SPAN.match(arg):
        target = now + timedelta(**{_UNITS[m.group(2).lower()]: int(m.group(1))})
    elif arg.lower() in ("next", "下一个", "下一条"):
        target = await app.db.read(lambda c: UnitOfWork(c, now).outbox.next_due())
        if target is None:
            out(label("clock_nothing", locale))
            return
    else:
        try:
            target = datetime.fromisoformat(arg).replace(tzinfo=tz) if re.match(r"^\d{4}-", arg) else None
            target = target or parse_when(arg, now, tz).at
        except (ValueError, WhenError):
            target = None
    if target is None or target <= now:
        out(label("clock_bad", locale, text=arg))
        return
    sent = await runtime.travel_to(max(target, now))
    out(label("clock_moved", locale, at=clock.now().astimezone(tz), sent=sent))
