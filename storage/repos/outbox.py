"""Pushes due at a time: queued once, claimed by one process, finished once."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Outbox,
)
from storage.records import (
    OutboxRec,
)
from storage.sql import insert_ignoring_conflicts, locked_ids

_OUTBOX_COLS = (
    Outbox.id,
    Outbox.dedupe_key,
    Outbox.purpose,
    Outbox.event_id,
    Outbox.platform,
    Outbox.chat_id,
    Outbox.payload,
    Outbox.due_at,
    Outbox.status,
    Outbox.attempts,
)


def outbox_row(
    key: str,
    purpose: str,
    event_id: int | None,
    platform: str,
    chat_id: str,
    due_at: datetime,
    payload: dict[str, object] | None = None,
    status: str = "pending",
) -> dict[str, Any]:
    """One push as an outbox row, under its unique key (see OutboxRepo.enqueue)."""
    return {
        "dedupe_key": key,
        "purpose": purpose,
        "event_id": event_id,
        "platform": platform,
        "chat_id": chat_id,
        "payload": payload or {},
        "due_at": due_at,
        "status": status,
        "attempts": 0,
        "sent_at": due_at if status == "sent" else None,
    }


@dataclass
class OutboxRepo:
    conn: AsyncConnection

    async def enqueue(
        self,
        *,
        key: str,
        purpose: str,
        event_id: int | None,
        platform: str,
        chat_id: str,
        due_at: datetime,
        payload: dict[str, object] | None = None,
        status: str = "pending",
    ) -> bool:
        """Queue a push under its unique key (False: that key is queued already). status "sent":
        record a message that went out another way (a reply), so the key is never sent again."""
        return await self.put(outbox_row(key, purpose, event_id, platform, chat_id, due_at, payload, status))

    async def put(self, row: dict[str, Any]) -> bool:
        """`enqueue` of a row made by `outbox_row`."""
        res = await self.conn.execute(insert_ignoring_conflicts(self.conn, Outbox).values(**row))
        return bool(res.rowcount)

    async def enqueue_many(self, rows: list[dict[str, Any]]) -> None:
        """Queue many pushes (rows made by `outbox_row`) in one statement; keys queued already
        are left as they are."""
        if rows:
            await self.conn.execute(insert_ignoring_conflicts(self.conn, Outbox), rows)

    async def claim(self, now: datetime, limit: int, owner: str) -> list[OutboxRec]:
        """Take up to `limit` due rows for sending. On PostgreSQL rows another process is taking
        are skipped (FOR UPDATE SKIP LOCKED), so each row is claimed by exactly one process."""
        pick = (
            select(Outbox.id)
            .where(Outbox.status == "pending", Outbox.due_at <= now)
            .order_by(Outbox.due_at, Outbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = await locked_ids(self.conn, pick)
        if not ids:
            return []
        rows = await self.conn.execute(
            update(Outbox)
            .where(Outbox.id.in_(ids), Outbox.status == "pending")
            .values(status="sending", claimed_at=now, claimed_by=owner)
            .returning(*_OUTBOX_COLS)
        )
        return sorted((OutboxRec(**r._mapping) for r in rows), key=lambda r: (r.due_at, r.id))

    async def release_claims(self, owner: str, *, keep: Collection[int]) -> int:
        """Put back to pending the rows `owner` holds as being sent, except those in `keep`."""
        res = await self.conn.execute(
            update(Outbox)
            .where(Outbox.status == "sending", Outbox.claimed_by == owner, Outbox.id.not_in(list(keep)))
            .values(status="pending", claimed_at=None, claimed_by=None)
        )
        return int(res.rowcount or 0)

    async def finish(self, results: Sequence[tuple[int, str, str | None, datetime | None]], now: datetime) -> None:
        """Record sending results: (row id, new status, error, next due time for a retry)."""
        sent = [r[0] for r in results if r[1] == "sent"]
        if sent:
            await self.conn.execute(
                update(Outbox)
                .where(Outbox.id.in_(sent))
                .values(status="sent", sent_at=now, attempts=Outbox.attempts + 1, last_error=None)
            )
        for row_id, status, error, due_at in results:
            if status == "sent":
                continue
            values: dict[str, Any] = {"status": status, "attempts": Outbox.attempts + 1, "last_error": error}
            if due_at is not None:
                values["due_at"] = due_at
            await self.conn.execute(update(Outbox).where(Outbox.id == row_id).values(**values))

    async def expire(self, now: datetime, *, grace: timedelta, stale: timedelta) -> list[OutboxRec]:
        """Rows that can no longer be sent on time become 'missed': pending rows due before
        now - grace (the process was down), and rows taken for sending long ago by a process that
        never reported back (whether they went out is unknown, so they are not sent again)."""
        too_old = (Outbox.status == "pending") & (Outbox.due_at < now - grace)
        lost = (Outbox.status == "sending") & (Outbox.claimed_at < now - stale)
        rows = await self.conn.execute(
            update(Outbox)
            .where(too_old | lost)
            .values(status="missed", last_error="past the grace window")
            .returning(*_OUTBOX_COLS)
        )
        return [OutboxRec(**r._mapping) for r in rows]

    async def next_due(self) -> datetime | None:
        """When the earliest pending row falls due."""
        return (await self.conn.execute(select(func.min(Outbox.due_at)).where(Outbox.status == "pending"))).scalar()

    async def drop_pending(self, key_prefix: str) -> int:
        """Forget pushes not sent yet whose key starts so (what they were about changed, and they
        are queued again under the same keys)."""
        res = await self.conn.execute(
            delete(Outbox).where(Outbox.dedupe_key.startswith(key_prefix, autoescape=True), Outbox.status == "pending")
        )
        return int(res.rowcount or 0)

    async def void_for_event(self, event_id: int, keep: Sequence[str] = ()) -> int:
        """Void an event's pending pushes, but those under the `keep` keys (which, if voided
        before, are pending again: an event moved back to a time it had)."""
        cond = [Outbox.event_id == event_id, Outbox.status == "pending"]
        if keep:
            cond.append(Outbox.dedupe_key.not_in(keep))
        res = await self.conn.execute(update(Outbox).where(*cond).values(status="void"))
        if keep:
            await self.conn.execute(
                update(Outbox)
                .where(Outbox.event_id == event_id, Outbox.status == "void", Outbox.dedupe_key.in_(keep))
                .values(status="pending")
            )
        return int(res.rowcount or 0)

    async def count_by_status(self) -> dict[str, int]:
        rows = await self.conn.execute(select(Outbox.status, func.count()).group_by(Outbox.status))
        return {s: int(n) for s, n in rows}
