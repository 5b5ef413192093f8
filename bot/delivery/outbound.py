"""One outbound path per platform: every message the bot sends (a reply, a board edit, a timed
push) waits in its chat's queue and leaves when the platform's budget grants that chat a turn.

The budget is the platform's, enforced before sending rather than learnt from 429s: Telegram
allows 30 messages a second overall and 20 a minute into one group; a WeCom group robot 20 a
minute per key. A chat's turns are spaced evenly (60 / per-minute seconds apart), and no more than
`per_second` turns are granted in any second across all chats (a second and the requests' latency,
as the platform counts them when they arrive); each request then leaves only while fewer than
`per_second` others could be counted in the same second (those on their way and those answered
less than a second ago), so however the requests bunch or overtake each other on their way, the
platform never counts more than its limit in a second.

What a turn carries is decided when it is granted, not when the message was queued:
  * every sign-in confirmation waiting for that chat goes out as one message;
  * otherwise the oldest reply or push, in order;
  * a board marked dirty (the live sign-in list) is re-rendered and edited once, however many
    sign-ins dirtied it, and only while no confirmation waits in its chat (or when it has waited
    long and the confirmations can still make it soon after).
Among chats, replies and pushes go before board edits; among chats with messages waiting, one
where nothing more is expected goes first (its confirmations include the sign-in that completed
the list: this turn is its last for now), then the one whose oldest has waited long, else the one
with the most waiting (a busy group's whole crowd is confirmed by one message rather than a
trickle). While more chats wait than a second's turns, a chat whose confirmations are still
coming in waits until none came for GATHER_QUIET_S (at most GATHER_MAX_S): a turn spent on part
of a crowd would cost another turn later; and boards are not edited before the crowds' confirmations
have left (a turn spent on an edit then is one less for them). A quiet chat's message leaves at once.

A 429 is not expected; if one comes, the chat waits its retry_after, the whole budget runs at half
rate for as long, and the message stays at the head of its queue: nothing is dropped. A transient
failure of the platform (a 5xx, a timeout, a dropped connection) keeps the message at the head of
its queue too, and pauses all sending: one message at a time probes the platform, half a second
later and then doubling up to OUTAGE_MAX_S, so nothing is hammered and everything leaves, in
order, within seconds of the platform's return. A message whose update cannot be marked as being
answered (the database is away) waits in its chat and is tried again a second later. A chat the
bot was removed from is reported once, and what waited for it is settled as undeliverable.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from markupsafe import Markup

from bot import health
from handlers.core.ports import ChatRef, Delivery, Reply
from storage.db import unreachable

log = logging.getLogger(__name__)

MARGIN = 1.02  # a hair under the per-chat limit, so clock jitter never lands a message in a full window
SECOND_S = 1.0  # the platform's second, in which it counts the requests that arrived
LATENCY_FIRST_S = 0.05  # a request's time to its answer, assumed until some were measured
PACE_S = 0.1  # turns are granted a tenth of a second's worth at a time, spread through the second
BURST = 4  # a chat with fewer turns than this in the last minute need not wait for its spacing
OLD_S = 2.0  # a chat whose oldest message waited this long goes before fuller chats
GATHER_QUIET_S = 1.5  # while more chats wait than a second's turns, confirmations still coming in
GATHER_MAX_S = 4.0  # wait until none came for the first, or the oldest waited the second
BOARD_PATIENCE = 4  # turns a dirty board may wait behind confirmations...
CONFIRM_WITHIN = 4.5  # ...as long as the waiting confirmations still go out within this (seconds)
OUTAGE_FIRST_S = 0.5  # the platform failed: the next try (one message) this much later,
OUTAGE_MAX_S = 4.0  # doubling up to this
HOLD_S = 1.0  # a message whose update could not be marked as being answered waits this long
BeforeSend = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Limits:
    per_second: float = 0.0  # platform-wide; 0: no limit
    per_chat_per_minute: float = 0.0  # 0: no limit
    chat_window_s: float = 60.0  # the per-chat count holds in any window this long (tests shorten time)

    @property
    def per_chat(self) -> int:
        """Turns one chat may have in any chat window."""
        return max(1, int(self.per_chat_per_minute * self.chat_window_s / 60.0))

    @property
    def span(self) -> float:
        return self.chat_window_s * MARGIN

    @property
    def interval(self) -> float:
        """Seconds between two turns of one chat."""
        return self.span / self.per_chat if self.per_chat_per_minute else 0.0


PLATFORM_LIMITS: dict[str, Limits] = {
    "telegram": Limits(per_second=30, per_chat_per_minute=20),
    "wecom": Limits(per_chat_per_minute=20),
}


class Port(Protocol):
    """A platform's side of sending: what the outbound path calls when a turn is granted."""

    async def send_now(self, chat_id: str, reply: Reply) -> Delivery: ...

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> Delivery: ...

    def paced(self, chat_id: str) -> bool:
        """Whether the per-chat limit applies to this chat (Telegram: groups only)."""
        ...


