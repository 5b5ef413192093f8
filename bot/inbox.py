"""Updates a platform posts to us are stored before we say 200, then handled.

`put` returns only after the update's row is committed; the HTTP answer waits for it. The
process that received an update handles it and marks it done once its answers were handed to
the platform; meanwhile it keeps its claim fresh. If the process dies, its claims go stale and
any process of the deployment (or the same one restarted) takes the rows over, in the order they
came. Handling twice is harmless: the update's id is recorded with its effect, and a redelivery
is only answered again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from handlers.ports import Clock
from storage.db import Database
from storage.inbox import InboxAnswering, InboxDone, InboxPut, InboxRepo

log = logging.getLogger(__name__)

Handle = Callable[[str, "Ticket"], Awaitable[Sequence[Awaitable[Any]]]]  # -> the answers being delivered
KEEP_DAYS = 2  # handled updates are remembered this long (Telegram gives up on one after 24 hours)


class Ticket:
    """Goes with one stored update through its handling: the transport says when the update's
    answer is about to leave (`sending`), so that a crash after that point does not answer it
    twice; before that point, a restart answers it (from what was recorded)."""

    def __init__(self, db: Database | None = None, row_id: int = 0) -> None:
        self._db, self._row_id = db, row_id
        self._marked: asyncio.Task[None] | None = None

    async def sending(self) -> None:
        """Returns once it is recorded that the answer is leaving (every caller waits for that)."""
        if self._db is None:
            return
        if self._marked is None:
            self._marked = asyncio.get_running_loop().create_task(self._db.batch(InboxAnswering(self._row_id)))
        await asyncio.shield(self._marked)


NO_TICKET = Ticket()  # updates that were not stored (polling): nothing to record


class Inbox:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        platform: str,
        handle: Handle,
        *,
        stale_s: float = 30.0,
        owner: str | None = None,
    ) -> None:
        self.db, self.clock, self.platform, self.handle = db, clock, platform, handle
        self.stale = timedelta(seconds=stale_s)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    async def put(self, key: str, body: str) -> None:
        """Store an update (durably: the caller acknowledges it after this returns) and start
        handling it. A key stored before is left to whoever holds it."""
        row_id = await self.db.batch(InboxPut(self.platform, key, body, self.owner, self.clock.now()))
        if row_id is not None:
            self._spawn(row_id, body)

    def _spawn(self, row_id: int, body: str) -> None:
        task = asyncio.get_running_loop().create_task(self._handle(row_id, body), name=f"inbox:{row_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, row_id: int, body: str) -> None:
        try:
            deliveries = await self.handle(body, Ticket(self.db, row_id))
            await asyncio.gather(*deliveries, return_exceptions=True)
        except Exception:  # a bug must not leave the row to be retried for ever
            log.exception("%s inbox: update row %d failed", self.platform, row_id)
        await self.db.batch(InboxDone(row_id))

    async def start(self) -> None:
        """Take over what a dead process left, then keep claims fresh and watch for more."""
        await self._sweep()
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_often(), name=f"inbox-sweep:{self.platform}")

    async def _sweep_often(self) -> None:
        period = max(self.stale.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(period)
            try:
                await self._sweep()
            except Exception:
                log.warning("%s inbox: sweep failed; will retry", self.platform, exc_info=True)

    async def _sweep(self) -> None:
        now = self.clock.now()
        owner, platform = self.owner, self.platform

        async def work(conn: Any) -> list[tuple[int, str]]:
            repo = InboxRepo(conn)
            await repo.keep_alive(owner, now)
            return await repo.take_over(platform, owner, now, now - self.stale, 500)

        taken = await self.db.unit(work)
        if taken:
            log.warning("%s inbox: took over %d update(s) a stopped process had received", platform, len(taken))
        for row_id, body in taken:
            self._spawn(row_id, body)
        await self.db.unit(lambda c: InboxRepo(c).prune(now - timedelta(days=KEEP_DAYS)))

    async def drained(self) -> None:
        """Wait until every update taken so far is handled (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        # a moment for what is being handled; anything left stays claimed, and a restart (or
        # another process) takes it over once the claim is stale
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
