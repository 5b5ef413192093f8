"""Push kinds: what a feature may push later, declared the way it declares its commands.

A feature lists its kinds in `PUSHES`; the composition root (bot/app.py) collects them beside
COMMANDS and BUTTONS. A kind names the outbox rows it stands for (the stored purpose), builds their
key from the payload (the chat is added by `queue`), and renders one row when it is due. What is
common to every kind is decided once in `render_push`: the chat must still be bound (or, for kinds
that may reach a person in their chat with the bot, be that chat); an event's push is void once
the event is cancelled or gone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.i18n import normalize_locale
from handlers.ports import Reply
from storage.records import BindingRec, EventRec, OutboxRec
from storage.repositories import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushContext:
    """One due row, with what every renderer needs."""

    uow: UnitOfWork
    row: OutboxRec
    binding: BindingRec | None  # None only for a kind that may go to a person's own chat
    locale: str
    tz: ZoneInfo
    event: EventRec | None = None  # for an event's push: the event, never a cancelled one

    @property
    def payload(self) -> Mapping[str, Any]:
        return self.row.payload

    @property
    def now(self) -> datetime:
        return self.uow.now

    @property
    def chat(self) -> BindingRec:
        """The bound chat (every kind but the private ones has one)."""
        assert self.binding is not None
        return self.binding


@dataclass(frozen=True)
class PushKind:
    name: str  # the stored purpose
    render: Callable[[PushContext], Awaitable[Reply | None]]  # None: nothing to say, the row is void
    key: Callable[[Mapping[str, Any]], str]  # names the push, from its payload (the chat is added)
    private: bool = False  # may go to a person's chat with the bot (payload "private": true)
    event: bool = False  # an event's push (the row's event_id): void once it is cancelled
    writes: bool = False  # rendering writes (a summary closes the sign-in window)


async def queue(
    uow: UnitOfWork,
    kind: PushKind,
    platform: str,
    chat_id: str,
    *,
    due: datetime,
    payload: Mapping[str, Any],
    event_id: int | None = None,
    status: str = "pending",
) -> int:
    """Queue one push of a kind for a chat, once: the key is the kind's, plus the chat."""
    return await uow.ops.enqueue(
        key=f"{kind.key(payload)}:{platform}:{chat_id}",
        purpose=kind.name,
        event_id=event_id,
        platform=platform,
        chat_id=chat_id,
        due_at=due,
        payload=dict(payload),
        status=status,
    )


async def render_row(
    uow: UnitOfWork, kind: PushKind, row: OutboxRec, default_locale: str, tz: ZoneInfo
) -> Reply | None:
    """The message a row stands for, or None when it must not be sent."""
    binding = await uow.org.binding(row.platform, row.chat_id)
    if binding is not None and binding.active:
        locale = normalize_locale(binding.locale or default_locale)
    elif binding is None and kind.private and row.payload.get("private"):
        locale = normalize_locale(default_locale)
    else:
        return None  # unbound, switched off, or not a chat this kind may reach
    event = None
    if kind.event:
        event = await uow.events.get(row.event_id) if row.event_id is not None else None
        if event is None or event.status == "cancelled" or binding is None:
            return None
    return await kind.render(PushContext(uow, row, binding, locale, tz, event))


def registry(*features: Any) -> dict[str, PushKind]:
    """Every feature's push kinds by name (a name twice is a mistake, refused at start)."""
    kinds: dict[str, PushKind] = {}
    for feature in features:
        for kind in getattr(feature, "PUSHES", ()):
            if kind.name in kinds:
                raise ValueError(f"push kind {kind.name} declared twice")
            kinds[kind.name] = kind
    return kinds