# (chat, edit key) -> (message id, the message as it should read now), None when there is none
EditRenderer = Callable[[str, str], Awaitable[tuple[str, Reply] | None]]
GoneHook = Callable[[str], Awaitable[None]]


@dataclass
class _Item:
    at: float
    reply: Reply
    future: asyncio.Future[Delivery]
    before_send: BeforeSend | None = None  # e.g. record that the answer of a stored update is leaving


@dataclass
class _Chat:
    plain: deque[_Item] = field(default_factory=deque)
    merged: deque[_Item] = field(default_factory=deque)
    dirty: dict[str, float] = field(default_factory=dict)  # edit key -> since when
    next_turn: float = 0.0
    blocked_until: float = 0.0  # a 429's retry_after
    sending: bool = False
    recent: deque[float] = field(default_factory=deque)  # turns in the last minute
    settled: bool = False  # a waiting confirmation completed the chat's list: nobody else is coming

    def messages(self) -> int:
        return len(self.plain) + len(self.merged)

    def oldest(self) -> float:
        return min(q[0].at for q in (self.plain, self.merged) if q)

    def has_work(self) -> bool:
        return bool(self.plain or self.merged or self.dirty)


@dataclass
class _Turn:
    items: list[_Item]
    reply: Reply | None = None  # None: a board edit
    edit_key: str | None = None


