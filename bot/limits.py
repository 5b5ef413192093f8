"""Send-rate limits of the platforms, enforced before sending rather than learnt from 429s.

Telegram: 30 messages a second overall, 20 a minute into one group. WeCom group robot: 20 a
minute per webhook key. A slot is reserved synchronously (no await between looking and taking),
so concurrent senders never overbook; a chat waits for its own window first and only then
queues for the platform-wide one, so one busy group does not hold up the others.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

MARGIN = 1.01  # a hair under the limit, so clock jitter never lands a message in a full window


@dataclass(frozen=True)
class Limits:
    per_second: float = 0.0  # platform-wide; 0: no limit
    per_chat_per_minute: float = 0.0  # 0: no limit

    def scaled(self, factor: float) -> Limits:
        return Limits(self.per_second * factor, self.per_chat_per_minute * factor)


PLATFORM_LIMITS: dict[str, Limits] = {
    "telegram": Limits(per_second=30, per_chat_per_minute=20),
    "wecom": Limits(per_chat_per_minute=20),
}


class _Window:
    """At most `count` events in any `span` seconds: the slot is the earliest time that keeps it so."""

    def __init__(self, count: int, span: float) -> None:
        self.count, self.span = count, span
        self.times: deque[float] = deque()

    def reserve(self, now: float) -> float:
        times = self.times
        while times and times[0] <= now - self.span * MARGIN:
            times.popleft()
        slot = now if len(times) < self.count else times[-self.count] + self.span * MARGIN
        slot = max(slot, times[-1] if times else slot)  # keep the reservations in order
        times.append(slot)
        return slot


class RateGate:
    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._overall = _Window(max(1, round(limits.per_second)), 1.0) if limits.per_second else None
        per_chat = limits.per_chat_per_minute
        self._chats: defaultdict[str, _Window] = defaultdict(lambda: _Window(max(1, round(per_chat)), 60.0))

    async def _until(self, slot: float) -> None:
        delay = slot - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)

    async def acquire(self, chat_id: str) -> None:
        """Wait until one more message to this chat keeps within both limits, and take it."""
        if self.limits.per_chat_per_minute:
            await self._until(self._chats[chat_id].reserve(self._clock()))
        if self._overall is not None:
            await self._until(self._overall.reserve(self._clock()))
