"""Short-lived cache of chat bindings, accounts and active events for the hot path.

Writes made by this process invalidate what they touch; changes made by another process
(the CLI, a second bot) are seen within `ttl` seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from storage.db import Database
from storage.records import BindingRec, EventRec, MemberRec
from storage.repositories import EventRepo, OrgRepo

T = TypeVar("T")
_MISSING = object()


@dataclass
class Directory:
    db: Database
    ttl: float = 10.0
    _entries: dict[tuple[Any, ...], tuple[float, Any]] = field(default_factory=dict)
    _loading: dict[tuple[Any, ...], asyncio.Future[Any]] = field(default_factory=dict)

    async def _get(self, key: tuple[Any, ...], load: Callable[[], Awaitable[T]]) -> T:
        hit = self._entries.get(key, (0.0, _MISSING))
        if hit[1] is not _MISSING and hit[0] > time.monotonic():
            value: T = hit[1]
            return value
        running = self._loading.get(key)
        if running is not None:  # someone is loading it already: wait for that instead of a second query
            shared: T = await asyncio.shield(running)
            return shared
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            loaded = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else needs to
            raise
        finally:
            self._loading.pop(key, None)
        self._entries[key] = (time.monotonic() + self.ttl, loaded)
        future.set_result(loaded)
        return loaded

    async def binding(self, platform: str, chat_id: str) -> BindingRec | None:
        """A platform's bindings are loaded whole: one query per TTL however many chats there are."""
        table = await self._get(
            ("bindings", platform), lambda: self.db.read(lambda c: OrgRepo(c).bindings_of(platform))
        )
        return table.get(chat_id)

    async def account(self, platform: str, user_id: str) -> MemberRec | None:
        """Linked accounts of a platform, loaded whole (a region has thousands of members, not millions)."""
        table = await self._get(
            ("accounts", platform), lambda: self.db.read(lambda c: OrgRepo(c).accounts_by_platform(platform))
        )
        return table.get(user_id)

    async def active_events(self, region_id: int, branch_id: int | None, now: datetime) -> list[EventRec]:
        """Scheduled, not yet closed events of the region's level and of one branch (None: region only)."""

        async def load() -> dict[int | None, list[EventRec]]:
            events = await self.db.read(lambda c: EventRepo(c).active_in_region(region_id, now))
            by_node: dict[int | None, list[EventRec]] = {}
            for e in events:
                by_node.setdefault(e.branch_id, []).append(e)
            return by_node

        by_node = await self._get(("events", region_id), load)
        found = by_node.get(None, []) + (by_node.get(branch_id, []) if branch_id is not None else [])
        return [e for e in found if e.closes_at >= now]

    def forget_binding(self, platform: str, chat_id: str) -> None:
        self._entries.pop(("bindings", platform), None)

    def forget_account(self, platform: str, user_id: str) -> None:
        self._entries.pop(("accounts", platform), None)

    def forget_events(self, region_id: int) -> None:
        self._entries.pop(("events", region_id), None)

    def clear(self) -> None:
        self._entries.clear()
