"""Cache of chat bindings, accounts and active events for the hot path.

Writes made by this process invalidate what they touch at once. Every `ttl` seconds an entry
is revalidated in the background against the `cache_versions` counters, which every change
bumps in its own transaction: changes made by another process (the CLI, a second bot) are seen
within `ttl`, and nothing is reloaded while nothing changed. Callers never wait for a
revalidation; they wait only for an entry that is absent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from storage.db import Database
from storage.records import INSTRUCTOR, BindingRec, EventRec, MemberRec
from storage.repos.accounts import AccountRepo
from storage.repos.chats import ChatRepo
from storage.repos.events import EventRepo
from storage.repos.groups import GroupRepo
from storage.repos.instructors import InstructorRepo
from storage.repos.org import OrgRepo
from storage.repos.points import PointRuleRec, PointsRepo
from storage.repos.units import UnitRepo
from storage.sql import cache_versions

T = TypeVar("T")
ByMember = Callable[[], Awaitable[dict[int, frozenset[int]]]]  # member id -> branch ids


async def with_reach(member: MemberRec, guides: ByMember, managers: ByMember) -> MemberRec:
    """The member with the branches they guide (a 党建指导员) and manage (a 党总支's or 编组's
    manager) now, as every transport acts for them (a chat account, a web session, the command
    line); `guides` and `managers` load the region's (from the cache, or a page's connection)."""
    if member.role == INSTRUCTOR:
        member = replace(member, guides=(await guides()).get(member.id, frozenset()))
    found = await managers()
    return replace(member, manages=found[member.id]) if member.id in found else member


# which cache_versions counter covers which kind of entry
FAMILIES = {
    "bindings": "org", "accounts": "org", "expected": "org", "events": "events", "points": "org", "guides": "org",
    "units": "org",
}  # fmt: skip
_MISSING = object()


class _RoleCounts:
    """A region's active members by (branch, role), with the sums a sign-in asks for kept once."""

    def __init__(self, table: dict[tuple[int | None, str], int]) -> None:
        self.table = table
        self._sums: dict[tuple[tuple[str, ...], int | None], int] = {}

    def of(self, roles: tuple[str, ...], branch_id: int | None) -> int:
        """Members of these roles in the branch (None: the whole region)."""
        key = (roles, branch_id)
        found = self._sums.get(key)
        if found is None:
            found = self._sums[key] = sum(
                n for (branch, role), n in self.table.items() if role in roles and branch_id in (None, branch)
            )
        return found


