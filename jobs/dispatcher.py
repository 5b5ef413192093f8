"""Sends due outbox rows through the Sender of each row's platform: once each, on time, in limits.

A round claims due rows (on PostgreSQL with FOR UPDATE SKIP LOCKED, so several processes share
the work and no row is taken twice), hands each chat's rows in order to the platform's Sender
(whose outbound path keeps the platform's limits, bot/delivery/outbound.py) while different chats go out
concurrently, and records the results in batches. Rows
that are due longer than the grace window (the process was down) are not sent late: they are
marked missed and reported to the region's chats once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import defaultdict, deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from handlers.core.context import Services
from handlers.core.outbox import Known
from handlers.core.ports import ChatRef, Sender
from handlers.pushes import render_push
from storage.db import unreachable
from storage.records import OutboxRec
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

Result = tuple[int, str, str | None, datetime | None]  # row id, status, error, retry due time
RETRY_S = 30.0  # a send that failed without a retry_after is tried again this much later
OUTAGE_RETRY_S = 5.0  # a row that could not be rendered while the database was away: soon again
RENDER_AT_ONCE = 8  # pushes rendered at the same moment (each may read; the pool has 30 connections)
STALE = timedelta(minutes=10)  # a row taken for sending and never reported back is given up


class Dispatcher:
    def __init__(
        self,
        services: Services,
        senders: Mapping[str, Sender],
        *,
        grace: timedelta = timedelta(minutes=30),
        window: int = 400,
        owner: str | None = None,
    ) -> None:
        self.services = services
        self.senders = senders
        self.grace = grace
        self.window = window  # rows claimed and not yet finished, at most
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self._results: list[Result] = []
        self._claimed: set[int] = set()  # rows this dispatcher took and has not reported back yet
        self._broken = False  # a round ended on a database failure: recover before the next
        self._orphans: set[asyncio.Task[int]] = set()  # chat workers of a round cut short
        self._rendering = asyncio.Semaphore(RENDER_AT_ONCE)

    async def run_once(self) -> int:
        """Send every row due now (and whatever falls due meanwhile); returns how many were sent."""
        if self._broken:
            await self._recover()
        await self.expire()
        queues: defaultdict[tuple[str, str], deque[OutboxRec]] = defaultdict(deque)
        workers: dict[tuple[str, str], asyncio.Task[int]] = {}
        try:
            return await self._round(queues, workers)
        except Exception:
            self._broken = True
            for task in workers.values():  # they finish what they hold on their own; their results wait
                self._orphans.add(task)  # in memory for the next round (a send never waits for storage)
                task.add_done_callback(self._orphans.discard)
            raise

    async def _round(
        self, queues: defaultdict[tuple[str, str], deque[OutboxRec]], workers: dict[tuple[str, str], asyncio.Task[int]]
    ) -> int:
        held = 0  # claimed rows not yet finished
        sent = 0
        while True:
            if held < self.window // 2:
                rows = await self._claim(self.window - held)
                try:
                    known = await self._known(rows)
                except Exception:
                    self._claimed.difference_update(r.id for r in rows)  # never in hand: given back later
                    raise
                for row in rows:
                    queues[(row.platform, row.chat_id)].append(row)
                held += len(rows)
                for key, queue in queues.items():
                    if queue and key not in workers:
                        workers[key] = asyncio.create_task(self._chat_worker(key, queue, known))
            if not workers:
                break
            done, _ = await asyncio.wait(workers.values(), timeout=0.05, return_when=asyncio.FIRST_COMPLETED)
            for key in [k for k, t in workers.items() if t in done]:
                sent += workers.pop(key).result()
                if not queues[key]:
                    del queues[key]
            held -= await self._flush()
        held -= await self._flush()
        return sent

    async def _claim(self, limit: int) -> list[OutboxRec]:
        now = self.services.clock.now()
        platforms = set(self.senders)
        rows = await self.services.db.unit(lambda c: UnitOfWork(c, now).outbox.claim(now, limit, self.owner))
        foreign = [r for r in rows if r.platform not in platforms]
        if foreign:  # a platform this process does not run: give them back at once
            await self.services.db.unit(
                lambda c: UnitOfWork(c, now).outbox.finish([(r.id, "pending", None, r.due_at) for r in foreign], now)
            )
        mine = [r for r in rows if r.platform in platforms]
        self._claimed.update(r.id for r in mine)
        return mine

    async def _known(self, rows: list[OutboxRec]) -> Known | None:
        """The bindings and events of the rows just taken, read once for all of them from the
        database (not this process's cache: another process may have bound a chat a moment ago)."""
        if not rows:
            return None
        platforms = {r.platform for r in rows}
        ids = {r.event_id for r in rows if r.event_id is not None}

        now = self.services.clock.now()

        async def load(conn: Any) -> Known:
            uow = UnitOfWork(conn, now)
            tables = {p: await uow.chats.bindings_of(p) for p in platforms}
            bindings = {(r.platform, r.chat_id): tables[r.platform].get(r.chat_id) for r in rows}
            return Known(bindings, await uow.events.get_many(ids))

        return await self.services.db.read(load)

    async def _chat_worker(self, key: tuple[str, str], queue: deque[OutboxRec], known: Known | None) -> int:
        """One chat's rows, in order; a rate-limited chat waits without holding up the others."""
        platform, chat_id = key
        sender = self.senders[platform]
        sent = 0
        while queue:
            row = queue.popleft()
            try:
                async with self._rendering:  # hundreds of chats at once must not drain the pool
                    reply = await render_push(self.services, row, known)
                if reply is None:
                    self._results.append((row.id, "void", None, None))
                    continue
                result = await sender.send(ChatRef(platform, chat_id), reply)
            except Exception as exc:
                if unreachable(exc):  # an outage, not a fault of the row: it goes once the database is back
                    log.warning("outbox row %s waits: the database cannot be reached", row.id)
                    self._retry(row, "the database could not be reached", OUTAGE_RETRY_S)
                else:
                    log.exception("sending outbox row %s failed", row.id)
                    self._retry(row, repr(exc), RETRY_S)
                continue
            if result.ok:
                self._results.append((row.id, "sent", None, None))
                sent += 1
            elif result.chat_gone:  # the Sender has switched the chat off (App.chat_gone)
                self._results.append((row.id, "failed", result.error or "chat gone", None))
                for rest in queue:  # nothing more goes to a chat the bot was removed from
                    self._results.append((rest.id, "failed", "chat gone", None))
                queue.clear()
            else:
                self._retry(row, result.error, result.retry_after or RETRY_S)
                for rest in queue:  # keep the chat's order: the rest wait with it
                    self._retry(rest, "behind a rate-limited message", result.retry_after or RETRY_S)
                queue.clear()
        return sent

    def _retry(self, row: OutboxRec, error: str | None, after_s: float) -> None:
        due = self.services.clock.now() + timedelta(seconds=after_s)
        self._results.append((row.id, "pending", error, due))

    async def _flush(self) -> int:
        results, self._results = self._results, []
        if results:
            now = self.services.clock.now()
            try:
                await self.services.db.unit(lambda c: UnitOfWork(c, now).outbox.finish(results, now))
            except Exception:
                self._results = results + self._results  # reported at the next round: nothing sent twice
                self._broken = True
                raise
            self._claimed.difference_update(r[0] for r in results)
        return len(results)

    async def _recover(self) -> None:
        """After a round the database cut short: report what was sent meanwhile, and give back the
        rows this process holds as being sent but never had in hand (a claim whose answer was lost
        with the connection), so they go out now rather than after STALE as given up."""
        await self._flush()
        owner, holding, now = self.owner, set(self._claimed), self.services.clock.now()
        released = await self.services.db.unit(lambda c: UnitOfWork(c, now).outbox.release_claims(owner, keep=holding))
        if released:
            log.warning("outbox: %d rows taken before the database failed were put back to be sent", released)
        self._broken = False

    async def expire(self) -> int:
        """Give up rows past the grace window, close the windows they would have closed, and
        queue one report per region chat listing what was not sent."""
        now = self.services.clock.now()

        services = self.services

        async def work(uow: UnitOfWork) -> int:
            missed = await uow.outbox.expire(now, grace=self.grace, stale=STALE)
            if missed and services.on_missed is not None:
                await services.on_missed(uow, missed, now, services.pushes)
            return len(missed)

        count = await self.services.db.unit(lambda c: work(UnitOfWork(c, now)))
        if count:
            log.warning("%d outbox rows were past the grace window and marked missed", count)
        return count
