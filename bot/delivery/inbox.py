"""Updates a platform delivers are stored before we acknowledge them, then handled.

`put` returns only after the update's row is committed; the acknowledgement (the webhook's HTTP
200, the next getUpdates offset) waits for it. The leader handles every update (jobs/leader.py:
one process answers, so the platform's limits are kept by one outbound path): what it receives
it takes at once; what another process receives is stored unclaimed, and on PostgreSQL the commit
notifies the leader (LISTEN/NOTIFY), which takes it within milliseconds. The handler marks a row
done once its answers were handed to the platform; meanwhile it keeps its claim fresh. Each
claim names its instance (host, process id and a token drawn at start): the rows of
an instance that is gone are taken over by any process of the deployment, in the order they
came: at once when it was on this host (its process is no longer running, or this process has
its id after a container restart), else once its claims went stale. A row this process holds but
no longer works on is taken up again at the next sweep. Handling twice is harmless: the update's
id is recorded with its effect, and a redelivery is only answered again.

While the database cannot be reached an update's handling is tried again until it is back (the
transport does that, bot/delivery/transport.py); when storage is full, an update that cannot be stored is
answered without being kept (whatever it would write is refused with a plain line).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.core.ports import Clock
from storage.db import Database, out_of_room, unreachable
from storage.repos.inbox import CHANNEL, InboxAnswering, InboxDone, InboxPut
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

Handle = Callable[[str, "Ticket"], Awaitable[Sequence[Awaitable[Any]]]]  # -> the answers being delivered
TAKE_BATCH = 500  # rows taken up in one statement
LISTEN_CHECK_S = 10.0  # the listening connection is checked this often when nothing is heard
KEEP_DAYS = 2  # handled updates are remembered this long (Telegram gives up on one after 24 hours)
RETRY_FIRST_S, RETRY_MAX_S = 0.5, 4.0  # marking a row done while the database is away: backoff
HOST = socket.gethostname()
LIFE = secrets.token_hex(4)  # this run of this process (a restarted container may reuse the pid)
_inboxes = itertools.count(1)


def instance_id() -> str:
    """A new claim owner of this process: host, process id, this run's token and a counter."""
    return f"{HOST}:{os.getpid()}:{LIFE}.{next(_inboxes)}"


def gone(owner: str) -> bool:
    """Whether the instance that made a claim is known to be gone: it ran on this host and its
    process is no longer running, or this process now has its process id (a restart)."""
    host, _, rest = owner.partition(":")
    pid_text, _, life = rest.partition(":")
    if host != HOST or not pid_text.isdigit():
        return False  # another host: only staleness tells
    pid = int(pid_text)
    if pid == os.getpid():
        return not life.startswith(LIFE + ".")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # running, as another user
        return False
    return False


