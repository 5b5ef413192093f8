"""Send-rate limits of the platforms, enforced before sending rather than learnt from 429s.

Telegram: 30 messages a second overall, 20 a minute into one group. WeCom group robot: 20 a
minute per webhook key. A send is let through only when both
its chat's window and the platform's window have room at that instant.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

MARGIN = 1.01  # a hair under the limit, so clock jitter never lands a message in a full window
CHAT_SLACK_S = 0.1  # per-chat windows also allow for a request's travel time to the platform


@dataclass(frozen=True)
class Limits:
    per_second: float = 0.0  # platform-wide; 0: no limit
    per_chat_per_minute: float = 0.0  # 0: no limit
    chat_window_s: float = 60.0  # the per-chat count holds in any window this long (tests shorten time)

    def scaled(self, factor: float) -> Limits:
        return Limits(self.per_second * factor, self.per_chat_per_minute * factor, self.chat_window_s)


PLATFORM_LIMITS: dict[str, Limits] = {
    "telegram": Limits(per_second=30, per_chat_per_minute=20),
    "wecom": Limits(per_chat_per_minute=20),
}


class _Window:
    """At most `count` sends in any `span` seconds, judged on the times sends were let through."""

    def __init__(self, count: int, span: float, slack: float = 0.0) -> None:
        self.count, self.span = count, span * MARGIN + slack
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more send fits (0: now)."""
        times = self.times
        while times and times[0] <= now - self.span:
            times.popleft()
        return 0.0 if len(times) < self.count else times[-self.count] + self.span - now

    def take(self, now: float) -> None:
        self.times.append(now)


class RateGate:
    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._overall = _Window(max(1, round(limits.per_second)), 1.0) if limits.per_second else None
        per_chat = limits.per_chat_per_minute
        self._chats: dict[str, _Window] = {}
        self._per_chat = max(1, round(per_chat)) if per_chat else 0

    async def acquire(self, chat_id: str) -> None:
        """Wait until one more message to this chat keeps within both limits, and take it.

        Both windows are checked and stamped at the same instant, with no await in between, so
        concurrent senders never overbook; a chat held by its own limit sleeps on its own.
        """
        chat = None
        if self._per_chat:
            chat = self._chats.get(chat_id) or self._chats.setdefault(
                chat_id, _Window(self._per_chat, self.limits.chat_window_s, CHAT_SLACK_S)
            )
        while True:
            now = self._clock()
            delay = max(
                chat.wait(now) if chat is not None else 0.0,
                self._overall.wait(now) if self._overall is not None else 0.0,
            )
            if delay <= 0:
                break
            await asyncio.sleep(delay)
        if chat is not None:
            chat.take(now)
        if self._overall is not None:
            self._overall.take(now)
