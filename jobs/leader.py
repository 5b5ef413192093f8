"""Who leads: of the processes serving one bot on one database, the one holding the leader lease
(storage/lease.py) answers, sends and runs the timed work; the others receive and store.

A platform's limits are the bot's, not a process's (Telegram: 30 messages a second, 20 a minute
into one group), and a group's sign-in confirmations are merged into one message only where they
all wait in one queue. So every update, whichever process received it, is handled by the leader,
and every message (reply, board edit, push) leaves through the leader's one outbound path per
platform. The other processes store what they receive (the acknowledgement waits for that, as
always) and tell the leader at commit; they check every `CHECK_S` whether the lease is free, and
the first to find it free leads: it takes up every update the gone leader left open and runs the
calendar at once. PostgreSQL drops a dead process's lock with its connection, so a `kill -9` is
noticed at the next check.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from storage.db import unreachable
from storage.lease import Lease

log = logging.getLogger(__name__)

CHECK_S = 1.0  # a process that does not lead asks this often whether the lease is free
Gained = Callable[[], Awaitable[None]]


class Leadership:
    def __init__(self, lease: Lease) -> None:
        self.lease = lease
        self.leads = False
        self._gained: list[Gained] = []
        self._checking = asyncio.Lock()  # the lease's one connection serves one check at a time

    def __call__(self) -> bool:
        """Whether this process leads now (what the transports ask before handling)."""
        return self.leads

    def on_gain(self, hook: Gained) -> None:
        """Run `hook` each time this process comes to lead (after the first check too)."""
        self._gained.append(hook)

    async def check(self) -> bool:
        """Take the lease if it is free (or keep it); runs the hooks when this process starts to lead."""
        async with self._checking:
            return await self._check()

    async def _check(self) -> bool:
        try:
            held = await self.lease.try_acquire()
        except Exception as exc:
            if not unreachable(exc):
                raise
            held = self.lease.held  # the database is away: whoever led still leads when it is back
        if held and not self.leads:
            self.leads = True
            log.info("this process leads: it answers, sends and runs the calendar")
            for hook in self._gained:
                try:
                    await hook()
                except Exception:
                    log.exception("taking up the lead failed in part; the next check tries again")
                    self.leads = False
        elif not held and self.leads:
            self.leads = False
            log.warning("this process no longer leads (its lease went with its database connection)")
        return self.leads

    async def release(self) -> None:
        self.leads = False
        await self.lease.release()