class Ticket:
    """Goes with one stored update through its handling: the transport says when the update's
    answer is about to leave (`sending`), so that a crash after that point does not answer it
    twice; before that point, a restart answers it (from what was recorded)."""

    def __init__(self, db: Database | None = None, row_id: int = 0) -> None:
        self._db, self._row_id = db, row_id
        self._marked: asyncio.Task[None] | None = None

    @property
    def kept(self) -> bool:
        """Whether the update was stored before it was acknowledged (it will be handled, however
        long the database is away)."""
        return self._db is not None

    async def sending(self) -> None:
        """Returns once it is recorded that the answer is leaving (every caller waits for that)."""
        if self._db is None:
            return
        marked = self._marked
        if marked is None or (marked.done() and (marked.cancelled() or marked.exception() is not None)):
            # first time, or the last try failed (the database was away): record it anew
            marked = self._marked = asyncio.get_running_loop().create_task(self._db.batch(InboxAnswering(self._row_id)))
        await asyncio.shield(marked)


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
        leading: Callable[[], bool] = lambda: True,
    ) -> None:
        self.db, self.clock, self.platform, self.handle = db, clock, platform, handle
        self.stale = timedelta(seconds=stale_s)
        self.owner = owner or instance_id()
        self.leading = leading  # whether this process handles updates (jobs/leader.py), else it only stores them
        self._working: dict[int, asyncio.Task[None]] = {}  # row id -> its handling
        self._unkept: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._nudged = asyncio.Event()  # another process stored an update for the leader (PostgreSQL)
        self._listener: AsyncConnection | None = None
        self._taker: asyncio.Task[None] | None = None

    async def put(self, key: str, body: str) -> None:
        """Store an update (durably: the caller acknowledges it after this returns) and start
        handling it. A key stored before is left to whoever holds it. Raises while the database
        cannot be reached (the caller does not acknowledge); when storage is full the update is
        handled without being kept."""
        leads = self.leading()
        try:
            owner = self.owner if leads else None
            row_id = await self.db.batch(InboxPut(self.platform, key, body, owner, self.clock.now()))
        except Exception as exc:
            if not out_of_room(exc):
                raise
            log.warning("%s inbox: storage is full; update %s is answered without being kept", self.platform, key)
            task = asyncio.get_running_loop().create_task(self._handle_unkept(body), name=f"inbox:{key}")
            self._unkept.add(task)
            task.add_done_callback(self._unkept.discard)
            return
        if row_id is not None and leads:
            self._spawn(row_id, body)

    def _spawn(self, row_id: int, body: str) -> None:
        if row_id in self._working:
            return
        task = asyncio.get_running_loop().create_task(self._handle(row_id, body), name=f"inbox:{row_id}")
        self._working[row_id] = task
        task.add_done_callback(lambda _t: self._working.pop(row_id, None))

    async def _handle(self, row_id: int, body: str) -> None:
        try:
            deliveries = await self.handle(body, Ticket(self.db, row_id))
            await asyncio.gather(*deliveries, return_exceptions=True)
        except Exception:  # a bug must not leave the row to be retried for ever
            log.exception("%s inbox: update row %d failed", self.platform, row_id)
        await self._settle(row_id)

    async def _handle_unkept(self, body: str) -> None:
        try:
            deliveries = await self.handle(body, NO_TICKET)
            await asyncio.gather(*deliveries, return_exceptions=True)
        except Exception:
            log.exception("%s inbox: an update that could not be kept failed", self.platform)

    async def _settle(self, row_id: int) -> None:
        """Mark the row done, waiting while the database is away or cannot be written (the row
        stays claimed by this live process meanwhile, so nobody answers it again)."""
        delay = RETRY_FIRST_S
        while True:
            try:
                await self.db.batch(InboxDone(row_id))
                return
            except Exception as exc:
                if delay == RETRY_FIRST_S and not (unreachable(exc) or out_of_room(exc)):
                    log.warning("%s inbox: could not mark row %d handled (%s); will retry", self.platform, row_id, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)

    async def start(self) -> None:
        """Take over what a stopped process left, then keep claims fresh and watch for more."""
        try:
            await self._sweep()
        except Exception as exc:
            if not unreachable(exc):
                raise
            log.warning("%s inbox: the database cannot be reached yet; the sweep will retry", self.platform)
        loop = asyncio.get_running_loop()
        self._sweeper = loop.create_task(self._sweep_often(), name=f"inbox-sweep:{self.platform}")
        if self.db.dialect == "postgresql":
            self._taker = loop.create_task(self._take_when_told(), name=f"inbox-take:{self.platform}")

    async def lead(self) -> None:
        """This process has come to lead: take up every update left open, whoever held it (the
        leader before is gone: its lease went with it)."""
        await self._sweep(everyone=True)

    async def _listen(self) -> AsyncConnection:
        """LISTEN on a connection of its own: a notification wakes the leader's taker."""
        conn = await self.db.engine.connect()
        try:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            await raw.add_listener(CHANNEL, lambda *_args: self._nudged.set())
        except Exception:
            await conn.close()
            raise
        self._listener = conn
        return conn

    async def _take_when_told(self) -> None:
        """The leader takes what other processes stored as soon as they commit it (and the
        periodic sweep catches anything a lost notification left)."""
        while True:
            try:
                listener = self._listener
                if listener is None or listener.closed or listener.invalidated:
                    await self._close_listener()
                    listener = await self._listen()
                    self._nudged.set()  # what was stored while nobody listened
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._nudged.wait(), LISTEN_CHECK_S)
                if not self._nudged.is_set():
                    await listener.execute(text("SELECT 1"))  # still there? (else: listen anew)
                    await listener.commit()  # notifications reach a session between transactions only
                    continue
                self._nudged.clear()
                if self.leading():
                    await self._take(self.clock.now(), fresh_only=True)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._close_listener()
                if not unreachable(exc):
                    log.warning("%s inbox: listening failed; will retry", self.platform, exc_info=True)
                await asyncio.sleep(RETRY_MAX_S)

    async def _close_listener(self) -> None:
        conn, self._listener = self._listener, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _sweep_often(self) -> None:
        period = max(self.stale.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(period)
            try:
                await self._sweep()
            except Exception as exc:
                if unreachable(exc):
                    log.warning("%s inbox: sweep skipped, the database cannot be reached", self.platform)
                else:
                    log.warning("%s inbox: sweep failed; will retry", self.platform, exc_info=True)

    async def _sweep(self, *, everyone: bool = False) -> None:
        now = self.clock.now()
        if self.leading():
            await self._take(now, everyone=everyone)
        else:
            await self.db.unit(lambda c: UnitOfWork(c, now).inbox.keep_alive(self.owner, now))
        await self.db.unit(lambda c: UnitOfWork(c, now).inbox.prune(now - timedelta(days=KEEP_DAYS)))

    async def _take(self, now: datetime, *, everyone: bool = False, fresh_only: bool = False) -> None:
        """Take and handle the rows nobody works on (see InboxRepo.take_over), a batch at a time;
        `fresh_only`: just those stored for the leader by the other processes."""
        while True:
            claim = partial(self._claim, now, set(self._working), everyone, fresh_only)
            rows = await self.db.unit(claim, urgent=fresh_only)  # what other processes acknowledged: at once
            taken = [(row_id, body) for row_id, body in rows if row_id not in self._working]
            if taken and not fresh_only:
                log.warning("%s inbox: took up %d update(s) nobody was working on", self.platform, len(taken))
            for row_id, body in taken:
                self._spawn(row_id, body)
            if len(rows) < TAKE_BATCH:
                return

    async def _claim(
        self, now: datetime, working: set[int], everyone: bool, fresh_only: bool, conn: Any
    ) -> list[tuple[int, str]]:
        repo = UnitOfWork(conn, now).inbox
        if fresh_only:
            return await repo.take_unclaimed(self.platform, self.owner, now, TAKE_BATCH)
        await repo.keep_alive(self.owner, now)
        free = [o for o in await repo.owners(self.platform) if o != self.owner and gone(o)]
        return await repo.take_over(
            self.platform, self.owner, now, now - self.stale, TAKE_BATCH, free=free, working=working, everyone=everyone
        )

    async def drained(self) -> None:
        """Wait until every update taken so far is handled (tests, shutdown)."""
        while self._working or self._unkept:
            await asyncio.gather(*self._working.values(), *self._unkept, return_exceptions=True)

    async def stop(self) -> None:
        for task in (self._sweeper, self._taker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._close_listener()
        # a moment for what is being handled; anything left stays claimed, and a restart (or
        # another process) takes it over
        tasks = [*self._working.values(), *self._unkept]
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
