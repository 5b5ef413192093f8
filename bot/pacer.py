"""Keeps each group chat under its platform's message rate without making anyone wait long.

Telegram allows about 20 messages a minute in a group, a WeCom group robot 20 a minute per key.
When 150 members sign in within two minutes, one message per sign-in would take eight minutes
to drain. The pacer gives each chat one send slot every 60/per_minute seconds and, when a slot
comes, spends it on whatever has waited longest:
  * queued replies that may be coalesced (sign-in confirmations) all go out as one message;
  * other replies go out one per slot, in order;
  * a board marked dirty (the live sign-in list) is re-rendered and edited once, however many
    sign-ins dirtied it meanwhile. Confirmations go before the board: a member waiting to see
    their sign-in matters more than the running count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from markupsafe import Markup

from handlers.ports import Delivery, Reply

log = logging.getLogger(__name__)

BOARD_PATIENCE = 4  # slots a dirty board may wait behind confirmations...
CONFIRM_WITHIN = 4.5  # ...as long as the waiting confirmations still go out within this (seconds)
SendFn = Callable[[str, Reply, bool], Awaitable[Delivery]]  # chat, reply, wait out a 429?
RefreshFn = Callable[[str, str], Awaitable[None]]


BeforeSend = Callable[[], Awaitable[None]]


@dataclass
class _Queued:
    at: float
    reply: Reply
    future: asyncio.Future[Delivery]
    patient: bool = True
    before_send: BeforeSend | None = None  # e.g. record that the answer of a stored update is leaving


@dataclass
class _Chat:
    plain: deque[_Queued] = field(default_factory=deque)
    merged: deque[_Queued] = field(default_factory=deque)
    dirty: dict[str, float] = field(default_factory=dict)  # edit key -> since when
    next_slot: float = 0.0
    task: asyncio.Task[None] | None = None

    def busy(self) -> bool:
        return bool(self.plain or self.merged or self.dirty)


class ChatPacer:
    def __init__(self, send: SendFn, refresh: RefreshFn, *, per_minute: float, max_len: int = 4096) -> None:
        self._send = send
        self._refresh = refresh
        self.interval = 60.0 / per_minute
        self.max_len = max_len
        self._chats: dict[str, _Chat] = {}
        self.sent = 0

    def post(
        self, chat_id: str, reply: Reply, *, patient: bool = True, before_send: BeforeSend | None = None
    ) -> asyncio.Future[Delivery]:
        """Queue a reply for a chat; the future resolves when it was sent (or failed).

        A patient reply waits out a 429 and is retried; an impatient one (an outbox push, which
        has its own retry schedule) comes back at once with the retry_after.
        """
        future: asyncio.Future[Delivery] = asyncio.get_running_loop().create_future()
        chat = self._chat(chat_id)
        item = _Queued(time.monotonic(), reply, future, patient, before_send)
        (chat.merged if reply.coalesce else chat.plain).append(item)
        self._wake(chat_id, chat)
        return future

    def busy(self) -> bool:
        """Anything queued or being sent in any chat."""
        return any(c.busy() or (c.task is not None and not c.task.done()) for c in self._chats.values())

    async def drained(self) -> None:
        """Return once every chat's queue is empty and nothing is being sent."""
        while self.busy():
            tasks = [c.task for c in self._chats.values() if c.task is not None and not c.task.done()]
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            else:  # queued but not yet woken: let the loop start its drain task
                await asyncio.sleep(0)

    def mark_dirty(self, chat_id: str, edit_key: str) -> None:
        """The content behind edit_key changed; edit that message at the next free slot."""
        chat = self._chat(chat_id)
        chat.dirty.setdefault(edit_key, time.monotonic())
        self._wake(chat_id, chat)

    def _chat(self, chat_id: str) -> _Chat:
        return self._chats.setdefault(chat_id, _Chat())

    def _wake(self, chat_id: str, chat: _Chat) -> None:
        if chat.task is None or chat.task.done():
            chat.task = asyncio.get_running_loop().create_task(self._drain(chat_id, chat), name=f"pacer:{chat_id}")

    async def _drain(self, chat_id: str, chat: _Chat) -> None:
        while chat.busy():
            wait = chat.next_slot - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                await self._spend_slot(chat_id, chat)
            except Exception:  # one bad send must not stop the chat's queue
                log.exception("sending to chat %s failed", chat_id)
            chat.next_slot = time.monotonic() + self.interval
            self.sent += 1

    async def _spend_slot(self, chat_id: str, chat: _Chat) -> None:
        """Confirmations first, oldest first; a dirty board when none wait, or when it has waited
        BOARD_PATIENCE slots and the oldest confirmation can still make CONFIRM_WITHIN on the
        slot after (so a long keyword rush still sees its board move)."""
        now = time.monotonic()
        board_since = min(chat.dirty.values()) if chat.dirty else None
        waiting = [(q[0].at, q) for q in (chat.plain, chat.merged) if q]
        board_turn = board_since is not None and (
            not waiting
            or (
                now - board_since >= BOARD_PATIENCE * self.interval
                and now - min(w[0] for w in waiting) + self.interval <= CONFIRM_WITHIN
            )
        )
        if board_turn:
            key = min(chat.dirty, key=lambda k: chat.dirty[k])
            del chat.dirty[key]
            await self._refresh(chat_id, key)
        elif min(waiting, key=lambda w: w[0])[1] is chat.plain:
            item = chat.plain.popleft()
            await _before(item)
            _settle([item], await self._safe_send(chat_id, item.reply, item.patient))
        else:
            batch = self._take_merged(chat)
            await _before(*batch)
            text = Markup("\n").join(i.reply.text for i in batch)
            _settle(batch, await self._safe_send(chat_id, Reply(text=text), True))

    def _take_merged(self, chat: _Chat) -> list[_Queued]:
        batch: list[_Queued] = []
        size = 0
        while chat.merged and (not batch or size + len(chat.merged[0].reply.text) + 1 <= self.max_len):
            item = chat.merged.popleft()
            size += len(item.reply.text) + 1
            batch.append(item)
        return batch

    async def _safe_send(self, chat_id: str, reply: Reply, patient: bool) -> Delivery:
        try:
            return await self._send(chat_id, reply, patient)
        except Exception as exc:
            log.exception("sending to chat %s failed", chat_id)
            return Delivery(ok=False, error=repr(exc))

    async def close(self) -> None:
        for chat in self._chats.values():
            if chat.task is not None:
                chat.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await chat.task


async def _before(*items: _Queued) -> None:
    await asyncio.gather(*(i.before_send() for i in items if i.before_send is not None))


def _settle(items: list[_Queued], delivery: Delivery) -> None:
    for item in items:
        if not item.future.done():
            item.future.set_result(delivery)
