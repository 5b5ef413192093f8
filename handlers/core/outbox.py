"""Push kinds: what a feature may push later, declared the way it declares its commands.

A feature lists its kinds in its `FEATURE` (handlers/core/feature.py) beside its commands and
buttons; the composition root (bot/app.py) collects them. A kind names the outbox rows it stands
for (the stored purpose), the type of their payload (a `Payload`, stored as JSON with the row),
builds their key from the payload (the chat is added by `queue`), and renders one row when it is
due. What is common to every kind is decided once in `render_row`: the stored payload must read
as the kind's type; the chat must still be bound (or, for kinds whose payload is `Personal`, be
that person's chat with the bot); an event's push is void once the event is cancelled or gone. A
kind also carries what people call it, what must still happen when it is given up as missed, and
whether it is reported then; the periodic steps that queue kinds ahead of their time are typed
here too (`Periodic`, `to_chats`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError

from handlers.core.i18n import normalize_locale, this_day_is
from handlers.core.ports import Reply
from storage.records import BindingRec, EventRec, OutboxRec
from storage.repos.outbox import outbox_row
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class Payload(BaseModel):
    """What one push carries. Its fields are the keys of the JSON stored with the row."""

    model_config = ConfigDict(frozen=True)


class Personal(Payload):
    """A payload of a push that may go to a person's own chat with the bot (private: it does)."""

    private: bool = False


P = TypeVar("P", bound=Payload)


@dataclass(frozen=True)
class PushContext(Generic[P]):
    """One due row, with what every renderer needs."""

    uow: UnitOfWork
    row: OutboxRec
    payload: P
    binding: BindingRec | None  # None only for a personal push to a person's own chat
    locale: str
    tz: ZoneInfo
    event: EventRec | None = None  # for an event's push: the event, never a cancelled one

    @property
    def now(self) -> datetime:
        return self.uow.now

    @property
    def chat(self) -> BindingRec:
        """The bound chat (every kind but the private ones has one)."""
        assert self.binding is not None
        return self.binding


@dataclass(frozen=True)
class PushKind(Generic[P]):
    name: str  # the stored purpose
    payload: type[P]  # what its rows carry
    render: Callable[[PushContext[P]], Awaitable[Reply | None]]  # None: nothing to say, the row is void
    key: Callable[[P], str]  # names the push, from its payload (the chat is added)
    event: bool = False  # an event's push (the row's event_id): void once it is cancelled
    writes: bool = False  # rendering writes (a summary closes the sign-in window)
    label: tuple[str, str] | None = None  # what people call it (zh-CN, en), e.g. in the missed-push report
    # given up as missed (past the grace window): what must still happen (the summary's window closes)
    on_missed: Callable[[UnitOfWork, EventRec | None, datetime], Awaitable[None]] | None = None
    reported: bool = True  # listed when missed (the report of missed pushes is not itself reported)


def push_key(kind: PushKind[P], payload: P, platform: str, chat_id: str) -> str:
    """The outbox key of one push: the kind's, plus the chat."""
    return f"{kind.key(payload)}:{platform}:{chat_id}"


async def queue(
    uow: UnitOfWork,
    kind: PushKind[P],
    platform: str,
    chat_id: str,
    *,
    due: datetime,
    payload: P,
    event_id: int | None = None,
    status: str = "pending",
) -> int:
    """Queue one push of a kind for a chat, once: the key is the kind's, plus the chat."""
    row = push_row(kind, platform, chat_id, due=due, payload=payload, event_id=event_id, status=status)
    return await uow.outbox.put(row)


def push_row(
    kind: PushKind[P],
    platform: str,
    chat_id: str,
    *,
    due: datetime,
    payload: P,
    event_id: int | None = None,
    status: str = "pending",
) -> dict[str, Any]:
    """`queue`'s row, for queuing many at once (OutboxRepo.enqueue_many)."""
    key = push_key(kind, payload, platform, chat_id)
    return outbox_row(key, kind.name, event_id, platform, chat_id, due, payload.model_dump(mode="json"), status)


@dataclass(frozen=True)
class Known:
    """What a delivery round read once for all the rows it took (read again where rendering writes)."""

    bindings: Mapping[tuple[str, str], BindingRec | None]  # (platform, chat) -> its binding
    events: Mapping[int, EventRec]


async def render_row(
    uow: UnitOfWork,
    kind: PushKind[Any],
    row: OutboxRec,
    default_locale: str,
    tz: ZoneInfo,
    known: Known | None = None,
) -> Reply | None:
    """The message a row stands for, or None when it must not be sent."""
    try:
        payload = kind.payload.model_validate(row.payload)
    except ValidationError as exc:
        log.warning("outbox row %s does not read as a %s push: %s", row.id, kind.name, exc.errors()[:3])
        return None
    if known is not None and (row.platform, row.chat_id) in known.bindings:
        binding = known.bindings[(row.platform, row.chat_id)]
    else:
        binding = await uow.chats.binding(row.platform, row.chat_id)
    if binding is not None and binding.active:
        locale = normalize_locale(binding.locale or default_locale)
    elif binding is None and isinstance(payload, Personal) and payload.private:
        locale = normalize_locale(default_locale)
    else:
        return None  # unbound, switched off, or not a chat this kind may reach
    event = None
    if kind.event:
        if known is not None and row.event_id is not None and row.event_id in known.events:
            event = known.events[row.event_id]
        else:
            event = await uow.events.get(row.event_id) if row.event_id is not None else None
        if event is None or event.status == "cancelled" or binding is None:
            return None
    this_day_is(uow.now.astimezone(tz).date())
    return await kind.render(PushContext(uow, row, payload, binding, locale, tz, event))


# -- what runs on a schedule rather than on a message -------------------------------------------
@dataclass(frozen=True)
class Moment:
    """When the periodic steps run, and what they are configured with."""

    now: datetime
    tz: ZoneInfo
    dormancy_weeks: int


# queues a feature's periodic pushes ahead of their time (idempotent: keys name the month or week)
Periodic = Callable[[UnitOfWork, Moment], Awaitable[int]]
# pushes given up as missed: what their kinds do then, and who is told (the kinds by name given)
OnMissed = Callable[[UnitOfWork, Sequence[OutboxRec], datetime, Mapping[str, "PushKind[Any]"]], Awaitable[None]]
Step = tuple["PushKind[Any]", datetime, Payload]


async def to_chats(
    uow: UnitOfWork, *, every: Sequence[Step] = (), branch: Sequence[Step] = (), region: Sequence[Step] = ()
) -> int:
    """Queue steps for every bound chat: `every` to all, `branch` to branch chats, `region` to
    region chats; returns how many rows were new."""
    queued = 0
    for region_rec in await uow.org.regions():
        for chat in await uow.chats.chats_for(region_rec.id, None, include_branch_chats=True):
            for kind, due, payload in [*every, *(branch if chat.branch_id else region)]:
                queued += await queue(uow, kind, chat.platform, chat.chat_id, due=due, payload=payload)
    return queued
