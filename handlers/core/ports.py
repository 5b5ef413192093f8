"""The only things features know about platforms: Incoming, Reply, Sender and Clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from markupsafe import Markup


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """A picture or file that came with a message; fetched only when a feature wants it."""

    size: int | None  # bytes, as the platform announces them (None: not announced)
    fetch: Callable[[], Awaitable[bytes]]
    name: str = ""  # the sender's name for it: shown, never trusted


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message or button press from any platform, already stripped of platform objects."""

    platform: str  # "console", "telegram", "wecom"
    chat_id: str
    user_id: str
    text: str = ""
    button: str | None = None  # callback data of a pressed button
    update_id: str | None = None  # the platform's delivery id: the same id is processed once
    message_id: str | None = None
    user_display: str = ""  # the name the platform shows, only for messages to unknown users
    is_private: bool = False
    addressed: bool = False  # the platform says it is meant for us (@-mention, reply, console)
    # a contact the sender shared with the bot: its phone if it is the sender's own (the platform
    # vouches for it), "" if it is someone else's; None when no contact was shared
    contact_phone: str | None = None
    can_share_contact: bool = False  # the platform can ask this sender for their own contact here
    file: IncomingFile | None = None  # a photo or document sent with the message (text: its caption)
    file_max: int | None = None  # the largest file the platform delivers to this chat, in bytes (None: any)


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str
    request_contact: bool = False  # asks the platform to share the presser's own contact instead


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a reply carries (a ledger, a chart): sent as a document, or shown as a picture."""

    name: str
    data: bytes
    image: bool = False


@dataclass(frozen=True, slots=True)
class Reply:
    """What a feature wants said. `text` is HTML-safe markup from an autoescaped template; member
    names in it may be mentions (handlers/core/mentions.py) that each transport shows its own way."""

    text: Markup
    buttons: tuple[Button, ...] = ()
    private: bool = False  # show only to the sender where the platform can (a toast)
    edit_key: str | None = None  # this message is updated in place later (e.g. a sign-in board)
    coalesce: bool = False  # may be merged with others into one group message (rate limits)
    settles: bool = False  # nothing more is expected in this chat for now: its turn may come first
    refresh: str | None = None  # the edit_key of a message whose content changed (re-render it)
    reply_to: str | None = None  # the platform's id of the message this answers, if any
    file: Attachment | None = None  # sent with the text as its caption
    refused: bool = False  # an error or a refusal: the command changed nothing (the CLI exits non-zero)

    def to_data(self) -> dict[str, object]:
        """As plain JSON data, to be kept with the update it answers (without a file: answers that
        carry one are made again on redelivery)."""
        return {
            "text": str(self.text),
            "buttons": [[b.label, b.data, b.request_contact] for b in self.buttons],
            "private": self.private,
            "edit_key": self.edit_key,
            "coalesce": self.coalesce,
            "refresh": self.refresh,
            "refused": self.refused,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Reply:
        return cls(
            text=Markup(data["text"]),
            buttons=tuple(Button(str(b[0]), str(b[1]), bool(b[2])) for b in data.get("buttons", ())),
            private=bool(data.get("private")),
            edit_key=data.get("edit_key"),
            coalesce=bool(data.get("coalesce")),
            refresh=data.get("refresh"),
            refused=bool(data.get("refused")),
        )


@dataclass(frozen=True, slots=True)
class ChatRef:
    platform: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class Delivery:
    ok: bool
    message_id: str | None = None
    retry_after: float | None = None  # rate limited: try again after this many seconds
    chat_gone: bool = False  # the bot was removed or blocked: stop sending to this chat
    error: str | None = None
    transient: bool = False  # the platform failed (5xx, timeout, network): it may work in a moment


class Sender(Protocol):
    """A platform's way of pushing a Reply into a chat without a triggering message."""

    platform: str

    async def send(self, chat: ChatRef, reply: Reply) -> Delivery: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FakeClock:
    """A clock that only moves when told to: for tests and the scripted demo."""

    current: datetime = field(default_factory=lambda: datetime(2026, 12, 1, 1, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when


class TravelClock(FakeClock):
    """The system clock, moved ahead by hand (the console's /clock): time passes as usual, from
    wherever it was moved to."""

    def __init__(self) -> None:
        super().__init__(datetime.now(UTC))
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **kwargs: float) -> datetime:
        self.offset += timedelta(**kwargs)
        return self.now()

    def set(self, when: datetime) -> None:
        self.offset = when - datetime.now(UTC)