@dataclass
class Directory:
    db: Database
    ttl: float = 10.0
    _entries: dict[tuple[Any, ...], tuple[float, Any, int]] = field(default_factory=dict)  # expires, value, version
    _loading: dict[tuple[Any, ...], asyncio.Task[Any]] = field(default_factory=dict)
    _loading_generation: dict[tuple[Any, ...], int] = field(default_factory=dict)

    async def _get(self, key: tuple[Any, ...], load: Callable[[], Awaitable[T]]) -> T:
        """Fresh: the cached value. Expired: the old value now, refreshed in the background.
        Absent (never loaded, or forgotten after a local write): wait for one shared load."""
        expires, value, _version = self._entries.get(key, (0.0, _MISSING, 0))
        if value is not _MISSING:
            if expires <= time.monotonic() and key not in self._loading:
                self._refresh(key, load)
            cached: T = value
            return cached
        running = self._loading.get(key)
        if running is None:
            running = self._refresh(key, load)
        shared: T = await asyncio.shield(running)
        return shared

    def _refresh(self, key: tuple[Any, ...], load: Callable[[], Awaitable[T]]) -> asyncio.Task[T]:
        family = FAMILIES.get(key[0])

        async def run() -> T:
            try:
                old = self._entries.get(key)
                version = (await self.db.read(cache_versions)).get(family, 0) if family else 0
                if old is not None and family is not None and old[2] == version:
                    loaded: T = old[1]  # nothing changed anywhere: keep it, no reload
                else:
                    loaded = await load()
            finally:
                if self._loading.get(key) is asyncio.current_task():
                    del self._loading[key]
            if self._loading_generation.get(key) == generation:  # not forgotten meanwhile
                self._entries[key] = (time.monotonic() + self.ttl, loaded, version)
            return loaded

        generation = self._loading_generation[key] = self._loading_generation.get(key, 0) + 1
        task = asyncio.get_running_loop().create_task(run())
        task.add_done_callback(_consume_exception)
        self._loading[key] = task
        return task

    async def binding(self, platform: str, chat_id: str) -> BindingRec | None:
        """A platform's bindings are loaded whole: one query per TTL however many chats there are."""
        table = await self._get(
            ("bindings", platform), lambda: self.db.read(lambda c: ChatRepo(c).bindings_of(platform))
        )
        return table.get(chat_id)

    async def account(self, platform: str, user_id: str) -> MemberRec | None:
        """Linked accounts of a platform, loaded whole (a region has thousands of members, not millions)."""
        table = await self._get(
            ("accounts", platform), lambda: self.db.read(lambda c: AccountRepo(c).accounts_by_platform(platform))
        )
        member = table.get(user_id)
        return None if member is None else await self.reach(member)

    async def reach(self, member: MemberRec) -> MemberRec:
        """The member with what they guide and manage now (with_reach), from the cache."""
        region = member.region_id
        return await with_reach(
            member,
            lambda: self._get(
                ("guides", region), lambda: self.db.read(lambda c: InstructorRepo(c).guides_by_member(region))
            ),
            lambda: self._get(("units", region), lambda: self.db.read(lambda c: UnitRepo(c).managers(region))),
        )

    async def active_events(self, region_id: int, branch_id: int | None, now: datetime) -> list[EventRec]:
        """Scheduled, not yet closed events of the region's level and of one branch (None: region only)."""

        async def load() -> dict[int | None, list[EventRec]]:
            events = await self.db.read(lambda c: EventRepo(c).active_in_region(region_id, now))
            by_node: dict[int | None, list[EventRec]] = {}
            for e in events:
                for node in e.branches or (None,):  # a joint event: in each of its branches
                    by_node.setdefault(node, []).append(e)
            return by_node

        by_node = await self._get(("events", region_id), load)
        found = by_node.get(None, []) + (by_node.get(branch_id, []) if branch_id is not None else [])
        return [e for e in found if e.closes_at >= now]

    async def expected(self, event: EventRec, roles: Collection[str], branch_id: int | None = None) -> int:
        """How many members of these roles are expected (应到) at an event (of them, `branch_id`'s
        members only): from the region's members counted by branch and role, one query per region
        however many events are open."""
        if event.group_id is not None:  # a Party group's meeting: its members (rare: read when asked)
            group = await self.db.read(lambda c: GroupRepo(c).members(event.group_id or 0))
            return sum(1 for m in group if not m.guest and m.role in roles)

        async def load() -> _RoleCounts:
            return _RoleCounts(await self.db.read(lambda c: OrgRepo(c).role_counts(event.region_id)))

        counts = await self._get(("expected", event.region_id), load)
        if event.partners:  # a joint event: each side's (or the one asked for)
            sides = [b for b in event.branches if branch_id in (None, b)]
            return sum(counts.of(tuple(roles), b) for b in sides)
        return counts.of(tuple(roles), event.branch_id if event.branch_id is not None else branch_id)

    async def point_rules(self, region_id: int) -> list[PointRuleRec]:
        """A region's own points rules, as set (a handful: every award asks)."""
        return await self._get(("points", region_id), lambda: self.db.read(lambda c: PointsRepo(c).rules(region_id)))

    def _forget(self, key: tuple[Any, ...]) -> None:
        """Drop an entry after a local write; a load already running must not bring back old data."""
        self._entries.pop(key, None)
        self._loading.pop(key, None)
        self._loading_generation[key] = self._loading_generation.get(key, 0) + 1

    def forget_binding(self, platform: str, chat_id: str) -> None:
        self._forget(("bindings", platform))

    def forget_account(self, platform: str, user_id: str) -> None:
        self._forget(("accounts", platform))

    def forget_events(self, region_id: int) -> None:
        self._forget(("events", region_id))

    def forget_point_rules(self, region_id: int) -> None:
        self._forget(("points", region_id))

    def forget_guides(self, region_id: int) -> None:
        self._forget(("guides", region_id))

    def forget_units(self, region_id: int) -> None:
        self._forget(("units", region_id))

    def clear(self) -> None:
        for key in list(self._entries) + list(self._loading):
            self._forget(key)


def _consume_exception(task: asyncio.Task[Any]) -> None:
    """A background refresh that failed is retried on the next access; the caller waiting, if any, sees it."""
    if not task.cancelled():
        task.exception()