class _Window:
    """At most `count` grants in any window of `span` seconds."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.times: deque[float] = deque()

    def wait(self, now: float, count: int, span: float) -> float:
        times = self.times
        while times and times[0] <= now - span:
            times.popleft()
        return 0.0 if len(times) < count else times[-count] + span - now


class _Admission:
    """The platform's count kept as the platform keeps it. A request arrives there somewhere
    between leaving and its answer, and requests may overtake each other on the way; so a request
    leaves only while fewer than `count` others could be counted in the same second: those still
    on their way and those answered less than a second ago. Exact whatever the network or the
    event loop delays; the answers' latency (mean of the last `count`) also tells how fast turns
    may be granted."""

    def __init__(self, count: int, clock: Callable[[], float]) -> None:
        self.count, self.clock = count, clock
        self._lock = asyncio.Lock()
        self._answered: deque[float] = deque()  # answers of the last second, in order
        self._on_the_way = 0
        self._landed = asyncio.Event()  # a request on its way was answered
        self._latencies: deque[float] = deque(maxlen=count)

    @property
    def latency(self) -> float:
        return sum(self._latencies) / len(self._latencies) if self._latencies else LATENCY_FIRST_S

    @contextlib.asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        async with self._lock:  # one at a time: nobody else leaves while this one waits its place
            while True:
                now = self.clock()
                answered = self._answered
                while answered and answered[0] <= now - SECOND_S:
                    answered.popleft()
                if self._on_the_way + len(answered) < self.count:
                    break
                self._landed.clear()
                wait = answered[0] + SECOND_S - now if answered else None  # else: only an answer frees a place
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._landed.wait(), wait)
            self._on_the_way += 1
            left = self.clock()
        try:
            yield
        finally:
            now = self.clock()
            self._on_the_way -= 1
            bisect.insort(self._answered, now)  # answers come nearly in order: an insert near the end
            self._latencies.append(now - left)
            self._landed.set()


class Outbound:
    def __init__(
        self,
        platform: str,
        port: Port,
        limits: Limits,
        *,
        render_edit: EditRenderer,
        on_gone: GoneHook,
        max_len: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.platform, self.port, self.limits = platform, port, limits
        self.render_edit, self.on_gone = render_edit, on_gone
        self.max_len, self.clock = max_len, clock
        self._chats: dict[str, _Chat] = {}
        self._active: set[str] = set()  # chats with something waiting
        self.configure(limits)
        self._slow_until = 0.0  # after a 429: half the budget until then
        self._down_until = 0.0  # after a transient failure: nothing is sent until then...
        self._down_wait = 0.0  # ...and the next failure waits twice as long (0: the platform works)
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._sends: set[asyncio.Task[None]] = set()
        self._closed = False
        self.rejected = 0  # 429s received
        self.failures = 0  # transient failures of the platform

    def configure(self, limits: Limits) -> None:
        """The limits to keep (and later other ones: a test's scaled-down platform)."""
        self.limits = limits
        self._overall = _Window(max(1, int(limits.per_second))) if limits.per_second else None
        self._tokens, self._tokens_at = self._slice(int(limits.per_second)), self.clock()
        self._admission = _Admission(max(1, int(limits.per_second)), self.clock) if limits.per_second else None

    # -- what features and transports call ------------------------------------------------------
    def post(self, chat_id: str, reply: Reply, *, before_send: BeforeSend | None = None) -> asyncio.Future[Delivery]:
        """Queue a message for a chat; the future resolves once it was sent, or could not be."""
        future: asyncio.Future[Delivery] = asyncio.get_running_loop().create_future()
        if self._closed:  # stopping: nothing more is taken on (a push stays in the outbox for later)
            future.set_result(Delivery(ok=False, error="stopped"))
            return future
        chat = self._chats.setdefault(chat_id, _Chat())
        self._active.add(chat_id)
        if reply.refresh:
            chat.dirty.setdefault(reply.refresh, self.clock())
        item = _Item(self.clock(), reply, future, before_send)
        (chat.merged if reply.coalesce else chat.plain).append(item)
        chat.settled = chat.settled or (reply.coalesce and reply.settles)
        self._poke()
        return future

    async def send(self, chat: ChatRef, reply: Reply) -> Delivery:
        """The Sender port (outbox pushes): queued like any reply, returns once it has left."""
        return await self.post(chat.chat_id, reply)

    def mark_dirty(self, chat_id: str, edit_key: str) -> None:
        """The content behind edit_key changed: edit that message at a free turn."""
        self._chats.setdefault(chat_id, _Chat()).dirty.setdefault(edit_key, self.clock())
        self._active.add(chat_id)
        self._poke()

    def busy(self) -> bool:
        return bool(self._sends or self._active)

    async def drained(self) -> None:
        """Return once nothing waits and nothing is being sent."""
        while self.busy():
            if self._sends:
                await asyncio.gather(*list(self._sends), return_exceptions=True)
            else:
                await asyncio.sleep(0.005)

    async def close(self) -> None:
        self._closed = True
        tasks = [t for t in (self._loop_task, *self._sends) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop_task = None
        for chat in self._chats.values():
            for item in (*chat.plain, *chat.merged):
                if not item.future.done():
                    item.future.set_result(Delivery(ok=False, error="stopped"))

    # -- the scheduler --------------------------------------------------------------------------
    def _poke(self) -> None:
        self._wake.set()
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.get_running_loop().create_task(self._run(), name="outbound")

    def _budget_wait(self, now: float, turns: float = 1.0) -> float:
        """Seconds until `turns` more turns may be granted: no more than the limit in any second
        (as the platform sees it: a second and a request's latency here), and spread through it
        in tenths (after a pause a tenth's worth may go at once), so that who goes next is decided
        late, on what has arrived meanwhile."""
        if self._overall is None:
            return 0.0
        count = self._overall.count
        if now < self._slow_until:
            count = max(1, count // 2)
        span = SECOND_S + (self._admission.latency if self._admission is not None else 0.0)
        rate = count / span
        self._tokens = min(self._slice(count), self._tokens + (now - self._tokens_at) * rate)
        self._tokens_at = now
        return max(self._overall.wait(now, count, span), (min(turns, self._slice(count)) - self._tokens) / rate)

    @staticmethod
    def _slice(count: int) -> float:
        """Turns granted together at most: a tenth of a second's worth (at least one)."""
        return max(1.0, count * PACE_S)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            now = self.clock()
            if self._active and not self._down_wait:
                gate = self._budget_wait(now)
                if gate > 0:  # no turn can be granted before then: no need to look at the chats
                    await asyncio.sleep(gate)
                    continue
            chats = self._chats
            ready: list[str] = []
            soonest = float("inf")
            with_messages = 0
            for cid in self._active:
                chat = chats[cid]
                with_messages += bool(chat.plain or chat.merged)
                if chat.sending:
                    continue
                wait = self._ready_in(chat, now)
                if wait <= 0:
                    ready.append(cid)
                else:
                    soonest = min(soonest, wait)
            if self._overall is not None and with_messages > self._overall.count:
                # more chats wait than a second's turns: a crowd still signing in is confirmed together
                # and a board edit waits: each turn it took would come off a crowd's confirmations
                gathering = {cid: self._gathering(chats[cid], now) for cid in ready if chats[cid].messages()}
                ready = [cid for cid in gathering if gathering[cid] <= 0]
                soonest = min(soonest, *(w for w in gathering.values() if w > 0), float("inf"))
            if not ready and soonest == float("inf"):
                if not self._sends and not self._active:
                    self._forget_idle()
                await self._wake.wait()
                continue
            if self._down_wait and (self._sends or now < self._down_until):
                # the platform failed: one probe at a time, after the pause
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), None if self._sends else self._down_until - now)
                continue
            budget = self._budget_wait(now, len(ready))  # a few turns at a time, not one per wake-up
            if not ready or budget > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), budget if ready else max(soonest, budget))
                continue
            for chat_id in self._order(ready, now):  # as many turns as the budget has room for now
                if self._budget_wait(now) > 0:
                    break
                self._grant(chat_id, now)
                if self._down_wait:
                    break  # a probe
            await asyncio.sleep(0)  # let the sends start

    def _grant(self, chat_id: str, now: float) -> None:
        chat = self._chats[chat_id]
        turn = self._take(chat, now)
        if not chat.has_work():
            self._active.discard(chat_id)
        if self._overall is not None:
            self._overall.times.append(now)
            self._tokens -= 1.0
        if self.port.paced(chat_id) and self.limits.per_chat_per_minute:
            chat.recent.append(now)
            chat.next_turn = now + self._spacing(chat, now)
        chat.sending = True
        task = asyncio.get_running_loop().create_task(self._send(chat_id, chat, turn))
        self._sends.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sends.discard(task)
        self._wake.set()  # the loop may be waiting for the last send to end (a probe)

    def _spacing(self, chat: _Chat, now: float) -> float:
        """Seconds to the chat's next turn: the even spacing, or wider after a quick start, so the
        turns left in the window last until its first turn leaves it (never a long stall)."""
        limits = self.limits
        left = limits.per_chat - len(chat.recent)
        if left <= 0 or len(chat.recent) < 2:
            return limits.interval
        return max(limits.interval, (chat.recent[0] + limits.span - now) / (left + 1))

    def _ready_in(self, chat: _Chat, now: float) -> float:
        """Seconds until the chat may have a turn: its turns are spaced evenly, except that a chat
        quiet for the last minute (fewer than BURST turns) is answered at once; never more than
        the per-minute limit in any minute."""
        blocked = chat.blocked_until - now
        if blocked > 0:
            return blocked
        wait = chat.next_turn - now
        if not chat.recent:
            return max(wait, 0.0)
        span = self.limits.span
        while chat.recent and chat.recent[0] <= now - span:
            chat.recent.popleft()
        limit = self.limits.per_chat
        if len(chat.recent) >= limit:
            return max(wait, chat.recent[-limit] + span - now)
        return 0.0 if len(chat.recent) < BURST else max(wait, 0.0)

    @staticmethod
    def _gathering(chat: _Chat, now: float) -> float:
        """Seconds a chat's confirmations still gather while the budget is contended: until none
        has come for GATHER_QUIET_S, the oldest has waited GATHER_MAX_S, or the list is complete.
        A reply or push is never held."""
        merged = chat.merged
        if chat.plain or not merged or chat.settled:
            return 0.0
        return min(merged[0].at + GATHER_MAX_S, merged[-1].at + GATHER_QUIET_S) - now

    def _order(self, ready: list[str], now: float) -> list[str]:
        """Whose turn first: messages before edits; among chats with messages, those where nothing
        more is expected (a sign-in that completed its list: the turn is the chat's last for now),
        then those whose oldest has waited long (oldest first), then the fullest; edits by how
        long they have waited."""
        chats = self._chats

        def rank(cid: str) -> tuple[int, float, float]:
            chat = chats[cid]
            if not chat.messages():
                return (3, min(chat.dirty.values(), default=now), 0.0)
            oldest = chat.oldest()
            if chat.settled:
                return (0, oldest, 0.0)
            if now - oldest >= OLD_S:
                return (1, oldest, 0.0)
            return (2, -chat.messages(), oldest)

        return sorted(ready, key=rank)

    def _take(self, chat: _Chat, now: float) -> _Turn:
        """Bind the turn's content: confirmations together, a reply, or a board edit (see above)."""
        waiting = [(q[0].at, q) for q in (chat.plain, chat.merged) if q]
        board_since = min(chat.dirty.values()) if chat.dirty else None
        interval = self.limits.interval
        board_turn = board_since is not None and (
            not waiting
            or (
                now - board_since >= BOARD_PATIENCE * interval
                and now - min(w[0] for w in waiting) + interval <= CONFIRM_WITHIN
            )
        )
        if board_turn:
            key = min(chat.dirty, key=lambda k: chat.dirty[k])
            del chat.dirty[key]
            return _Turn([], None, key)
        if min(waiting, key=lambda w: w[0])[1] is chat.plain:
            item = chat.plain.popleft()
            return _Turn([item], item.reply)
        batch: list[_Item] = []
        size = 0
        while chat.merged and (not batch or size + len(chat.merged[0].reply.text) + 1 <= self.max_len):
            item = chat.merged.popleft()
            size += len(item.reply.text) + 1
            batch.append(item)
        chat.settled = any(i.reply.settles for i in chat.merged)  # what is left (a long list goes in parts)
        if len(batch) == 1:
            return _Turn(batch, batch[0].reply)
        answering = {i.reply.reply_to for i in batch}  # merged answers to one message still answer it
        text = Markup("\n").join(i.reply.text for i in batch)
        return _Turn(batch, Reply(text=text, reply_to=answering.pop() if len(answering) == 1 else None))

    async def _send(self, chat_id: str, chat: _Chat, turn: _Turn) -> None:
        try:
            try:
                delivery = await self._deliver(chat_id, turn)
            except asyncio.CancelledError:  # stopping: whoever waits for these hears they were not sent
                for item in turn.items:
                    if not item.future.done():
                        item.future.set_result(Delivery(ok=False, error="stopped"))
                raise
            if delivery is None:
                self._requeue(chat_id, chat, turn, HOLD_S)
                return
            if delivery.retry_after:
                health.SENDS.labels(self.platform, "rate_limited").inc()
                health.RATE_LIMITED.labels(self.platform).inc()
                self._rate_limited(chat_id, chat, turn, delivery.retry_after)
                return
            if delivery.transient:
                health.SENDS.labels(self.platform, "platform_down").inc()
                self._platform_failed(chat_id, chat, turn, delivery)
                return
            health.SENDS.labels(self.platform, "ok" if delivery.ok else "failed").inc()
            if self._down_wait:
                log.warning("%s is answering again; sending what waited", self.platform)
                self._down_wait = 0.0
            for item in turn.items:
                if not item.future.done():
                    item.future.set_result(delivery)
            if delivery.chat_gone:
                await self._gone(chat_id, chat, delivery)
        finally:
            chat.sending = False
            self._wake.set()

    async def _deliver(self, chat_id: str, turn: _Turn) -> Delivery | None:
        """Send the turn; None when it must wait (the database is away: its update could not be
        marked as being answered, or what the message shows could not be read)."""
        try:
            if turn.reply is None:
                assert turn.edit_key is not None
                found = await self.render_edit(chat_id, turn.edit_key)
                if found is None:
                    return Delivery(ok=True)
                return await self.port.edit(chat_id, found[0], found[1])
            marks = [i.before_send() for i in turn.items if i.before_send is not None]
            for failed in await asyncio.gather(*marks, return_exceptions=True):
                if isinstance(failed, Exception):
                    if unreachable(failed):
                        return None
                    # storage full, say: answering matters more than recording that we did
                    log.warning("could not record that an answer in %s is leaving: %s", chat_id, failed)
            return await self.port.send_now(chat_id, turn.reply)
        except Exception as exc:  # one bad send must not stop the chat's queue
            if unreachable(exc):  # what it needed to read first (a board, a mention) must wait
                return None
            log.exception("sending to chat %s failed", chat_id)
            return Delivery(ok=False, error=repr(exc))

    @contextlib.asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        """The overall limit kept exactly, around each API call (ports wrap every request in it):
        turns are granted at the budget's pace, but what runs between a grant and its request
        (rendering, recording, a reply split in parts) and the way to the platform could bunch
        requests together; see _Admission."""
        if self._admission is None:
            yield
            return
        async with self._admission.request():
            yield

    def _rate_limited(self, chat_id: str, chat: _Chat, turn: _Turn, retry_after: float) -> None:
        """Honour retry_after for the chat, slow the whole budget for as long, keep the message."""
        self.rejected += 1
        log.warning(
            "rate limited in chat %s: waiting %.1f s (the budget runs at half rate meanwhile)", chat_id, retry_after
        )
        self._slow_until = max(self._slow_until, self.clock() + retry_after)
        self._requeue(chat_id, chat, turn, retry_after)

    def platform_back(self) -> None:
        """The port knows the platform is reachable again (WeCom's long connection subscribed anew):
        the next probe goes now rather than at the end of its pause (a failure still doubles it)."""
        if self._down_wait:
            self._down_until = 0.0
            self._wake.set()

    def _platform_failed(self, chat_id: str, chat: _Chat, turn: _Turn, delivery: Delivery) -> None:
        """The platform failed for now: keep the message, pause all sending, probe again later."""
        self.failures += 1
        if not self._down_wait:
            log.warning("%s failed (%s); holding messages and trying again shortly", self.platform, delivery.error)
        self._down_wait = min(max(self._down_wait * 2, OUTAGE_FIRST_S), OUTAGE_MAX_S)
        self._down_until = self.clock() + self._down_wait
        self._requeue(chat_id, chat, turn, 0.0)

    def _requeue(self, chat_id: str, chat: _Chat, turn: _Turn, wait: float) -> None:
        """Put the turn's messages back at the head of the chat's queue (its board stays dirty);
        the chat waits `wait` seconds."""
        chat.blocked_until = max(chat.blocked_until, self.clock() + wait)
        if turn.edit_key is not None:
            chat.dirty.setdefault(turn.edit_key, self.clock())
        for item in reversed(turn.items):
            (chat.merged if item.reply.coalesce else chat.plain).appendleft(item)
            chat.settled = chat.settled or (item.reply.coalesce and item.reply.settles)
        if chat.has_work():
            self._active.add(chat_id)

    async def _gone(self, chat_id: str, chat: _Chat, delivery: Delivery) -> None:
        """Nothing more goes to a chat the bot was removed from; it is reported once."""
        for item in (*chat.plain, *chat.merged):
            if not item.future.done():
                item.future.set_result(delivery)
        chat.plain.clear()
        chat.merged.clear()
        chat.settled = False
        chat.dirty.clear()
        self._active.discard(chat_id)
        try:
            await self.on_gone(chat_id)
        except Exception:
            log.exception("could not switch off chat %s", chat_id)

    def _forget_idle(self) -> None:
        now = self.clock()
        span = self.limits.span
        for chat_id in [
            cid
            for cid, c in self._chats.items()
            if not c.has_work() and not c.sending and (not c.recent or c.recent[-1] <= now - span)
        ]:
            del self._chats[chat_id]
