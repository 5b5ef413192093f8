"""The inbox: updates stored before they are acknowledged, and their progress.

Receiving is on the hot path of a busy morning (every webhook post is one row), so rows are put
and finished in batches by the single writer, like sign-ins.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import ClassVar

from sqlalchemy import ColumnElement, Connection, Insert, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import BatchWrite
from storage.models import InboxUpdate, Outbox
from storage.sql import insert_ignoring_conflicts, locked_ids

OPEN = ("processing", "answering")  # an update not done yet; 'answering': its answer is being sent
CHANNEL = "dangjian_inbox"  # PostgreSQL: an update was stored for the leader to take (LISTEN/NOTIFY)


@cache
def _put_statement(dialect: str) -> Insert:
    return insert_ignoring_conflicts(dialect, InboxUpdate).returning(
        InboxUpdate.platform, InboxUpdate.update_key, InboxUpdate.id
    )


@dataclass(frozen=True, slots=True)
class InboxPut(BatchWrite[int | None]):
    """Store one update, taken at once by the process that received it (`owner`), or left for the
    leader to take (owner None: on PostgreSQL the leader is told at commit); the new row's id, or
    None if the update was stored before (a redelivery: whoever holds it handles it)."""

    batch_key: ClassVar[str] = "inbox-put"
    urgent: ClassVar[bool] = True  # the webhook's acknowledgement waits for it

    platform: str
    update_key: str
    body: str
    owner: str | None
    now: datetime

    @classmethod
    def apply_many(cls, conn: Connection, items: Sequence[InboxPut]) -> list[int | None]:
        rows, seen = [], set()
        for it in items:
            if (it.platform, it.update_key) not in seen:
                seen.add((it.platform, it.update_key))
                rows.append(
                    {
                        "platform": it.platform,
                        "update_key": it.update_key,
                        "body": it.body,
                        "received_at": it.now,
                        "status": "processing",
                        "claimed_by": it.owner,
                        "claimed_at": it.now,
                    }
                )
        fresh = {(p, k): i for p, k, i in conn.execute(_put_statement(conn.dialect.name), rows)}
        if conn.dialect.name == "postgresql" and any(it.owner is None for it in items):
            conn.execute(text("SELECT pg_notify(:c, '')"), {"c": CHANNEL})
        # a key twice in one batch: the first one takes it
        return [fresh.pop((it.platform, it.update_key), None) for it in items]


@dataclass(frozen=True, slots=True)
class InboxAnswering(BatchWrite[None]):
    """An update's answer is about to be handed to the platform: after a crash it is not
    answered again (it may have gone out), where one still 'processing' is."""

    batch_key: ClassVar[str] = "inbox-answering"

    row_id: int

    @classmethod
    def apply_many(cls, conn: Connection, items: Sequence[InboxAnswering]) -> list[None]:
        conn.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id.in_([i.row_id for i in items]), InboxUpdate.status == "processing")
            .values(status="answering")
        )
        return [None] * len(items)


@dataclass(frozen=True, slots=True)
class InboxDone(BatchWrite[None]):
    """An update handled (its answer handed to the platform)."""

    batch_key: ClassVar[str] = "inbox-done"

    row_id: int

    @classmethod
    def apply_many(cls, conn: Connection, items: Sequence[InboxDone]) -> list[None]:
        conn.execute(update(InboxUpdate).where(InboxUpdate.id.in_([i.row_id for i in items])).values(status="done"))
        return [None] * len(items)


@dataclass
class InboxRepo:
    conn: AsyncConnection

    async def keep_alive(self, owner: str, now: datetime) -> None:
        """This process still holds its rows: their claim is fresh."""
        await self.conn.execute(
            update(InboxUpdate)
            .where(InboxUpdate.claimed_by == owner, InboxUpdate.status.in_(OPEN))
            .values(claimed_at=now)
        )

    async def owners(self, platform: str) -> list[str]:
        """The instances holding unfinished rows of a platform (a handful)."""
        rows = await self.conn.execute(
            select(InboxUpdate.claimed_by)
            .where(InboxUpdate.platform == platform, InboxUpdate.status.in_(OPEN))
            .distinct()
        )
        return [str(o) for (o,) in rows if o is not None]

    async def take_over(
        self,
        platform: str,
        owner: str,
        now: datetime,
        stale_before: datetime,
        limit: int,
        *,
        free: Collection[str] = (),
        working: Collection[int] = (),
        everyone: bool = False,
    ) -> list[tuple[int, str]]:
        """Rows nobody works on: those left for the leader (no holder), those of an instance known
        to be gone (`free`), those whose holder stopped keeping them fresh, and this instance's
        own that it no longer works on (ids not in `working`); with `everyone` (a new leader,
        whose predecessor is gone), every open row. Those whose answer was being sent are closed
        (it may have gone out: not twice); the others this process takes, in the order they
        came. On PostgreSQL, rows another process is taking are skipped."""
        nobodys: ColumnElement[bool] = (InboxUpdate.claimed_at < stale_before) | InboxUpdate.claimed_by.is_(None)
        if free:
            nobodys = nobodys | InboxUpdate.claimed_by.in_(list(free))
        if everyone:
            nobodys = InboxUpdate.claimed_by.is_distinct_from(owner)
        mine_idle = InboxUpdate.claimed_by == owner
        if working:
            mine_idle = mine_idle & InboxUpdate.id.not_in(list(working))
        pick = (
            select(InboxUpdate.id)
            .where(InboxUpdate.platform == platform, InboxUpdate.status.in_(OPEN), nobodys | mine_idle)
            .order_by(InboxUpdate.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = await locked_ids(self.conn, pick)
        if not ids:
            return []
        rows = await self.conn.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id.in_(ids), InboxUpdate.status.in_(OPEN), nobodys | mine_idle)
            .values(claimed_by=owner, claimed_at=now)
            .returning(InboxUpdate.id, InboxUpdate.status, InboxUpdate.body)
        )
        taken = sorted((int(i), str(st), str(b)) for i, st, b in rows)
        answered = [i for i, st, _ in taken if st == "answering"]
        if answered:
            await self.conn.execute(update(InboxUpdate).where(InboxUpdate.id.in_(answered)).values(status="done"))
        return [(i, b) for i, st, b in taken if st == "processing"]

    async def take_unclaimed(self, platform: str, owner: str, now: datetime, limit: int) -> list[tuple[int, str]]:
        """The rows other processes stored for the leader (no holder yet), in the order they came,
        `limit` at most (the leader runs it at every notification)."""
        pick = (
            select(InboxUpdate.id)
            .where(
                InboxUpdate.platform == platform, InboxUpdate.status == "processing", InboxUpdate.claimed_by.is_(None)
            )
            .order_by(InboxUpdate.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = await locked_ids(self.conn, pick)
        if not ids:
            return []
        rows = await self.conn.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id.in_(ids), InboxUpdate.claimed_by.is_(None))
            .values(claimed_by=owner, claimed_at=now)
            .returning(InboxUpdate.id, InboxUpdate.body)
        )
        return sorted((int(i), str(b)) for i, b in rows)

    async def prune(self, done_before: datetime) -> int:
        """Forget handled updates older than any redelivery (Telegram keeps updates 24 hours)."""
        res = await self.conn.execute(
            delete(InboxUpdate).where(InboxUpdate.status == "done", InboxUpdate.received_at < done_before)
        )
        return int(res.rowcount or 0)


Waiting = tuple[dict[str, tuple[int, datetime | None]], datetime | None]


async def waiting(conn: AsyncConnection, now: datetime) -> Waiting:
    """What waits: per platform the received updates not yet done (how many, the oldest's
    arrival), and the due time of the oldest push that is due and not yet sent."""
    inbox = await conn.execute(
        select(InboxUpdate.platform, func.count(), func.min(InboxUpdate.received_at))
        .where(InboxUpdate.status.in_(OPEN))
        .group_by(InboxUpdate.platform)
    )
    oldest_due = await conn.execute(
        select(func.min(Outbox.due_at)).where(Outbox.status.in_(("pending", "sending")), Outbox.due_at <= now)
    )
    return {p: (int(n), at) for p, n, at in inbox.all()}, oldest_due.scalar()
