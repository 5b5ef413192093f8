"""Push kinds: what a feature may push later, declared the way it declares its commands.

A feature lists its kinds in `PUSHES`; the composition root (bot/app.py) collects them beside
COMMANDS and BUTTONS. A kind names the outbox rows it stands for (the stored purpose), the type of
their payload (a `Payload`, stored as JSON with the row), builds their key from the payload (the
chat is added by `queue`), and renders one row when it is due. What is common to every kind is
decided once in `render_row`: the stored payload must read as the kind's type; the chat must still
be bound (or, for kinds whose payload is `Personal`, be that person's chat with the bot); an
event's push is void once the event is cancelled or gone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError

from handlers.core.i18n import normalize_locale, this_year_is
from handlers.core.ports import Reply
from storage.records import BindingRec, EventRec, OutboxRec
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
    return await uow.outbox.enqueue(
        key=push_key(kind, payload, platform, chat_id),
        purpose=kind.name,
        event_id=event_id,
        platform=platform,
        chat_id=chat_id,
        due_at=due,
        payload=payload.model_dump(mode="json"),
        status=status,
    )


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
    this_year_is(uow.now.astimezone(tz).year)
    return await kind.render(PushContext(uow, row, payload, binding, locale, tz, event))


def registry(*features: Any) -> dict[str, PushKind[Any]]:
    """Every feature's push kinds by name (a name twice is a mistake, refused at start)."""
    kinds: dict[str, PushKind[Any]] = {}
    for feature in features:
        for kind in getattr(feature, "PUSHES", ()):
            if kind.name in kinds:
                raise ValueError(f"push kind {kind.name} declared twice")
            kinds[kind.name] = kind
    return kinds
