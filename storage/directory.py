"""Short-lived cache of chat bindings, accounts and active events for the hot path.

Writes made by this process invalidate what they touch; changes made by another process
(the CLI, a second bot) are seen within `ttl` seconds.
"""

from __future__ import annotations

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

    async def _get(self, key: tuple[Any, ...], load: Callable[[], Awaitable[T]]) -> T:
        hit = self._entries.get(key, (0.0, _MISSING))
        if hit[1] is not _MISSING and hit[0] > time.monotonic():
            value: T = hit[1]
            return value
        loaded = await load()
        self._entries[key] = (time.monotonic() + self.ttl, loaded)
        return loaded

    async def binding(self, platform: str, chat_id: str) -> BindingRec | None:
        return await self._get(
            ("binding", platform, chat_id), lambda: self.db.read(lambda c: OrgRepo(c).binding(platform, chat_id))
        )

    async def account(self, platform: str, user_id: str) -> MemberRec | None:
        return await self._get(
            ("account", platform, user_id), lambda: self.db.read(lambda c: OrgRepo(c).account_member(platform, user_id))
        )

    async def active_events(self, region_id: int, now: datetime) -> list[EventRec]:
        events = await self._get(
            ("events", region_id), lambda: self.db.read(lambda c: EventRepo(c).active_in_region(region_id, now))
        )
        return [e for e in events if e.closes_at >= now]

    def forget_binding(self, platform: str, chat_id: str) -> None:
        self._entries.pop(("binding", platform, chat_id), None)

    def forget_account(self, platform: str, user_id: str) -> None:
        self._entries.pop(("account", platform, user_id), None)

    def forget_events(self, region_id: int) -> None:
        self._entries.pop(("events", region_id), None)

    def clear(self) -> None:
        self._entries.clear()
